/**
 * @module testing/test-runtime — an in-memory runtime on a manual clock for testing orchestrations:
 * nothing runs by itself and no real time passes; the test drives it (`runUntilIdle`,
 * `advanceTime`, `runToCompletion`, `waitForStatus`), and a 30-day timer fires as soon as the test
 * skips 30 days.
 */
import { createMemoryStore } from "../adapters/memory/index.ts";
import {
  activity,
  createRuntime,
  DurableError,
  isRuntimeStatus,
  isTerminal,
  ManualClock,
  Registry,
  RUNTIME_STATUSES,
  type ActivityDefinition,
  type EntityDefinition,
  type ActivityFunction,
  type DurableClient,
  type FailureDetails,
  type OrchestrationStatus,
  type OrchestratorDefinition,
  type Runtime,
  type RuntimeOptions,
  type RuntimeStatus,
  type StartOptions,
  type Store,
} from "../src/index.ts";
import { durationToMs, type Duration } from "./duration.ts";
import { InstanceBlockedError, TimeSkipLimitError } from "./errors.ts";
import { OrchestrationHistory } from "./history.ts";
import { describeWait, findWaits, type Wait } from "./waits.ts";

declare const orchestration: unique symbol;

/**
 * An instance id that remembers its orchestrator's input and output types (what `start` returns),
 * so `runToCompletion(id)` is typed. It is a plain string at run time; any string is accepted too.
 */
export type InstanceId<I = unknown, O = unknown> = string & { readonly [orchestration]?: { input: I; output: O } };

type StatusBase = Omit<OrchestrationStatus, "runtimeStatus" | "input" | "output" | "failureDetails">;

/** A status with the orchestrator's types: `output` is `O` once `Completed`; `failureDetails` is there once `Failed`. */
export type TypedStatus<I = unknown, O = unknown, S extends RuntimeStatus = RuntimeStatus> = S extends "Completed"
  ? StatusBase & { runtimeStatus: "Completed"; input: I; output: O }
  : S extends "Failed"
    ? StatusBase & { runtimeStatus: "Failed"; input: I; output: unknown; failureDetails: FailureDetails }
    : StatusBase & { runtimeStatus: S; input: I; output: unknown };

/** The status of a finished instance. */
export type FinishedStatus<I = unknown, O = unknown> = TypedStatus<I, O, "Completed" | "Failed" | "Terminated">;

export interface SkipOptions {
  /**
   * How many times the clock may jump ahead to the next due timer before giving up with a
   * `TimeSkipLimitError` (default: the runtime's `maxWakeUps`, 10,000).
   */
  maxWakeUps?: number;
  /** The most test-clock time that may pass; beyond it the wait fails with a `TimeSkipLimitError`. */
  within?: Duration;
}

export interface TestRuntimeOptions
  extends Pick<RuntimeOptions, "logger" | "leaseMs" | "maxConcurrentActivities" | "maxBatchSize" | "cacheSize" | "fetch"> {
  orchestrators?: readonly OrchestratorDefinition[];
  activities?: readonly ActivityDefinition[];
  /** Durable entities (`entity(name, handler)`), as in `createRuntime({ entities })`. */
  entities?: readonly EntityDefinition<any>[];
  /**
   * Replacements for registered activities, matched by name (case-insensitively), e.g.
   * `mockActivity(fetchWeather, () => ({ temp: 21 }))`. A mock whose name is not among
   * `activities` is an error (a misspelt mock would let the real activity run).
   */
  mocks?: readonly ActivityDefinition[];
  /** Where the test clock starts (default 2026-01-01T00:00:00Z). */
  start?: Date | number;
  /** The default bound on clock jumps per `advanceTime` / `runToCompletion` / `waitForStatus` (10,000). */
  maxWakeUps?: number;
}

/** One status an instance went through, as the runtime committed it. */
export interface StatusTransition {
  runtimeStatus: RuntimeStatus;
  executionId: string;
  at: Date;
}

export interface TestRuntime {
  /** The runtime's client. Nothing runs until the test drives the runtime: after `client.startNew`, call `runUntilIdle()` or a wait below. */
  readonly client: DurableClient;
  readonly clock: ManualClock;
  /** The underlying runtime (never started: the test runtime drains it). */
  readonly runtime: Runtime;
  /** The memory store. */
  readonly store: Store;

  /** The test clock's time. */
  now(): Date;

