/**
 * @module step — one orchestration step, planned purely: what the store holds for an instance
 * (row, history, visible inbox) plus a live executor in, one atomic `StepCommit` out.
 */
import { DurableError, toFailureDetails, type FailureDetails } from "./errors.ts";
import { formatBytes, LIMITS, utf8Length } from "./limits.ts";
import { OrchestrationExecutor, type Action, type ExecutorEnvironment } from "./executor.ts";
import { newInstanceId } from "./guid.ts";
import type {
  ExecutionStartedEvent,
  HistoryEvent,
  ParentInstance,
  SubOrchestrationInstanceCreatedEvent,
  TaskScheduledEvent,
} from "./history.ts";
import type { Json } from "./json.ts";
import { withEndedRun } from "./runs.ts";
import { movedInfo } from "./instance-document.ts";
import { isTerminal } from "./status.ts";
import type { ActivityWorkItem, ClaimedActivity, InboxMessage, InstanceRecord, StepCommit, StepInput } from "./store.ts";
import { entityMessageIds } from "./entities/entity-messages.ts";
import { releaseMessages, unreleasedSections } from "./entities/orchestration-entities.ts";

/** What a step commits. */
export interface CommitPlan {
  commit: StepCommit;
  /** The executor to keep live for the next step once the commit lands (null: replay next time). */
  executor: OrchestrationExecutor | null;
  local?: undefined;
}

/** A step paused on local activities: the host runs `local.calls`, then resumes (or defers) it. */
export interface LocalPlan {
  commit: null;
  executor: OrchestrationExecutor;
  local: LocalWork;
}

export type StepPlan = CommitPlan | LocalPlan;

/** An activity to run inside the step: the work item it would otherwise be queued as, claimed by the step itself. */
export type LocalActivityCall = ClaimedActivity;

export interface LocalWork {
  /** The local activities the orchestrator waits on, in sequence order (their `TaskScheduled` is recorded). */
  readonly calls: readonly LocalActivityCall[];
  /** Feeds their results (`TaskCompleted` / `TaskFailed` events) and plans on: more local calls, or the commit. */
  resume(results: readonly HistoryEvent[]): StepPlan;
  /** Runs none of `calls` here: they are queued as ordinary activities, and the step commits. */
  defer(): StepPlan;
}

/** How many local activities a step may still run in place (decremented as they are handed out). */
export interface LocalBudget {
  remaining: number;
}

const NO_LOCAL: Readonly<LocalBudget> = Object.freeze({ remaining: 0 });

export interface StartMessageSpec {
  id: string;
  instanceId: string;
  executionId: string;
  name: string;
  version: string | null;
  input: Json;
  parent: ParentInstance | null;
  now: number;
}

/** The message that starts an execution: a new instance, a continue-as-new, a sub-orchestration. */
export function startMessage(spec: StartMessageSpec): InboxMessage {
  return {
    id: spec.id,
    instanceId: spec.instanceId,
    executionId: null,
    visibleAt: spec.now,
    event: {
      EventType: "ExecutionStarted",
      EventId: -1,
      Timestamp: spec.now,
      Name: spec.name,
      Version: spec.version,
      Input: spec.input,
      OrchestrationInstance: { InstanceId: spec.instanceId, ExecutionId: spec.executionId },
      ParentInstance: spec.parent,
    },
  };
}

/**
 * A copy of `row` with some fields changed. Written out field by field: object spread of a record
 * takes V8's slow generic path, and this runs on every step.
 */
export function recordWith(row: InstanceRecord, c: Partial<InstanceRecord>): InstanceRecord {
  return {
    instanceId: row.instanceId,
    name: row.name,
    version: row.version,
    executionId: c.executionId ?? row.executionId,
    runtimeStatus: c.runtimeStatus ?? row.runtimeStatus,
    input: c.input !== undefined ? c.input : row.input,
    output: c.output !== undefined ? c.output : row.output,
    customStatus: c.customStatus !== undefined ? c.customStatus : row.customStatus,
    failureDetails: c.failureDetails !== undefined ? c.failureDetails : row.failureDetails,
    parentInstanceId: row.parentInstanceId,
    createdAt: row.createdAt,
    lastUpdatedAt: c.lastUpdatedAt ?? row.lastUpdatedAt,
    completedAt: c.completedAt !== undefined ? c.completedAt : row.completedAt,
    etag: c.etag ?? row.etag,
    historyLength: c.historyLength ?? row.historyLength,
    runs: c.runs !== undefined ? c.runs : row.runs,
  };
}

