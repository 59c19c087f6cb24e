/**
 * The writes of one readwrite transaction (a group commit, a batch of creations or completions),
 * applied in order against what the transaction's first round read, so that several commits in one
 * transaction see each other's effects exactly as separate commits would. It also keeps a mirror of
 * the inboxes it touched, so the store can tell afterwards which instances have messages due.
 */
import type { ActivityWorkItem, CommitOutcome, InboxMessage, InstanceRecord, StepCommit } from "../../src/store.ts";
import type { HeldResult } from "./activity-book.ts";
import type { ActivityRow, HistoryRow, InboxRow } from "./schema.ts";

export const SEQ_KEY = "seq";
/** Every key of one instance in a store keyed by `[instanceId, …]` (arrays sort after strings and numbers). */
export const instanceRange = (instanceId: string) => IDBKeyRange.bound([instanceId], [instanceId, []]);
/** Every activity of one execution. */
export const executionRange = (instanceId: string, executionId: string) => IDBKeyRange.bound([instanceId, executionId], [instanceId, executionId, []]);
export const activityKey = (a: { instanceId: string; executionId: string; id: string }): [string, string, string] => [a.instanceId, a.executionId, a.id];
export const bySeq = (a: { seq?: number }, b: { seq?: number }) => a.seq! - b.seq!;

export interface BatchHooks {
  /** The held result behind message `id` of `instanceId`, if any: consuming it deletes its activity row. */
  heldResult?(instanceId: string, id: string): HeldResult | undefined;
  /** The lease to queue a new activity with (leased to this store at once), or null to queue it unleased. */
  leaseFor?(activity: ActivityWorkItem): { leaseToken: string; lockedUntil: number } | null;
  /**
   * The ids (and executions) of every activity stored for `instanceId`, when the first round read
   * them: new ones are then plain `put`s, and the transaction needs no add-if-absent request.
   */
  activityIds?(instanceId: string): Map<string, string> | undefined;
}

/** An activity a commit queued; `added` turns true once IndexedDB inserted it (false: its id was queued already). */
export interface QueuedActivity {
  row: ActivityRow;
  added: boolean;
}

interface MirroredInbox {
  /** True when it started from the instance's whole stored inbox; false: only what this batch added. */
  complete: boolean;
  /** True when that inbox was read in this transaction (not only known from memory): appends may `put`. */
  read: boolean;
  messages: Map<string, { visibleAt: number; executionId: string | null }>;
}

export class BatchState {
  readonly rows = new Map<string, InstanceRecord | undefined>();
  /** Held results that committed steps consumed (their activity rows are deleted). */
  readonly consumed: HeldResult[] = [];
  readonly queued: QueuedActivity[] = [];
  /** Executions whose inbox messages and activities a committed step dropped. */
  readonly dropped: { instanceId: string; executionId: string }[] = [];
  private readonly inboxes = new Map<string, MirroredInbox>();
  private readonly startSeq: number;

  constructor(
    readonly raw: IDBTransaction,
    private seq: number,
    private readonly hooks: BatchHooks = {},
  ) {
    this.startSeq = seq;
  }

  /**
   * Tells the batch an instance's whole stored inbox: read in the first round, or (`read` false)
   * known from memory to be as given.
   */
  knowInbox(instanceId: string, stored: readonly InboxRow[], read = true): void {
    const messages = new Map(stored.map((m) => [m.id, { visibleAt: m.visibleAt, executionId: m.executionId }] as const));
    this.inboxes.set(instanceId, { complete: true, read, messages });
  }

  apply(c: StepCommit): CommitOutcome {
    const current = this.rows.get(c.instanceId);
    if (c.expectedEtag === null ? current !== undefined : current?.etag !== c.expectedEtag) return "conflict";
    for (const id of c.deleteMessageIds) {
      const held = this.hooks.heldResult?.(c.instanceId, id);
      if (held) {
        this.consumeHeld(held);
      } else {
        this.raw.objectStore("inbox").delete([c.instanceId, id]);
        this.inbox(c.instanceId).messages.delete(id);
      }
    }
    if (c.dropExecution !== null) this.dropExecution(c.instanceId, c.dropExecution);
    const history = this.raw.objectStore("history");
    if (c.instance) {
      this.raw.objectStore("instances").put(c.instance);
      let at = current?.historyLength ?? 0;
      if (c.history.mode === "replace") {
        history.delete(instanceRange(c.instanceId));
        at = 0;
      }
      if (c.history.events.length > 0) history.put({ instanceId: c.instanceId, index: at, events: c.history.events } satisfies HistoryRow);
    } else {
      this.raw.objectStore("instances").delete(c.instanceId);
      history.delete(instanceRange(c.instanceId));
    }
    for (const m of c.messages) this.append(m);
    for (const a of c.activities) this.queue(a);
    this.rows.set(c.instanceId, c.instance ?? undefined);
    return "committed";
  }

