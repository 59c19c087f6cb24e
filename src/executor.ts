/**
 * @module executor — replays an orchestrator over its history and turns what it does next into
 * actions. Pure and synchronous: events in, actions out, no I/O, no clock, no await. A live
 * executor is kept between steps (see `runtime.ts`), so a step feeds it only the new events.
 */
import type {
  CallActivityOptions,
  CallHttpOptions,
  ContinueAsNewOptions,
  DurableHttpRequest,
  DurableHttpResponse,
  OrchestrationContext,
  ReplaySafeLogger,
  WaitForEventOptions,
} from "./context.ts";
import type { ActivityDefinition, OrchestratorDefinition, OrchestratorGenerator } from "./definitions.ts";
import {
  DurableError,
  EventTimeoutError,
  TaskAggregateError,
  TaskFailedError,
  toFailureDetails,
  type FailureDetails,
} from "./errors.ts";
import { uuidV5 } from "./guid.ts";
import type {
  ExecutionStartedEvent,
  HistoryEvent,
  ParentInstance,
  SubOrchestrationInstanceCompletedEvent,
  SubOrchestrationInstanceFailedEvent,
  TaskCompletedEvent,
  TaskFailedEvent,
  TimerFiredEvent,
} from "./history.ts";
import { fromJson, toJson, type Json } from "./json.ts";
import { formatBytes, LIMITS, overUtf8Limit, utf8Length } from "./limits.ts";
import { nextRetryDelay, validateRetryPolicy, type RetryPolicy } from "./retry.ts";
import { CompletableTask, ExternalEventTask, Task, TimerTask } from "./task.ts";
import type { SignalOptions } from "./entities/entity-definition.ts";
import type { EntityIdLike } from "./entities/entity-id.ts";
import { OrchestrationEntities, type EntityLock, type SendEntityMessage } from "./entities/orchestration-entities.ts";
import type { InboxMessage } from "./store.ts";

/** The name of the built-in activity behind `callHttp`. */
export const HTTP_ACTIVITY = "BuiltIn::HttpActivity";
export const MAX_ACTIONS_PER_EXECUTION = 100_000;
export const MAX_CUSTOM_STATUS_BYTES = LIMITS.customStatusBytes;
const NONDETERMINISM = "Non-Deterministic workflow detected: ";
const NO_ACTIONS: readonly Action[] = Object.freeze([]);

export type Action =
  | { kind: "ScheduleTask"; id: number; name: string; input: Json; local: boolean }
  | { kind: "CreateSubOrchestration"; id: number; name: string; instanceId: string; input: Json; version: string | null }
  | { kind: "CreateTimer"; id: number; fireAt: number; canceled: boolean }
  | SendEntityMessage;

export type Outcome =
  | { kind: "completed"; output: Json }
  | { kind: "failed"; failure: FailureDetails; output: Json; failedTaskIds: number[] }
  | { kind: "continuedAsNew"; input: Json; carryOver: { name: string; input: Json }[]; preserveUnprocessedEvents: boolean };

/** What one call of `OrchestrationExecutor.execute` decided. */
export interface Execution {
  /** The new events that belong in the history, in order. */
  readonly recorded: readonly HistoryEvent[];
  /** How many of the new events were applied; those after them came once the execution had ended. */
  readonly applied: number;
  /** The actions taken since the last call, by sequence id. */
  readonly actions: readonly Action[];
  readonly outcome: Outcome | null;
}

export interface ExecutorEnvironment {
  orchestrator(name: string): OrchestratorDefinition | undefined;
  /** Registered activities, to tell whether one called by name is local (none: remote). */
  activity?: ((name: string) => ActivityDefinition | undefined) | undefined;
  logger: ReplaySafeLogger;
}

/** The events that settle an open task. */
type TaskResultEvent = TaskCompletedEvent | TaskFailedEvent | SubOrchestrationInstanceCompletedEvent | SubOrchestrationInstanceFailedEvent | TimerFiredEvent;

interface PendingTask {
  task: CompletableTask<unknown>;
  kind: "activity" | "subOrchestration" | "timer";
  name: string;
  /** For sub-orchestrations: the child's instance id. */
  childInstanceId?: string;
}

const DESCRIBE: Record<Action["kind"], string> = {
  ScheduleTask: "an activity task",
  CreateSubOrchestration: "a sub-orchestration",
  CreateTimer: "a timer",
  SendEvent: "a message to an entity",
};

/**
 * Replays one execution and runs it on: `execute(past, next)` is its entry point for a step. The
 * orchestrator code never sees it: it gets an `ExecutionContext` (below).
 */
export class OrchestrationExecutor {
  // --- identity, set by ExecutionStarted ---
  name = "";
  executionId = "";
  parentInstanceId: string | undefined;
  version: string | undefined;
  private input: Json = null;
  /** Who to notify when this execution ends (sub-orchestrations). */
  parent: ParentInstance | null = null;

