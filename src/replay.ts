/**
 * @module replay — replays recorded histories against orchestrator code, to catch changes that
 * would break instances in flight before they are deployed (the check Temporal users run in CI).
 *
 * A history is replayed the way a host replays it after a restart: the real orchestrator code is
 * fed the recorded events, and what it schedules is compared with what the recorded run
 * scheduled, event by event. Platform-free and synchronous: no store, no clock, no I/O. The code
 * runs with `isReplaying` true, so `ctx.log` stays silent and activities never run.
 *
 * Accepted histories: an instance document (`exportInstance`), stored events (DTFx shapes, as
 * `getHistory` returns them), a `{ instanceId?, name?, history }` object (or `durable-edge/testing`'s
 * `OrchestrationHistory`, with `events`), and Durable Functions' rendered `historyEvents` (a status payload with `showHistory=true&showHistoryOutput=true`, or
 * the array itself). The rendered form has no sequence ids and no step boundaries, so there
 * completions are paired with what the code scheduled by function name and input instead.
 */
import type { OrchestrationContext, WaitForEventOptions } from "./context.ts";
import { Registry, type OrchestratorDefinition } from "./definitions.ts";
import type { FailureDetails } from "./errors.ts";
import { DurableError } from "./errors.ts";
import { OrchestrationExecutor, type Action, type ExecutorEnvironment, type Outcome } from "./executor.ts";
import { EVENT_TYPE_CODES, type EventType, type HistoryEvent } from "./history.ts";
import { historyProblems, isInstanceDocument, validateInstanceDocument } from "./instance-document.ts";
import type { Json } from "./json.ts";
import type { Task } from "./task.ts";

/**
 * - `nondeterminism`: the code does not schedule what the history recorded at that point (another
 *   kind of task, another name or input, or nothing): a host replaying it would fail the instance
 *   with `Non-Deterministic workflow detected`.
 * - `divergence`: the code schedules more than the recorded step did, or ends differently (still
 *   running where the history completed, another output, another failure, finished where the
 *   history goes on). A host would not fail the instance, but it would not do what it did before.
 * - `unreadable`: the value is not a history this replayer reads.
 * - `unknownOrchestrator`: the history's orchestrator is not among the ones given.
 */
export type ReplayProblemKind = "nondeterminism" | "divergence" | "unreadable" | "unknownOrchestrator";

export interface ReplayProblem {
  kind: ReplayProblemKind;
  /** The position of the event in the history as given (the stored events, or the rendered list); -1 for the history as a whole. */
  eventIndex: number;
  /** That event's `EventType`, or null. */
  eventType: string | null;
  /** What the history recorded there. */
  expected: string;
  /** What the code did instead. */
  actual: string;
  /** One sentence with both, naming the event. */
  message: string;
}

export interface ReplayResult {
  /** True when the history replayed cleanly (no problems counted by the options). */
  ok: boolean;
  instanceId: string;
  /** The orchestrator's name (from the history), or "" when unreadable. */
  name: string;
  /** Where the history came from (a file name), when given in `options.sources`. */
  source: string | null;
  format: "stored" | "rendered" | null;
  /** Events in the history as given. */
  events: number;
  problems: ReplayProblem[];
}

export interface ReplayOptions {
  /**
   * Also count divergences (default true). With `false`, only what would fail an instance in
   * flight counts (`nondeterminism`, `unknownOrchestrator`, `unreadable`).
   */
  strict?: boolean | undefined;
  /** Compare a completed history's output with what the code returns now (default true). */
  checkOutput?: boolean | undefined;
  /** Labels for the histories, in order (file names), shown in results and reports. */
  sources?: readonly (string | undefined)[] | undefined;
}

/** A history ready to replay. */
export interface LoadedHistory {
  instanceId: string;
  name: string;
  format: "stored" | "rendered";
  /** Stored events (`stored`) or Durable Functions' rendered rows (`rendered`). */
  events: readonly HistoryEvent[] | readonly Record<string, unknown>[];
}

/** Failure types a host records for reasons outside the orchestrator code: a replay does not reproduce them. */
const HOST_FAILURES = new Set(["StepTooLarge", "CommitFailed", "NonDeterminismError", "UnknownOrchestrator", "PayloadTooLarge"]);

const SILENT = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Replays each history against `orchestrators` (definitions, or a `Registry`) and reports, per
 * history, whether it replays cleanly and, if not, the first event where the code parts from it.
 */