/** Message ids are derived from what they carry, so sending one twice never delivers it twice. */
export const messageIds = {
  start: (instanceId: string, executionId: string) => `${instanceId}|start|${executionId}`,
  timer: (instanceId: string, executionId: string, timerId: number) => `${instanceId}|${executionId}|timer|${timerId}`,
  activity: (instanceId: string, executionId: string, taskId: number) => `${instanceId}|${executionId}|${taskId}`,
  activityResult: (activityId: string) => `${activityId}|result`,
  childStart: (childId: string, parentExecutionId: string, taskId: number) => `${childId}|start|${parentExecutionId}|${taskId}`,
  childResult: (parent: ParentInstance, childExecutionId: string) =>
    `${parent.OrchestrationInstance.InstanceId}|${parent.OrchestrationInstance.ExecutionId}|sub|${parent.TaskScheduleId}|${childExecutionId}`,
  cascade: (childId: string, kind: string, fromExecutionId: string) => `${childId}|${kind}|from|${fromExecutionId}`,
};

/**
 * Plans one step. `cached` is the live executor of the previous step when the store confirmed it is
 * current (same etag, history read from its length on).
 */
export function planStep(input: StepInput, cached: OrchestrationExecutor | undefined, env: ExecutorEnvironment, now: number): CommitPlan;
/** With a budget, a step may pause on local activities (`LocalPlan`) for the host to run them. */
export function planStep(input: StepInput, cached: OrchestrationExecutor | undefined, env: ExecutorEnvironment, now: number, budget: LocalBudget): StepPlan;
export function planStep(input: StepInput, cached: OrchestrationExecutor | undefined, env: ExecutorEnvironment, now: number, budget: LocalBudget = NO_LOCAL): StepPlan {
  const row = input.instance;
  const messages = input.messages;
  const consumed = messages.map((m) => m.id);
  if (!row || (isTerminal(row.runtimeStatus) && startsNewExecution(row, messages))) {
    const start = messages.find((m): m is InboxMessage & { event: ExecutionStartedEvent } => m.event.EventType === "ExecutionStarted");
    if (!start) return { commit: dropAll(input, consumed), executor: null };
    const moved = row && start.event.ParentInstance ? movedInfo(row) : null;
    if (moved) {
      // A sub-orchestration moved away with its tree is never started here again by a parent's message (one still on its way when it moved, say).
      const failure: FailureDetails = { ErrorType: "InstanceGone", ErrorMessage: `Instance '${row!.instanceId}' was moved to ${moved.to}; it is not started here again.`, StackTrace: null, IsNonRetriable: true, InnerFailure: null };
      return { commit: { ...dropAll(input, consumed), messages: [childResult(start.event.ParentInstance!, start.event.OrchestrationInstance.ExecutionId, now, { failure })] }, executor: null };
    }
    const fresh = newRecord(start.event, now, row);
    return runExecution(fresh, row?.etag ?? null, [], messages, undefined, env, now, "replace", budget);
  }
  if (isTerminal(row.runtimeStatus)) {
    const rewind = messages.find((m) => m.event.EventType === "ExecutionRewound");
    if (rewind && row.runtimeStatus === "Failed") return planRewind(row, input.history, rewind, consumed, env, now);
    return { commit: dropAll(input, consumed), executor: null };
  }
  const executor = cached ?? undefined;
  const history = cached ? [] : input.history;
  return runExecution(row, row.etag, history, messages, executor, env, now, "append", budget);
}

function startsNewExecution(row: InstanceRecord, messages: readonly InboxMessage[]): boolean {
  return messages.some(
    (m) => m.event.EventType === "ExecutionStarted" && m.event.OrchestrationInstance.ExecutionId !== row.executionId,
  );
}

function newRecord(start: ExecutionStartedEvent, now: number, previous: InstanceRecord | undefined): InstanceRecord {
  return {
    instanceId: start.OrchestrationInstance.InstanceId,
    name: start.Name,
    version: start.Version,
    executionId: start.OrchestrationInstance.ExecutionId,
    runtimeStatus: "Pending",
    input: start.Input,
    output: null,
    customStatus: null,
    failureDetails: null,
    parentInstanceId: start.ParentInstance?.OrchestrationInstance.InstanceId ?? null,
    createdAt: now,
    lastUpdatedAt: now,
    completedAt: null,
    etag: previous?.etag ?? 0,
    historyLength: 0,
  };
}