  /** Starts an instance and runs it as far as it gets without time passing. */
  start<I = unknown, O = unknown>(orchestrator: OrchestratorDefinition<I, O> | string, options?: StartOptions<I>): Promise<InstanceId<I, O>>;

  /** Starts an instance and runs it to completion, skipping time (see `runToCompletion`). */
  run<I = unknown, O = unknown>(orchestrator: OrchestratorDefinition<I, O> | string, options?: StartOptions<I> & SkipOptions): Promise<FinishedStatus<I, O>>;

  /**
   * Runs the instance until it is Completed, Failed or Terminated, skipping time: whenever nothing
   * is due, the clock jumps to the next due timer. Throws `InstanceBlockedError` when nothing is
   * left and it still waits (for an event, a resume), saying on what; `TimeSkipLimitError` past
   * `maxWakeUps` jumps or `within`.
   */
  runToCompletion<I = unknown, O = unknown>(id: InstanceId<I, O>, options?: SkipOptions): Promise<FinishedStatus<I, O>>;

  /** Runs, skipping time, until the instance is in one of these statuses (same errors as `runToCompletion`). */
  waitForStatus<I = unknown, O = unknown, S extends RuntimeStatus = RuntimeStatus>(
    id: InstanceId<I, O>,
    status: S | readonly S[],
    options?: SkipOptions,
  ): Promise<TypedStatus<I, O, S>>;
  /** Runs, skipping time, until `predicate(status)` holds. */
  waitForStatus<I = unknown, O = unknown>(
    id: InstanceId<I, O>,
    predicate: (status: TypedStatus<I, O>) => boolean,
    options?: SkipOptions,
  ): Promise<TypedStatus<I, O>>;

  /**
   * Moves the clock forward by `by` (ms or `{ days, hours, minutes, seconds }`), firing every timer
   * that comes due on the way, in order and at its own time, and processing what each causes.
   */
  advanceTime(by: Duration, options?: Pick<SkipOptions, "maxWakeUps">): Promise<void>;
  /** Like `advanceTime`, to a point in time. */
  advanceTimeTo(time: Date | number, options?: Pick<SkipOptions, "maxWakeUps">): Promise<void>;
  /** Processes everything due now, and everything that causes, until nothing is due and no activity runs. */
  runUntilIdle(): Promise<void>;

  /** `client.raiseEvent`, then `runUntilIdle()`. (Inside an activity, use `client.raiseEvent`: this waits for running activities.) */
  raiseEvent(id: string, eventName: string, eventData?: unknown): Promise<void>;

  /** The instance's status, typed; throws `InstanceNotFound` for an unknown id. */
  status<I = unknown, O = unknown>(id: InstanceId<I, O>): Promise<TypedStatus<I, O>>;
  /** The history of the instance's current execution, with finders. */
  getHistory(id: string): Promise<OrchestrationHistory>;
  /** What the instance waits on now: events, timers, activities, sub-orchestrations, a resume. */
  waitingFor(id: string): Promise<Wait[]>;
  /** Every status the instance went through (consecutive repeats merged), e.g. to count `ContinuedAsNew`. */
  transitions(id: string): StatusTransition[];

  /** Replaces a registered activity from now on; returns a function that puts back what was there. */
  mockActivity<I, O>(target: ActivityDefinition<I, O> | string, fn: ActivityFunction<I, O>): () => void;

  /** Stops the runtime and closes the store. */
  close(): Promise<void>;
}

const DEFAULT_MAX_WAKE_UPS = 10_000;

/**
 * An in-memory runtime on a `ManualClock` for tests:
 *
 * ```ts
 * const t = createTestRuntime({ orchestrators: [reminder], activities: [sendEmail] });
 * const id = await t.start(reminder, { input: { days: 30 } });
 * await t.advanceTime({ days: 30 });
 * expect((await t.status(id)).runtimeStatus).toBe("Completed");
 * ```
 */
export function createTestRuntime(options: TestRuntimeOptions = {}): TestRuntime {
  return new DurableTestRuntime(options);
}

type AnyActivityFunction = ActivityFunction<unknown, unknown>;

class DurableTestRuntime implements TestRuntime {
  readonly client: DurableClient;
  readonly clock: ManualClock;
  readonly runtime: Runtime;
  readonly store: Store;
  private readonly orchestrators: Registry;
  /** The implementation behind each registered activity, by lower-case name. */
  private readonly implementations = new Map<string, AnyActivityFunction>();
  private readonly activityNames: string[] = [];
  private readonly maxWakeUps: number;
  private readonly statusLog = new Map<string, StatusTransition[]>();