export function replayHistories(
  orchestrators: readonly OrchestratorDefinition[] | Registry,
  histories: readonly unknown[],
  options: ReplayOptions = {},
): ReplayResult[] {
  const registry = orchestrators instanceof Registry ? orchestrators : new Registry(orchestrators);
  return histories.map((h, i) => replayOne(registry, h, options.sources?.[i] ?? null, options));
}

/** `replayHistories` for one history. */
export function replayHistory(orchestrators: readonly OrchestratorDefinition[] | Registry, history: unknown, options: ReplayOptions = {}): ReplayResult {
  return replayHistories(orchestrators, [history], options)[0]!;
}

function replayOne(registry: Registry, value: unknown, source: string | null, options: ReplayOptions): ReplayResult {
  let loaded: LoadedHistory;
  try {
    loaded = readHistory(value);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      instanceId: "",
      name: "",
      source,
      format: null,
      events: Array.isArray(value) ? value.length : 0,
      problems: [{ kind: "unreadable", eventIndex: -1, eventType: null, expected: "a history", actual: message, message }],
    };
  }
  const settings = { strict: options.strict !== false, checkOutput: options.checkOutput !== false };
  let problems: ReplayProblem[];
  try {
    problems =
      loaded.format === "stored"
        ? replayStored(registry, loaded.events as readonly HistoryEvent[], loaded.instanceId, settings)
        : replayRendered(registry, loaded.events as readonly Record<string, unknown>[], loaded.instanceId, settings);
  } catch (error) {
    // The executor catches what orchestrator code throws; anything else is a bug worth seeing.
    const message = `The replay itself failed: ${error instanceof Error ? error.message : String(error)}`;
    problems = [{ kind: "unreadable", eventIndex: -1, eventType: null, expected: "a replayable history", actual: message, message }];
  }
  const counted = settings.strict ? problems : problems.filter((p) => p.kind !== "divergence");
  return { ok: counted.length === 0, instanceId: loaded.instanceId, name: loaded.name, source, format: loaded.format, events: loaded.events.length, problems: counted };
}

// --- reading histories ---

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function looksStored(events: readonly unknown[]): boolean {
  return events.every((e) => isObject(e) && typeof e.EventId === "number" && typeof e.Timestamp === "number");
}

function startedName(events: readonly Record<string, unknown>[], rendered: boolean): string {
  const started = events.find((e) => eventTypeOf(e.EventType) === "ExecutionStarted");
  const name = rendered ? (started?.FunctionName ?? started?.Name) : started?.Name;
  return typeof name === "string" ? name : "";
}

/**
 * Reads any accepted form of history (see the module comment). Throws `InvalidArgument`, saying
 * what is wrong, for anything else.
 */
export function readHistory(value: unknown): LoadedHistory {
  if (isInstanceDocument(value)) {
    const doc = validateInstanceDocument(value, { measured: true });
    return { instanceId: doc.instance.instanceId, name: doc.instance.name, format: "stored", events: doc.history };
  }
  let events: unknown = value;
  let instanceId: unknown;
  let name: unknown;
  let rendered = false;
  if (isObject(value)) {
    instanceId = value.instanceId;
    name = value.name;
    if (Array.isArray(value.historyEvents)) {
      events = value.historyEvents;
      rendered = true;
    } else if (Array.isArray(value.history)) {
      events = value.history;
    } else if (Array.isArray(value.events)) {
      events = value.events; // durable-edge/testing's OrchestrationHistory
    } else {
      throw new DurableError(
        "InvalidArgument",
        "This is not a history: expected an instance document (exportInstance), a status payload with historyEvents (showHistory=true&showHistoryOutput=true), an object with a history (or events) array, or an array of history events.",
      );
    }
  }
  if (!Array.isArray(events)) {
    throw new DurableError("InvalidArgument", `A history must be an array of events or an object holding one, got ${value === null ? "null" : typeof value}.`);
  }
  const rows = events as unknown[];
  if (!rendered && rows.length > 0 && !looksStored(rows)) rendered = true;
  if (!rendered) {
    const problems = historyProblems(rows);
    if (problems.length > 0) throw new DurableError("InvalidArgument", `The history is not valid: ${problems.slice(0, 8).join("; ")}${problems.length > 8 ? `; and ${problems.length - 8} more` : ""}.`);
  } else {
    rows.forEach((r, i) => {
      if (!isObject(r) || eventTypeOf(r.EventType) === null) {
        throw new DurableError("InvalidArgument", `historyEvents[${i}] is not a history event: it needs an EventType (a name such as "TaskCompleted"), got ${JSON.stringify(r)?.slice(0, 80)}.`);
      }
    });
  }
  const list = rows as Record<string, unknown>[];
  const started = instanceIdOf(list);
  return {
    instanceId: typeof instanceId === "string" ? instanceId : (started ?? "(unknown)"),
    name: typeof name === "string" ? name : startedName(list, rendered),
    format: rendered ? "rendered" : "stored",
    events: list as readonly HistoryEvent[] | readonly Record<string, unknown>[],
  };
}

