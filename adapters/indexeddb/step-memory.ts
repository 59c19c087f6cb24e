/**
 * What this store's own step commits left in IndexedDB, kept in memory so that the next step of the
 * same instances needs no read at all: its transaction issues its writes at once, and a chain step
 * costs one round trip instead of two.
 *
 * Memory is only as good as "nothing else wrote since". Every readwrite transaction of every store
 * writes a fresh write token to `meta` (see `IndexedDbStore`'s `write`), and the memory records
 * the token of the step transaction that produced it. A step planned from memory reads the token as
 * the first request of its own transaction (without waiting for it before planning) and aborts
 * before committing if the token is not the one it remembered: another tab, or another write of
 * this store, got in between. The step then runs again from what IndexedDB holds. A read-path step
 * reads the token with its other reads, which tells whether older entries are still good.
 *
 * An instance is known only as a step or a creation of this store left it: its row, its activity
 * ids, and its whole inbox (read or known in that transaction).
 */
import type { StepRequest } from "../../src/store.ts";
import type { InboxRow, StoredInstance } from "./schema.ts";

export const WRITE_TOKEN_KEY = "writeToken";

export interface KnownInstance {
  /** The row as stored (history tail and inline activities included). */
  row: StoredInstance;
  /** Activity id → execution id, of every activity the instance has (inline or in `activities`). */
  activityIds: ReadonlyMap<string, string>;
  /** The whole stored inbox (empty after a step; the start message after a creation). */
  inbox: readonly InboxRow[];
}

/** A fresh write token: random, so that tokens of different tabs and sessions do not collide. */
export function newWriteToken(): number {
  return Math.floor(Math.random() * Number.MAX_SAFE_INTEGER);
}

export class StepMemory {
  private writeToken: number | null = null;
  private seq = 0;
  private readonly instances = new Map<string, KnownInstance>();

  /** The write token IndexedDB holds if nothing wrote since the memory was taken (null: nothing known). */
  get token(): number | null {
    return this.writeToken;
  }

  /** The inbox sequence counter as the memory's transaction left it. */
  get lastSeq(): number {
    return this.seq;
  }

  /** Forgets everything (something else wrote, or may have). */
  forget(): void {
    this.writeToken = null;
    this.instances.clear();
  }

  /**
   * The instance as this store last left it, when its history need not be read either: the
   * step's caller holds the matching executor, or the row holds the whole history (a new instance).
   */
  lookup({ instanceId, cached }: StepRequest): KnownInstance | undefined {
    if (this.writeToken === null) return undefined;
    const known = this.instances.get(instanceId);
    if (!known) return undefined;
    const { row } = known;
    if (cached === undefined) return row.historyLength === (row.historyTail?.length ?? 0) ? known : undefined;
    return row.etag === cached.etag && row.historyLength === cached.historyLength ? known : undefined;
  }

  /**
   * After a step (or creation) transaction committed. `readToken` is the token it found (read
   * path), or the one memory had (memory path); `written` the one it wrote. Entries older than this transaction stay
   * only if nothing wrote between (`readToken` is the memory's own token).
   */
  committed(readToken: number | null | undefined, written: number, seq: number, changes: Iterable<readonly [string, KnownInstance | null]>): void {
    if (readToken !== this.writeToken) this.instances.clear();
    this.writeToken = written;
    this.seq = seq;
    for (const [instanceId, known] of changes) {
      if (known) this.instances.set(instanceId, known);
      else this.instances.delete(instanceId);
    }
  }
}