function dropAll(input: StepInput, consumed: string[]): StepCommit {
  const row = input.instance;
  return {
    instanceId: input.instanceId,
    expectedEtag: row ? row.etag : null,
    instance: row ? recordWith(row, { etag: row.etag + 1 }) : null,
    history: { mode: "append", events: [] },
    deleteMessageIds: consumed,
    dropExecution: null,
    messages: [],
    activities: [],
  };
}

/**
 * The order a step applies its messages in: the start message first (events may be queued for an
 * instance before it began), then in the order they became due, timers by fire time and everything
 * else by arrival (`visibleAt`), ties in append order. Stores return the inbox in append order,
 * where a timeout's timer, appended when the wait began, precedes an event that arrived before the
 * deadline; a runtime that steps only after the deadline (a frozen tab, a restarted process) must
 * still let that event win, as Durable Functions does.
 */
function inDueOrder(messages: readonly InboxMessage[]): readonly InboxMessage[] {
  let sorted = true;
  for (let i = 1; i < messages.length && sorted; i++) sorted = messages[i - 1]!.visibleAt <= messages[i]!.visibleAt;
  const start = messages.findIndex((m) => m.event.EventType === "ExecutionStarted");
  if (sorted && start <= 0) return messages;
  const rank = (m: InboxMessage) => (m.event.EventType === "ExecutionStarted" ? 0 : 1);
  return messages.map((m, i) => ({ m, i })).sort((a, b) => rank(a.m) - rank(b.m) || a.m.visibleAt - b.m.visibleAt || a.i - b.i).map(({ m }) => m);
}