  // --- replay state ---
  isReplaying = true;
  private now = 0;
  private sequence = 0;
  private guidCounter = 0;
  /** Actions produced but not yet matched to history (during replay) or committed (live). */
  private readonly pendingActions = new Map<number, Action>();
  /** Tasks waiting for a completion event, by sequence id. */
  private readonly openTasks = new Map<number, PendingTask>();
  private readonly waiters = new Map<string, ExternalEventTask<unknown>[]>();
  private readonly bufferedEvents = new Map<string, { name: string; input: Json }[]>();
  private cancelledTimerIds: number[] = [];
  private generator: OrchestratorGenerator<unknown> | null = null;
  private blockedOn: Task<unknown> | null = null;
  started = false;
  private suspendedEvents: HistoryEvent[] | null = null;

  outcome: Outcome | null = null;
  customStatus: Json = null;
  private customStatusChanged = false;

  private logger: ReplaySafeLogger | null = null;
  /** callEntity, signalEntity, lockEntities. */
  private readonly entities: OrchestrationEntities;

  readonly instanceId: string;
  private readonly env: ExecutorEnvironment;
  constructor(
    instanceId: string,
    env: ExecutorEnvironment,
  ) {
    this.instanceId = instanceId;
    this.env = env;
    const self = this;
    this.entities = new OrchestrationEntities({
      instanceId,
      get executionId() {
        return self.executionId;
      },
      get now() {
        return self.now;
      },
      nextSequence: () => this.nextSequence(),
      newGuid: () => this.newGuid(),
      send: (action) => this.addAction(action),
      continueIfUnblocked: () => this.continueIfUnblocked(),
    });
  }

  /** A logger that stays silent while replaying, so each line is written once. */
  get log(): ReplaySafeLogger {
    if (this.logger) return this.logger;
    const base = this.env.logger;
    const guard =
      (level: keyof ReplaySafeLogger) =>
      (...args: unknown[]) => {
        if (!this.isReplaying) base[level](`[${this.instanceId}]`, ...args);
      };
    this.logger = { debug: guard("debug"), info: guard("info"), warn: guard("warn"), error: guard("error") };
    return this.logger;
  }

  get currentUtcDateTime(): Date {
    return new Date(this.now);
  }

  get isSuspended(): boolean {
    return this.suspendedEvents !== null;
  }

  /**
   * The one entry point of a step: history in, decisions out. Replays `past` (the events committed
   * in earlier steps; empty for a live executor fed only what is new), then applies `next`, in
   * order, until the execution ends. Returns which of `next` belong in the history (a start of an
   * execution already started, a suspend of a suspended one, a resume of a running one do not),
   * how many were applied (the rest arrived after the execution ended), the actions the
   * orchestrator took, and how the execution ended, if it did. Pure: no I/O, no clock.
   */
  execute(past: readonly HistoryEvent[], next: readonly HistoryEvent[]): Execution {
    if (past.length > 0) this.applyAll(past, true);
    this.isReplaying = false;
    const recorded: HistoryEvent[] = [];
    let applied = 0;
    for (const e of next) {
      if (this.outcome) break;
      applied++;
      if (this.accepts(e)) {
        recorded.push(e);
        this.apply(e);
      }
    }
    return { recorded, applied, actions: this.takeActions(), outcome: this.outcome };
  }

  /** Whether a new event belongs in this execution's history (see `execute`). */
  private accepts(event: HistoryEvent): boolean {
    switch (event.EventType) {
      case "ExecutionStarted":
        return !this.started;
      case "ExecutionSuspended":
        return this.started && !this.isSuspended;
      case "ExecutionResumed":
        return this.isSuspended;
      case "ExecutionRewound":
      case "ExecutionTerminated":
      case "OrchestratorCompleted":
        return false;
      // A result belongs in history only for a task still waiting for one: a second result for
      // the same task (a rewound child that ends again, a redelivery) changes nothing and is not recorded.
      case "TaskCompleted":
      case "TaskFailed":
      case "SubOrchestrationInstanceCompleted":
      case "SubOrchestrationInstanceFailed":
        return this.awaitsResult(event.TaskScheduledId);
      case "TimerFired":
        return this.awaitsResult(event.TimerId);
      default:
        return true;
    }
  }

  /** Whether task `id` is open and no result for it is already held (while suspended). */
  private awaitsResult(id: number): boolean {
    if (!this.openTasks.has(id)) return false;
    return !this.suspendedEvents?.some((e) => resultTaskId(e) === id);
  }

  /** Applies history events; `replaying` marks events already committed in an earlier step. */
  applyAll(events: readonly HistoryEvent[], replaying: boolean): void {
    this.isReplaying = replaying;
    for (const e of events) this.apply(e);
  }

