/**
 * @module detailed-history — the status API's `historyEvents` shape, built from the raw event log a
 * local client can read: the same records, but with millisecond times (the API rounds to seconds)
 * and with tasks that are still running (`EventType: "TaskScheduled"`, no completion yet), so the
 * timeline can show work in flight.
 */
import { fromJson, type HistoryEvent } from "durable-edge";

export function toDetailedHistory(history: readonly HistoryEvent[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const pending = new Map<number, Record<string, unknown>>();
  for (const e of history) {
    switch (e.EventType) {
      case "OrchestratorStarted":
      case "OrchestratorCompleted":
        break;
      case "TaskScheduled":
      case "SubOrchestrationInstanceCreated": {
        const row = { EventType: e.EventType, FunctionName: e.Name, ScheduledTime: e.Timestamp, Input: fromJson(e.Input), Timestamp: e.Timestamp };
        pending.set(e.EventId, row);
        out.push(row);
        break;
      }
      case "TaskCompleted":
      case "TaskFailed":
      case "SubOrchestrationInstanceCompleted":
      case "SubOrchestrationInstanceFailed": {
        const scheduled = pending.get(e.TaskScheduledId);
        pending.delete(e.TaskScheduledId);
        const row: Record<string, unknown> = { EventType: e.EventType, Timestamp: e.Timestamp };
        if (scheduled) {
          out.splice(out.indexOf(scheduled), 1);
          row.FunctionName = scheduled.FunctionName;
          row.ScheduledTime = scheduled.ScheduledTime;
          row.Input = scheduled.Input;
        }
        if (e.EventType === "TaskCompleted" || e.EventType === "SubOrchestrationInstanceCompleted") row.Result = fromJson(e.Result);
        else {
          row.Reason = e.Reason;
          row.FailureDetails = e.FailureDetails;
        }
        out.push(row);
        break;
      }
      case "ExecutionStarted":
        out.push({ EventType: e.EventType, FunctionName: e.Name, Input: fromJson(e.Input), Timestamp: e.Timestamp });
        break;
      case "ExecutionCompleted":
        out.push({ EventType: e.EventType, OrchestrationStatus: e.OrchestrationStatus, Result: fromJson(e.Result), FailureDetails: e.FailureDetails, Timestamp: e.Timestamp });
        break;
      case "TimerCreated":
      case "TimerFired":
        out.push({ EventType: e.EventType, FireAt: e.FireAt, Timestamp: e.Timestamp });
        break;
      case "EventRaised":
        out.push({ EventType: e.EventType, Name: e.Name, Input: fromJson(e.Input), Timestamp: e.Timestamp });
        break;
      case "EventSent":
        out.push({ EventType: e.EventType, Name: e.Name, InstanceId: e.InstanceId, Timestamp: e.Timestamp });
        break;
      case "ExecutionTerminated":
        out.push({ EventType: e.EventType, Input: fromJson(e.Input), Timestamp: e.Timestamp });
        break;
      case "ExecutionSuspended":
      case "ExecutionResumed":
      case "ExecutionRewound":
        out.push({ EventType: e.EventType, Reason: e.Reason, Timestamp: e.Timestamp });
        break;
      case "GenericEvent":
        out.push({ EventType: e.EventType, Data: e.Data, Timestamp: e.Timestamp });
        break;
    }
  }
  return out;
}
