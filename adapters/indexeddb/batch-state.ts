/**
 * The writes of one readwrite transaction (a group commit, a batch of creations or completions),
 * applied in order against what the transaction's first round read, so that several commits in one
 * transaction see each other's effects exactly as separate commits would. It also keeps a mirror of
 * the inboxes it touched, so the store can tell afterwards which instances have messages due.
 */
import type { ActivityWorkItem, CommitOutcome, InboxMessage, StepCommit } from "../../src/store.ts";
import type { HeldResult } from "./activity-book.ts";
import type { HistoryEvent } from "../../src/history.ts";
import { HISTORY_TAIL, INLINE_ACTIVITIES, type ActivityRow, type HistoryRow, type InboxRow, type StoredInstance } from "./schema.ts";
import { storedRow } from "./stored-instance.ts";

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
  /**
   * True when it started from the instance's whole stored inbox (read in this transaction, or
   * known from memory under the write token): appends may `put`. False: only what this batch added.
   */
  complete: boolean;
  /** The messages by id, as stored. */
  messages: Map<string, InboxRow>;
}

export class BatchState {
  /** Each instance as the batch has it so far (stored rows carry their inline activities). */
  readonly rows = new Map<string, StoredInstance | undefined>();
  /** Held results that committed steps consumed (their activity rows are deleted). */
  readonly consumed: HeldResult[] = [];
  readonly queued: QueuedActivity[] = [];
  /** Executions whose inbox messages and activities a committed step dropped. */
  readonly dropped: { instanceId: string; executionId: string }[] = [];
  private readonly inboxes = new Map<string, MirroredInbox>();
  /** Inline activities of the instances the batch touched, as it left them; their rows are put by `finish`. */
  private readonly inline = new Map<string, ActivityRow[]>();
  private readonly tails = new Map<string, HistoryEvent[]>();
  /** Instances the batch queued activities for in the `activities` store. */
  private readonly spilled = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly startSeq: number;

  readonly raw: IDBTransaction;
  private seq: number;
  private readonly hooks: BatchHooks;
  constructor(
    raw: IDBTransaction,
    seq: number,
    hooks: BatchHooks = {},
  ) {
    this.raw = raw;
    this.seq = seq;
    this.hooks = hooks;
    this.startSeq = seq;
  }

  /** Tells the batch an instance's whole stored inbox: read in this transaction, or known from memory. */
  knowInbox(instanceId: string, stored: readonly InboxRow[]): void {
    this.inboxes.set(instanceId, { complete: true, messages: new Map(stored.map((m) => [m.id, m] as const)) });
  }