  apply(event: HistoryEvent): void {
    if (this.outcome) {
      // History that goes on scheduling work after the code finished means the code changed.
      if (isSchedulingEvent(event)) {
        const named = event.EventType === "TimerCreated" ? null : event;
        this.matchScheduled(event.EventId, SCHEDULING_KIND[event.EventType], named?.Name ?? null, named?.Input ?? null, event.EventType === "EventSent" ? event.InstanceId : undefined);
      }
      return;
    }
    if (this.suspendedEvents && isWorkEvent(event)) {
      this.suspendedEvents.push(event);
      return;
    }
    switch (event.EventType) {
      case "OrchestratorStarted":
        if (event.Timestamp > this.now) this.now = event.Timestamp;
        return;
      case "ExecutionStarted":
        this.start(event);
        return;
      case "TaskScheduled":
        this.matchScheduled(event.EventId, "ScheduleTask", event.Name, event.Input);
        return;
      case "SubOrchestrationInstanceCreated":
        this.matchScheduled(event.EventId, "CreateSubOrchestration", event.Name, event.Input);
        return;
      case "TimerCreated":
        this.matchScheduled(event.EventId, "CreateTimer", null, null);
        return;
      case "EventSent":
        this.matchScheduled(event.EventId, "SendEvent", event.Name, event.Input, event.InstanceId);
        return;
      case "TaskCompleted":
      case "SubOrchestrationInstanceCompleted":
        this.settle(event.TaskScheduledId, event);
        return;
      case "TaskFailed":
      case "SubOrchestrationInstanceFailed":
        this.settle(event.TaskScheduledId, event);
        return;
      case "TimerFired":
        this.settle(event.TimerId, event);
        return;
      case "EventRaised":
        if (!this.entities.deliver(event.Name, event.Input)) this.deliverEvent(event.Name, event.Input);
        return;
      case "ExecutionSuspended":
        this.suspendedEvents ??= [];
        return;
      case "ExecutionResumed": {
        const held = this.suspendedEvents;
        this.suspendedEvents = null;
        if (held) for (const e of held) this.apply(e);
        return;
      }
      default:
        // OrchestratorCompleted, ExecutionCompleted, ExecutionTerminated, ExecutionRewound,
        // and GenericEvent carry nothing the orchestrator code observes.
        return;
    }
  }

  /** The actions produced since the last call, by sequence id; the caller commits them. */
  takeActions(): readonly Action[] {
    const size = this.pendingActions.size;
    if (size === 0) return NO_ACTIONS;
    const actions = [...this.pendingActions.values()];
    if (size > 1) actions.sort((a, b) => a.id - b.id);
    this.pendingActions.clear();
    return actions;
  }

  /** Ids of already-committed timers cancelled since the last call (their messages can be deleted). */
  takeCancelledTimerIds(): readonly number[] {
    const ids = this.cancelledTimerIds;
    if (ids.length === 0) return ids;
    this.cancelledTimerIds = [];
    return ids;
  }

  /** Returns the custom status if it changed since the last call. */
  takeCustomStatusChange(): { value: Json } | null {
    if (!this.customStatusChanged) return null;
    this.customStatusChanged = false;
    return { value: this.customStatus };
  }

  /** Instance ids of sub-orchestrations still running (terminate cascades to them). */
  openChildInstanceIds(): string[] {
    const ids: string[] = [];
    for (const t of this.openTasks.values()) if (t.childInstanceId) ids.push(t.childInstanceId);
    return ids;
  }

  /**
   * Releases of the critical section this execution still holds or requested, owed now that it
   * ends (the step sends them with its commit). Empty when there is none.
   */
  releasesAtEnd(): InboxMessage[] {
    return this.entities.releasesAtEnd();
  }

  /** Whether an `EventRaised` of this name would answer an entity request of this execution (not a user event). */
  awaitsEntityResponse(name: string): boolean {
    return this.entities.awaits(name);
  }

  /** Events that arrived with no waiter (for `continueAsNew(…, { preserveUnprocessedEvents })`). */
  private unprocessedEvents(): { name: string; input: Json }[] {
    const out: { name: string; input: Json }[] = [];
    for (const list of this.bufferedEvents.values()) out.push(...list);
    return out;
  }

  // --- what the orchestrator's context calls (see ExecutionContext) ---

  getInput<T = unknown>(): T {
    return fromJson(this.input);
  }

  callActivity(activity: ActivityDefinition | string, input?: unknown, options?: CallActivityOptions): Task<any> {
    const name = nameOf(activity);
    return this.scheduleActivity(name, toJson(input, `The input of activity '${name}'`), this.isLocal(activity, options));
  }

  callActivityWithRetry(activity: ActivityDefinition | string, retry: RetryPolicy, input?: unknown, options?: CallActivityOptions): Task<any> {
    validateRetryPolicy(retry);
    const name = nameOf(activity);
    const json = toJson(input, `The input of activity '${name}'`);
    const local = this.isLocal(activity, options);
    return new RetryingTask(this, retry, () => this.scheduleActivity(name, json, local));
  }

  /** A call's `local` option, else the definition's, else the registered one's (by name); default remote. */
  private isLocal(activity: ActivityDefinition | string, options: CallActivityOptions | undefined): boolean {
    if (options?.local !== undefined) return options.local === true;
    const definition = typeof activity === "string" ? this.env.activity?.(activity) : activity;
    return definition?.local === true;
  }

