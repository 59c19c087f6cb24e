/**
 * @module status-payload — instances as Durable Functions' status API shows them
 * (`StatusResponsePayload`), including the `historyEvents` transformation.
 */
import type { FailureDetails } from "./errors.ts";
import type { HistoryEvent } from "./history.ts";
import { fromJson } from "./json.ts";
import { toRunsStatus, type RunsStatus } from "./runs.ts";
import type { RuntimeStatus } from "./status.ts";
import type { InstanceRecord } from "./store.ts";

export interface OrchestrationStatus {
  name: string;
  instanceId: string;
  runtimeStatus: RuntimeStatus;
  input: unknown;
  customStatus: unknown;
  output: unknown;
  /** `yyyy-MM-ddTHH:mm:ssZ` */
  createdTime: string;
  lastUpdatedTime: string;
  /** Only for Failed instances: what failed, with its type and stack. */
  failureDetails?: FailureDetails;
  /** Only with `showHistory`. */
  historyEvents?: Record<string, unknown>[];
  /** Only with `showRuns` (Durable Edge's own, for dashboards): the runs of a continue-as-new chain. */
  runs?: RunsStatus;
}

export interface StatusOptions {
  showHistory?: boolean | undefined;
  showHistoryOutput?: boolean | undefined;
  /** Default true. */
  showInput?: boolean | undefined;
  /**
   * Also `runs`: the current run's number and the earlier runs kept (see `runs.ts`). Default
   * false, so the payload is exactly Durable Functions' without it.
   */
  showRuns?: boolean | undefined;
}

export interface HistoryRenderOptions extends StatusOptions {
  /** How times are written (default: Durable Functions' second-precision UTC string). */
  time?: ((ms: number) => string | number) | undefined;
  /**
   * Also list tasks still running, as their `TaskScheduled` / `SubOrchestrationInstanceCreated`
   * row, in place until the completion replaces it (default false, as Durable Functions).
   */
  showUnfinished?: boolean | undefined;
}

/** Durable Functions' time format: second precision, UTC. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function toStatus(row: InstanceRecord, options: StatusOptions = {}, history?: readonly HistoryEvent[]): OrchestrationStatus {
  const status: OrchestrationStatus = {
    name: row.name,
    instanceId: row.instanceId,
    runtimeStatus: row.runtimeStatus,
    input: options.showInput === false ? null : fromJson(row.input),
    customStatus: fromJson(row.customStatus),
    output: fromJson(row.output),
    createdTime: formatTime(row.createdAt),
    lastUpdatedTime: formatTime(row.lastUpdatedAt),
  };
  if (row.runtimeStatus === "Failed" && row.failureDetails) status.failureDetails = row.failureDetails;
  if (options.showHistory && history) status.historyEvents = toHistoryEvents(history, options);
  if (options.showRuns) status.runs = toRunsStatus(row);
  return status;
}

/**
 * Durable Functions' rendering of history: orchestrator start/complete markers and scheduling
 * events are removed, each completion gains `FunctionName`, `ScheduledTime` (and `Input`), times
 * are ISO strings, results appear only with `showHistoryOutput`, inputs only with `showInput`.
 */
export function toHistoryEvents(history: readonly HistoryEvent[], options: HistoryRenderOptions = {}): Record<string, unknown>[] {
  const showInput = options.showInput !== false;
  const showOutput = options.showHistoryOutput === true;
  const time = options.time ?? formatTime;
  const instant = options.time ?? formatIso;
  const scheduled = new Map<number, { name: string; time: number; input: string | null; row: Record<string, unknown> | null }>();
  const out: Record<string, unknown>[] = [];
  for (const e of history) {
    switch (e.EventType) {
      case "OrchestratorStarted":
      case "OrchestratorCompleted":
        break;
      case "TaskScheduled":
      case "SubOrchestrationInstanceCreated": {
        let row: Record<string, unknown> | null = null;
        if (options.showUnfinished) {
          row = { EventType: e.EventType, FunctionName: e.Name, ScheduledTime: time(e.Timestamp) };
          if (showInput) row.Input = fromJson(e.Input);
          row.Timestamp = time(e.Timestamp);
          out.push(row);
        }
        scheduled.set(e.EventId, { name: e.Name, time: e.Timestamp, input: e.Input, row });
        break;
      }
      case "ExecutionStarted": {
        const r: Record<string, unknown> = { EventType: e.EventType, FunctionName: e.Name, Timestamp: time(e.Timestamp) };
        if (showInput) r.Input = fromJson(e.Input);
        out.push(r);
        break;
      }
      case "ExecutionCompleted": {
        const r: Record<string, unknown> = { EventType: e.EventType, OrchestrationStatus: e.OrchestrationStatus, Timestamp: time(e.Timestamp) };
        if (showOutput) r.Result = fromJson(e.Result);
        if (e.FailureDetails) r.FailureDetails = e.FailureDetails;
        out.push(r);
        break;
      }
      case "TaskCompleted":
      case "TaskFailed":
      case "SubOrchestrationInstanceCompleted":
      case "SubOrchestrationInstanceFailed": {
        const s = scheduled.get(e.TaskScheduledId);
        const r: Record<string, unknown> = { EventType: e.EventType };
        if (s) {
          scheduled.delete(e.TaskScheduledId);
          if (s.row) out.splice(out.lastIndexOf(s.row), 1);
          r.FunctionName = s.name;
          r.ScheduledTime = time(s.time);
          if (showInput) r.Input = fromJson(s.input);
        }
        if (e.EventType === "TaskCompleted" || e.EventType === "SubOrchestrationInstanceCompleted") {
          if (showOutput) r.Result = fromJson(e.Result);
        } else {
          r.Reason = e.Reason;
          r.Details = e.Details;
          r.FailureDetails = e.FailureDetails;
        }
        r.Timestamp = time(e.Timestamp);
        out.push(r);
        break;
      }
      case "TimerCreated":
      case "TimerFired":
        out.push({ EventType: e.EventType, FireAt: instant(e.FireAt), Timestamp: time(e.Timestamp) });
        break;
      case "EventRaised": {
        const r: Record<string, unknown> = { EventType: e.EventType, Name: e.Name, Timestamp: time(e.Timestamp) };
        if (showInput) r.Input = fromJson(e.Input);
        out.push(r);
        break;
      }
      case "ExecutionTerminated": {
        const r: Record<string, unknown> = { EventType: e.EventType, Timestamp: time(e.Timestamp) };
        if (showInput) r.Input = fromJson(e.Input);
        out.push(r);
        break;
      }
      case "ExecutionSuspended":
      case "ExecutionResumed":
      case "ExecutionRewound":
        out.push({ EventType: e.EventType, Reason: e.Reason, Timestamp: time(e.Timestamp) });
        break;
      case "EventSent":
        out.push({ EventType: e.EventType, InstanceId: e.InstanceId, Name: e.Name, Timestamp: time(e.Timestamp) });
        break;
      case "GenericEvent":
        out.push({ EventType: e.EventType, Data: e.Data, Timestamp: time(e.Timestamp) });
        break;
    }
  }
  return out;
}

function formatIso(ms: number): string {
  return new Date(ms).toISOString();
}
