/**
 * @module worker/index-shard — one shard of the instance index. Instance objects send it an update
 * (through their outbox, after the commit) whenever an instance is created, changes status or is
 * purged; listing reads every shard and merges by (createdAt, instanceId). Entities' rows are
 * indexed too, and listed only for an id prefix starting with `@` (as every store lists them).
 *
 * Updates carry a version that increases per instance, so a late or repeated update never
 * overwrites a newer one; a purge leaves a tombstone for the same reason, pruned after the
 * retention period (`DEFAULT_RETENTION_MS`: a late update is retried within minutes, not days).
 */
import { DurableObject } from "cloudflare:workers";
import { Pruner, runMigrations, type IndexUpdate } from "../adapters/durable-object/index.ts";
import type { InstancePage, InstanceQuery, InstanceRecord } from "../src/index.ts";

const MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE IF NOT EXISTS entries (
       instance_id TEXT NOT NULL PRIMARY KEY, version INTEGER NOT NULL, created_at INTEGER NOT NULL,
       runtime_status TEXT NOT NULL, record TEXT) WITHOUT ROWID`,
    `CREATE INDEX IF NOT EXISTS entries_by_created ON entries (created_at, instance_id)`,
  ],
  // Tombstones remember when they were laid, so that they can be pruned.
  [`ALTER TABLE entries ADD COLUMN purged_at INTEGER`, `CREATE INDEX IF NOT EXISTS entries_by_purged ON entries (purged_at) WHERE purged_at IS NOT NULL`],
];


/** Needs no configuration: every Worker exports this class as is (`createDurableWorker(...).IndexShard`). */
export class IndexShard extends DurableObject {
  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      runMigrations(ctx.storage, MIGRATIONS);
    });
  }

  private readonly tombstones = new Pruner("entries", "instance_id", "purged_at");

  /**
   * Applies updates newer than what the shard holds; returns how many changed something. `now`
   * (default the clock) dates tombstones and prunes those older than the retention.
   */
  async apply(updates: IndexUpdate[], now: number = Date.now()): Promise<number> {
    const sql = this.ctx.storage.sql;
    return this.ctx.storage.transactionSync(() => {
      let changed = 0;
      for (const u of updates) {
        const cursor = sql.exec(
          `INSERT INTO entries (instance_id, version, created_at, runtime_status, record, purged_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (instance_id) DO UPDATE SET version = excluded.version, created_at = excluded.created_at,
             runtime_status = excluded.runtime_status, record = excluded.record, purged_at = excluded.purged_at
           WHERE excluded.version > entries.version`,
          u.instanceId,
          u.version,
          u.record?.createdAt ?? 0,
          u.record?.runtimeStatus ?? "",
          u.record ? JSON.stringify(u.record) : null,
          u.record ? null : now,
        );
        cursor.toArray();
        if (cursor.rowsWritten > 0) changed++;
      }
      this.tombstones.prune((query, ...bindings) => sql.exec(query, ...bindings), now);
      return changed;
    });
  }

  /** One page of this shard, in (createdAt, instanceId) order; `next` is set when more may follow. */
  async list(query: InstanceQuery): Promise<InstancePage> {
    const where = ["record IS NOT NULL"];
    const args: (string | number)[] = [];
    if (query.runtimeStatus && query.runtimeStatus.length > 0) {
      where.push(`runtime_status IN (${query.runtimeStatus.map(() => "?").join(", ")})`);
      args.push(...query.runtimeStatus);
    }
    if (query.createdFrom !== undefined) {
      where.push("created_at >= ?");
      args.push(query.createdFrom);
    }
    if (query.createdTo !== undefined) {
      where.push("created_at <= ?");
      args.push(query.createdTo);
    }
    // The store rule (`listedByPrefix`): entity rows (`@name@key`) only for a prefix that asks for them.
    if (query.instanceIdPrefix) {
      where.push("substr(instance_id, 1, ?) = ?");
      args.push(query.instanceIdPrefix.length, query.instanceIdPrefix);
    } else {
      where.push("substr(instance_id, 1, 1) <> '@'");
    }
    if (query.after) {
      where.push("(created_at > ? OR (created_at = ? AND instance_id > ?))");
      args.push(query.after.createdAt, query.after.createdAt, query.after.instanceId);
    }
    const rows = this.ctx.storage.sql
      .exec<{ record: string }>(`SELECT record FROM entries WHERE ${where.join(" AND ")} ORDER BY created_at, instance_id LIMIT ?`, ...args, query.limit + 1)
      .toArray();
    const items = rows.slice(0, query.limit).map((r) => JSON.parse(r.record) as InstanceRecord);
    const last = items[items.length - 1];
    return { items, next: rows.length > query.limit && last ? { createdAt: last.createdAt, instanceId: last.instanceId } : null };
  }
}
