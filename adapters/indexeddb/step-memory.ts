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
 * An instance is known only in the state a step of this store left it: its row, and its stored
 * activity ids; its inbox was read (or known) whole and left empty.
 */
import type { InstanceRecord, StepRequest } from "../../src/store.ts";

export const WRITE_TOKEN_KEY = "writeToken";

export interface KnownInstance {
  row: InstanceRecord;
  /** Activity id → execution id, of every activity row the instance has. */
  activityIds: ReadonlyMap<string, string>;
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
   * The instance as this store's last step left it, when the step's caller holds the matching
   * executor (so its history need not be read either).
   */
  lookup({ instanceId, cached }: StepRequest): KnownInstance | undefined {
    if (this.writeToken === null || cached === undefined) return undefined;
    const known = this.instances.get(instanceId);
    if (!known || known.row.etag !== cached.etag || known.row.historyLength !== cached.historyLength) return undefined;
    return known;
  }

  /**
   * After a step transaction committed. `readToken` is the token it found (read path), or the one
   * memory had (memory path); `written` the one it wrote. Entries older than this transaction stay
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