  /**
   * Appends a message unless its inbox already holds one with its id: a plain `put` when this
   * transaction read that whole inbox, else an add-if-absent.
   */
  append(m: InboxMessage): void {
    const inbox = this.inbox(m.instanceId);
    if (inbox.complete && inbox.messages.has(m.id)) return;
    const row = { ...m, seq: ++this.seq } satisfies InboxRow;
    if (inbox.read) this.raw.objectStore("inbox").put(row);
    else addIfAbsent(this.raw.objectStore("inbox"), row);
    if (!inbox.messages.has(m.id)) inbox.messages.set(m.id, { visibleAt: m.visibleAt, executionId: m.executionId });
  }

  /** Deletes the activity row of a held result that a committed step consumes. */
  consumeHeld(held: HeldResult): void {
    this.raw.objectStore("activities").delete(activityKey(held.activity));
    this.hooks.activityIds?.(held.activity.instanceId)?.delete(held.activity.id);
    this.consumed.push(held);
  }

  /** The inbox sequence counter after this batch's appends. */
  get lastSeq(): number {
    return this.seq;
  }

  finish(): void {
    if (this.seq !== this.startSeq) this.raw.objectStore("meta").put(this.seq, SEQ_KEY);
  }

  /**
   * After the batch: the earliest `visibleAt` left in each inbox it touched (null: empty), and
   * whether that is the whole inbox or only what the batch added to it.
   */
  inboxSummary(): { instanceId: string; complete: boolean; earliest: number | null }[] {
    return [...this.inboxes].map(([instanceId, { complete, messages }]) => {
      let earliest: number | null = null;
      for (const { visibleAt } of messages.values()) if (earliest === null || visibleAt < earliest) earliest = visibleAt;
      return { instanceId, complete, earliest };
    });
  }

  private queue(a: ActivityWorkItem): void {
    const lease = this.hooks.leaseFor?.(a) ?? null;
    const row: ActivityRow = { ...a, leaseToken: lease?.leaseToken ?? null, lockedUntil: lease?.lockedUntil ?? 0, dequeueCount: lease ? 1 : 0 };
    const queued: QueuedActivity = { row, added: false };
    this.queued.push(queued);
    const stored = this.hooks.activityIds?.(a.instanceId);
    if (stored?.has(a.id)) return; // queued already: left as it is
    const request = stored ? this.raw.objectStore("activities").put(row) : addIfAbsent(this.raw.objectStore("activities"), row);
    stored?.set(a.id, a.executionId);
    request.addEventListener("success", () => (queued.added = true));
  }

  private dropExecution(instanceId: string, executionId: string): void {
    const inbox = this.raw.objectStore("inbox");
    const mirror = this.inbox(instanceId).messages;
    for (const [id, m] of [...mirror]) {
      if (m.executionId !== executionId) continue;
      inbox.delete([instanceId, id]);
      mirror.delete(id);
    }
    this.raw.objectStore("activities").delete(executionRange(instanceId, executionId));
    const stored = this.hooks.activityIds?.(instanceId);
    if (stored) for (const [id, execution] of [...stored]) if (execution === executionId) stored.delete(id);
    this.dropped.push({ instanceId, executionId });
  }

  private inbox(instanceId: string): MirroredInbox {
    let entry = this.inboxes.get(instanceId);
    if (!entry) this.inboxes.set(instanceId, (entry = { complete: false, read: false, messages: new Map() }));
    return entry;
  }
}

/** Transactions that issued requests whose failure is expected and cancelled (see `addIfAbsent`). */
export const tolerantTransactions = new WeakSet<IDBTransaction>();

/**
 * Inserts `value` unless its key exists, in one request: the "already exists" error is cancelled,
 * so it neither aborts the transaction nor reaches the transaction's error listeners.
 */
export function addIfAbsent(store: IDBObjectStore, value: unknown): IDBRequest {
  tolerantTransactions.add(store.transaction);
  const request = store.add(value);
  request.onerror = (event) => {
    if (request.error?.name === "ConstraintError") {
      event.preventDefault();
      event.stopPropagation();
    }
  };
  return request;
}