function runExecution(
  row: InstanceRecord,
  expectedEtag: number | null,
  history: readonly HistoryEvent[],
  messages: readonly InboxMessage[],
  cached: OrchestrationExecutor | undefined,
  env: ExecutorEnvironment,
  now: number,
  mode: "append" | "replace",
  budget: LocalBudget,
): StepPlan {
  const executor = cached ?? new OrchestrationExecutor(row.instanceId, env);
  const newEvents: HistoryEvent[] = [];
  const out: InboxMessage[] = [];
  /** Actions the orchestrator took and this step has not scheduled yet. */
  let pending: readonly Action[] = [];
  /** One call of the executor: what belongs in history is recorded; returns how many events it applied. */
  const execute = (past: readonly HistoryEvent[], events: readonly HistoryEvent[]): number => {
    const result = executor.execute(past, events);
    for (const e of result.recorded) newEvents.push(e);
    if (result.actions.length > 0) pending = pending.length === 0 ? result.actions : [...pending, ...result.actions];
    return result.applied;
  };

  // Which messages this step applies, in the order they became due.
  let terminated: { reason: Json; recursive: boolean } | null = null;
  let terminatedEvent: HistoryEvent | null = null;
  const leftover: InboxMessage[] = [];
  /** Messages past this step's budget stay in the inbox, in order, for the next step. */
  const deferred = new Set<string>();
  let consumedBytes = 0;
  let applied = 0;
  // A step that terminates applies nothing else (but the start): whatever else is waiting is
  // dropped, so that terminating always commits small, even an instance whose messages could not be.
  const terminating = messages.some((m) => m.event.EventType === "ExecutionTerminated" && (m.executionId === null || m.executionId === row.executionId));
  const events: HistoryEvent[] = [{ EventType: "OrchestratorStarted", EventId: -1, Timestamp: now }];
  /** The message behind each of `events` after the first. */
  const sources: InboxMessage[] = [];
  for (const m of inDueOrder(messages)) {
    const e = m.event;
    if (terminated || (terminating && e.EventType !== "ExecutionTerminated" && e.EventType !== "ExecutionStarted")) {
      leftover.push(m);
      continue;
    }
    if (deferred.size > 0 || (applied > 0 && consumedBytes + eventBytes(e) > LIMITS.consumedBytesPerStep)) {
      deferred.add(m.id);
      continue;
    }
    applied++;
    consumedBytes += eventBytes(e);
    if (m.executionId !== null && m.executionId !== row.executionId) continue; // for an older execution
    switch (e.EventType) {
      case "ExecutionStarted":
        if (e.OrchestrationInstance.ExecutionId === row.executionId) {
          events.push(e);
          sources.push(m);
        } else if (e.ParentInstance) {
          out.push(childRefused(e, `An instance with ID '${row.instanceId}' is already ${row.runtimeStatus}; a sub-orchestration needs an instance ID that is not in use.`, now));
        }
        break;
      case "ExecutionTerminated":
        terminatedEvent = e;
        terminated = { reason: e.Input, recursive: e.Recursive !== false };
        break;
      case "ExecutionRewound":
      case "OrchestratorStarted":
      case "OrchestratorCompleted":
        break;
      default:
        events.push(e);
        sources.push(m);
    }
  }
  // Replay (unless the executor is live), then the new events, in one call.
  const appliedEvents = execute(cached ? [] : history, events);
  // Messages that arrived after the execution ended in this step are dropped (continueAsNew may carry events over).
  for (let i = Math.max(0, appliedEvents - 1); i < sources.length; i++) leftover.push(sources[i]!);
  if (terminatedEvent) newEvents.push(terminatedEvent);

  const executionId = row.executionId;
  const activities: ActivityWorkItem[] = [];
  const deleteMessageIds = deferred.size === 0 ? messages.map((m) => m.id) : messages.filter((m) => !deferred.has(m.id)).map((m) => m.id);
  let actionCount = 0;

  /**
   * Local activities (run by this host inside the step): takes the actions scheduled so far, in
   * sequence order; local ones (up to the budget) are recorded as scheduled and returned to be run,
   * the others are scheduled as usual. Null when there is nothing to run locally.
   */
  const takeLocalCalls = (): LocalActivityCall[] | null => {
    if (terminated || executor.outcome || budget.remaining <= 0 || !pending.some((a) => a.kind === "ScheduleTask" && a.local)) return null;
    const actions = pending;
    pending = [];
    actionCount += actions.length;
    const calls: LocalActivityCall[] = [];
    for (const a of actions) {
      if (a.kind === "ScheduleTask" && a.local && calls.length < budget.remaining) {
        newEvents.push({ EventType: "TaskScheduled", EventId: a.id, Timestamp: now, Name: a.name, Version: null, Input: a.input });
        const id = messageIds.activity(row.instanceId, executionId, a.id);
        calls.push({ id, instanceId: row.instanceId, executionId, taskId: a.id, name: a.name, input: a.input, enqueuedAt: now, leaseToken: "local", lockedUntil: Infinity, dequeueCount: 1 });
      } else scheduleActions([a], row, now, newEvents, activities, out);
    }
    budget.remaining -= calls.length;
    return calls.length > 0 ? calls : null;
  };

  const finish = (): StepPlan => {
    let next: InstanceRecord;
    let dropExecution: string | null = null;
    let historyMode = mode;
    let keepExecutor: OrchestrationExecutor | null = executor;
    const outcome = executor.outcome;
    const customStatus = executor.customStatus;

    if (terminated) {
      pending = []; // nothing more is scheduled for a terminated instance
      newEvents.push(completedEvent(now, "Terminated", terminated.reason, null));
      if (terminated.recursive) {
        for (const child of executor.openChildInstanceIds()) {
          out.push({
            id: messageIds.cascade(child, "terminate", executionId),
            instanceId: child,
            executionId: null,
            visibleAt: now,
            event: { EventType: "ExecutionTerminated", EventId: -1, Timestamp: now, Input: terminated.reason, Recursive: true },
          });
        }
      }
      for (const m of executor.releasesAtEnd()) out.push(m);
      const failure: FailureDetails = {
        ErrorType: "TaskTerminated",
        ErrorMessage: `Sub-orchestration '${row.instanceId}' was terminated: ${terminated.reason ?? "no reason given"}`,
        StackTrace: null,
        IsNonRetriable: true,
        InnerFailure: null,
      };
      if (executor.parent) out.push(childResult(executor.parent, executionId, now, { failure }));
      dropExecution = executionId;
      keepExecutor = null;
      next = finished(row, now, "Terminated", terminated.reason, null, customStatus);
    } else if (outcome?.kind === "continuedAsNew") {
      // What the last execution scheduled in its last step is abandoned, but what it sent to
      // entities (signals, a lock's release) is sent: the new execution starts with fresh history.
      for (const a of pending) if (a.kind === "SendEvent") out.push(entityMessage(a, row.instanceId, row.executionId, now));
      pending = [];
      for (const m of executor.releasesAtEnd()) out.push(m);
      const newExecutionId = newInstanceId();
      // The run that ends is summed up in the row (bounded: see runs.ts), as its history is dropped.
      const runs = withEndedRun(row, { endedAt: now, historyLength: (mode === "replace" ? 0 : row.historyLength) + newEvents.length, customStatus });
      const carry = outcome.carryOver.slice();
      if (outcome.preserveUnprocessedEvents) {
        for (const m of leftover) if (m.event.EventType === "EventRaised") carry.push({ name: m.event.Name, input: m.event.Input });
      }
      out.push(
        startMessage({
          id: messageIds.start(row.instanceId, newExecutionId),
          instanceId: row.instanceId,
          executionId: newExecutionId,
          name: row.name,
          version: row.version,
          input: outcome.input,
          parent: executor.parent,
          now,
        }),
      );
      carry.forEach((c, i) =>
        out.push({
          id: `${row.instanceId}|${newExecutionId}|carry|${i}`,
          instanceId: row.instanceId,
          executionId: null,
          visibleAt: now,
          event: { EventType: "EventRaised", EventId: -1, Timestamp: now, Name: c.name, Input: c.input },
        }),
      );
      dropExecution = executionId;
      keepExecutor = null;
      historyMode = "replace";
      newEvents.length = 0;
      next = recordWith(row, {
        executionId: newExecutionId,
        runtimeStatus: "ContinuedAsNew",
        input: outcome.input,
        output: null,
        customStatus,
        lastUpdatedAt: now,
        etag: row.etag + 1,
        historyLength: 0,
        runs,
      });
    } else {
      const actions = pending;
      pending = [];
      actionCount += actions.length;
      if (actionCount > LIMITS.actionsPerStep) {
        return stepTooLarge(row, expectedEtag, mode, newEvents, deleteMessageIds, executor.parent, now, `schedules ${actionCount.toLocaleString("en-US")} actions`, executor.releasesAtEnd());
      }
      scheduleActions(actions, row, now, newEvents, activities, out);
      for (const timerId of executor.takeCancelledTimerIds()) deleteMessageIds.push(messageIds.timer(row.instanceId, executionId, timerId));
      if (outcome) {
        for (const m of executor.releasesAtEnd()) out.push(m);
        const failure = outcome.kind === "failed" ? outcome.failure : null;
        const status = outcome.kind === "failed" ? "Failed" : "Completed";
        newEvents.push(completedEvent(now, status, outcome.output, failure));
        if (executor.parent) {
          out.push(childResult(executor.parent, executionId, now, failure ? { failure } : { result: outcome.output }));
        }
        dropExecution = executionId;
        keepExecutor = null;
        next = finished(row, now, status, outcome.output, failure, customStatus);
      } else {
        next = recordWith(row, {
          runtimeStatus: !executor.started ? "Pending" : executor.isSuspended ? "Suspended" : "Running",
          customStatus,
          lastUpdatedAt: now,
          etag: row.etag + 1,
          historyLength: 0,
        });
      }
    }

    if (historyMode !== "replace" || newEvents.length > 0) {
      newEvents.push({ EventType: "OrchestratorCompleted", EventId: -1, Timestamp: now });
    }
    const bytes = historyBytes(newEvents);
    if (bytes > LIMITS.historyBytesPerStep) {
      return stepTooLarge(row, expectedEtag, mode, newEvents, deleteMessageIds, executor.parent, now, `would add ${formatBytes(bytes)} to its history`, executor.releasesAtEnd());
    }
    const base = historyMode === "replace" ? 0 : row.historyLength;
    next.historyLength = base + newEvents.length;
    if (dropExecution !== null) activities.length = 0; // the execution ends with this step: what it scheduled last is recorded, not queued (its timers are cancelled too)
    return {
      commit: {
        instanceId: row.instanceId,
        expectedEtag,
        instance: next,
        history: { mode: historyMode, events: newEvents },
        deleteMessageIds,
        dropExecution,
        messages: out,
        activities,
      },
      executor: keepExecutor,
    };

  };

  const localStep = (calls: LocalActivityCall[]): StepPlan => ({
    commit: null,
    executor,
    local: {
      calls,
      resume(results) {
        execute([], results);
        const more = actionCount > LIMITS.actionsPerStep ? null : takeLocalCalls();
        return more ? localStep(more) : finish();
      },
      defer() {
        // Queued like any activity: run by the host's workers.
        for (const { id, instanceId, executionId, taskId, name, input, enqueuedAt } of calls) activities.push({ id, instanceId, executionId, taskId, name, input, enqueuedAt });
        return finish();
      },
    },
  });

  const calls = takeLocalCalls();
  return calls ? localStep(calls) : finish();
}