function instanceIdOf(events: readonly Record<string, unknown>[]): string | null {
  for (const e of events) {
    const ref = e.OrchestrationInstance;
    if (e.EventType === "ExecutionStarted" && isObject(ref) && typeof ref.InstanceId === "string") return ref.InstanceId;
  }
  return null;
}

const TYPE_BY_CODE = new Map<number, EventType>(Object.entries(EVENT_TYPE_CODES).map(([name, code]) => [code, name as EventType]));

function eventTypeOf(value: unknown): EventType | null {
  if (typeof value === "string") return Object.hasOwn(EVENT_TYPE_CODES, value) ? (value as EventType) : null;
  if (typeof value === "number") return TYPE_BY_CODE.get(value) ?? null;
  return null;
}

// --- the executor, observed ---

/**
 * The real executor, with the orchestrator's context watched (a proxy around the context it hands
 * the code, public API only): which events the code waits for.
 */
class ReplayExecutor extends OrchestrationExecutor {
  readonly waits: { name: string; task: Task<unknown> }[];

  constructor(instanceId: string, registry: Registry) {
    const waits: { name: string; task: Task<unknown> }[] = [];
    super(instanceId, environment(registry, waits));
    this.waits = waits;
  }

  waitedFor(name: string): boolean {
    const key = name.toLowerCase();
    return this.waits.some((w) => w.name.toLowerCase() === key);
  }

  openWaits(): string[] {
    return [...new Set(this.waits.filter((w) => !w.task.isCompleted).map((w) => w.name))];
  }
}

function environment(registry: Registry, waits: { name: string; task: Task<unknown> }[]): ExecutorEnvironment {
  const watched = (ctx: OrchestrationContext): OrchestrationContext =>
    new Proxy(ctx, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        const fn = value as (...args: unknown[]) => unknown;
        if (prop !== "waitForExternalEvent") return fn.bind(target);
        return (name: string, options?: WaitForEventOptions<unknown>) => {
          const task = fn.call(target, name, options) as Task<unknown>;
          if (typeof name === "string") waits.push({ name, task });
          return task;
        };
      },
    });
  return {
    orchestrator(name) {
      const definition = registry.orchestrator(name);
      return definition && { kind: "orchestrator", name: definition.name, fn: (ctx: OrchestrationContext) => definition.fn(watched(ctx)) };
    },
    activity: () => undefined,
    logger: SILENT,
  };
}

// --- descriptions ---

function preview(json: Json, max = 160): string {
  const text = json ?? "null";
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}

function describeAction(a: Action): string {
  switch (a.kind) {
    case "ScheduleTask":
      return `activity '${a.name}' with input ${preview(a.input)} (sequence id ${a.id})`;
    case "CreateSubOrchestration":
      return `sub-orchestration '${a.name}' with input ${preview(a.input)} (sequence id ${a.id})`;
    case "CreateTimer":
      return `a timer for ${iso(a.fireAt)} (sequence id ${a.id})`;
    case "SendEvent":
      return `${entityMessage(a.name, a.input)} to entity '${a.instanceId}' (sequence id ${a.id})`;
  }
}

/** "operation 'add' with input 1", "a signal 'reset'", "a lock request", from a sent message's name and JSON. */
function entityMessage(name: string, input: Json): string {
  if (name === "release") return "a lock release";
  try {
    const r = JSON.parse(input ?? "null") as { op?: unknown; signal?: unknown; input?: unknown } | null;
    if (r && r.op === null) return "a lock request";
    if (r && typeof r.op === "string") return `${r.signal ? "signal" : "operation"} '${r.op}' with input ${typeof r.input === "string" ? preview(r.input) : "none"}`;
  } catch {
    // fall through
  }
  return `message '${name}'`;
}

