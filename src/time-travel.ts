/**
 * @module time-travel — an instance as it was right after each event of its history: the tasks
 * it had pending, its custom status, the replay-safe log lines written so far, its status, and
 * the decision it took next. It runs the real orchestrator code over the history, one event at a
 * time, as the host first processed them (`isReplaying` false, so `ctx.log` writes, each line
 * once, into the frames), and commits nothing: no store, no I/O, no activity runs. A dashboard
 * steps forward and back through the frames; `DurableClient.timeTravel(id)` computes them where
 * the code is (a tab, or a Worker's instance object).
 */
import type { OrchestrationContext, ReplaySafeLogger } from "./context.ts";
import { Registry, type ActivityDefinition, type OrchestratorDefinition } from "./definitions.ts";
import { OrchestrationExecutor, type Action, type ExecutorEnvironment } from "./executor.ts";
import type { HistoryEvent } from "./history.ts";
import { fromJson } from "./json.ts";
import { readHistory } from "./replay.ts";
import type { RuntimeStatus } from "./status.ts";
import type { Task } from "./task.ts";
import { watchedContext, type WatchedCall } from "./watched-context.ts";

/** Something the orchestrator waits on (the shapes of `durable-edge/testing`'s `waitingFor`, times as ISO text). */
export type PendingTask =
  | { kind: "activity"; name: string; input: unknown }
  | { kind: "subOrchestration"; name: string; input: unknown }
  | { kind: "timer"; fireAt: string }
  | { kind: "event"; name: string; timeoutAt?: string }
  | { kind: "http"; method: string; url: string }
  | { kind: "entity"; entity: string; operation: string }
  | { kind: "lock"; entities: string[] };

export interface LogLine {
  /** The event whose processing wrote it. */
  eventIndex: number;
  level: keyof ReplaySafeLogger;
  /** The arguments, joined as the console would print them (after the `[instanceId]` prefix). */
  message: string;
}

/** What the code did right after an event: what it scheduled, and how it ended if it did. */
export interface Decision {
  scheduled: string[];
  /** "completed with …", "failed: …", "continued as new with …", or null while it goes on. */
  outcome: string | null;
}

export interface TimeTravelFrame {
  eventIndex: number;
  eventType: string;
  /** Epoch ms of the event. */
  timestamp: number;
  /** The orchestrator's status right after the event. */
  status: RuntimeStatus;
  /** What it waits on right after the event, in the order it asked. */
  pending: PendingTask[];
  /** Its custom status right after the event (parsed), null when none. */
  customStatus: unknown;
  /** How many of `TimeTravel.logs` were written up to and including this event. */
  logCount: number;
  /** What the code decided in response to this event. */
  decision: Decision;
}

export interface TimeTravel {
  instanceId: string;
  name: string;
  frames: TimeTravelFrame[];
  /** The replay-safe log lines, in order; `frames[i].logCount` of them were written by event `i`. */
  logs: LogLine[];
}

/**
 * The frames of a history (stored events, an instance document, `{ history }`; not Durable
 * Functions' rendered form, which lacks sequence ids), one per event: `frames[i]` is the
 * orchestrator right after `history[i]`.
 */