  constructor(options: TestRuntimeOptions) {
    if (options.start !== undefined && !Number.isFinite(typeof options.start === "number" ? options.start : options.start.getTime())) {
      throw new RangeError(`createTestRuntime({ start }) needs a valid date, got ${String(options.start)}.`);
    }
    this.clock = new ManualClock(options.start);
    this.maxWakeUps = checkBound(options.maxWakeUps ?? DEFAULT_MAX_WAKE_UPS, "createTestRuntime({ maxWakeUps })");
    const orchestrators = options.orchestrators ?? [];
    this.orchestrators = new Registry(orchestrators);
    const activities = this.registerActivities(options.activities ?? [], options.mocks ?? []);
    this.store = createMemoryStore({ name: "test" });
    const runtimeOptions: RuntimeOptions = { store: this.store, clock: this.clock, orchestrators, activities, entities: options.entities ?? [] };
    if (options.logger !== undefined) runtimeOptions.logger = options.logger;
    if (options.leaseMs !== undefined) runtimeOptions.leaseMs = options.leaseMs;
    if (options.maxConcurrentActivities !== undefined) runtimeOptions.maxConcurrentActivities = options.maxConcurrentActivities;
    if (options.maxBatchSize !== undefined) runtimeOptions.maxBatchSize = options.maxBatchSize;
    if (options.cacheSize !== undefined) runtimeOptions.cacheSize = options.cacheSize;
    if (options.fetch !== undefined) runtimeOptions.fetch = options.fetch;
    // Never started: a started runtime arms real timers; the test drains it instead.
    this.runtime = createRuntime(runtimeOptions);
    this.client = this.runtime.client;
    this.runtime.onChange((row) => {
      let log = this.statusLog.get(row.instanceId);
      if (!log) this.statusLog.set(row.instanceId, (log = []));
      const last = log[log.length - 1];
      if (last?.runtimeStatus === row.runtimeStatus && last.executionId === row.executionId) return;
      log.push({ runtimeStatus: row.runtimeStatus, executionId: row.executionId, at: new Date(row.lastUpdatedAt) });
    });
  }

  /** Every activity is registered as a stand-in that calls its current implementation, so mocks can change it. */
  private registerActivities(activities: readonly ActivityDefinition[], mocks: readonly ActivityDefinition[]): ActivityDefinition[] {
    new Registry([], activities); // the core's checks: names, and two different functions under one name
    const standIns: ActivityDefinition[] = [];
    for (const def of activities) {
      const key = def.name.toLowerCase();
      if (this.implementations.has(key)) continue;
      this.implementations.set(key, def.fn);
      this.activityNames.push(def.name);
      standIns.push(activity(def.name, (input: unknown, ctx) => this.implementations.get(key)!(input, ctx)));
    }
    for (const mock of mocks) {
      if (mock?.kind !== "activity") throw new TypeError("createTestRuntime({ mocks }) takes activity definitions: mockActivity(original, fn) or activity(name, fn).");
      this.replace(mock.name, mock.fn, "createTestRuntime({ mocks })");
    }
    return standIns;
  }

  private replace(name: string, fn: AnyActivityFunction, where: string): AnyActivityFunction {
    const key = name.toLowerCase();
    const previous = this.implementations.get(key);
    if (!previous) {
      throw new DurableError(
        "UnknownActivity",
        `${where}: no activity named '${name}' is registered, so there is nothing to replace. ` +
          `Register the real one in createTestRuntime({ activities }), or add a test-only activity there.` +
          (this.activityNames.length ? ` Registered: ${this.activityNames.join(", ")}.` : ""),
      );
    }
    if (typeof fn !== "function") throw new TypeError(`${where}: the replacement for '${name}' must be a function.`);
    this.implementations.set(key, fn);
    return previous;
  }

  now(): Date {
    return new Date(this.clock.now());
  }