  callSubOrchestrator(orchestrator: OrchestratorDefinition | string, input?: unknown, instanceId?: string, version?: string): Task<any> {
    this.entities.assertNotInCriticalSection("callSubOrchestrator");
    const name = nameOf(orchestrator);
    return this.scheduleSubOrchestration(name, toJson(input, `The input of sub-orchestration '${name}'`), instanceId, version);
  }

  callSubOrchestratorWithRetry(
    orchestrator: OrchestratorDefinition | string,
    retry: RetryPolicy,
    input?: unknown,
    instanceId?: string,
    version?: string,
  ): Task<any> {
    validateRetryPolicy(retry);
    this.entities.assertNotInCriticalSection("callSubOrchestratorWithRetry");
    const name = nameOf(orchestrator);
    const json = toJson(input, `The input of sub-orchestration '${name}'`);
    return new RetryingTask(this, retry, () => this.scheduleSubOrchestration(name, json, instanceId, version));
  }

  callEntity(entity: EntityIdLike, operation: string, input?: unknown): Task<any> {
    return this.entities.callEntity(entity, operation, input);
  }

  signalEntity(entity: EntityIdLike, operation: string, input?: unknown, options?: SignalOptions): void {
    this.entities.signalEntity(entity, operation, input, options);
  }

  lockEntities(...entities: EntityIdLike[]): Task<EntityLock> {
    return this.entities.lockEntities(entities);
  }

  isInCriticalSection(): boolean {
    return this.entities.isInCriticalSection();
  }

  createTimer(fireAt: Date | number): TimerTask {
    const at = typeof fireAt === "number" ? fireAt : fireAt.getTime();
    if (!Number.isFinite(at)) throw new DurableError("InvalidArgument", `createTimer needs a valid date, got ${String(fireAt)}.`);
    const id = this.nextSequence();
    const task = new TimerTask(new Date(at), () => this.cancelTimer(id));
    this.addAction({ kind: "CreateTimer", id, fireAt: at, canceled: false });
    this.openTasks.set(id, { task: task as CompletableTask<unknown>, kind: "timer", name: "timer" });
    return task;
  }

  waitForExternalEvent<T = unknown>(name: string, options: WaitForEventOptions<T> = {}): any {
    if (typeof name !== "string" || name === "") {
      throw new DurableError("InvalidArgument", "waitForExternalEvent needs a non-empty event name.");
    }
    const key = name.toLowerCase();
    const waiter: ExternalEventTask<T> = new ExternalEventTask<T>(name, () => {
      const list = this.waiters.get(key);
      const i = list?.indexOf(waiter as ExternalEventTask<unknown>) ?? -1;
      if (list && i >= 0) list.splice(i, 1);
    });
    const buffered = this.bufferedEvents.get(key);
    if (buffered && buffered.length > 0) {
      const e = buffered.shift()!;
      if (buffered.length === 0) this.bufferedEvents.delete(key);
      waiter.complete(fromJson(e.input) as T);
    } else {
      const list = this.waiters.get(key);
      if (list) list.push(waiter as ExternalEventTask<unknown>);
      else this.waiters.set(key, [waiter as ExternalEventTask<unknown>]);
    }
    const timeoutMs = options.timeoutMs;
    if (timeoutMs === undefined) return waiter;
    if (!(timeoutMs >= 0)) throw new DurableError("InvalidArgument", `timeoutMs must be ≥ 0, got ${String(timeoutMs)}.`);
    return new EventWithTimeoutTask(waiter, this.createTimer(this.now + timeoutMs), timeoutMs, options);
  }