export function timeTravel(orchestrators: readonly OrchestratorDefinition[] | Registry, history: unknown, options: { activities?: readonly ActivityDefinition[] | undefined } = {}): TimeTravel {
  const loaded = readHistory(history);
  if (loaded.format !== "stored") throw new TypeError("timeTravel needs stored history events (getHistory, an instance document), not Durable Functions' rendered historyEvents.");
  const events = loaded.events as readonly HistoryEvent[];
  const registry = orchestrators instanceof Registry ? orchestrators : new Registry(orchestrators, options.activities ?? []);
  const asked: { pending: PendingTask; task: Task<unknown> }[] = [];
  const logs: LogLine[] = [];
  let current = -1;
  const capture = (level: keyof ReplaySafeLogger) => (...args: unknown[]) => {
    logs.push({ eventIndex: current, level, message: args.slice(1).map(show).join(" ") });
  };
  const env: ExecutorEnvironment = {
    logger: { debug: capture("debug"), info: capture("info"), warn: capture("warn"), error: capture("error") },
    activity: (name) => registry.activity(name),
    orchestrator(name) {
      const definition = registry.orchestrator(name);
      if (!definition) return undefined;
      return { kind: "orchestrator", name: definition.name, fn: (ctx: OrchestrationContext) => definition.fn(recording(ctx, asked)) };
    },
  };
  const exec = new OrchestrationExecutor(loaded.instanceId, env);
  const frames: TimeTravelFrame[] = [];
  let terminated = false;
  let ended = false;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    current = i;
    exec.isReplaying = false;
    let actions: readonly Action[] = [];
    if (e.EventType === "ExecutionTerminated" || (e.EventType === "ExecutionCompleted" && e.OrchestrationStatus === "Terminated")) terminated = true;
    // Scheduling events only confirm what the code scheduled (replay.ts checks that they match).
    else if (e.EventType !== "TaskScheduled" && e.EventType !== "SubOrchestrationInstanceCreated" && e.EventType !== "TimerCreated" && e.EventType !== "EventSent") {
      exec.apply(e);
      actions = exec.takeActions();
      exec.takeCancelledTimerIds();
    }
    const outcome = exec.outcome;
    const firstEnd = outcome !== null && !ended;
    if (outcome) ended = true;
    frames.push({
      eventIndex: i,
      eventType: e.EventType,
      timestamp: e.Timestamp,
      status: terminated ? "Terminated" : !exec.started ? "Pending" : outcome ? OUTCOME_STATUS[outcome.kind] : exec.isSuspended ? "Suspended" : "Running",
      pending: terminated || outcome ? [] : asked.filter((a) => !a.task.isCompleted).map((a) => a.pending),
      customStatus: fromJson(exec.customStatus),
      logCount: logs.length,
      decision: {
        scheduled: actions.map(describe),
        outcome:
          outcome === null || !firstEnd
            ? null
            : outcome.kind === "completed"
              ? `completed with ${outcome.output ?? "null"}`
              : outcome.kind === "failed"
                ? `failed: ${outcome.failure.ErrorType}: ${outcome.failure.ErrorMessage}`
                : `continued as new with ${outcome.input ?? "null"}`,
      },
    });
  }
  return { instanceId: loaded.instanceId, name: loaded.name, frames, logs };
}

const OUTCOME_STATUS = { completed: "Completed", failed: "Failed", continuedAsNew: "ContinuedAsNew" } as const;

function show(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function describe(a: Action): string {
  switch (a.kind) {
    case "ScheduleTask":
      return `activity '${a.name}' with input ${a.input ?? "null"}`;
    case "CreateSubOrchestration":
      return `sub-orchestration '${a.name}' (instance '${a.instanceId}') with input ${a.input ?? "null"}`;
    case "CreateTimer":
      return `${a.canceled ? "a cancelled timer" : "a timer"} for ${new Date(a.fireAt).toISOString()}`;
    case "SendEvent":
      return `${a.name === "release" ? "a lock release" : "a message"} to entity '${a.instanceId}'`;
  }
}

/** The orchestrator's context, noting each thing it asks to wait on, as time travel shows it. */
function recording(ctx: OrchestrationContext, asked: { pending: PendingTask; task: Task<unknown> }[]): OrchestrationContext {
  return watchedContext(ctx, (call, task) => asked.push({ pending: pendingOf(call), task }));
}

function pendingOf(call: WatchedCall): PendingTask {
  switch (call.kind) {
    case "timer":
      return { kind: "timer", fireAt: call.fireAt.toISOString() };
    case "event":
      return call.timeoutAt ? { kind: "event", name: call.name, timeoutAt: call.timeoutAt.toISOString() } : { kind: "event", name: call.name };
    default:
      return call;
  }
}