function describeOutcome(o: Outcome): string {
  switch (o.kind) {
    case "completed":
      return `returned ${preview(o.output)}`;
    case "failed":
      return `failed with ${o.failure.ErrorType}: ${o.failure.ErrorMessage}`;
    case "continuedAsNew":
      return `called continueAsNew with input ${preview(o.input)}`;
  }
}

/** What the code is doing now, for `actual`. */
function codeState(exec: ReplayExecutor, scheduled: ReadonlyMap<number, Action>, open: ReadonlyMap<number, Action>): string {
  if (exec.outcome) return `the code had already finished: it ${describeOutcome(exec.outcome)}`;
  if (!exec.started) return "the code had not started";
  const parts: string[] = [];
  if (scheduled.size > 0) parts.push(`scheduled ${[...scheduled.values()].map(describeAction).join(", ")}`);
  const waiting = [...open.values()].filter((a) => a.kind !== "CreateTimer" || !a.canceled).map(describeAction);
  for (const name of exec.openWaits()) waiting.push(`event '${name}'`);
  if (scheduled.size === 0) parts.push("scheduled nothing there");
  if (waiting.length > 0) parts.push(`waits for ${waiting.join(", ")}`);
  return `the code ${parts.join(" and ")}`;
}

function describeStoredScheduling(e: HistoryEvent): string {
  switch (e.EventType) {
    case "TaskScheduled":
      return `activity '${e.Name}' with input ${preview(e.Input)} (sequence id ${e.EventId})`;
    case "SubOrchestrationInstanceCreated":
      return `sub-orchestration '${e.Name}' with input ${preview(e.Input)} (sequence id ${e.EventId})`;
    case "TimerCreated":
      return `a timer for ${iso(e.FireAt)} (sequence id ${e.EventId})`;
    case "EventSent":
      return `${entityMessage(e.Name, e.Input)} to entity '${e.InstanceId}' (sequence id ${e.EventId})`;
    default:
      return e.EventType;
  }
}

function problem(kind: ReplayProblemKind, eventIndex: number, eventType: string | null, expected: string, actual: string, lead?: string): ReplayProblem {
  const where = eventIndex < 0 ? "The history" : `Event #${eventIndex} (${eventType})`;
  const message = `${where}: ${lead ?? "the history recorded"} ${expected}, but ${actual}.`;
  return { kind, eventIndex, eventType, expected, actual, message };
}

const KIND_NAME: Record<Action["kind"], string> = {
  ScheduleTask: "an activity",
  CreateSubOrchestration: "a sub-orchestration",
  CreateTimer: "a timer",
  SendEvent: "a message to an entity",
};

function canonicalJson(json: Json): string {
  if (json === null) return "null";
  try {
    return JSON.stringify(sortKeys(JSON.parse(json)));
  } catch {
    return json;
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isObject(value)) return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
  return value;
}

function sameJson(a: Json, b: Json): boolean {
  return a === b || canonicalJson(a) === canonicalJson(b);
}

function unknownOrchestrator(index: number, name: string, registry: Registry): ReplayProblem {
  const known = registry.orchestratorNames();
  const actual = known.length > 0 ? `none of the given orchestrators is named '${name}' (given: ${known.join(", ")})` : "no orchestrators were given";
  return problem("unknownOrchestrator", index, "ExecutionStarted", `orchestrator '${name}'`, actual, "the history started");
}

interface Settings {
  strict: boolean;
  checkOutput: boolean;
}

/**
 * How the recorded run ended (an `ExecutionCompleted`), against the code's outcome. Null when they
 * agree, or when the end was decided by the host (a termination, a commit or size failure).
 */
