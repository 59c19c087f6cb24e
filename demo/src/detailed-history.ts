/**
 * @module detailed-history — the status API's `historyEvents` shape, built from the raw event log a
 * local client can read: the same records, but with millisecond times (the API rounds to seconds),
 * with tasks that are still running (`EventType: "TaskScheduled"`, no completion yet), so the
 * timeline can show work in flight, with each task's id (`TaskId`, its `TaskScheduled`
 * EventId), so the Gantt chart keeps tasks in a stable order, and with the relationships the raw
 * log knows: a sub-orchestration's child id (`InstanceId`) and the parent of a child
 * (`ParentInstanceId`, `ParentName` on `ExecutionStarted`), so the page links them; and with what
 * an `EventSent` sent (`Input`: an entity request — its id, operation, input, lock set — or a
 * release), which the rendering leaves out, so the page shows entity calls and critical sections.
 */
import { toHistoryEvents, type HistoryEvent } from "../../src/index.ts";

const COMPLETIONS = new Set(["TaskCompleted", "TaskFailed", "SubOrchestrationInstanceCompleted", "SubOrchestrationInstanceFailed"]);
const SCHEDULES = new Set(["TaskScheduled", "SubOrchestrationInstanceCreated"]);

export function toDetailedHistory(history: readonly HistoryEvent[]): Record<string, unknown>[] {
  const rows = toHistoryEvents(history, { showInput: true, showHistoryOutput: true, showUnfinished: true, time: (ms) => ms });
  // The rendering keeps the log's order: the n-th completion row is the n-th completion event, and
  // the rows still scheduled are the schedules never completed, in order.
  const completed = new Set<number>();
  const completionIds: number[] = [];
  for (const e of history) {
    if (COMPLETIONS.has(e.EventType)) {
      const id = (e as { TaskScheduledId: number }).TaskScheduledId;
      completed.add(id);
      completionIds.push(id);
    }
  }
  const openIds = history.filter((e) => SCHEDULES.has(e.EventType) && !completed.has(e.EventId)).map((e) => e.EventId);
  const children = new Map<number, string>();
  let parent: { id: string; name: string } | null = null;
  for (const e of history) {
    if (e.EventType === "SubOrchestrationInstanceCreated") children.set(e.EventId, e.InstanceId);
    if (e.EventType === "ExecutionStarted" && e.ParentInstance) parent = { id: e.ParentInstance.OrchestrationInstance.InstanceId, name: e.ParentInstance.Name };
  }
  const sent = history.filter((e) => e.EventType === "EventSent").map((e) => (e as { Input: unknown }).Input);
  let c = 0;
  let o = 0;
  let s = 0;
  for (const row of rows) {
    const type = String(row.EventType);
    if (type === "EventSent") row.Input = parseJson(sent[s++]);
    if (COMPLETIONS.has(type)) row.TaskId = completionIds[c++];
    else if (SCHEDULES.has(type)) row.TaskId = openIds[o++];
    const child = typeof row.TaskId === "number" ? children.get(row.TaskId) : undefined;
    if (child !== undefined && type.startsWith("SubOrchestration")) row.InstanceId = child;
    if (type === "ExecutionStarted" && parent) {
      row.ParentInstanceId = parent.id;
      row.ParentName = parent.name;
    }
  }
  return rows;
}

function parseJson(value: unknown): unknown {
  if (typeof value !== "string") return value ?? null;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
