/**
 * The IndexedDB schema of the store, typed for `idb`. Every value is plain data (strings, numbers,
 * null, arrays, plain objects): JSON payloads are already text, so a later schema version (or another
 * adapter) can read what this one wrote. Bump `SCHEMA_VERSION` and add a step to `upgradeSchema`
 * for every change; never edit a step that shipped.
 */
import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from "idb";
import type { HistoryEvent } from "../../src/history.ts";
import type { ActivityWorkItem, InboxMessage, InstanceRecord } from "../../src/store.ts";

export const SCHEMA_VERSION = 1;

/**
 * The events one commit appended, stored together (one write per step, not one per event). The key
 * is `[instanceId, index of the first event]`, so an instance's history is one key range, in order.
 */
export interface HistoryRow {
  instanceId: string;
  index: number;
  events: HistoryEvent[];
}

/** A stored inbox message: `seq` is always set. Keyed by `[instanceId, id]` (idempotent per inbox). */
export type InboxRow = InboxMessage & { seq: number };

/**
 * A queued activity. `lockedUntil` is 0 while it waits and the lease expiry once claimed, so one
 * index answers both "what can be claimed at `now`" (`lockedUntil <= now`) and "when is the next lease due".
 */
export interface ActivityRow extends ActivityWorkItem {
  leaseToken: string | null;
  lockedUntil: number;
  dequeueCount: number;
}

export interface DurableDb extends DBSchema {
  instances: {
    key: string;
    value: InstanceRecord;
    indexes: { byCreated: [number, string]; byStatus: string };
  };
  history: {
    key: [string, number];
    value: HistoryRow;
  };
  inbox: {
    key: [string, string];
    value: InboxRow;
    indexes: { byInstanceSeq: [string, number]; byVisibleAt: number };
  };
  activities: {
    key: string;
    value: ActivityRow;
    indexes: { byLockedUntil: number; byExecution: [string, string] };
  };
  /** Counters: `seq` orders inbox messages across the whole database. */
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
  _tx: IDBPTransaction<DurableDb, StoreName[], "versionchange">,
): void {
  if (oldVersion < 1) {
    const instances = db.createObjectStore("instances", { keyPath: "instanceId" });
    instances.createIndex("byCreated", ["createdAt", "instanceId"]);
    instances.createIndex("byStatus", "runtimeStatus");
    db.createObjectStore("history", { keyPath: ["instanceId", "index"] });
    const inbox = db.createObjectStore("inbox", { keyPath: ["instanceId", "id"] });
    inbox.createIndex("byInstanceSeq", ["instanceId", "seq"]);
    inbox.createIndex("byVisibleAt", "visibleAt");
    const activities = db.createObjectStore("activities", { keyPath: "id" });
    activities.createIndex("byLockedUntil", "lockedUntil");
    activities.createIndex("byExecution", ["instanceId", "executionId"]);
    db.createObjectStore("meta");
  }
}