function compareEnd(
  index: number,
  end: { status: string; result: Json | undefined; failure: FailureDetails | null | undefined },
  exec: ReplayExecutor,
  scheduled: ReadonlyMap<number, Action>,
  open: ReadonlyMap<number, Action>,
  raised: readonly { index: number; name: string; type: string }[],
  settings: Settings,
): ReplayProblem | null {
  if (end.status === "Terminated") return null;
  if (end.status === "Failed" && end.failure && HOST_FAILURES.has(end.failure.ErrorType)) return null;
  const expected =
    end.status === "Completed"
      ? `the orchestration completing${end.result === undefined ? "" : ` with output ${preview(end.result)}`}`
      : `the orchestration failing${end.failure ? ` with ${end.failure.ErrorType}: ${end.failure.ErrorMessage}` : ""}`;
  const outcome = exec.outcome;
  if (!outcome) {
    // Likely cause: an event the recorded run consumed, which the code no longer waits for.
    const waits = exec.openWaits();
    const missed = waits.length > 0 ? raised.find((r) => !exec.waitedFor(r.name)) : undefined;
    if (missed) {
      return problem(
        "divergence",
        missed.index,
        missed.type,
        `event '${missed.name}', which the recorded run went on with (it ended at event #${index})`,
        `the code never waits for an event named '${missed.name}': it waits for ${waits.map((w) => `'${w}'`).join(", ")}`,
        "the history delivered",
      );
    }
    return problem("divergence", index, "ExecutionCompleted", expected, `the code is still running: ${codeState(exec, scheduled, open)}`);
  }
  if (end.status === "Completed") {
    if (outcome.kind !== "completed") return problem("divergence", index, "ExecutionCompleted", expected, `the code ${describeOutcome(outcome)}`);
    if (settings.checkOutput && end.result !== undefined && !sameJson(outcome.output, end.result)) {
      return problem("divergence", index, "ExecutionCompleted", expected, `the code returned ${preview(outcome.output)}`);
    }
    return null;
  }
  if (outcome.kind !== "failed") return problem("divergence", index, "ExecutionCompleted", expected, `the code ${describeOutcome(outcome)}`);
  if (end.failure && (outcome.failure.ErrorType !== end.failure.ErrorType || outcome.failure.ErrorMessage !== end.failure.ErrorMessage)) {
    return problem("divergence", index, "ExecutionCompleted", expected, `the code ${describeOutcome(outcome)}`);
  }
  return null;
}

const COMPLETIONS = new Set<EventType>(["TaskCompleted", "TaskFailed", "SubOrchestrationInstanceCompleted", "SubOrchestrationInstanceFailed"]);

// --- stored histories ---

function replayStored(registry: Registry, events: readonly HistoryEvent[], instanceId: string, settings: Settings): ReplayProblem[] {
  const exec = new ReplayExecutor(instanceId, registry);
  exec.isReplaying = true;
  /** Scheduled by the code and not yet found in the history. */
  const scheduled = new Map<number, Action>();
  /** Found in the history, waiting for their completion. */
  const open = new Map<number, Action>();
  const raised: { index: number; name: string; type: string }[] = [];
  const harvest = () => {
    for (const a of exec.takeActions()) scheduled.set(a.id, a);
  };
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    switch (e.EventType) {
      case "ExecutionStarted":
        if (!registry.orchestrator(e.Name)) return [unknownOrchestrator(i, e.Name, registry)];
        exec.apply(e);
        harvest();
        break;
      case "TaskScheduled":
      case "SubOrchestrationInstanceCreated":
      case "TimerCreated": {
        harvest();
        const found = matchStored(i, e, scheduled, open, exec);
        if (found) return [found];
        break;
      }
      case "EventSent": {
        harvest();
        const action = scheduled.get(e.EventId);
        const expected = describeStoredScheduling(e);
        if (!action) return [problem("nondeterminism", i, e.EventType, expected, codeState(exec, scheduled, open), "the history sent")];
        if (action.kind !== "SendEvent" || action.instanceId !== e.InstanceId || action.name !== e.Name || !sameJson(action.input, e.Input)) {
          return [problem("nondeterminism", i, e.EventType, expected, `the code ${action.kind === "SendEvent" ? "sent" : "scheduled"} ${describeAction(action)} there`, "the history sent")];
        }
        scheduled.delete(e.EventId); // matched here: the executor's own copy was harvested
        break;
      }
      case "ExecutionTerminated":
        return []; // what follows is the host's doing, not the code's
      case "ExecutionCompleted": {
        harvest();
        const end = compareEnd(i, { status: e.OrchestrationStatus, result: e.Result, failure: e.FailureDetails }, exec, scheduled, open, raised, settings);
        return end ? [end] : [];
      }
      case "OrchestratorCompleted": {
        harvest();
        if (exec.outcome) {
          return [problem("divergence", i, e.EventType, "the step ending with the orchestration still running", `the code ${describeOutcome(exec.outcome)}`)];
        }
        if (scheduled.size > 0 && settings.strict) {
          return [
            problem(
              "divergence",
              i,
              e.EventType,
              "the step ending here, with nothing more scheduled",
              `the code also scheduled ${[...scheduled.values()].map(describeAction).join(", ")}`,
            ),
          ];
        }
        break;
      }
      default:
        if (e.EventType === "EventRaised" && !exec.awaitsEntityResponse(e.Name)) raised.push({ index: i, name: e.Name, type: e.EventType });
        if (COMPLETIONS.has(e.EventType)) open.delete((e as { TaskScheduledId: number }).TaskScheduledId);
        if (e.EventType === "TimerFired") open.delete(e.TimerId);
        exec.apply(e);
        harvest();
    }
  }
  return [];
}