  callHttp(options: CallHttpOptions): Task<DurableHttpResponse> {
    if (!options || typeof options.url !== "string" || typeof options.method !== "string") {
      throw new DurableError("InvalidArgument", "callHttp needs { method, url }.");
    }
    const headers = { ...(options.headers ?? {}) };
    let body: string | null = null;
    if (typeof options.body === "string") body = options.body;
    else if (options.body !== undefined) {
      body = toJson(options.body, "The callHttp body");
      if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) headers["Content-Type"] = "application/json";
    }
    const request: DurableHttpRequest = { method: options.method.toUpperCase(), url: options.url, body, headers };
    return new HttpPollingTask(this, request, options.enablePolling !== false, options.pollingIntervalMs ?? 30_000);
  }

  continueAsNew(input: unknown, options: ContinueAsNewOptions = {}): void {
    if (this.outcome) return;
    const json = toJson(input, "The continueAsNew input");
    const preserve = options.preserveUnprocessedEvents === true;
    this.outcome = { kind: "continuedAsNew", input: json, carryOver: preserve ? this.unprocessedEvents() : [], preserveUnprocessedEvents: preserve };
  }

  setCustomStatus(status: unknown): void {
    const json = toJson(status, "The custom status", Infinity);
    if (json !== null && overUtf8Limit(json, MAX_CUSTOM_STATUS_BYTES)) {
      throw new DurableError(
        "CustomStatusTooLarge",
        `The custom status is ${formatBytes(utf8Length(json))} of JSON; the limit is ${formatBytes(MAX_CUSTOM_STATUS_BYTES)}. Store large data in an activity's output instead.`,
      );
    }
    if (json !== this.customStatus) {
      this.customStatus = json;
      this.customStatusChanged = true;
    }
  }

  newGuid(): string {
    return uuidV5(`${this.instanceId}_${new Date(this.now).toISOString()}_${this.guidCounter++}`);
  }

  // --- scheduling ---

  /** @internal used by composite tasks */
  get nowMs(): number {
    return this.now;
  }

  /** @internal */
  scheduleActivity(name: string, input: Json, local = false): CompletableTask<unknown> {
    const id = this.nextSequence();
    const task = new CompletableTask<unknown>();
    this.addAction({ kind: "ScheduleTask", id, name, input, local });
    this.openTasks.set(id, { task, kind: "activity", name });
    return task;
  }

  private scheduleSubOrchestration(name: string, input: Json, instanceId: string | undefined, version: string | undefined): CompletableTask<unknown> {
    const id = this.nextSequence();
    const childId = instanceId ?? `${this.executionId}:${id}`;
    if (childId === this.instanceId || childId === this.parentInstanceId) {
      throw new DurableError("InvalidInstanceId", `A sub-orchestration cannot use the instance ID '${childId}' of itself or its parent.`);
    }
    const task = new CompletableTask<unknown>();
    this.addAction({ kind: "CreateSubOrchestration", id, name, instanceId: childId, input, version: version ?? null });
    this.openTasks.set(id, { task, kind: "subOrchestration", name, childInstanceId: childId });
    return task;
  }

  private nextSequence(): number {
    if (this.sequence >= MAX_ACTIONS_PER_EXECUTION) {
      throw new DurableError(
        "InvalidState",
        `This execution reached the limit of ${MAX_ACTIONS_PER_EXECUTION} actions. Use continueAsNew or sub-orchestrations to split the work.`,
      );
    }
    return this.sequence++;
  }

  private addAction(action: Action): void {
    if (this.outcome) return; // after continueAsNew, nothing more is scheduled
    this.pendingActions.set(action.id, action);
  }

  private cancelTimer(id: number): void {
    const pending = this.openTasks.get(id);
    if (!pending) return;
    this.openTasks.delete(id);
    const action = this.pendingActions.get(id);
    if (action?.kind === "CreateTimer") action.canceled = true;
    else if (!this.isReplaying) this.cancelledTimerIds.push(id);
  }

  // --- replay ---

  private start(event: ExecutionStartedEvent): void {
    if (this.started) return;
    this.started = true;
    this.name = event.Name;
    this.executionId = event.OrchestrationInstance.ExecutionId;
    this.version = event.Version ?? undefined;
    this.parent = event.ParentInstance;
    this.parentInstanceId = event.ParentInstance?.OrchestrationInstance.InstanceId;
    this.input = event.Input;
    const definition = this.env.orchestrator(event.Name);
    if (!definition) {
      this.failWith(
        new DurableError(
          "UnknownOrchestrator",
          `No orchestrator named '${event.Name}' is registered with this runtime. Register it in createRuntime({ orchestrators }).`,
        ),
      );
      return;
    }
    let result: unknown;
    try {
      result = definition.fn(new ExecutionContext(this));
    } catch (error) {
      this.failWith(error);
      return;
    }
    if (isGenerator(result)) {
      this.generator = result;
      this.run(undefined);
    } else if (!this.outcome) {
      this.completeWith(result);
    }
  }

  private matchScheduled(id: number, kind: Action["kind"], name: string | null, input: Json, target?: string): void {
    const action = this.pendingActions.get(id);
    const previously =
      kind === "SendEvent"
        ? `A previous execution of this orchestration sent ${describeEntityMessage(target, name, input)} with sequence ID ${id}`
        : `A previous execution of this orchestration scheduled ${DESCRIBE[kind]} with sequence ID ${id}${name === null ? "" : ` and name '${name}'`}`;
    if (!action) {
      this.failNondeterministic(
        `${previously}, but the current replay execution hasn't (yet?) scheduled this task. Was a change made to the orchestrator code after this instance had already started running?`,
      );
      return;
    }
    if (action.kind !== kind) {
      this.failNondeterministic(`${previously}, but the current replay execution instead scheduled ${DESCRIBE[action.kind]} with that sequence ID.`);
      return;
    }
    if (action.kind === "SendEvent") {
      if (action.instanceId !== target || action.name !== name || action.input !== input) {
        this.failNondeterministic(`${previously}, but the current replay execution instead sent ${describeEntityMessage(action.instanceId, action.name, action.input)}.`);
        return;
      }
    } else if (action.kind !== "CreateTimer" && name !== null) {
      if (action.name.toLowerCase() !== name.toLowerCase()) {
        this.failNondeterministic(`${previously}, but the current replay execution instead scheduled '${action.name}' with that sequence ID.`);
        return;
      }
      if (action.input !== input) {
        this.failNondeterministic(`${previously} and input ${input ?? "null"}, but the current replay execution passed the input ${action.input ?? "null"}.`);
        return;
      }
    }
    this.pendingActions.delete(id);
  }

  /** Completes or fails open task `id` with its result event (no closure per event: a fan-out settles thousands). */
  private settle(id: number, event: TaskResultEvent): void {
    const pending = this.openTasks.get(id);
    if (!pending) return; // a duplicate, or a result for a cancelled task
    this.openTasks.delete(id);
    switch (event.EventType) {
      case "TaskCompleted":
      case "SubOrchestrationInstanceCompleted":
        pending.task.complete(fromJson(event.Result));
        break;
      case "TaskFailed":
      case "SubOrchestrationInstanceFailed":
        pending.task.fail(new TaskFailedError(pending.name, event.TaskScheduledId, event.FailureDetails));
        break;
      case "TimerFired":
        pending.task.complete(undefined);
        break;
    }
    this.continueIfUnblocked();
  }

  private deliverEvent(name: string, input: Json): void {
    const key = name.toLowerCase();
    const list = this.waiters.get(key);
    const waiter = list?.shift();
    if (list && list.length === 0) this.waiters.delete(key);
    if (waiter) {
      waiter.complete(fromJson(input));
      this.continueIfUnblocked();
      return;
    }
    const buffered = this.bufferedEvents.get(key);
    if (buffered) buffered.push({ name, input });
    else this.bufferedEvents.set(key, [{ name, input }]);
  }

  private continueIfUnblocked(): void {
    const blocked = this.blockedOn;
    if (blocked && blocked.isCompleted && !this.outcome) this.run(blocked);
  }

  /** Drives the generator until it waits on an incomplete task or finishes. */
  private run(completed: Task<unknown> | undefined): void {
    const gen = this.generator!;
    let task = completed;
    for (;;) {
      this.blockedOn = null;
      let step: IteratorResult<Task<unknown>, unknown>;
      try {
        step = task === undefined ? gen.next() : task.isFaulted ? gen.throw(task.error) : gen.next(task.result);
      } catch (error) {
        this.failWith(error);
        return;
      }
      if (this.outcome) return; // continueAsNew was called, or replay failed
      if (step.done) {
        this.completeWith(step.value);
        return;
      }
      const next = step.value;
      if (!(next instanceof Task)) {
        this.failWith(
          new DurableError(
            "InvalidArgument",
            `Orchestrator '${this.name}' yielded ${describe(next)}; an orchestrator may only yield tasks (ctx.callActivity, ctx.createTimer, Task.all, …).`,
          ),
        );
        return;
      }
      if (!next.isCompleted) {
        this.blockedOn = next;
        return;
      }
      task = next;
    }
  }

  private completeWith(value: unknown): void {
    let output: Json;
    try {
      output = toJson(value, `The output of orchestrator '${this.name}'`);
    } catch (error) {
      this.failWith(error);
      return;
    }
    this.outcome = { kind: "completed", output };
    this.finish();
  }

  private failWith(error: unknown): void {
    const failure = toFailureDetails(error);
    const message = `Orchestrator function '${this.name}' failed: ${failure.ErrorMessage}`;
    this.outcome = { kind: "failed", failure, output: JSON.stringify(message), failedTaskIds: failedTaskIds(error) };
    this.finish();
  }

  private failNondeterministic(message: string): void {
    if (this.outcome?.kind === "failed" && this.outcome.failure.ErrorType === "NonDeterminismError") return;
    const failure: FailureDetails = {
      ErrorType: "NonDeterminismError",
      ErrorMessage: NONDETERMINISM + message,
      StackTrace: null,
      IsNonRetriable: true,
      InnerFailure: null,
    };
    this.outcome = { kind: "failed", failure, output: JSON.stringify(failure.ErrorMessage), failedTaskIds: [] };
    this.finish();
  }

  /** The execution is over: pending timers are cancelled, not waited for; nothing more is scheduled. */
  private finish(): void {
    try {
      this.generator?.return(undefined);
    } catch {
      // a finally block that throws cannot change an outcome that is already decided
    }
    this.generator = null;
    for (const action of this.pendingActions.values()) {
      if (action.kind === "CreateTimer") action.canceled = true;
    }
  }
}

