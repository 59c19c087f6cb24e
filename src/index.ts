/**
 * @module durable-edge — durable orchestrations (the Azure Durable Functions model) for the
 * browser and the edge. The core: definitions, context, tasks, runtime, client, store contract.
 */
export { activity, orchestrator, Registry } from "./definitions.ts";
export type {
  RegisteredFunctions,
  ActivityContext,
  ActivityDefinition,
  ActivityFunction,
  OrchestratorDefinition,
  OrchestratorFunction,
  OrchestratorGenerator,
} from "./definitions.ts";
export type {
  CallHttpOptions,
  ContinueAsNewOptions,
  DurableHttpRequest,
  DurableHttpResponse,
  OrchestrationContext,
  ReplaySafeLogger,
  WaitForEventOptions,
} from "./context.ts";
export { Task, TimerTask, ExternalEventTask, CompletableTask, type TaskResult } from "./task.ts";
export { RetryOptions, type RetryPolicy } from "./retry.ts";
export {
  DurableError,
  ERROR_CODES,
  EventTimeoutError,
  NonRetriableError,
  TaskAggregateError,
  TaskCanceledError,
  TaskFailedError,
  type ErrorCode,
  type FailureDetails,
} from "./errors.ts";
export { executeActivity, type ExecuteActivityOptions } from "./activity-runner.ts";
export { CoalescedDeadlines } from "./deadlines.ts";
export { createRuntime, httpActivity, type Runtime, type RuntimeOptions, type ChangeListener, type FetchLike } from "./runtime.ts";
export {
  DurableClient,
  type OrchestrationClient,
  type ClientOptions,
  type ListQuery,
  type ListResult,
  type PurgeFilter,
  type PurgeResult,
  type StartOptions,
  type WaitOptions,
  type ExportOptions,
  type ImportOptions,
  type InstanceTravel,
} from "./client.ts";
export { watchChanges, SerialWatch, WATCH_DONE, type AbortSignalLike, type ChangeSubscription, type InstanceChange, type InstanceWatch, type InstanceWatcher, type WatchOptions } from "./watch.ts";
export { ManualClock, systemClock, type Clock } from "./clock.ts";
export { RUNTIME_STATUSES, TERMINAL_STATUSES, isTerminal, isRuntimeStatus, type RuntimeStatus } from "./status.ts";
export { toStatus, toHistoryEvents, formatTime, type OrchestrationStatus, type StatusOptions, type HistoryRenderOptions } from "./status-payload.ts";
export { RUNS_KEPT, RUN_PREVIEW_BYTES, currentRun, previewJson, toRunsStatus, type RunsStatus, type RunStatus } from "./runs.ts";
export {
  createCheckStatusResponse,
  createHttpManagementPayload,
  DEFAULT_BASE_PATH,
  type CheckStatusResponse,
  type HttpManagementPayload,
  type ManagementUrlOptions,
} from "./http-management.ts";
export { validateInstanceId, MAX_INSTANCE_ID_LENGTH } from "./instance-id.ts";
export { toInstanceQuery, toPurgeQuery, encodeContinuationToken, decodeContinuationToken, MAX_PAGE_SIZE, type ListFilter, type ListPosition } from "./list-query.ts";
export { toJson, fromJson, type Json } from "./json.ts";
export { LIMITS } from "./limits.ts";
export { newInstanceId, uuidV5 } from "./guid.ts";
export { OrchestrationExecutor, HTTP_ACTIVITY, type Action, type Outcome, type ExecutorEnvironment } from "./executor.ts";
export { planStep, messageIds, type StepPlan } from "./step.ts";
export type { HistoryEvent, EventType, HistoryEventOf, ParentInstance, OrchestrationInstanceRef } from "./history.ts";
export { EVENT_TYPE_CODES } from "./history.ts";
export type * from "./store.ts";
export {
  replayHistories,
  replayHistory,
  readHistory,
  formatReplayReport,
  type ReplayOptions,
  type ReplayResult,
  type ReplayProblem,
  type ReplayProblemKind,
  type LoadedHistory,
} from "./replay.ts";
export {
  INSTANCE_DOCUMENT_FORMAT,
  INSTANCE_DOCUMENT_VERSION,
  TREE_DOCUMENT_VERSION,
  MAX_DOCUMENT_BYTES,
  validateInstanceDocument,
  isInstanceDocument,
  movedInfo,
  importedFrom,
  childrenOf,
  documentMembers,
  type InstanceDocument,
  type ChildReference,
  type MovedInfo,
  type ImportedMark,
} from "./instance-document.ts";
export { timeTravel, type TimeTravel, type TimeTravelFrame, type PendingTask, type LogLine, type Decision } from "./time-travel.ts";
export { watchedContext, type WatchedCall } from "./watched-context.ts";
export { entity, type EntityDefinition, type EntityContext, type EntityFunction, type EntityClass, type EntityOperations, type UntypedOperations, type OperationsOf, type OperationName, type OperationInput, type OperationResult, type OperationArgs, type SignalOptions } from "./entities/entity-definition.ts";
export { EntityId, entityId, entityInstanceId, isEntityInstanceId, parseEntityInstanceId, toEntityId, validateEntityKey, validateEntityName, type EntityIdLike } from "./entities/entity-id.ts";
export type { EntityLock } from "./entities/orchestration-entities.ts";
export type { EntityRef } from "./context.ts";
export {
  StoreEntityClient,
  type EntityClient,
  type EntityMetadata,
  type EntityPage,
  type EntityQuery,
  type EntityStateResponse,
  type CleanEntityStorageOptions,
  type CleanEntityStorageResult,
  type SignalEntityOptions,
} from "./entities/entity-client.ts";
export { readEntityRecord, isIdleEntity, ENTITY_EXECUTION_ID, type EntityRecordState, type EntityLockHolder } from "./entities/entity-state.ts";
