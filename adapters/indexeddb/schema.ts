/**
 * The IndexedDB schema of the store, typed for `idb`. Few indexes on purpose: each one costs every
 * write to its store; an instance's inbox, history and activities are key ranges instead. Every
 * value is plain data (strings, numbers, null, arrays, plain objects): JSON payloads are already
 * text, so a later schema version (or another adapter) can read what this one wrote. Bump `SCHEMA_VERSION` and add a step to `upgradeSchema`
 * for every change; never edit a step that shipped.
 */
import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from "idb";
import type { HistoryEvent } from "../../src/history.ts";
import type { ActivityWorkItem, InboxMessage, InstanceRecord } from "../../src/store.ts";

export const SCHEMA_VERSION = 2;

/**
 * The events one commit appended, stored together (one write per step, not one per event). The key
 * is `[instanceId, index of the first event]`, so an instance's history is one key range, in order.
 */
export interface HistoryRow {
  instanceId: string;
  index: number;
  events: HistoryEvent[];
}

/**
 * A stored inbox message: `seq` is always set. Keyed by `[instanceId, id]` (idempotent per inbox),
 * so an instance's inbox is one key range; readers order it by `seq`.
 */
export type InboxRow = InboxMessage & { seq: number };

/**
 * A queued activity, keyed by `[instanceId, executionId, id]` so that an instance's or an
 * execution's activities are one key range (deleted in one request, with no index). `lockedUntil`
 * is 0 while it waits and the lease expiry once claimed, so one index answers both "what can be
 * claimed at `now`" (`lockedUntil <= now`) and "when is the next lease due".
 */
export interface ActivityRow extends ActivityWorkItem {
  leaseToken: string | null;
  lockedUntil: number;
  dequeueCount: number;
}

/** At most this many activities of an instance live inline in its row (see `StoredInstance`). */
export const INLINE_ACTIVITIES = 8;
/** Once an instance row's history tail holds more events than this, they move to a history row. */
export const HISTORY_TAIL = 24;

/**
 * An instance row as stored: the record, its latest history events, and its first few queued activities inline
 * (a chain's next activity, a small fan-out). A step rewrites the row anyway, so queueing and
 * consuming an inline activity costs no request of its own; bigger fan-outs go to `activities`.
 * `activityDue` is the earliest `lockedUntil` among the inline activities (absent when there are
 * none): the `byActivityDue` index finds rows with claimable ones, as `byLockedUntil` does for
 * `activities`. Leasing or completing an inline activity rewrites the row without changing its etag.
 */
export interface StoredInstance extends InstanceRecord {
  inlineActivities?: ActivityRow[];
  activityDue?: number;
  /**
   * The instance's latest history events, after those in `history` rows: a step appends its events
   * here, in the row it writes anyway, and moves the tail to a history row once it grows past
   * `HISTORY_TAIL`. The whole history is the history rows, then the tail.
   */
  historyTail?: HistoryEvent[];
  /** True when the instance may have rows in `activities` (it spilled over its inline ones). */
  activitiesStored?: true;
}

export interface DurableDb extends DBSchema {
  instances: {
    key: string;
    value: StoredInstance;
    indexes: { byCreated: [number, string]; byActivityDue: number };
  };
  history: {
    key: [string, number];
    value: HistoryRow;
  };
  inbox: {
    key: [string, string];
    value: InboxRow;
    indexes: { byVisibleAt: number };
  };
  activities: {
    key: [string, string, string];
    value: ActivityRow;
    indexes: { byLockedUntil: number };
  };
  /**
   * Counters: `seq` orders inbox messages across the whole database; `writeToken` changes with
   * every readwrite transaction (see `step-memory.ts`).
   */
  meta: {
    key: string;
    value: number;
  };
}

export type StoreName = StoreNames<DurableDb>;
export const ALL_STORES: StoreName[] = ["instances", "history", "inbox", "activities", "meta"];

/** Brings a database from `oldVersion` to `SCHEMA_VERSION`, one version at a time. */
export function upgradeSchema(
  db: IDBPDatabase<DurableDb>,
  oldVersion: number,
  tx: IDBPTransaction<DurableDb, StoreName[], "versionchange">,
): void {
  if (oldVersion < 1) {
    const instances = db.createObjectStore("instances", { keyPath: "instanceId" });
    instances.createIndex("byCreated", ["createdAt", "instanceId"]);
    db.createObjectStore("history", { keyPath: ["instanceId", "index"] });
    const inbox = db.createObjectStore("inbox", { keyPath: ["instanceId", "id"] });
    inbox.createIndex("byVisibleAt", "visibleAt");
    const activities = db.createObjectStore("activities", { keyPath: ["instanceId", "executionId", "id"] });
    activities.createIndex("byLockedUntil", "lockedUntil");
    db.createObjectStore("meta");
  }
  if (oldVersion < 2) {
    // Instance rows may carry their history tail and inline activities (see `StoredInstance`);
    // version-1 rows, without them, read as they are. Every readwrite transaction writes a fresh
    // write token to `meta` (see `step-memory.ts`). Tabs still running version-1 code close.
    tx.objectStore("instances").createIndex("byActivityDue", "activityDue");
  }
}
