/**
 * @module timeline — turns Durable Functions `historyEvents` (as the status API renders them) into
 * timeline rows: one per task (scheduled → completed or failed, with retries counted), timer
 * (created → fired), event, and lifecycle change; and, where the history carries what was sent
 * (the detailed history), one per entity operation: a call (sent → answered), a one-way signal,
 * and a critical section (requested → released), their answers and releases folded into them.
 * Pure, so it is tested in Node.
 */
import { readEntityHistory, type EntityRequestInfo } from "./entity-history.ts";
import { entityLabel, splitEntityInstanceId } from "./entity-model.ts";

export type TimelineKind = "start" | "activity" | "suborchestration" | "timer" | "event" | "entity" | "lifecycle" | "end";
export type TimelineOutcome = "ok" | "failed" | "pending" | "info";

export interface TimelineEntry {
  kind: TimelineKind;
  /** What happened, e.g. "OrchestratorFunction_Hello", "Timer", "Approval". */
  title: string;
  /** Short description of the row's kind, e.g. "Activity", "Timer", "Event raised". */
  label: string;
  outcome: TimelineOutcome;
  /** Epoch ms the row begins (scheduled, created); equals `end` for instantaneous rows. */
  start: number;
  /** Epoch ms the row ends (completed, fired); null while pending. */
  end: number | null;
  /** 1 for the first try; 2+ when the same call ran again after a failure (a retry). */
  attempt: number;
  input?: unknown;
  result?: unknown;
  /** Failure message (and type) of a failed task or orchestration. */
  failure?: string;
  /** Extra text: a timer's fire time, a reason. */
  note?: string;
  /** A timer's due time (epoch ms). */
  due?: number;
  /** A task's id (its TaskScheduled EventId), where the history says (the tab's detailed history). */
  taskId?: number;
  /** A sub-orchestration's child instance, where the history says. */
  childId?: string;
  /** On the start row: the parent instance that started this one as a sub-orchestration. */
  parentId?: string;
  /** Entity rows: the entities it concerns (`@name@key`; a critical section's whole lock set), for links. */
  entities?: string[];
  /** The history records this row shows (a timer: created, then fired), for the JSON viewer. */
  events?: Record<string, unknown>[];
}

type Raw = Record<string, unknown>;

const LIFECYCLE_LABELS: Record<string, string> = {
  ExecutionSuspended: "Suspend",
  ExecutionResumed: "Resume",
  ExecutionRewound: "Rewind",
  ExecutionTerminated: "Terminate",
};