/**
 * The `ctx` an orchestrator sees: the context API and nothing else of the executor behind it
 * (which it reaches through a private field), so user code cannot touch replay state.
 */
class ExecutionContext implements OrchestrationContext<unknown> {
  readonly #executor: OrchestrationExecutor;
  constructor(executor: OrchestrationExecutor) {
    this.#executor = executor;
  }
  get instanceId(): string {
    return this.#executor.instanceId;
  }
  get executionId(): string {
    return this.#executor.executionId;
  }
  get parentInstanceId(): string | undefined {
    return this.#executor.parentInstanceId;
  }
  get name(): string {
    return this.#executor.name;
  }
  get version(): string | undefined {
    return this.#executor.version;
  }
  get isReplaying(): boolean {
    return this.#executor.isReplaying;
  }
  get currentUtcDateTime(): Date {
    return this.#executor.currentUtcDateTime;
  }
  get log(): ReplaySafeLogger {
    return this.#executor.log;
  }
  getInput<T = unknown>(): T {
    return this.#executor.getInput<T>();
  }
  callActivity(activity: ActivityDefinition | string, input?: unknown, options?: CallActivityOptions): Task<any> {
    return this.#executor.callActivity(activity, input, options);
  }
  callActivityWithRetry(activity: ActivityDefinition | string, retry: RetryPolicy, input?: unknown, options?: CallActivityOptions): Task<any> {
    return this.#executor.callActivityWithRetry(activity, retry, input, options);
  }
  callSubOrchestrator(orchestrator: OrchestratorDefinition | string, input?: unknown, instanceId?: string, version?: string): Task<any> {
    return this.#executor.callSubOrchestrator(orchestrator, input, instanceId, version);
  }
  callSubOrchestratorWithRetry(orchestrator: OrchestratorDefinition | string, retry: RetryPolicy, input?: unknown, instanceId?: string, version?: string): Task<any> {
    return this.#executor.callSubOrchestratorWithRetry(orchestrator, retry, input, instanceId, version);
  }
  createTimer(fireAt: Date | number): TimerTask {
    return this.#executor.createTimer(fireAt);
  }
  callEntity(entity: EntityIdLike, operation: string, input?: unknown): Task<any> {
    return this.#executor.callEntity(entity, operation, input);
  }
  signalEntity(entity: EntityIdLike, operation: string, ...args: unknown[]): void {
    this.#executor.signalEntity(entity, operation, args[0], args[1] as SignalOptions | undefined);
  }
  lockEntities(...entities: EntityIdLike[]): Task<EntityLock> {
    return this.#executor.lockEntities(...entities);
  }
  isInCriticalSection(): boolean {
    return this.#executor.isInCriticalSection();
  }
  waitForExternalEvent<T = unknown>(name: string, options?: WaitForEventOptions<T>): any {
    return this.#executor.waitForExternalEvent(name, options);
  }
  callHttp(options: CallHttpOptions): Task<DurableHttpResponse> {
    return this.#executor.callHttp(options);
  }
  continueAsNew(input: unknown, options?: ContinueAsNewOptions): void {
    this.#executor.continueAsNew(input, options);
  }
  setCustomStatus(status: unknown): void {
    this.#executor.setCustomStatus(status);
  }
  newGuid(): string {
    return this.#executor.newGuid();
  }
}

