/** @module context — what an orchestrator sees: the only door to time, randomness and the outside world. */
import type { ActivityDefinition, OrchestratorDefinition } from "./definitions.ts";
import type { RetryPolicy } from "./retry.ts";
import type { ExternalEventTask, Task, TimerTask } from "./task.ts";
import type { EntityOperations, OperationArgs, OperationName, OperationResult, SignalOptions, UntypedOperations } from "./entities/entity-definition.ts";
import type { EntityId } from "./entities/entity-id.ts";
import type { EntityLock } from "./entities/orchestration-entities.ts";

/** An entity to address: an `EntityId` (typed when made with `entityId(definition, key)`), `{ name, key }`, or `"@name@key"`. */
export type EntityRef<Ops extends EntityOperations> = EntityId<Ops> | { readonly name: string; readonly key: string; readonly __operations?: Ops } | string;

export interface ReplaySafeLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export interface CallHttpOptions {
  method: string;
  url: string;
  /** Objects are sent as JSON. */
  body?: string | object | undefined;
  headers?: Record<string, string> | undefined;
  /**
   * Follow the asynchronous HTTP pattern (default true): while the answer is 202 with a `Location`
   * header, wait `Retry-After` seconds on a durable timer (or `pollingIntervalMs`) and GET the location.
   */
  enablePolling?: boolean | undefined;
  /** The wait between polls when the server sends no `Retry-After` (default 30,000 ms, as Durable Functions). */
  pollingIntervalMs?: number | undefined;
}

export interface DurableHttpRequest {
  method: string;
  url: string;
  body: string | null;
  headers: Record<string, string>;
}

export interface DurableHttpResponse {
  statusCode: number;
  content: string;
  headers: Record<string, string>;
}

export interface WaitForEventOptions<T> {
  /** Fail with `EventTimeoutError` (or complete with `defaultValue`) when nothing arrives in time. */
  timeoutMs?: number | undefined;
  /** With `timeoutMs`: complete with this instead of failing when the time is up. */
  defaultValue?: T | undefined;
}

export interface ContinueAsNewOptions {
  /** Carry events that arrived but were not consumed over to the new execution (default false). */
  preserveUnprocessedEvents?: boolean | undefined;
}

/** Per call: overrides the definition's `local`. */
export interface CallActivityOptions {
  /** Run it inside the step, in this host (true), or queue it for the host's workers (false). */
  local?: boolean | undefined;
}

/** An activity's input (optional when it accepts undefined), then the call's options. */
type ActivityArgs<I> = undefined extends I ? [input?: I, options?: CallActivityOptions] : [input: I, options?: CallActivityOptions];

type ActivityRef<I, O> = ActivityDefinition<I, O> | string;
type OrchestratorRef<I, O> = OrchestratorDefinition<I, O> | string;
type InputOf<R> = R extends ActivityDefinition<infer I, any> | OrchestratorDefinition<infer I, any> ? I : unknown;

export interface OrchestrationContext<TInput = unknown> {
  readonly instanceId: string;
  readonly executionId: string;
  /** Set in sub-orchestrations. */
  readonly parentInstanceId: string | undefined;
  readonly name: string;
  readonly version: string | undefined;
  /** True while the orchestrator re-runs past steps from history. */
  readonly isReplaying: boolean;
  /** The deterministic "now": the time the current step started. Use instead of `new Date()`. */
  readonly currentUtcDateTime: Date;
  /** Logs only when not replaying, so every line appears once. */
  readonly log: ReplaySafeLogger;

  /**
   * The orchestration's input. Typed by the orchestrator's context (`function* (ctx:
   * OrchestrationContext<Order>)`) or, without annotating the context, by a type argument:
   * `ctx.getInput<Order>()`. The value is what was passed to `startNew`, as JSON carries it.
   */
  getInput<T = TInput>(): T;