/** `finished`: the instance is done, so timers that never fired were cancelled rather than pending. */
export function toTimeline(historyEvents: readonly Raw[], finished: boolean): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  const attempts = new Map<string, { count: number; lastFailed: boolean }>();
  const openTimers: { entry: TimelineEntry; fireAt: number }[] = [];
  /** The last rewind: a task scheduled before it and completed after it ran again from the rewind, not all along. */
  let rewoundAt = -Infinity;
  const entities = readEntityHistory(historyEvents);
  const openSections: TimelineEntry[] = [];

  for (const e of historyEvents) {
    const type = String(e.EventType ?? "");
    const at = time(e.Timestamp);
    const before = out.length;
    if (entities.folded.has(e)) continue; // an entity's answer or a release: part of its request's row
    const request = entities.bySentRow.get(e);
    if (request) {
      const entry = entityEntry(request, finished);
      if (request.kind === "lock" && entry.end === null) openSections.push(entry);
      out.push(entry);
      continue;
    }
    switch (type) {
      case "ExecutionStarted":
        out.push({
          kind: "start", label: "Started", title: str(e.FunctionName, "orchestration"), outcome: "info", start: at, end: at, attempt: 1, input: e.Input,
          ...(typeof e.ParentInstanceId === "string" ? { parentId: e.ParentInstanceId, note: `sub-orchestration of ${str(e.ParentName, "a parent")}` } : {}),
        });
        break;
      case "TaskCompleted":
      case "TaskFailed":
      case "SubOrchestrationInstanceCompleted":
      case "SubOrchestrationInstanceFailed": {
        const failed = type.endsWith("Failed");
        const name = str(e.FunctionName, "(unknown)");
        const key = `${type.startsWith("Sub") ? "sub" : "act"}|${name}|${safeJson(e.Input)}`;
        const seen = attempts.get(key);
        const attempt = seen && seen.lastFailed ? seen.count + 1 : 1;
        attempts.set(key, { count: attempt, lastFailed: failed });
        const firstScheduled = e.ScheduledTime === undefined ? at : time(e.ScheduledTime);
        const rerun = rewoundAt > firstScheduled && rewoundAt <= at;
        const scheduled = rerun ? rewoundAt : firstScheduled;
        out.push({
          kind: type.startsWith("Sub") ? "suborchestration" : "activity",
          label: type.startsWith("Sub") ? "Sub-orchestration" : "Activity",
          title: name,
          outcome: failed ? "failed" : "ok",
          start: Math.min(scheduled, at),
          end: at,
          attempt,
          input: e.Input,
          ...(typeof e.TaskId === "number" ? { taskId: e.TaskId } : {}),
          ...(typeof e.InstanceId === "string" ? { childId: e.InstanceId } : {}),
          ...(rerun ? { note: `run again by the rewind (first scheduled ${clock(firstScheduled)})` } : {}),
          ...(failed ? { failure: failureText(e) } : { result: e.Result }),
        });
        break;
      }
      case "TaskScheduled":
      case "SubOrchestrationInstanceCreated": {
        // Only in detailed (local) history: a task still running.
        const sub = type.startsWith("Sub");
        out.push({
          kind: sub ? "suborchestration" : "activity",
          label: sub ? "Sub-orchestration" : "Activity",
          title: str(e.FunctionName, "(unknown)"),
          outcome: "pending",
          start: time(e.ScheduledTime ?? e.Timestamp),
          end: null,
          attempt: 1,
          input: e.Input,
          ...(typeof e.TaskId === "number" ? { taskId: e.TaskId } : {}),
          ...(typeof e.InstanceId === "string" ? { childId: e.InstanceId } : {}),
        });
        break;
      }
      case "TimerCreated": {
        const fireAt = time(e.FireAt);
        const entry: TimelineEntry = {
          kind: "timer",
          label: "Timer",
          title: "Timer",
          outcome: "pending",
          start: at,
          end: null,
          attempt: 1,
          note: `due ${clock(fireAt)}`,
          due: fireAt,
        };
        openTimers.push({ entry, fireAt });
        out.push(entry);
        break;
      }
      case "TimerFired": {
        const fireAt = time(e.FireAt);
        const open = openTimers.findIndex((t) => t.fireAt === fireAt);
        if (open >= 0) {
          const t = openTimers.splice(open, 1)[0]!.entry;
          t.events?.push(e);
          t.outcome = "ok";
          t.end = at;
          t.note = `fired (due ${clock(fireAt)})`;
        } else {
          out.push({ kind: "timer", label: "Timer", title: "Timer", outcome: "ok", start: at, end: at, attempt: 1, note: `fired (due ${clock(fireAt)})` });
        }
        break;
      }
      case "EventRaised":
        out.push({ kind: "event", label: "Event raised", title: str(e.Name, "(event)"), outcome: "info", start: at, end: at, attempt: 1, input: e.Input });
        break;
      case "EventSent":
        out.push({ kind: "event", label: "Event sent", title: str(e.Name, "(event)"), outcome: "info", start: at, end: at, attempt: 1, note: `to ${str(e.InstanceId, "?")}` });
        break;
      case "ExecutionSuspended":
      case "ExecutionResumed":
      case "ExecutionRewound":
      case "ExecutionTerminated": {
        if (type === "ExecutionRewound") rewoundAt = at;
        const verb = type.replace("Execution", "");
        const reason = e.Reason ?? e.Input;
        out.push({
          kind: "lifecycle",
          label: LIFECYCLE_LABELS[type] ?? verb,
          // ExecutionTerminated carries the request; the ExecutionCompleted row after it is the end.
          title: type === "ExecutionTerminated" ? "Termination requested" : verb,
          outcome: "info",
          start: at,
          end: at,
          attempt: 1,
          ...(reason !== undefined && reason !== null && reason !== "" ? { note: `reason: ${typeof reason === "string" ? reason : safeJson(reason)}` } : {}),
        });
        break;
      }
      case "ExecutionCompleted": {
        const status = str(e.OrchestrationStatus, "Completed");
        const failed = status === "Failed" || status === "Terminated";
        out.push({
          kind: "end",
          label: "Ended",
          title: status === "ContinuedAsNew" ? "Continued as new" : status,
          outcome: failed ? "failed" : "ok",
          start: at,
          end: at,
          attempt: 1,
          result: e.Result,
          ...(e.FailureDetails ? { failure: failureText(e) } : {}),
        });
        break;
      }
      default:
        if (type) out.push({ kind: "lifecycle", label: type, title: type, outcome: "info", start: at, end: at, attempt: 1 });
    }
    for (let i = before; i < out.length; i++) out[i]!.events = [e];
  }
  const lastAt = out.reduce((max, e) => Math.max(max, e.end ?? e.start), 0);
  // A finished orchestration's critical section ended with it (the runtime sent the releases).
  if (finished) for (const s of openSections) s.end = Math.max(s.start, lastAt);
  for (const { entry: t } of openTimers) {
    if (finished) {
      t.outcome = "info";
      t.end = lastAt;
      t.note = `${t.note}; never fired (cancelled)`;
    }
  }
  return out;
}

