/**
 * @module simulator/snapshot — everything the Store API lets one observe at the end of a run:
 * every instance's row, history and inbox (timers included), the activities still queued, and the
 * wrapper's log of what was committed.
 */
import type { HistoryEvent } from "../../src/history.ts";
import type { ClaimedActivity, InboxMessage, InstanceRecord, Store } from "../../src/store.ts";
import type { CommitLog } from "./faulty-store.ts";

/** Far enough in the future that every timer is visible. */
const FAR = 8.64e15;

export interface InstanceSnapshot {
  row: InstanceRecord;
  history: HistoryEvent[];
  /** Every message in its inbox, future timers included. */
  inbox: InboxMessage[];
  /** Activities of this instance still queued. */
  activities: ClaimedActivity[];
}

export interface EntitySnapshot {
  row: InstanceRecord;
  /** Every message in its inbox (none should be left once the run is over). */
  inbox: InboxMessage[];
}

export interface Snapshot {
  instances: Map<string, InstanceSnapshot>;
  /** Entity rows (`@name@key`), which orchestration listings leave out. */
  entities: Map<string, EntitySnapshot>;
  log: CommitLog;
  /** Queued activities whose instance has no row. */
  orphanActivities: ClaimedActivity[];
}

export async function takeSnapshot(store: Store, log: CommitLog): Promise<Snapshot> {
  const rows: InstanceRecord[] = [];
  let after: { createdAt: number; instanceId: string } | undefined;
  for (;;) {
    const page = await store.listInstances({ limit: 100, ...(after ? { after } : {}) });
    rows.push(...page.items);
    if (!page.next) break;
    after = page.next;
  }
  const instances = new Map<string, InstanceSnapshot>();
  for (const row of rows) {
    const history = await store.getHistory(row.instanceId);
    const [step] = await store.loadSteps([{ instanceId: row.instanceId }], FAR);
    instances.set(row.instanceId, { row, history, inbox: step?.messages ?? [], activities: [] });
  }
  const entities = new Map<string, EntitySnapshot>();
  after = undefined;
  for (;;) {
    const page = await store.listInstances({ limit: 100, instanceIdPrefix: "@", ...(after ? { after } : {}) });
    for (const row of page.items) {
      const [step] = await store.loadSteps([{ instanceId: row.instanceId }], FAR);
      entities.set(row.instanceId, { row, inbox: step?.messages ?? [] });
    }
    if (!page.next) break;
    after = page.next;
  }
  // Claiming at a far-off time hands out every queued activity, leased or not. The run is over.
  const work = await store.claimWork(FAR, { instanceLimit: 0, activityLimit: 100_000, leaseMs: 1 });
  const orphanActivities: ClaimedActivity[] = [];
  for (const a of work.activities) {
    const entry = instances.get(a.instanceId);
    if (entry) entry.activities.push(a);
    else orphanActivities.push(a);
  }
  return { instances, entities, log, orphanActivities };
}
