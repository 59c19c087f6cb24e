/**
 * @module pruner — deletes rows kept only for a retention period (received message ids, index
 * tombstones): at most every 10 minutes, and at most 1,000 rows at a time, so that pruning never
 * makes one transaction large. Call `prune` inside the transaction that writes such rows.
 */
import type { SqlValue } from "./sql.ts";

export const DEFAULT_RETENTION_MS = 7 * 24 * 60 * 60_000;
const PRUNE_EVERY_MS = 10 * 60_000;
const PRUNE_BATCH = 1000;

export type Exec = (query: string, ...bindings: SqlValue[]) => unknown;

export class Pruner {
  private prunedAt = -Infinity;

  /** Prunes rows of `table` (keyed by `key`) whose `column` is older than the retention. */
  private readonly table: string;
  private readonly key: string;
  private readonly column: string;
  readonly retentionMs: number;
  constructor(
    table: string,
    key: string,
    column: string,
    retentionMs: number = DEFAULT_RETENTION_MS,
  ) {
    this.table = table;
    this.key = key;
    this.column = column;
    this.retentionMs = retentionMs;
  }

  prune(exec: Exec, now: number): void {
    if (now - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = now;
    const { table, key, column } = this;
    exec(`DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE ${column} < ? ORDER BY ${column} LIMIT ?)`, now - this.retentionMs, PRUNE_BATCH);
  }
}