/** "Account alice", from `@account@alice`. */
export function entityTitle(instanceId: string): string {
  const parts = splitEntityInstanceId(instanceId);
  return parts ? entityLabel(parts.name, parts.key) : instanceId;
}

/** A row for an entity request: a call (sent → answered), a signal (at once), or a critical section (requested → released). */
function entityEntry(r: EntityRequestInfo, finished: boolean): TimelineEntry {
  const base = { kind: "entity" as const, start: r.sentAt, attempt: 1, entities: r.lockset, events: r.events, ...(r.input !== undefined ? { input: r.input } : {}) };
  if (r.kind === "signal") {
    return { ...base, label: "Entity signal", title: `${entityTitle(r.entity)}: ${r.op}`, outcome: "info", end: r.sentAt, note: "one-way, no answer awaited" };
  }
  if (r.kind === "call") {
    return {
      ...base,
      label: "Entity call",
      title: `${entityTitle(r.entity)}: ${r.op}`,
      outcome: r.failure !== undefined ? "failed" : r.answeredAt === null ? "pending" : "ok",
      end: r.answeredAt,
      ...(r.failure !== undefined ? { failure: r.failure } : r.answeredAt !== null ? { result: r.result } : {}),
    };
  }
  const acquired = r.answeredAt === null ? null : r.answeredAt;
  const note =
    r.failure !== undefined
      ? "the lock request failed"
      : acquired === null
        ? finished
          ? "never acquired (the orchestration ended first)"
          : "waiting for the locks"
        : `acquired ${clock(acquired)} (after ${formatDuration(acquired - r.sentAt)})${r.releasedAt !== null ? `, released ${clock(r.releasedAt)}` : finished ? ", released when the orchestration ended" : ", held"}`;
  return {
    ...base,
    label: "Critical section",
    title: r.lockset.map(entityTitle).join(", "),
    outcome: r.failure !== undefined ? "failed" : r.releasedAt !== null || finished ? "ok" : "pending",
    end: r.failure !== undefined ? r.answeredAt : r.releasedAt,
    note,
    ...(r.failure !== undefined ? { failure: r.failure } : {}),
  };
}

/** Milliseconds to a short human duration: "0 s", "1.5 s", "2 min 5 s". */
export function formatDuration(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 60_000) {
    const s = ms / 1000;
    return `${s < 10 && s % 1 !== 0 ? s.toFixed(1) : Math.round(s)} s`;
  }
  const min = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${min} min ${s} s` : `${min} min`;
}

/** Local wall-clock time, "14:03:07". */
export function clock(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

function failureText(e: Raw): string {
  const details = e.FailureDetails as { ErrorType?: unknown; ErrorMessage?: unknown } | undefined;
  if (details && typeof details.ErrorMessage === "string") {
    return typeof details.ErrorType === "string" && details.ErrorType ? `${details.ErrorType}: ${details.ErrorMessage}` : details.ErrorMessage;
  }
  return str(e.Reason, "failed");
}

function time(value: unknown): number {
  const ms = typeof value === "number" ? value : Date.parse(String(value));
  return Number.isFinite(ms) ? ms : 0;
}

function str(value: unknown, fallback: string): string {
  return typeof value === "string" && value !== "" ? value : fallback;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "undefined";
  } catch {
    return String(value);
  }
}