function scheduleActions(
  actions: readonly Action[],
  row: InstanceRecord,
  now: number,
  events: HistoryEvent[],
  activities: ActivityWorkItem[],
  out: InboxMessage[],
): void {
  const { instanceId, executionId } = row;
  for (const a of actions) {
    switch (a.kind) {
      case "ScheduleTask":
        events.push({ EventType: "TaskScheduled", EventId: a.id, Timestamp: now, Name: a.name, Version: null, Input: a.input });
        activities.push({
          id: messageIds.activity(instanceId, executionId, a.id),
          instanceId,
          executionId,
          taskId: a.id,
          name: a.name,
          input: a.input,
          enqueuedAt: now,
        });
        break;
      case "CreateTimer":
        events.push({ EventType: "TimerCreated", EventId: a.id, Timestamp: now, FireAt: a.fireAt });
        if (!a.canceled) {
          out.push({
            id: messageIds.timer(instanceId, executionId, a.id),
            instanceId,
            executionId,
            visibleAt: a.fireAt,
            event: { EventType: "TimerFired", EventId: -1, Timestamp: a.fireAt, TimerId: a.id, FireAt: a.fireAt },
          });
        }
        break;
      case "CreateSubOrchestration": {
        events.push({
          EventType: "SubOrchestrationInstanceCreated",
          EventId: a.id,
          Timestamp: now,
          Name: a.name,
          Version: a.version,
          InstanceId: a.instanceId,
          Input: a.input,
        });
        out.push(
          startMessage({
            id: messageIds.childStart(a.instanceId, executionId, a.id),
            instanceId: a.instanceId,
            executionId: newInstanceId(),
            name: a.name,
            version: a.version,
            input: a.input,
            parent: { Name: row.name, OrchestrationInstance: { InstanceId: instanceId, ExecutionId: executionId }, TaskScheduleId: a.id },
            now,
          }),
        );
        break;
      }
      case "SendEvent":
        events.push({ EventType: "EventSent", EventId: a.id, Timestamp: now, InstanceId: a.instanceId, Name: a.name, Input: a.input });
        out.push(entityMessage(a, instanceId, executionId, now));
        break;
    }
  }
}