  async start<I = unknown, O = unknown>(orchestrator: OrchestratorDefinition<I, O> | string, options: StartOptions<I> = {}): Promise<InstanceId<I, O>> {
    const name = typeof orchestrator === "string" ? orchestrator : orchestrator?.name;
    if (typeof name === "string" && name !== "" && !this.orchestrators.orchestrator(name)) {
      const known = this.orchestrators.orchestratorNames();
      throw new DurableError(
        "UnknownOrchestrator",
        `No orchestrator named '${name}' is registered with this test runtime; pass it in createTestRuntime({ orchestrators: [...] }).` +
          (known.length ? ` Registered: ${known.join(", ")}.` : " None is registered."),
      );
    }
    const id = await this.client.startNew(orchestrator, options);
    await this.runUntilIdle();
    return id;
  }

  async run<I = unknown, O = unknown>(orchestrator: OrchestratorDefinition<I, O> | string, options: StartOptions<I> & SkipOptions = {}): Promise<FinishedStatus<I, O>> {
    const id = await this.start(orchestrator, options);
    return this.runToCompletion(id, options);
  }

  async runToCompletion<I = unknown, O = unknown>(id: InstanceId<I, O>, options: SkipOptions = {}): Promise<FinishedStatus<I, O>> {
    const status = await this.drive(id, (s) => isTerminal(s.runtimeStatus), options, "did not finish", "runToCompletion");
    return status as unknown as FinishedStatus<I, O>;
  }

  waitForStatus<I = unknown, O = unknown, S extends RuntimeStatus = RuntimeStatus>(
    id: InstanceId<I, O>,
    status: S | readonly S[],
    options?: SkipOptions,
  ): Promise<TypedStatus<I, O, S>>;
  waitForStatus<I = unknown, O = unknown>(id: InstanceId<I, O>, predicate: (status: TypedStatus<I, O>) => boolean, options?: SkipOptions): Promise<TypedStatus<I, O>>;
  async waitForStatus(
    id: string,
    wanted: RuntimeStatus | readonly RuntimeStatus[] | ((status: TypedStatus) => boolean),
    options: SkipOptions = {},
  ): Promise<TypedStatus> {
    let matches: (status: OrchestrationStatus) => boolean;
    let description: string;
    if (typeof wanted === "function") {
      matches = (s) => wanted(s as unknown as TypedStatus);
      description = "never matched the predicate";
    } else {
      const statuses: readonly string[] = typeof wanted === "string" ? [wanted] : wanted;
      if (!Array.isArray(statuses) || statuses.length === 0) {
        throw new DurableError("InvalidArgument", "waitForStatus needs a status, a list of statuses, or a predicate on the status.");
      }
      for (const s of statuses) {
        if (!isRuntimeStatus(s)) {
          throw new DurableError("InvalidArgument", `waitForStatus: unknown runtime status '${String(s)}'. Use one of ${RUNTIME_STATUSES.join(", ")}.`);
        }
        if (s === "ContinuedAsNew") {
          throw new DurableError(
            "InvalidArgument",
            "waitForStatus: an instance is ContinuedAsNew only inside one step (its next execution starts at once), so no wait can see it. " +
              "Wait on a predicate (e.g. on customStatus or input), or count the ContinuedAsNew entries of transitions(id).",
          );
        }
      }
      matches = (s) => statuses.includes(s.runtimeStatus);
      description = `never became ${statuses.join(" or ")}`;
    }
    const status = await this.drive(id, matches, options, description, "waitForStatus");
    return status as unknown as TypedStatus;
  }

  async advanceTime(by: Duration, options: Pick<SkipOptions, "maxWakeUps"> = {}): Promise<void> {
    const ms = durationToMs(by, "advanceTime's duration");
    await this.advanceTimeTo(this.clock.now() + ms, options, `advanceTime(${formatDuration(ms)})`);
  }

