/**
 * @module detailed-history — the status API's `historyEvents` shape, built from the raw event log a
 * local client can read: the same records, but with millisecond times (the API rounds to seconds)
 * and with tasks that are still running (`EventType: "TaskScheduled"`, no completion yet), so the
 * timeline can show work in flight.
 */
import { toHistoryEvents, type HistoryEvent } from "../../src/index.ts";

export function toDetailedHistory(history: readonly HistoryEvent[]): Record<string, unknown>[] {
  return toHistoryEvents(history, { showInput: true, showHistoryOutput: true, showUnfinished: true, time: (ms) => ms });
}