  /**
   * Schedules an activity. A local activity (`activity(name, fn, { local: true })`, or
   * `{ local: true }` here) runs in the host that steps this instance, inside the step, and its
   * result is committed with the step; see the README's "Local activities".
   */
  callActivity<I, O>(activity: ActivityDefinition<I, O>, ...args: ActivityArgs<I>): Task<O>;
  callActivity<O = unknown>(name: string, input?: unknown, options?: CallActivityOptions): Task<O>;

  callActivityWithRetry<I, O>(activity: ActivityDefinition<I, O>, retry: RetryPolicy, ...args: ActivityArgs<I>): Task<O>;
  callActivityWithRetry<O = unknown>(name: string, retry: RetryPolicy, input?: unknown, options?: CallActivityOptions): Task<O>;

  callSubOrchestrator<I, O>(orchestrator: OrchestratorDefinition<I, O>, input?: I, instanceId?: string, version?: string): Task<O>;
  callSubOrchestrator<O = unknown>(name: string, input?: unknown, instanceId?: string, version?: string): Task<O>;

  callSubOrchestratorWithRetry<I, O>(orchestrator: OrchestratorDefinition<I, O>, retry: RetryPolicy, input?: I, instanceId?: string, version?: string): Task<O>;
  callSubOrchestratorWithRetry<O = unknown>(name: string, retry: RetryPolicy, input?: unknown, instanceId?: string, version?: string): Task<O>;

  /**
   * Calls an entity's operation and waits for its result (a failed operation fails the task with a
   * `TaskFailedError`). Typed by the entity when the ID is: `ctx.callEntity(entityId(counter, "a"), "add", 1)`.
   * Inside a critical section, only the locked entities may be called, one call per entity at a time.
   */
  callEntity<Ops extends EntityOperations = UntypedOperations, K extends OperationName<Ops> = OperationName<Ops>>(
    entity: EntityRef<Ops>,
    operation: K,
    ...args: OperationArgs<Ops, K>
  ): Task<OperationResult<Ops, K>>;

  /**
   * Sends an operation to an entity without waiting (one-way), optionally at a later time
   * (`{ at }`). Inside a critical section, only to entities it does not lock.
   */
  signalEntity<Ops extends EntityOperations = UntypedOperations, K extends OperationName<Ops> = OperationName<Ops>>(
    entity: EntityRef<Ops>,
    operation: K,
    ...args: [...OperationArgs<Ops, K>, options?: SignalOptions]
  ): void;

  /**
   * Enters a critical section: locks the entities (all of them, in one global order, so two
   * sections never deadlock) and completes once they are all held. Until `lock.release()` (or the
   * end of the orchestration, however it ends) no one else's operations run on them. No nesting,
   * no sub-orchestrations inside; `callEntity` only on the locked entities.
   */
  lockEntities(...entities: EntityRef<any>[]): Task<EntityLock>;

  /** Whether this orchestration holds a critical section's locks. */
  isInCriticalSection(): boolean;

  /** A durable timer. Timers still pending when the orchestrator finishes are cancelled, not waited for. */
  createTimer(fireAt: Date | number): TimerTask;

  /**
   * Waits for an event raised by a client. Events that arrived earlier are buffered; names match
   * case-insensitively; several waiters on one name are served first come, first served.
   */
  waitForExternalEvent<T = unknown>(name: string, options?: WaitForEventOptions<T>): ExternalEventTask<T> | Task<T>;

  /** A durable HTTP request, run as a built-in activity; follows 202 + Location polling on durable timers. */
  callHttp(options: CallHttpOptions): Task<DurableHttpResponse>;

  /** Restarts the orchestration with fresh history and a new input once this step ends. Do not yield it. */
  continueAsNew(input: unknown, options?: ContinueAsNewOptions): void;

  /** Shown in status queries. At most 16 KB of JSON. */
  setCustomStatus(status: unknown): void;

  /** A deterministic, replay-safe UUID (v5, from the instance id, the current time and a counter). */
  newGuid(): string;
}

export type { ActivityRef, OrchestratorRef, InputOf };