  async advanceTimeTo(time: Date | number, options: Pick<SkipOptions, "maxWakeUps"> = {}, caller?: string): Promise<void> {
    const target = typeof time === "number" ? time : time instanceof Date ? time.getTime() : NaN;
    const name = caller ?? `advanceTimeTo(${Number.isFinite(target) ? iso(target) : String(time)})`;
    if (!Number.isFinite(target)) throw new RangeError(`${name} needs a valid date or epoch milliseconds.`);
    const now = this.clock.now();
    if (target < now) {
      throw new RangeError(
        `${name}: ${iso(target)} is ${formatDuration(now - target)} before the test clock (${iso(now)}); the clock only moves forward. Create a new test runtime to start over.`,
      );
    }
    const max = checkBound(options.maxWakeUps ?? this.maxWakeUps, `${name}'s maxWakeUps`);
    for (let wakeUps = 0; ; wakeUps++) {
      await this.runtime.drain();
      const next = await this.store.nextWakeAt();
      if (next === null || next > target) break;
      if (wakeUps >= max) {
        throw new TimeSkipLimitError(
          `${name} stopped after ${max} wake-ups at ${iso(this.clock.now())}, ${formatDuration(target - this.clock.now())} short of ${iso(target)}: ` +
            `something keeps scheduling timers (a monitor on a short interval, an eternal orchestration?)${await this.runningSummary()}. ` +
            `Advance less at a time, or raise the bound with { maxWakeUps }.`,
          "maxWakeUps",
          this.clock.now(),
        );
      }
      this.moveTo(next);
    }
    this.moveTo(target);
    await this.runtime.drain();
  }

  runUntilIdle(): Promise<void> {
    return this.runtime.drain();
  }

  async raiseEvent(id: string, eventName: string, eventData?: unknown): Promise<void> {
    await this.client.raiseEvent(id, eventName, eventData);
    await this.runUntilIdle();
  }

  async status<I = unknown, O = unknown>(id: InstanceId<I, O>): Promise<TypedStatus<I, O>> {
    return (await this.requireStatus(id)) as unknown as TypedStatus<I, O>;
  }

  async getHistory(id: string): Promise<OrchestrationHistory> {
    return new OrchestrationHistory(await this.client.getHistory(id));
  }

  async waitingFor(id: string): Promise<Wait[]> {
    const row = await this.store.getInstance(id);
    if (!row) throw notFound(id);
    if (isTerminal(row.runtimeStatus)) return [];
    const history = await this.store.getHistory(id);
    return findWaits(id, row.runtimeStatus, history, (name) => this.orchestrators.orchestrator(name));
  }

  transitions(id: string): StatusTransition[] {
    return (this.statusLog.get(id) ?? []).map((t) => ({ ...t }));
  }

  mockActivity<I, O>(target: ActivityDefinition<I, O> | string, fn: ActivityFunction<I, O>): () => void {
    const name = typeof target === "string" ? target : target?.name;
    if (typeof name !== "string" || name === "") throw new TypeError("mockActivity needs an activity definition or name.");
    const key = name.toLowerCase();
    const replacement = fn as AnyActivityFunction;
    const previous = this.replace(name, replacement, `mockActivity('${name}')`);
    return () => {
      if (this.implementations.get(key) === replacement) this.implementations.set(key, previous);
    };
  }

  async close(): Promise<void> {
    await this.runtime.stop();
    await this.store.close();
  }

  // --- internals ---

  /** Drains; while `matches` fails and something is still to come, jumps the clock to it and drains again. */
  private async drive(
    id: string,
    matches: (status: OrchestrationStatus) => boolean,
    options: SkipOptions,
    failure: string,
    caller: string,
  ): Promise<OrchestrationStatus> {
    const call = `${caller}('${id}')`;
    const max = checkBound(options.maxWakeUps ?? this.maxWakeUps, `${call}'s maxWakeUps`);
    const began = this.clock.now();
    const deadline = options.within === undefined ? Infinity : began + durationToMs(options.within, `${call}'s within`);
    for (let wakeUps = 0; ; wakeUps++) {
      await this.runtime.drain();
      const status = await this.requireStatus(id);
      if (matches(status)) return status;
      if (isTerminal(status.runtimeStatus)) {
        throw new InstanceBlockedError(
          `Instance '${id}' (${status.name}) ${failure}: it finished as ${status.runtimeStatus}${finishedDetail(status)}, and nothing more happens to a finished instance.`,
          id,
          status,
          [],
        );
      }
      const next = await this.store.nextWakeAt();
      if (next === null) throw await this.blocked(id, status, failure);
      if (next > deadline) {
        this.moveTo(deadline);
        const waits = await this.waitingFor(id);
        throw new TimeSkipLimitError(
          `Instance '${id}' (${status.name}) ${failure} within ${formatDuration(deadline - began)} (by ${iso(deadline)}): it is ${status.runtimeStatus}` +
            `${waits.length ? ` and waits for ${await this.explain(waits, 0)}` : ""}; the next thing due is at ${iso(next)}.`,
          "within",
          this.clock.now(),
        );
      }
      if (wakeUps >= max) {
        const waits = await this.waitingFor(id);
        throw new TimeSkipLimitError(
          `${call} gave up after ${max} wake-ups, at ${iso(this.clock.now())} (${formatDuration(this.clock.now() - began)} later): ` +
            `instance '${id}' (${status.name}) ${failure} and is still ${status.runtimeStatus}` +
            `${waits.length ? `, waiting for ${await this.explain(waits, 0)}` : ""}. ` +
            `Something keeps scheduling timers (a monitor or an eternal orchestration?); raise the bound with { maxWakeUps }, or wait for something it reaches.`,
          "maxWakeUps",
          this.clock.now(),
        );
      }
      this.moveTo(next);
    }
  }