// --- composite tasks that schedule more work as they go ---

/** Retries an activity or sub-orchestration on durable timers, as a retry policy says. */
class RetryingTask<T> extends CompletableTask<T> {
  private attempt = 0;
  private readonly firstAttemptAt: number;

  private readonly executor: OrchestrationExecutor;
  private readonly policy: RetryPolicy;
  private readonly scheduleAttempt: () => CompletableTask<unknown>;
  constructor(
    executor: OrchestrationExecutor,
    policy: RetryPolicy,
    scheduleAttempt: () => CompletableTask<unknown>,
  ) {
    super();
    this.executor = executor;
    this.policy = policy;
    this.scheduleAttempt = scheduleAttempt;
    this.firstAttemptAt = executor.nowMs;
    this.next();
  }

  private next(): void {
    this.attempt++;
    this.scheduleAttempt().onSettled((t) => {
      if (!t.isFaulted) return this.complete(t.result as T);
      const error = t.error!;
      if (!(error instanceof TaskFailedError)) return this.fail(error);
      const delay = nextRetryDelay(this.policy, this.attempt, this.firstAttemptAt, this.executor.nowMs, error, (handleError) =>
        this.executor.log.warn(
          `The retry policy's handle predicate threw (${errorText(handleError)}); not retrying: the task fails with its own error (${error.failureDetails.ErrorType}: ${error.failureDetails.ErrorMessage}).`,
        ),
      );
      if (delay === null) return this.fail(error);
      this.executor.createTimer(this.executor.nowMs + delay).onSettled((timer) => {
        if (timer.isFaulted) this.fail(timer.error!);
        else this.next();
      });
    });
  }
}

/** An external event raced against a timeout timer; the loser is cancelled. */
class EventWithTimeoutTask<T> extends CompletableTask<T> {
  constructor(waiter: ExternalEventTask<T>, timer: TimerTask, timeoutMs: number, options: WaitForEventOptions<T>) {
    super();
    waiter.onSettled(() => {
      if (this.isCompleted) return;
      if (!timer.isCompleted) timer.cancel();
      if (waiter.isFaulted) this.fail(waiter.error!);
      else this.complete(waiter.result as T);
    });
    timer.onSettled(() => {
      if (this.isCompleted || timer.isCanceled) return;
      if ("defaultValue" in options) this.complete(options.defaultValue as T);
      else this.fail(new EventTimeoutError(waiter.eventName, timeoutMs));
      waiter.cancel(); // it no longer takes events
    });
  }
}

