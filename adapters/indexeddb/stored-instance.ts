/**
 * Instance rows as stored (`StoredInstance`: the record, its history tail, its inline activities)
 * and the record and history the store contract hands out of them.
 */
import type { HistoryEvent } from "../../src/history.ts";
import { recordWith } from "../../src/step.ts";
import type { InstanceRecord } from "../../src/store.ts";
import type { ActivityRow, HistoryRow, StoredInstance } from "./schema.ts";

/**
 * `row` as stored, with `inline` as its inline activities (`activityDue` is their earliest
 * `lockedUntil`) and `tail` as its history tail; fields with nothing in them are left out.
 */
export function storedRow(row: InstanceRecord, inline: readonly ActivityRow[], tail: readonly HistoryEvent[], activitiesStored: boolean): StoredInstance {
  const stored: StoredInstance = recordOf(row);
  if (tail.length > 0) stored.historyTail = [...tail];
  if (activitiesStored) stored.activitiesStored = true;
  if (inline.length > 0) {
    let due = Infinity;
    for (const a of inline) if (a.lockedUntil < due) due = a.lockedUntil;
    stored.inlineActivities = [...inline];
    stored.activityDue = due;
  }
  return stored;
}

/** `row` with new inline activities, the rest as it is. */
export function withInline(row: StoredInstance, inline: readonly ActivityRow[]): StoredInstance {
  return storedRow(row, inline, row.historyTail ?? [], row.activitiesStored === true);
}

/**
 * The instance record alone (a copy), as the store contract returns it: the rest is the store's own.
 * Copied field by field (`recordWith`): an object rest copy costs several times more, per step.
 */
export function recordOf(row: StoredInstance): InstanceRecord {
  return recordWith(row, {});
}

/** An instance's whole history: its history rows, then its row's tail. */
export function historyOf(rows: readonly HistoryRow[], row: StoredInstance | undefined): HistoryEvent[] {
  const events = rows.flatMap((r) => r.events);
  if (row?.historyTail) events.push(...row.historyTail);
  return events;
}
