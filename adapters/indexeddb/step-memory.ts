/**
 * What this store's own writes (steps, creations) left in IndexedDB, kept in memory so that the
 * next step of the same instances needs no read at all: its transaction issues its writes at once,
 * and a chain step costs one round trip instead of two.
 *
 * Memory is only as good as "nothing else wrote since". Every readwrite transaction of every store
 * reads the write token in `meta` and writes a fresh one (see `IndexedDbStore`'s `write`); memory
 * records the token of the transaction it was taken from. A step planned from memory checks, before
 * committing, that the token its transaction found is the one memory has, and aborts otherwise:
 * another tab, or another write of this store, got in between. It then runs again from what
 * IndexedDB holds. Any other transaction that reports to memory tells, by the token it found,
 * whether older entries are still good.
 *
 * An instance is known only as a step, a commit or a creation of this store left it: its row, its
 * activity ids, and its whole inbox (read or known in that transaction).
 */
import type { StepRequest } from "../../src/store.ts";
import type { InboxRow, StoredInstance } from "./schema.ts";

export const WRITE_TOKEN_KEY = "writeToken";

export interface KnownInstance {
  /** The row as stored (history tail and inline activities included). */
  row: StoredInstance;
  /** Activity id → execution id, of every activity the instance has (inline or in `activities`). */
  activityIds: ReadonlyMap<string, string>;
  /** The whole stored inbox (say, empty after a step, the start message after a creation). */
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

  /** The instance as this store last left it, its history aside (for a commit planned elsewhere: `commitSteps`). */
  get(instanceId: string): KnownInstance | undefined {
    return this.writeToken === null ? undefined : this.instances.get(instanceId);
  }

  /**
   * After a transaction of this store committed (a step, a creation, a leasing claim). `readToken`
   * is the token it found (for a step from memory: the one memory had, which it checked), `written`
   * the one it wrote, `changes` what memory now knows or must forget of each instance it touched.
   * Older entries stay only if nothing wrote in between (`readToken` is memory's own token).
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