function matchStored(
  index: number,
  e: Extract<HistoryEvent, { EventType: "TaskScheduled" | "SubOrchestrationInstanceCreated" | "TimerCreated" }>,
  scheduled: Map<number, Action>,
  open: Map<number, Action>,
  exec: ReplayExecutor,
): ReplayProblem | null {
  const expected = describeStoredScheduling(e);
  const action = scheduled.get(e.EventId);
  if (!action) {
    return problem("nondeterminism", index, e.EventType, expected, codeState(exec, scheduled, open), "the history scheduled");
  }
  const kind = e.EventType === "TaskScheduled" ? "ScheduleTask" : e.EventType === "TimerCreated" ? "CreateTimer" : "CreateSubOrchestration";
  if (action.kind !== kind) {
    return problem("nondeterminism", index, e.EventType, expected, `the code scheduled ${KIND_NAME[action.kind]} there: ${describeAction(action)}`, "the history scheduled");
  }
  if (action.kind !== "CreateTimer" && e.EventType !== "TimerCreated") {
    if (action.name.toLowerCase() !== e.Name.toLowerCase()) {
      return problem("nondeterminism", index, e.EventType, expected, `the code scheduled ${describeAction(action)}`, "the history scheduled");
    }
    if (!sameJson(action.input, e.Input)) {
      return problem("nondeterminism", index, e.EventType, expected, `the code passed the input ${preview(action.input)}`, "the history scheduled");
    }
  }
  scheduled.delete(e.EventId);
  open.set(e.EventId, action);
  return null;
}

// --- Durable Functions' rendered historyEvents ---

function jsonOf(value: unknown): Json {
  return value === undefined ? null : JSON.stringify(value);
}

function timeOf(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "string") return Date.parse(value);
  return NaN;
}