/** `callHttp`: runs the built-in HTTP activity, and polls 202 + Location answers on durable timers. */
class HttpPollingTask extends CompletableTask<DurableHttpResponse> {
  private readonly executor: OrchestrationExecutor;
  private readonly polling: boolean;
  private readonly defaultIntervalMs: number;
  constructor(
    executor: OrchestrationExecutor,
    request: DurableHttpRequest,
    polling: boolean,
    defaultIntervalMs: number,
  ) {
    super();
    this.executor = executor;
    this.polling = polling;
    this.defaultIntervalMs = defaultIntervalMs;
    this.send(request);
  }

  private send(request: DurableHttpRequest): void {
    this.executor.scheduleActivity(HTTP_ACTIVITY, JSON.stringify(request)).onSettled((t) => {
      if (t.isFaulted) return this.fail(t.error!);
      const response = t.result as DurableHttpResponse;
      const location = header(response, "location");
      if (!this.polling || response.statusCode !== 202 || !location) return this.complete(response);
      const retryAfter = Number(header(response, "retry-after"));
      const waitMs = Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : this.defaultIntervalMs;
      const headers = Object.fromEntries(Object.entries(request.headers).filter(([k]) => k.toLowerCase() !== "content-type"));
      const next: DurableHttpRequest = { method: "GET", url: new URL(location, request.url).toString(), body: null, headers };
      this.executor.createTimer(this.executor.nowMs + waitMs).onSettled(() => this.send(next));
    });
  }
}

function header(response: DurableHttpResponse, name: string): string | undefined {
  for (const [k, v] of Object.entries(response.headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

const SCHEDULING_KIND = {
  TaskScheduled: "ScheduleTask",
  SubOrchestrationInstanceCreated: "CreateSubOrchestration",
  TimerCreated: "CreateTimer",
  EventSent: "SendEvent",
} as const;

/** "operation 'add' (input 1) to entity '@counter@a'", from an entity message's request JSON. */
function describeEntityMessage(target: string | undefined, name: string | null, input: Json): string {
  let detail = name ?? "a message";
  try {
    const request = JSON.parse(input ?? "null") as { op?: unknown; input?: unknown; signal?: unknown } | null;
    if (name === "release") detail = "a lock release";
    else if (request && request.op === null) detail = "a lock request";
    else if (request && typeof request.op === "string") detail = `${request.signal ? "signal" : "operation"} '${request.op}' (input ${typeof request.input === "string" ? request.input : "none"})`;
  } catch {
    // keep the plain name
  }
  return `${detail} to entity '${target ?? "?"}'`;
}

function isSchedulingEvent(event: HistoryEvent): event is Extract<HistoryEvent, { EventType: keyof typeof SCHEDULING_KIND }> {
  return event.EventType in SCHEDULING_KIND;
}

function isWorkEvent(event: HistoryEvent): boolean {
  switch (event.EventType) {
    case "TaskCompleted":
    case "TaskFailed":
    case "SubOrchestrationInstanceCompleted":
    case "SubOrchestrationInstanceFailed":
    case "TimerFired":
    case "EventRaised":
      return true;
    default:
      return false;
  }
}

function isGenerator(value: unknown): value is OrchestratorGenerator<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Generator).next === "function" &&
    typeof (value as Generator).throw === "function"
  );
}

function nameOf(ref: { name: string } | string): string {
  const name = typeof ref === "string" ? ref : ref?.name;
  if (typeof name !== "string" || name === "") {
    throw new DurableError("InvalidArgument", "Pass a registered definition or a non-empty function name.");
  }
  return name;
}

function describe(value: unknown): string {
  if (value === undefined) return "undefined (did you yield ctx.continueAsNew(…)? call it without yield)";
  if (value === null) return "null";
  if (typeof value === "object" && typeof (value as { then?: unknown }).then === "function") {
    return "a Promise (orchestrators cannot await; call an activity instead)";
  }
  return `a value of type ${typeof value}`;
}

/** The sequence ids of the task failures an orchestrator failure came from (rewind retries them). */
function failedTaskIds(error: unknown, seen = new Set<unknown>()): number[] {
  if (error === null || typeof error !== "object" || seen.has(error)) return [];
  seen.add(error);
  if (error instanceof TaskFailedError) return [error.taskId];
  if (error instanceof TaskAggregateError) return error.errors.flatMap((e) => failedTaskIds(e, seen));
  return failedTaskIds((error as { cause?: unknown }).cause, seen);
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The task a result event settles (`TaskScheduledId`, or a timer's id), or -1. */
function resultTaskId(event: HistoryEvent): number {
  switch (event.EventType) {
    case "TaskCompleted":
    case "TaskFailed":
    case "SubOrchestrationInstanceCompleted":
    case "SubOrchestrationInstanceFailed":
      return event.TaskScheduledId;
    case "TimerFired":
      return event.TimerId;
    default:
      return -1;
  }
}