/** The message an orchestration's `EventSent` delivers to an entity. */
function entityMessage(a: Extract<Action, { kind: "SendEvent" }>, instanceId: string, executionId: string, now: number): InboxMessage {
  const visibleAt = a.visibleAt ?? now;
  return {
    id: entityMessageIds.fromOrchestration(instanceId, executionId, a.id),
    instanceId: a.instanceId,
    executionId: null,
    visibleAt,
    event: { EventType: "EventRaised", EventId: -1, Timestamp: visibleAt, Name: a.name, Input: a.input },
  };
}

function completedEvent(now: number, status: "Completed" | "Failed" | "Terminated", result: Json, failure: FailureDetails | null): HistoryEvent {
  return { EventType: "ExecutionCompleted", EventId: -1, Timestamp: now, OrchestrationStatus: status, Result: result, FailureDetails: failure };
}

function finished(
  row: InstanceRecord,
  now: number,
  status: "Completed" | "Failed" | "Terminated",
  output: Json,
  failure: FailureDetails | null,
  customStatus: Json,
): InstanceRecord {
  return recordWith(row, {
    runtimeStatus: status,
    output,
    failureDetails: failure,
    customStatus,
    lastUpdatedAt: now,
    completedAt: now,
    etag: row.etag + 1,
    historyLength: 0,
  });
}

/** The message that tells a parent how its sub-orchestration ended. */
export function childResult(parent: ParentInstance, childExecutionId: string, now: number, result: { result: Json } | { failure: FailureDetails }): InboxMessage {
  const base = { EventId: -1, Timestamp: now, TaskScheduledId: parent.TaskScheduleId };
  return {
    id: messageIds.childResult(parent, childExecutionId),
    instanceId: parent.OrchestrationInstance.InstanceId,
    executionId: parent.OrchestrationInstance.ExecutionId,
    visibleAt: now,
    event:
      "failure" in result
        ? { ...base, EventType: "SubOrchestrationInstanceFailed", Reason: result.failure.ErrorMessage, Details: null, FailureDetails: result.failure }
        : { ...base, EventType: "SubOrchestrationInstanceCompleted", Result: result.result },
  };
}

function childRefused(start: ExecutionStartedEvent, message: string, now: number): InboxMessage {
  const failure: FailureDetails = { ErrorType: "InstanceAlreadyExists", ErrorMessage: message, StackTrace: null, IsNonRetriable: true, InnerFailure: null };
  return childResult(start.ParentInstance!, start.OrchestrationInstance.ExecutionId, now, { failure });
}