function replayRendered(registry: Registry, rows: readonly Record<string, unknown>[], instanceId: string, settings: Settings): ReplayProblem[] {
  const exec = new ReplayExecutor(instanceId, registry);
  exec.isReplaying = true;
  const scheduled = new Map<number, Action>();
  const open = new Map<number, Action>();
  const timers: { id: number; fireAt: number; fired: boolean }[] = [];
  const raised: { index: number; name: string; type: string }[] = [];
  const harvest = () => {
    for (const a of exec.takeActions()) scheduled.set(a.id, a);
  };
  const withoutOutput = rows.findIndex(
    (r) => (r.EventType === "TaskCompleted" || r.EventType === "SubOrchestrationInstanceCompleted") && !("Result" in r),
  );
  if (withoutOutput >= 0) {
    const message = `historyEvents[${withoutOutput}] (${String(rows[withoutOutput]!.EventType)}) has no Result: this history was rendered without outputs, so it cannot be replayed. Fetch it with showHistory=true&showHistoryOutput=true.`;
    return [{ kind: "unreadable", eventIndex: withoutOutput, eventType: String(rows[withoutOutput]!.EventType), expected: "results in the history", actual: message, message }];
  }
  /** The first action the code scheduled, in sequence order, of that kind and name (and input, when the row has one). */
  const take = (kind: Action["kind"], name: string | null, input: Json | undefined): { action?: Action; sameName?: Action } => {
    const candidates = [...scheduled.values()].filter((a) => a.kind === kind).sort((a, b) => a.id - b.id);
    if (kind === "CreateTimer") return candidates[0] ? { action: candidates[0] } : {};
    const named = candidates.filter((a) => a.kind !== "CreateTimer" && name !== null && a.name.toLowerCase() === name.toLowerCase());
    const exact = input === undefined ? named[0] : named.find((a) => a.kind !== "CreateTimer" && sameJson(a.input, input));
    return exact ? { action: exact } : named[0] ? { sameName: named[0] } : {};
  };

  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const type = eventTypeOf(row.EventType)!;
    const at = timeOf(row.Timestamp);
    if (Number.isFinite(at)) exec.apply({ EventType: "OrchestratorStarted", EventId: -1, Timestamp: at });
    const ts = Number.isFinite(at) ? at : 0;
    switch (type) {
      case "ExecutionStarted": {
        const name = typeof row.FunctionName === "string" ? row.FunctionName : typeof row.Name === "string" ? row.Name : "";
        if (!registry.orchestrator(name)) return [unknownOrchestrator(i, name, registry)];
        exec.apply({
          EventType: "ExecutionStarted",
          EventId: -1,
          Timestamp: ts,
          Name: name,
          Version: typeof row.Version === "string" ? row.Version : null,
          Input: jsonOf(row.Input),
          OrchestrationInstance: { InstanceId: instanceId, ExecutionId: "replay" },
          ParentInstance: null,
        });
        harvest();
        break;
      }
      case "TaskScheduled":
      case "SubOrchestrationInstanceCreated":
      case "TaskCompleted":
      case "TaskFailed":
      case "SubOrchestrationInstanceCompleted":
      case "SubOrchestrationInstanceFailed": {
        harvest();
        const kind = type.startsWith("Task") ? "ScheduleTask" : "CreateSubOrchestration";
        const name = typeof row.FunctionName === "string" ? row.FunctionName : null;
        const input = "Input" in row ? jsonOf(row.Input) : undefined;
        const what = `${kind === "ScheduleTask" ? "activity" : "sub-orchestration"} '${name ?? "?"}'${input === undefined ? "" : ` with input ${preview(input)}`}`;
        const isScheduling = type === "TaskScheduled" || type === "SubOrchestrationInstanceCreated";
        const pending = isScheduling ? null : [...open.values()].find((a) => a.kind === kind && a.name.toLowerCase() === (name ?? "").toLowerCase() && (input === undefined || sameJson(a.input, input)));
        let action: Action | undefined = pending ?? undefined;
        if (!action) {
          const found = take(kind, name, input);
          if (!found.action) {
            const actual = found.sameName ? `the code passed the input ${preview((found.sameName as { input: Json }).input)} to it` : codeState(exec, scheduled, open);
            return [problem("nondeterminism", i, type, what, actual, isScheduling ? "the history scheduled" : "the history completed")];
          }
          action = found.action;
          scheduled.delete(action.id);
        }
        if (isScheduling) {
          open.set(action.id, action);
          break;
        }
        open.delete(action.id);
        const base = { EventId: -1, Timestamp: ts, TaskScheduledId: action.id };
        const failure = (row.FailureDetails ?? null) as FailureDetails | null;
        const failed: FailureDetails = failure ?? {
          ErrorType: "Error",
          ErrorMessage: typeof row.Reason === "string" ? row.Reason : "failed",
          StackTrace: null,
          IsNonRetriable: false,
          InnerFailure: null,
        };
        const reason = typeof row.Reason === "string" ? row.Reason : failed.ErrorMessage;
        const details = typeof row.Details === "string" ? row.Details : null;
        if (type === "TaskCompleted") exec.apply({ ...base, EventType: "TaskCompleted", Result: jsonOf(row.Result) });
        else if (type === "SubOrchestrationInstanceCompleted") exec.apply({ ...base, EventType: "SubOrchestrationInstanceCompleted", Result: jsonOf(row.Result) });
        else if (type === "TaskFailed") exec.apply({ ...base, EventType: "TaskFailed", Reason: reason, Details: details, FailureDetails: failed });
        else exec.apply({ ...base, EventType: "SubOrchestrationInstanceFailed", Reason: reason, Details: details, FailureDetails: failed });
        harvest();
        break;
      }
      case "TimerCreated": {
        harvest();
        const fireAt = timeOf(row.FireAt);
        const { action } = take("CreateTimer", null, undefined);
        if (!action) return [problem("nondeterminism", i, type, `a timer for ${iso(fireAt)}`, codeState(exec, scheduled, open), "the history scheduled")];
        scheduled.delete(action.id);
        open.set(action.id, action);
        timers.push({ id: action.id, fireAt, fired: false });
        break;
      }
      case "TimerFired": {
        const fireAt = timeOf(row.FireAt);
        const timer = timers.find((t) => !t.fired && t.fireAt === fireAt) ?? timers.find((t) => !t.fired);
        if (!timer) return [problem("nondeterminism", i, type, `a timer for ${iso(fireAt)} firing`, `${codeState(exec, scheduled, open)} (no timer of the history is open)`, "the history recorded")];
        timer.fired = true;
        open.delete(timer.id);
        exec.apply({ EventType: "TimerFired", EventId: -1, Timestamp: ts, TimerId: timer.id, FireAt: Number.isFinite(fireAt) ? fireAt : ts });
        harvest();
        break;
      }
      case "EventSent": {
        harvest();
        const target = typeof row.InstanceId === "string" ? row.InstanceId : "";
        const name = typeof row.Name === "string" ? row.Name : "";
        const action = [...scheduled.values()].filter((a) => a.kind === "SendEvent").sort((a, b) => a.id - b.id)[0];
        if (!action || action.kind !== "SendEvent" || action.instanceId !== target || action.name !== name) {
          return [problem("nondeterminism", i, type, `message '${name}' to entity '${target}'`, action ? `the code sent ${describeAction(action)}` : codeState(exec, scheduled, open), "the history sent")];
        }
        scheduled.delete(action.id);
        break;
      }
      case "EventRaised": {
        const name = typeof row.Name === "string" ? row.Name : "";
        if (!exec.awaitsEntityResponse(name)) raised.push({ index: i, name, type });
        exec.apply({ EventType: "EventRaised", EventId: -1, Timestamp: ts, Name: name, Input: jsonOf(row.Input) });
        harvest();
        break;
      }
      case "ExecutionSuspended":
      case "ExecutionResumed":
        exec.apply({ EventType: type, EventId: -1, Timestamp: ts, Reason: typeof row.Reason === "string" ? row.Reason : null });
        harvest();
        break;
      case "ExecutionTerminated":
        return [];
      case "ExecutionCompleted": {
        harvest();
        const status = typeof row.OrchestrationStatus === "string" ? row.OrchestrationStatus : "Completed";
        const end = compareEnd(
          i,
          { status, result: "Result" in row ? jsonOf(row.Result) : undefined, failure: (row.FailureDetails ?? undefined) as FailureDetails | undefined },
          exec,
          scheduled,
          open,
          raised,
          settings,
        );
        return end ? [end] : [];
      }
      default:
        break; // OrchestratorStarted/Completed, GenericEvent, ExecutionRewound: nothing the code observes
    }
  }
  return [];
}

