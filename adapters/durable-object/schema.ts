/**
 * @module schema — the SQLite schema of the Durable Object store and its migrations. Each migration
 * runs once, in order, inside one `transactionSync`, and records its number in `schema_version`.
 *
 * Tables (all `WITHOUT ROWID`; one secondary index, on `received`: every index is an extra row written):
 * - `instances`  one row per instance: the input (written at creation, and when a new execution starts).
 * - `steps`      one row per commit: the instance record (without input) as of that commit and the
 *                history events it appended. The row with the highest etag is the current record,
 *                so a step writes the record and its history as ONE row.
 * - `inbox`      messages (events, timers, start/terminate, results from other objects).
 * - `activities` queued activities; a completed activity keeps its row, which then carries the
 *                result message (`result`), so completing one rewrites one row.
 * - `outbox`     messages for other objects and index updates, written in the same transaction as
 *                the commit that produced them and deleted once delivered.
 * - `received`   ids of messages delivered from other objects, so a redelivery is a no-op; kept
 *                for a retention period (index `received_by_at`, version 2, to prune them).
 * - `history_parts` (version 3) the rest of a step's history when it is larger than one SQLite
 *                value may be (`PART_BYTES`): a 10,000-way fan-out appends about 1 MB in one step.
 * - `outbox.seq` (version 4) the order entries were written in, so that messages leave in the
 *                order they were sent, whatever their ids (an entity sees one sender's messages in
 *                send order: entity signals and calls, continue-as-new, retries).
 * - `instances.runs` (version 5) the summaries of an instance's earlier runs when it continues as
 *                new (`InstanceRecord.runs`, JSON; NULL for none and for rows from before): kept
 *                beside the input, written only when a run ends, not in every `steps` row.
 */
import type { DurableObjectStorageLike } from "./sql.ts";

export const MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE IF NOT EXISTS instances (instance_id TEXT NOT NULL PRIMARY KEY, input TEXT) WITHOUT ROWID`,
    `CREATE TABLE IF NOT EXISTS steps (
       instance_id TEXT NOT NULL, etag INTEGER NOT NULL, first_index INTEGER NOT NULL, event_count INTEGER NOT NULL,
       record TEXT NOT NULL, events TEXT NOT NULL, PRIMARY KEY (instance_id, etag)) WITHOUT ROWID`,
    `CREATE TABLE IF NOT EXISTS inbox (
       instance_id TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, execution_id TEXT, visible_at INTEGER NOT NULL,
       event TEXT NOT NULL, PRIMARY KEY (instance_id, id)) WITHOUT ROWID`,
    `CREATE TABLE IF NOT EXISTS activities (
       id TEXT NOT NULL PRIMARY KEY, instance_id TEXT NOT NULL, execution_id TEXT NOT NULL, task_id INTEGER NOT NULL,
       name TEXT NOT NULL, input TEXT, enqueued_at INTEGER NOT NULL, seq INTEGER NOT NULL,
       visible_at INTEGER, result TEXT) WITHOUT ROWID`,
    `CREATE TABLE IF NOT EXISTS outbox (
       id TEXT NOT NULL PRIMARY KEY, kind TEXT NOT NULL, target TEXT NOT NULL, payload TEXT NOT NULL,
       rev INTEGER NOT NULL, due_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID`,
    `CREATE TABLE IF NOT EXISTS received (id TEXT NOT NULL PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID`,
  ],
  [`CREATE INDEX IF NOT EXISTS received_by_at ON received (at)`],
  // Version 3: the history a step appends beyond what one value holds (SQLite refuses a string
  // over about 1 MB), in parts; the `steps` row keeps the first part.
  [
    `CREATE TABLE IF NOT EXISTS history_parts (
       instance_id TEXT NOT NULL, first_index INTEGER NOT NULL, event_count INTEGER NOT NULL, events TEXT NOT NULL,
       PRIMARY KEY (instance_id, first_index)) WITHOUT ROWID`,
  ],
  // Version 4: the outbox keeps the order its entries were written in (rows from before: 0, then by id).
  [`ALTER TABLE outbox ADD COLUMN seq INTEGER NOT NULL DEFAULT 0`],
  // Version 5: an instance's earlier runs (continue-as-new), beside its input (rows from before: none).
  [`ALTER TABLE instances ADD COLUMN runs TEXT`],
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the store's schema up to date. Idempotent; safe to call on every construction. */
export function migrate(storage: DurableObjectStorageLike): number {
  return runMigrations(storage, MIGRATIONS);
}

/**
 * Runs the `migrations` not yet recorded in `schema_version`, in order, in one `transactionSync`;
 * returns the version reached. Refuses storage written by a newer schema.
 */
export function runMigrations(storage: DurableObjectStorageLike, migrations: readonly (readonly string[])[]): number {
  const SCHEMA_VERSION = migrations.length;
  return storage.transactionSync(() => {
    storage.sql.exec(`CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY) WITHOUT ROWID`);
    const row = storage.sql.exec(`SELECT MAX(version) AS v FROM schema_version`).toArray()[0];
    const current = typeof row?.v === "number" ? row.v : 0;
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `durable-edge: this object's storage has schema version ${current}, newer than this code knows (${SCHEMA_VERSION}). ` +
          `Deploy the newer code; rolling back across a schema change is not supported.`,
      );
    }
    for (let v = current; v < SCHEMA_VERSION; v++) {
      for (const ddl of migrations[v]!) storage.sql.exec(ddl);
      storage.sql.exec(`INSERT INTO schema_version (version) VALUES (?)`, v + 1);
    }
    return SCHEMA_VERSION;
  });
}
