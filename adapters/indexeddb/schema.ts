/**
 * The IndexedDB schema of the store. Few indexes on purpose: each one costs every write to its
 * store; an instance's inbox, history and activities are key ranges instead., typed for `idb`. Every value is plain data (strings, numbers,
 * null, arrays, plain objects): JSON payloads are already text, so a later schema version (or another
 * adapter) can read what this one wrote. Bump `SCHEMA_VERSION` and add a step to `upgradeSchema`
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

export interface DurableDb extends DBSchema {
  instances: {
    key: string;
    value: InstanceRecord;
    indexes: { byCreated: [number, string] };
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
  _tx: IDBPTransaction<DurableDb, StoreName[], "versionchange">,
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
  // Version 2 changes no store: from it on, every readwrite transaction writes a fresh write token
  // to `meta` (see `step-memory.ts`). The version moves so that tabs still running version-1 code,
  // which would write without one, close their connection instead.
}