// --- reports ---

/** A plain-text report: one line per history, and for each that failed, the event, what the history holds and what the code did. */
export function formatReplayReport(results: readonly ReplayResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const label = `${r.name || "(unreadable)"}${r.instanceId ? ` [${r.instanceId}]` : ""}${r.source ? ` — ${r.source}` : ""}`;
    if (r.ok) {
      lines.push(`ok    ${label} (${r.events} events${r.format === "rendered" ? ", Durable Functions historyEvents" : ""})`);
      continue;
    }
    lines.push(`FAIL  ${label}`);
    for (const p of r.problems) {
      lines.push(`      ${p.eventIndex >= 0 ? `event #${p.eventIndex} ${p.eventType}` : "the history"} — ${KIND_LABEL[p.kind]}`);
      lines.push(`        history: ${p.expected}`);
      lines.push(`        code:    ${p.actual}`);
    }
  }
  const failed = results.filter((r) => !r.ok).length;
  lines.push(
    failed === 0
      ? `${results.length} ${results.length === 1 ? "history replays" : "histories replay"} cleanly.`
      : `${failed} of ${results.length} ${results.length === 1 ? "history does" : "histories do"} not replay against this code.`,
  );
  return lines.join("\n");
}

const KIND_LABEL: Record<ReplayProblemKind, string> = {
  nondeterminism: "nondeterministic: an instance in flight would fail here",
  divergence: "diverges: the code no longer does what the recorded run did",
  unreadable: "unreadable",
  unknownOrchestrator: "unknown orchestrator",
};