/**
 * Rewinds a Failed instance: the failures that failed it are removed from history and retried
 * (activities run again, failed sub-orchestrations are rewound), and the instance runs again.
 */
function planRewind(
  row: InstanceRecord,
  history: readonly HistoryEvent[],
  rewind: InboxMessage,
  consumed: string[],
  env: ExecutorEnvironment,
  now: number,
): StepPlan {
  const end = history.findIndex((e) => e.EventType === "ExecutionCompleted");
  const kept = end >= 0 ? history.slice(0, end) : history.slice();
  const probe = new OrchestrationExecutor(row.instanceId, env);
  let failedIds: number[] = [];
  try {
    probe.applyAll(kept, true);
    if (probe.outcome?.kind === "failed") failedIds = probe.outcome.failedTaskIds;
  } catch (error) {
    env.logger.warn(`Rewind of '${row.instanceId}' could not replay its history:`, toFailureDetails(error).ErrorMessage);
  }
  const retry = new Set(failedIds);
  const events = kept.filter(
    (e) => !((e.EventType === "TaskFailed" || e.EventType === "SubOrchestrationInstanceFailed") && retry.has(e.TaskScheduledId)),
  );
  const reason = rewind.event.EventType === "ExecutionRewound" ? rewind.event.Reason : null;
  events.push(
    { EventType: "OrchestratorStarted", EventId: -1, Timestamp: now },
    { EventType: "ExecutionRewound", EventId: -1, Timestamp: now, Reason: reason },
    { EventType: "OrchestratorCompleted", EventId: -1, Timestamp: now },
  );
  const activities: ActivityWorkItem[] = [];
  const out: InboxMessage[] = [];
  for (const e of kept) {
    if (e.EventType === "TaskScheduled" && retry.has(e.EventId)) activities.push(rewoundActivity(row, e, now));
    if (e.EventType === "SubOrchestrationInstanceCreated" && retry.has(e.EventId)) out.push(rewindChild(row, e, reason, now));
  }
  if (activities.length === 0 && out.length === 0) {
    // Nothing to retry: replay the orchestrator once more (its code may have been fixed).
    out.push({
      id: `${row.instanceId}|${row.executionId}|rewound|${now}`,
      instanceId: row.instanceId,
      executionId: row.executionId,
      visibleAt: now,
      event: { EventType: "GenericEvent", EventId: -1, Timestamp: now, Data: "rewound" },
    });
  }
  return {
    commit: {
      instanceId: row.instanceId,
      expectedEtag: row.etag,
      instance: recordWith(row, {
        runtimeStatus: "Running",
        output: null,
        failureDetails: null,
        completedAt: null,
        lastUpdatedAt: now,
        etag: row.etag + 1,
        historyLength: events.length,
      }),
      history: { mode: "replace", events },
      deleteMessageIds: consumed,
      dropExecution: null,
      messages: out,
      activities,
    },
    executor: null,
  };
}

function rewoundActivity(row: InstanceRecord, e: TaskScheduledEvent, now: number): ActivityWorkItem {
  return {
    id: messageIds.activity(row.instanceId, row.executionId, e.EventId),
    instanceId: row.instanceId,
    executionId: row.executionId,
    taskId: e.EventId,
    name: e.Name,
    input: e.Input,
    enqueuedAt: now,
  };
}

function rewindChild(row: InstanceRecord, e: SubOrchestrationInstanceCreatedEvent, reason: string | null, now: number): InboxMessage {
  return {
    id: messageIds.cascade(e.InstanceId, "rewind", `${row.executionId}|${now}`),
    instanceId: e.InstanceId,
    executionId: null,
    visibleAt: now,
    event: { EventType: "ExecutionRewound", EventId: -1, Timestamp: now, Reason: reason },
  };
}

/**
 * A step that could not even be planned (a bug, or corrupt data) fails the instance instead of
 * looping. `live` is the cached executor the step was planned with, if any: it knows the parent
 * and the critical section to release; without it they are read from the history.
 */