  private async blocked(id: string, status: OrchestrationStatus, failure: string): Promise<InstanceBlockedError> {
    const waits = await this.waitingFor(id);
    const hints: string[] = [];
    for (const w of waits) {
      if (w.kind === "event") hints.push(`raise it first: t.raiseEvent('${id}', '${w.name}', data)`);
      if (w.kind === "resume") hints.push(`resume it first: t.client.resume('${id}')`);
    }
    const what = waits.length
      ? `it waits for ${await this.explain(waits, 0)}`
      : "it waits on nothing the test runtime can see (no event, timer, activity or sub-orchestration)";
    const custom = status.customStatus == null ? "" : ` Its custom status: ${truncate(JSON.stringify(status.customStatus), 300)}.`;
    return new InstanceBlockedError(
      `Instance '${id}' (${status.name}) ${failure}: it is ${status.runtimeStatus} and nothing is left to run (no timer, activity or message will ever be due); ` +
        `${what}.${hints.length ? ` To go on, ${[...new Set(hints)].join("; ")}.` : ""}${custom}`,
      id,
      status,
      waits,
    );
  }

  /** The waits in words; sub-orchestrations say what they wait on in turn. */
  private async explain(waits: readonly Wait[], depth: number): Promise<string> {
    const parts: string[] = [];
    for (const w of waits) {
      let text = describeWait(w);
      if (w.kind === "subOrchestration" && depth < 3) {
        const child = await this.store.getInstance(w.instanceId);
        if (!child) {
          text += ", which does not exist";
        } else {
          const childWaits = isTerminal(child.runtimeStatus)
            ? []
            : findWaits(w.instanceId, child.runtimeStatus, await this.store.getHistory(w.instanceId), (n) => this.orchestrators.orchestrator(n));
          text += `, which is ${child.runtimeStatus}${childWaits.length ? ` and waits for ${await this.explain(childWaits, depth + 1)}` : ""}`;
        }
      }
      parts.push(text);
    }
    return parts.length <= 1 ? (parts[0] ?? "") : `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
  }

  private async runningSummary(): Promise<string> {
    const { instances } = await this.client.listInstances({ runtimeStatus: ["Running", "Pending"], pageSize: 5, showInput: false });
    if (instances.length === 0) return "";
    return `; running: ${instances.map((s) => `'${s.instanceId}' (${s.name})`).join(", ")}${instances.length === 5 ? ", …" : ""}`;
  }

  private async requireStatus(id: string): Promise<OrchestrationStatus> {
    const status = await this.client.getStatus(id);
    if (!status) throw notFound(id);
    return status;
  }

  /** Internal moves never go backwards, even if two calls overlap. */
  private moveTo(time: number): void {
    if (time > this.clock.now()) this.clock.set(time);
  }
}

function notFound(id: string): DurableError {
  return new DurableError("InstanceNotFound", `No instance with ID '${id}' exists in this test runtime. Start it with t.start(orchestrator) or t.client.startNew.`);
}

function checkBound(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${what} must be a whole number ≥ 0, got ${String(value)}.`);
  return value;
}

function finishedDetail(status: OrchestrationStatus): string {
  if (status.runtimeStatus === "Failed" && status.failureDetails) {
    return ` (${status.failureDetails.ErrorType}: ${truncate(status.failureDetails.ErrorMessage, 300)})`;
  }
  if (status.runtimeStatus === "Terminated" && status.output != null) return ` (reason: ${truncate(JSON.stringify(status.output), 200)})`;
  return "";
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** 2_595_600_000 → "30 d 1 h". */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0 ms";
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["min", 60_000], ["s", 1000], ["ms", 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n} ${unit}`);
    rest -= n * size;
  }
  return parts.join(" ");
}