  apply(c: StepCommit): CommitOutcome {
    const current = this.rows.get(c.instanceId);
    if (c.expectedEtag === null ? current !== undefined : current?.etag !== c.expectedEtag) return "conflict";
    // Taken from the current row before the commit replaces it.
    this.inlineOf(c.instanceId);
    const tail = this.tailOf(c.instanceId);
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
      this.rows.set(c.instanceId, c.instance);
      this.dirty.add(c.instanceId);
      let length = current?.historyLength ?? 0;
      if (c.history.mode === "replace") {
        history.delete(instanceRange(c.instanceId));
        tail.length = 0;
        length = 0;
      }
      // New events join the row's tail; a tail grown past its bound moves to a history row.
      for (const e of c.history.events) tail.push(e);
      length += c.history.events.length;
      if (tail.length > HISTORY_TAIL) {
        history.put({ instanceId: c.instanceId, index: length - tail.length, events: [...tail] } satisfies HistoryRow);
        tail.length = 0;
      }
    } else {
      this.raw.objectStore("instances").delete(c.instanceId);
      history.delete(instanceRange(c.instanceId));
      this.rows.set(c.instanceId, undefined);
      this.dirty.delete(c.instanceId);
      this.inline.delete(c.instanceId);
      this.tails.delete(c.instanceId);
    }
    for (const m of c.messages) this.append(m);
    // A commit's activities go inline together when they fit (and the batch knows the instance's
    // activity ids, so that an id queued already is recognised), else to the activities store.
    const inline = c.instance && this.hooks.activityIds?.(c.instanceId) ? this.inlineOf(c.instanceId) : null;
    const fits = inline !== null && inline.length + c.activities.length <= INLINE_ACTIVITIES;
    for (const a of c.activities) this.queue(a, fits ? inline : null);
    return "committed";
  }

  /**
   * Appends a message unless its inbox already holds one with its id: a plain `put` when the batch
   * knows that whole inbox, else an add-if-absent. Returns the row, unless skipped.
   */
  append(m: InboxMessage): InboxRow | undefined {
    const inbox = this.inbox(m.instanceId);
    if (inbox.complete && inbox.messages.has(m.id)) return undefined;
    const row = { ...m, seq: ++this.seq } satisfies InboxRow;
    if (inbox.complete) this.raw.objectStore("inbox").put(row);
    else addIfAbsent(this.raw.objectStore("inbox"), row);
    if (!inbox.messages.has(m.id)) inbox.messages.set(m.id, row);
    return row;
  }

  /** Deletes the activity of a held result that a committed step consumes. */
  consumeHeld(held: HeldResult): void {
    this.removeActivity(held.activity);
    this.consumed.push(held);
  }

  /** Removes a queued activity: from its instance row's inline ones, or its row in `activities`. */
  removeActivity(a: { instanceId: string; executionId: string; id: string }): void {
    const inline = this.rows.get(a.instanceId) ? this.inlineOf(a.instanceId) : null;
    const at = inline ? inline.findIndex((x) => x.id === a.id) : -1;
    if (at >= 0) {
      inline!.splice(at, 1);
      this.dirty.add(a.instanceId);
    } else {
      this.raw.objectStore("activities").delete(activityKey(a));
    }
    this.hooks.activityIds?.(a.instanceId)?.delete(a.id);
  }

  /** The inline activity `id` of an instance the batch has, if it is inline. */
  inlineActivity(instanceId: string, id: string): ActivityRow | undefined {
    return this.rows.get(instanceId) ? this.inlineOf(instanceId).find((a) => a.id === id) : undefined;
  }

  /** The inbox sequence counter after this batch's appends. */
  get lastSeq(): number {
    return this.seq;
  }

  /** Issues what the batch left for last: the rows it changed (with their inline activities), and `seq`. */
  finish(): void {
    const instances = this.dirty.size > 0 ? this.raw.objectStore("instances") : null;
    for (const id of this.dirty) {
      const row = this.rows.get(id);
      if (!row) continue;
      const inline = this.inline.get(id) ?? row.inlineActivities ?? [];
      const stored = storedRow(row, inline, this.tails.get(id) ?? row.historyTail ?? [], this.activitiesStored(id, row, inline));
      instances!.put(stored);
      this.rows.set(id, stored);
    }
    this.dirty.clear();
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

  /** The whole stored inbox of an instance as the batch leaves it, when the batch knows it whole (else undefined). */
  inboxAfter(instanceId: string): InboxRow[] | undefined {
    const inbox = this.inboxes.get(instanceId);
    return inbox?.complete ? [...inbox.messages.values()] : undefined;
  }

  private queue(a: ActivityWorkItem, inline: ActivityRow[] | null): void {
    const lease = this.hooks.leaseFor?.(a) ?? null;
    const row: ActivityRow = { ...a, leaseToken: lease?.leaseToken ?? null, lockedUntil: lease?.lockedUntil ?? 0, dequeueCount: lease ? 1 : 0 };
    const queued: QueuedActivity = { row, added: false };
    this.queued.push(queued);
    const stored = this.hooks.activityIds?.(a.instanceId);
    if (stored?.has(a.id)) return; // queued already: left as it is
    if (inline) {
      inline.push(row);
      stored!.set(a.id, a.executionId);
      this.dirty.add(a.instanceId);
      queued.added = true; // with the row, when the transaction commits
      return;
    }
    const request = stored ? this.raw.objectStore("activities").put(row) : addIfAbsent(this.raw.objectStore("activities"), row);
    stored?.set(a.id, a.executionId);
    this.spilled.add(a.instanceId);
    request.addEventListener("success", () => (queued.added = true));
  }

  /**
   * Whether the instance may have rows in `activities`: exactly, when the batch knows its activity
   * ids; else if it had or got some.
   */
  private activitiesStored(instanceId: string, row: StoredInstance, inline: readonly ActivityRow[]): boolean {
    const ids = this.hooks.activityIds?.(instanceId);
    if (!ids) return this.spilled.has(instanceId) || row.activitiesStored === true;
    // Every inline id is among the known ones: any other is in the store.
    let inlineKnown = 0;
    for (const a of inline) if (ids.has(a.id)) inlineKnown++;
    return ids.size > inlineKnown;
  }

  /** The batch's (mutable) history tail of an instance, from its row the first time. */
  private tailOf(instanceId: string): HistoryEvent[] {
    let tail = this.tails.get(instanceId);
    if (!tail) this.tails.set(instanceId, (tail = [...(this.rows.get(instanceId)?.historyTail ?? [])]));
    return tail;
  }

  /** The batch's (mutable) list of an instance's inline activities, from its row the first time. */
  private inlineOf(instanceId: string): ActivityRow[] {
    let list = this.inline.get(instanceId);
    if (!list) this.inline.set(instanceId, (list = [...(this.rows.get(instanceId)?.inlineActivities ?? [])]));
    return list;
  }

  private dropExecution(instanceId: string, executionId: string): void {
    const inline = this.inlineOf(instanceId);
    const wasInline = new Set<string>();
    for (let i = inline.length - 1; i >= 0; i--) {
      if (inline[i]!.executionId !== executionId) continue;
      wasInline.add(inline[i]!.id);
      inline.splice(i, 1);
      this.dirty.add(instanceId);
    }
    const inbox = this.raw.objectStore("inbox");
    const mirror = this.inbox(instanceId).messages;
    for (const [id, m] of [...mirror]) {
      if (m.executionId !== executionId) continue;
      inbox.delete([instanceId, id]);
      mirror.delete(id);
    }
    const stored = this.hooks.activityIds?.(instanceId);
    // Known ids tell whether the execution has rows in `activities` at all (a chain's are all inline).
    let rows = stored === undefined;
    if (stored) {
      for (const [id, execution] of [...stored]) {
        if (execution !== executionId) continue;
        if (!wasInline.has(id)) rows = true;
        stored.delete(id);
      }
    }
    if (rows) this.raw.objectStore("activities").delete(executionRange(instanceId, executionId));
    this.dropped.push({ instanceId, executionId });
  }

  private inbox(instanceId: string): MirroredInbox {
    let entry = this.inboxes.get(instanceId);
    if (!entry) this.inboxes.set(instanceId, (entry = { complete: false, messages: new Map() }));
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