export function planFailure(input: StepInput, error: unknown, now: number, live?: OrchestrationExecutor): StepCommit {
  const row = input.instance;
  if (!row || isTerminal(row.runtimeStatus)) return dropAll(input, input.messages.map((m) => m.id));
  const failure = toFailureDetails(error);
  const whole = input.historyFrom === 0;
  const parentRef = live ? live.parent : whole ? startedParent(input.history) : null;
  const releases = live
    ? live.releasesAtEnd()
    : whole
      ? unreleasedSections(input.history).flatMap((s) => releaseMessages(row.instanceId, row.executionId, s.requestId, s.lockset, now))
      : [];
  return failureCommit(row, row.etag, "append", [], input.messages.map((m) => m.id), failure, parentRef, now, releases);
}

/** The parent named by the execution's `ExecutionStarted`, if the history holds it. */
function startedParent(history: readonly HistoryEvent[]): ParentInstance | null {
  const started = history.find((e): e is ExecutionStartedEvent => e.EventType === "ExecutionStarted");
  return started?.ParentInstance ?? null;
}

/**
 * Fails the instance in a commit that stays small whatever went wrong: its row, the start of its
 * history (for a first step) and the failure, the consumed messages deleted, its queued work
 * dropped, and the parent (if any) told, so that a parent never waits on a child that failed.
 */
function failureCommit(
  row: InstanceRecord,
  expectedEtag: number | null,
  mode: "append" | "replace",
  started: readonly HistoryEvent[],
  deleteMessageIds: string[],
  failure: FailureDetails,
  parent: ParentInstance | null,
  now: number,
  releases: readonly InboxMessage[] = [],
): StepCommit {
  const output = JSON.stringify(`Orchestrator function '${row.name}' failed: ${failure.ErrorMessage}`);
  const events: HistoryEvent[] = [
    { EventType: "OrchestratorStarted", EventId: -1, Timestamp: now },
    ...started,
    completedEvent(now, "Failed", output, failure),
    { EventType: "OrchestratorCompleted", EventId: -1, Timestamp: now },
  ];
  const base = mode === "replace" ? 0 : row.historyLength;
  return {
    instanceId: row.instanceId,
    expectedEtag,
    instance: recordWith(finished(row, now, "Failed", output, failure, row.customStatus), { historyLength: base + events.length }),
    history: { mode, events },
    deleteMessageIds,
    dropExecution: row.executionId,
    messages: parent ? [childResult(parent, row.executionId, now, { failure }), ...releases] : [...releases],
    activities: [],
  };
}

/** A step over the limits of `LIMITS` fails its instance with `StepTooLarge`, saying what to do. */
function stepTooLarge(
  row: InstanceRecord,
  expectedEtag: number | null,
  mode: "append" | "replace",
  newEvents: readonly HistoryEvent[],
  deleteMessageIds: string[],
  parent: ParentInstance | null,
  now: number,
  what: string,
  releases: readonly InboxMessage[],
): StepPlan {
  const error = new DurableError(
    "StepTooLarge",
    `One step of orchestration '${row.name}' ${what}; a step may schedule at most ${LIMITS.actionsPerStep.toLocaleString("en-US")} actions ` +
      `and add at most ${formatBytes(LIMITS.historyBytesPerStep)} to the history. Fan out in batches (for example, sub-orchestrations of 1,000 activities each), ` +
      `and keep large inputs out of the orchestration (pass references).`,
  );
  const started = mode === "replace" ? newEvents.filter((e) => e.EventType === "ExecutionStarted") : [];
  return { commit: failureCommit(row, expectedEtag, mode, started, deleteMessageIds, toFailureDetails(error), parent, now, releases), executor: null };
}

const textBytes = (value: string | null): number => (value === null ? 0 : value.length < 1024 ? value.length : utf8Length(value));

/** About how many bytes an event takes as JSON: its text fields plus a fixed overhead. */
function eventBytes(e: HistoryEvent): number {
  // The events a fan-out adds by the thousand, by their fields (the same sum as below, without a
  // walk over the keys of every event).
  switch (e.EventType) {
    case "TaskScheduled":
      return 96 + e.EventType.length + textBytes(e.Name) + textBytes(e.Version) + textBytes(e.Input);
    case "TaskCompleted":
      return 96 + e.EventType.length + textBytes(e.Result);
  }
  let bytes = 96;
  for (const key in e) {
    const value = (e as unknown as Record<string, unknown>)[key];
    if (typeof value === "string") bytes += value.length < 1024 ? value.length : utf8Length(value);
    else if (typeof value === "object" && value !== null) bytes += 256; // failure details, instance refs (cut to bounded sizes)
  }
  return bytes;
}

function historyBytes(events: readonly HistoryEvent[]): number {
  let bytes = 0;
  for (const e of events) bytes += eventBytes(e);
  return bytes;
}
