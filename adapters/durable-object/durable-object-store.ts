/**
 * @module durable-object-store — the `Store` contract on the SQLite storage of one Durable Object.
 *
 * - Every write method runs in ONE `storage.transactionSync(...)`; `commitSteps` puts a whole group
 *   commit in one transaction, and a commit writes one `steps` row for the record and its history.
 * - The object is the only claimer of its activities, so leases live in memory: a restart forgets
 *   them, which releases every lease at once (activities are at-least-once anyway), and claiming an
 *   activity writes nothing.
 * - With `completions: "write-behind"`, an activity result is held in memory until the step that
 *   consumes it commits; that commit turns the activity's row into the next activity scheduled (or
 *   deletes it). A chain step then costs one transaction and two rows (the `steps` row and the
 *   recycled activity row). If the object dies in between, the result is lost and the activity,
 *   still queued, runs again: the at-least-once that leases give anyway.
 * - Messages for instances that live in other objects (`isLocal` false) go to the `outbox` in the
 *   same transaction; the host delivers them after the commit (`takeOutbox` / `settleOutbox`).
 * - With `indexShardOf`, every change of an instance's status queues an index update in the outbox
 *   too (one coalesced row per instance), so a sharded index can list instances across objects.
 * - The outbox hands out entries in the order they were written (`seq`). Messages for an entity
 *   (`@name@key`) keep that order even across failed deliveries: while one waits for its retry,
 *   the later ones for the same entity wait behind it, so an entity sees each sender's messages in
 *   send order (Durable Functions' ordering guarantee). Messages for orchestrations do not wait:
 *   one the target refuses must not hold back the others.
 * - Messages for an entity that arrive from elsewhere due already count as arrived when they arrive
 *   (`arrived`), so that the entity runs them in arrival order whatever the senders' clocks.
 * - An entity keeps no history, so each of its commits replaces its `steps` row instead of adding one;
 *   its index entry leaves out its document (the `input` of its row).
 */
import { DurableError } from "../../src/errors.ts";
import { isEntityInstanceId, listedByPrefix } from "../../src/entities/entity-id.ts";
import { overUtf8Limit, utf8Length } from "../../src/limits.ts";
import type { HistoryEvent } from "../../src/history.ts";
import type { RuntimeStatus } from "../../src/status.ts";
import type {
  ActivityWorkItem,
  ClaimOptions,
  ClaimedActivity,
  ClaimedWork,
  CommitOutcome,
  CreateOptions,
  InboxMessage,
  InstancePage,
  InstanceQuery,
  InstanceRecord,
  InstanceSeal,
  InstanceSnapshot,
  PurgeOptions,
  RunChain,
  StepCommit,
  StepInput,
  StepRequest,
  Store,
} from "../../src/store.ts";
import { migrate } from "./schema.ts";
import { Pruner } from "./pruner.ts";
import type { DurableObjectStorageLike, SqlValue } from "./sql.ts";

export interface DurableObjectStoreOptions {
  /** A label shown in errors. */
  name?: string | undefined;
  /** Whether an instance lives in this object; messages for others go to the outbox. Default: all local. */
  isLocal?: ((instanceId: string) => boolean) | undefined;
  /** The index shard that lists an instance; when given, status changes queue index updates. */
  indexShardOf?: ((instanceId: string) => string) | undefined;
  /** Time source for outbox scheduling and index versions (default `Date.now`). */
  now?: (() => number) | undefined;
  /**
   * "durable" (default): `completeActivity` writes the result before it resolves.
   * "write-behind": the result stays in memory until the step that consumes it commits (see above).
   */
  completions?: "durable" | "write-behind" | undefined;
  /**
   * How long the ids of messages received from other objects are kept to drop redeliveries
   * (default 7 days). A sender retries an unacknowledged delivery within minutes; older ids are
   * pruned, a batch at a time, as new messages arrive.
   */
  receivedRetentionMs?: number | undefined;
  /**
   * Called right after a transaction that left work this object must come back to (a message, an
   * activity, an outbox entry), with the earliest time that work falls due (0: at once), in the
   * same turn as the commit. A host that arms its wake-up only at the end of its round would sleep
   * forever if it died in between (a deploy, a crash), since leases and held results live in memory:
   * it arms a fallback alarm here.
   */
  onWork?: ((dueAt: number) => void) | undefined;
}


/** A message or index update waiting to leave this object. */
export interface OutboxEntry {
  id: string;
  kind: "message" | "index";
  /** The instance id (messages) or the index shard name (index updates). */
  target: string;
  rev: number;
  attempts: number;
  message?: InboxMessage;
  index?: IndexUpdate;
}

/** What an index shard keeps about one instance. `record` null: the instance is gone. */
export interface IndexUpdate {
  instanceId: string;
  /** Increases with every update of this instance; shards ignore older ones. */
  version: number;
  record: InstanceRecord | null;
}

export interface StoreStats {
  /** SQLite rows written by this store object (inserted, updated, deleted). */
  rowsWritten: number;
  /** `transactionSync` calls that wrote. */
  transactions: number;
}

export interface DurableObjectStore extends Store {
  /** Applies pending schema migrations (done lazily by the first call otherwise). */
  migrate(): void;
  /** Appends messages delivered by other objects, once per message id ever (a redelivery is a no-op). */
  receiveMessages(messages: readonly InboxMessage[], now: number): number;
  /** Outbox entries due at `now`, oldest first. */
  takeOutbox(now: number, limit: number): OutboxEntry[];
  /** Deletes delivered entries (unless rewritten meanwhile) and reschedules failed ones. */
  settleOutbox(delivered: readonly OutboxEntry[], failed: readonly OutboxEntry[], retryAt: number): void;
  /** When the earliest outbox entry is due, or null when the outbox is empty. */
  nextOutboxAt(): number | null;
  /**
   * Extends the leases of activities still running (a worker's heartbeat) to `until`, each only if
   * its lease is still the one given (not expired and handed out again, not completed). Returns,
   * per activity, whether its lease is held. Leases live in memory; this writes nothing.
   */
  renewLeases(activities: readonly Pick<ClaimedActivity, "id" | "leaseToken">[], until: number): boolean[];
  stats(): StoreStats;
}

export function createDurableObjectStore(storage: DurableObjectStorageLike, options: DurableObjectStoreOptions = {}): DurableObjectStore {
  return new SqlStore(storage, options);
}

interface Lease {
  token: string;
  lockedUntil: number;
}

/** The record as a `steps` row holds it: the input and the earlier runs live in `instances`, written only when they change. */
type StoredRecord = Omit<InstanceRecord, "input" | "runs">;
/** What the store keeps of an instance it read or wrote: its record, input and earlier runs. */
type CachedInstance = { record: StoredRecord; input: string | null; runs: RunChain | undefined };

const RESULT_SUFFIX = "|result";
/** SQL: outbox row `o` is a message for an entity. */
const ENTITY_MESSAGE = `o.kind = 'message' AND substr(o.target, 1, 1) = '@'`;
/** SQL: outbox row `p` was written before row `o`. */
const EARLIER = `(p.seq < o.seq OR (p.seq = o.seq AND p.id < o.id))`;

class SqlStore implements DurableObjectStore {
  private readonly name: string;
  private readonly isLocal: (instanceId: string) => boolean;
  private readonly indexShardOf: ((instanceId: string) => string) | undefined;
  private readonly clockNow: () => number;
  private loaded = false;
  private closed = false;
  private seq = 0;
  private version = 0;
  private leaseCounter = 0;
  private readonly epoch = Math.random().toString(36).slice(2, 10);
  /** Queued activities not yet completed, in enqueue order (loaded from SQL once). */
  private readonly queue = new Map<string, ActivityWorkItem & { seq: number }>();
  private readonly leases = new Map<string, Lease>();
  /** Write-behind results by activity id, until the step consuming them commits. */
  private readonly results = new Map<string, InboxMessage>();
  private readonly writeBehind: boolean;
  private readonly receivedPruner: Pruner;
  private readonly dequeues = new Map<string, number>();
  private rowsWritten = 0;
  private transactions = 0;
  /**
   * The current record, input and earlier runs of instances read or written so far (null: known absent). This
   * store is the only writer of its storage, so the cache stays true; a failed transaction clears it.
   */
  private readonly records = new Map<string, CachedInstance | null>();
  /** False once the outbox was seen empty and nothing was queued since. */
  private outboxMaybe = true;
  /**
   * False while no message for an entity waits for a retry (so none holds back the later ones for
   * its entity, and the outbox needs no per-entity ordering query). Unknown at start.
   */
  private entityRetriesMaybe = true;
  /** False while no step was ever large enough to need `history_parts` (checked at migration). */
  private partsMaybe = true;
  /**
   * How many inbox rows each instance has, for instances read since this store started: this store
   * is their only writer, so it keeps the number exact and does not query an inbox it knows is
   * empty (a chain step's result arrives in memory, write-behind). A failed transaction clears it.
   */
  private readonly inboxRows = new Map<string, number>();
  /** False while no activity result is stored in its row (write-behind keeps them in memory). */
  private storedResultsMaybe = true;
  /**
   * The earliest `visible_at` of the whole inbox, null when it is empty, undefined when not known
   * (at start, and after any delete, which may raise it). Appends keep it; with it known, a chain
   * step's claim and wake-up need no inbox query (its results arrive in memory).
   */
  private inboxEarliest: number | null | undefined = undefined;
  /** The earliest due time of the work the running transaction left (Infinity: none). */
  private workDueAt = Infinity;
  private readonly onWork: ((dueAt: number) => void) | undefined;

  private readonly storage: DurableObjectStorageLike;
  constructor(
    storage: DurableObjectStorageLike,
    options: DurableObjectStoreOptions,
  ) {
    this.storage = storage;
    this.name = options.name ?? "durable-object";
    this.isLocal = options.isLocal ?? (() => true);
    this.indexShardOf = options.indexShardOf;
    this.clockNow = options.now ?? Date.now;
    this.writeBehind = options.completions === "write-behind";
    this.receivedPruner = new Pruner("received", "id", "at", options.receivedRetentionMs);
    this.onWork = options.onWork;
  }

  // --- lifecycle ---

  migrate(): void {
    migrate(this.storage);
  }

  private open(): void {
    if (this.closed) throw new DurableError("StoreClosed", `The store '${this.name}' is closed; create a new one.`);
    if (this.loaded) return;
    migrate(this.storage);
    const maxSeq = this.rows(`SELECT MAX(seq) AS s FROM (SELECT seq FROM inbox UNION ALL SELECT seq FROM activities UNION ALL SELECT seq FROM outbox)`)[0]?.s;
    this.seq = typeof maxSeq === "number" ? maxSeq : 0;
    this.partsMaybe = this.rows(`SELECT 1 AS one FROM history_parts LIMIT 1`).length > 0;
    this.storedResultsMaybe = this.rows(`SELECT 1 AS one FROM activities WHERE result IS NOT NULL LIMIT 1`).length > 0;
    for (const r of this.rows(`SELECT * FROM activities WHERE result IS NULL ORDER BY seq`)) {
      const item = toActivity(r);
      this.queue.set(item.id, item);
    }
    this.loaded = true;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  stats(): StoreStats {
    return { rowsWritten: this.rowsWritten, transactions: this.transactions };
  }

  // --- SQL helpers ---

  private exec(query: string, ...bindings: SqlValue[]): number {
    const cursor = this.storage.sql.exec(query, ...bindings);
    cursor.toArray();
    this.rowsWritten += cursor.rowsWritten;
    return cursor.rowsWritten;
  }

  private rows(query: string, ...bindings: SqlValue[]): Record<string, SqlValue>[] {
    return this.storage.sql.exec(query, ...bindings).toArray();
  }

  /** Runs `fn` in one transaction; memory effects queued by `fn` apply only once it committed. */
  private transaction<T>(fn: (after: (effect: () => void) => void) => T): T {
    const effects: (() => void)[] = [];
    const seqBefore = this.seq;
    this.workDueAt = Infinity;
    let result: T;
    try {
      result = this.storage.transactionSync(() => fn((e) => effects.push(e)));
    } catch (error) {
      this.seq = seqBefore;
      this.records.clear();
      this.inboxRows.clear();
      this.inboxEarliest = undefined;
      throw error;
    }
    this.transactions++;
    for (const e of effects) e();
    if (this.workDueAt !== Infinity) this.onWork?.(this.workDueAt);
    return result;
  }

  private nextVersion(): number {
    this.version = Math.max(this.version + 1, this.clockNow() * 1000);
    return this.version;
  }

  // --- reads ---

  private cached(instanceId: string): CachedInstance | null {
    let entry = this.records.get(instanceId);
    if (entry === undefined) {
      const r = this.rows(
        `SELECT s.record AS record, i.input AS input, i.runs AS runs FROM steps s LEFT JOIN instances i ON i.instance_id = s.instance_id
         WHERE s.instance_id = ? ORDER BY s.etag DESC LIMIT 1`,
        instanceId,
      )[0];
      entry = r ? { record: JSON.parse(r.record as string) as StoredRecord, input: (r.input ?? null) as string | null, runs: runsOf(r.runs) } : null;
      this.records.set(instanceId, entry);
    }
    return entry;
  }

  private current(instanceId: string): StoredRecord | undefined {
    return this.cached(instanceId)?.record;
  }

  private full(instanceId: string, record: StoredRecord): InstanceRecord {
    const entry = this.cached(instanceId);
    const row: InstanceRecord = { ...record, input: entry ? entry.input : null };
    if (entry?.runs) row.runs = entry.runs;
    return row;
  }

  private historyFrom(instanceId: string, from: number): HistoryEvent[] {
    const out: HistoryEvent[] = [];
    const query = this.partsMaybe
      ? `SELECT first_index, events FROM (
           SELECT first_index, events FROM steps WHERE instance_id = ?1 AND event_count > 0 AND first_index + event_count > ?2
           UNION ALL SELECT first_index, events FROM history_parts WHERE instance_id = ?1 AND first_index + event_count > ?2)
         ORDER BY first_index`
      : `SELECT first_index, events FROM steps WHERE instance_id = ?1 AND event_count > 0 AND first_index + event_count > ?2 ORDER BY etag`;
    const chunks = this.rows(query, instanceId, from);
    for (const c of chunks) {
      const events = JSON.parse(c.events as string) as HistoryEvent[];
      const skip = Math.max(0, from - (c.first_index as number));
      for (let i = skip; i < events.length; i++) out.push(events[i]!);
    }
    return out;
  }

  private visibleMessages(instanceId: string, now: number): InboxMessage[] {
    const messages: InboxMessage[] = [];
    // What this store wrote itself it need not read back: an inbox known empty is not queried.
    if (this.inboxRows.get(instanceId) !== 0) {
      // All of the instance's rows (timers not yet due too), so that their number is known from now on.
      const rows = this.rows(`SELECT id, seq, execution_id, visible_at, event FROM inbox WHERE instance_id = ?`, instanceId);
      this.inboxRows.set(instanceId, rows.length);
      for (const r of rows) if ((r.visible_at as number) <= now) messages.push(inboxMessageOf(instanceId, r));
    }
    if (this.storedResultsMaybe) {
      for (const r of this.rows(`SELECT seq, result FROM activities WHERE instance_id = ? AND result IS NOT NULL AND visible_at <= ?`, instanceId, now)) {
        messages.push({ ...(JSON.parse(r.result as string) as InboxMessage), seq: r.seq as number });
      }
    }
    for (const m of this.results.values()) if (m.instanceId === instanceId && m.visibleAt <= now) messages.push({ ...m });
    return messages.sort((a, b) => a.seq! - b.seq!);
  }

  async getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    this.open();
    const record = this.current(instanceId);
    return record && this.full(instanceId, record);
  }

  async getHistory(instanceId: string): Promise<HistoryEvent[]> {
    this.open();
    return this.historyFrom(instanceId, 0);
  }

  async loadSteps(requests: readonly StepRequest[], now: number): Promise<StepInput[]> {
    this.open();
    return this.load(requests, now);
  }

  /** Loads, plans and commits in ONE `transactionSync` (planning is synchronous and pure). */
  async runSteps(requests: readonly StepRequest[], now: number, plan: (inputs: StepInput[]) => (StepCommit | null)[]): Promise<CommitOutcome[]> {
    this.open();
    return this.transaction((after) => plan(this.load(requests, now)).map((c) => (c ? this.commitOne(c, after) : "skipped")));
  }

  private load(requests: readonly StepRequest[], now: number): StepInput[] {
    return requests.map(({ instanceId, cached }) => {
      const record = this.current(instanceId);
      const from = record && cached && cached.etag === record.etag ? cached.historyLength : 0;
      return {
        instanceId,
        instance: record && this.full(instanceId, record),
        history: !record || (from > 0 && from === record.historyLength) ? [] : this.historyFrom(instanceId, from),
        historyFrom: from,
        messages: this.visibleMessages(instanceId, now),
      };
    });
  }

  async listInstances(query: InstanceQuery): Promise<InstancePage> {
    this.open();
    const latest = this.rows(
      `SELECT s.instance_id AS id, s.record AS record, i.input AS input, i.runs AS runs FROM steps s JOIN instances i ON i.instance_id = s.instance_id
       WHERE s.etag = (SELECT MAX(etag) FROM steps t WHERE t.instance_id = s.instance_id)`,
    );
    const matches: InstanceRecord[] = [];
    for (const r of latest) {
      const row: InstanceRecord = { ...(JSON.parse(r.record as string) as StoredRecord), input: r.input as string | null };
      const runs = runsOf(r.runs);
      if (runs) row.runs = runs;
      if (matchesQuery(row, query)) matches.push(row);
    }
    matches.sort(compareListOrder);
    const items = matches.slice(0, query.limit);
    const last = items[items.length - 1];
    return { items, next: matches.length > query.limit && last ? { createdAt: last.createdAt, instanceId: last.instanceId } : null };
  }

  // --- writes ---

  async createInstance(instance: InstanceRecord, start: InboxMessage, options: CreateOptions): Promise<void> {
    this.open();
    this.transaction((after) => {
      const existing = this.current(instance.instanceId);
      if (existing && !options.overwritableStatuses.includes(existing.runtimeStatus)) {
        throw new DurableError(
          "InstanceAlreadyExists",
          `An instance with ID '${instance.instanceId}' already exists and is ${existing.runtimeStatus}. ` +
            `Wait for it to finish, terminate it, or start with another instance ID.`,
        );
      }
      if (existing) this.deleteAll(instance.instanceId, after);
      this.exec(`INSERT INTO instances (instance_id, input, runs) VALUES (?, ?, ?)`, instance.instanceId, instance.input, runsText(instance.runs));
      this.writeStep(instance, 0, []);
      this.appendLocal(start);
      this.queueIndex(instance.instanceId, instance);
    });
  }

  async commitSteps(commits: readonly StepCommit[]): Promise<CommitOutcome[]> {
    this.open();
    return this.transaction((after) => commits.map((c) => this.commitOne(c, after)));
  }

  private commitOne(c: StepCommit, after: (effect: () => void) => void): CommitOutcome {
    const current = this.current(c.instanceId);
    if (c.expectedEtag === null ? current !== undefined : current?.etag !== c.expectedEtag) return "conflict";
    const consumed: string[] = [];
    for (const id of c.deleteMessageIds) {
      const activityId = this.consumedActivity(c.instanceId, id);
      if (activityId === null) this.countInbox(c.instanceId, -this.exec(`DELETE FROM inbox WHERE instance_id = ? AND id = ?`, c.instanceId, id));
      else {
        consumed.push(activityId);
        after(() => this.results.delete(activityId));
      }
    }
    if (c.dropExecution !== null) this.dropExecution(c.instanceId, c.dropExecution, after);
    if (c.instance) {
      let firstIndex = current?.historyLength ?? 0;
      if (c.history.mode === "replace") {
        this.deleteHistory(c.instanceId);
        firstIndex = 0;
      }
      this.writeInstanceRow(c.instance, current ? (this.cached(c.instanceId) ?? undefined) : undefined);
      this.writeStep(c.instance, firstIndex, c.history.events);
      // An entity has no history: its earlier rows hold nothing the new one does not.
      if (current && isEntityInstanceId(c.instanceId)) this.exec(`DELETE FROM steps WHERE instance_id = ? AND etag < ?`, c.instanceId, c.instance.etag);
      if (!current || current.runtimeStatus !== c.instance.runtimeStatus) this.queueIndex(c.instanceId, c.instance);
    } else if (current) {
      this.deleteHistory(c.instanceId);
      this.exec(`DELETE FROM instances WHERE instance_id = ?`, c.instanceId);
      this.records.set(c.instanceId, null);
      this.queueIndex(c.instanceId, null);
    }
    for (const m of c.messages) this.route(m);
    for (const a of c.activities) this.enqueueActivity(a, after, consumed);
    for (const id of consumed) this.exec(`DELETE FROM activities WHERE id = ?`, id);
    return "committed";
  }

  async appendMessages(messages: readonly InboxMessage[]): Promise<void> {
    this.open();
    this.transaction(() => {
      for (const m of messages) this.route(m);
    });
  }

  receiveMessages(messages: readonly InboxMessage[], now: number): number {
    this.open();
    return this.transaction(() => {
      let appended = 0;
      for (const m of messages) {
        if (this.exec(`INSERT OR IGNORE INTO received (id, at) VALUES (?, ?)`, `${m.instanceId}\u0000${m.id}`, now) === 0) continue;
        this.route(arrived(m, now));
        appended++;
      }
      this.receivedPruner.prune((query, ...bindings) => this.exec(query, ...bindings), now);
      return appended;
    });
  }

  async claimWork(now: number, options: ClaimOptions): Promise<ClaimedWork> {
    this.open();
    const instanceIds: string[] = [];
    // With the inbox known to hold nothing due (results come in memory), only held results make instances ready.
    const inboxDue = this.storedResultsMaybe || options.instanceLimit <= 0 ? true : (this.earliestInbox() ?? Infinity) <= now;
    if (options.instanceLimit > 0 && !inboxDue) {
      const seen = new Set<string>();
      for (const m of this.results.values()) {
        if (m.visibleAt > now || options.exclude?.has(m.instanceId) || seen.has(m.instanceId)) continue;
        seen.add(m.instanceId);
        instanceIds.push(m.instanceId);
        if (instanceIds.length >= options.instanceLimit) break;
      }
    } else if (options.instanceLimit > 0) {
      const ready = this.rows(
        this.storedResultsMaybe
          ? `SELECT DISTINCT instance_id AS id FROM inbox WHERE visible_at <= ?1
             UNION SELECT DISTINCT instance_id AS id FROM activities WHERE result IS NOT NULL AND visible_at <= ?1`
          : `SELECT DISTINCT instance_id AS id FROM inbox WHERE visible_at <= ?1`,
        now,
      );
      const ids = new Set(ready.map((r) => r.id as string));
      for (const m of this.results.values()) if (m.visibleAt <= now) ids.add(m.instanceId);
      for (const id of ids) {
        if (options.exclude?.has(id)) continue;
        instanceIds.push(id);
        if (instanceIds.length >= options.instanceLimit) break;
      }
    }
    const activities: ClaimedActivity[] = [];
    if (options.activityLimit > 0) {
      for (const item of this.queue.values()) {
        if (activities.length >= options.activityLimit) break;
        const lease = this.leases.get(item.id);
        if (lease && lease.lockedUntil > now) continue;
        const token = `${this.epoch}:${++this.leaseCounter}`;
        const lockedUntil = now + options.leaseMs;
        const dequeueCount = (this.dequeues.get(item.id) ?? 0) + 1;
        this.leases.set(item.id, { token, lockedUntil });
        this.dequeues.set(item.id, dequeueCount);
        const { seq: _seq, ...work } = item;
        activities.push({ ...work, leaseToken: token, lockedUntil, dequeueCount });
      }
    }
    return { instanceIds, activities };
  }

  renewLeases(activities: readonly Pick<ClaimedActivity, "id" | "leaseToken">[], until: number): boolean[] {
    this.open();
    return activities.map(({ id, leaseToken }) => {
      const lease = this.leases.get(id);
      if (!lease || lease.token !== leaseToken || !this.queue.has(id)) return false;
      lease.lockedUntil = Math.max(lease.lockedUntil, until);
      return true;
    });
  }

  async completeActivity(activity: ClaimedActivity, result: InboxMessage): Promise<boolean> {
    this.open();
    // A lease from an earlier life of this store (before the object restarted) was forgotten with
    // it; its completion still applies unless the activity was handed out again since.
    const lease = this.leases.get(activity.id);
    const held = lease ? lease.token === activity.leaseToken : !activity.leaseToken.startsWith(`${this.epoch}:`);
    if (!held || !this.queue.has(activity.id)) return false;
    if (this.writeBehind && result.id === activity.id + RESULT_SUFFIX && result.instanceId === activity.instanceId) {
      this.queue.delete(activity.id);
      this.leases.delete(activity.id);
      this.dequeues.delete(activity.id);
      this.results.set(activity.id, { ...result, seq: ++this.seq });
      return true;
    }
    this.transaction((after) => {
      if (result.id === activity.id + RESULT_SUFFIX && result.instanceId === activity.instanceId) {
        const seq = ++this.seq;
        const stored = JSON.stringify({ ...result, seq: undefined });
        this.storedResultsMaybe = true;
        this.exec(`UPDATE activities SET result = ?, visible_at = ?, seq = ? WHERE id = ?`, stored, result.visibleAt, seq, activity.id);
      } else {
        this.exec(`DELETE FROM activities WHERE id = ?`, activity.id);
        this.route(result);
      }
      after(() => this.forget(activity.id));
    });
    return true;
  }

  async nextWakeAt(): Promise<number | null> {
    this.open();
    let next = Infinity;
    for (const m of this.results.values()) if (m.visibleAt < next) next = m.visibleAt;
    for (const item of this.queue.values()) {
      const lease = this.leases.get(item.id);
      if (!lease) return 0;
      if (lease.lockedUntil < next) next = lease.lockedUntil;
    }
    let earliest: number | null;
    if (this.storedResultsMaybe) {
      const r = this.rows(`SELECT MIN(v) AS v FROM (SELECT MIN(visible_at) AS v FROM inbox UNION ALL SELECT MIN(visible_at) AS v FROM activities WHERE result IS NOT NULL)`)[0];
      earliest = typeof r?.v === "number" ? r.v : null;
    } else earliest = this.earliestInbox();
    if (earliest !== null && earliest < next) next = earliest;
    return next === Infinity ? null : next;
  }

  async purgeInstance(instanceId: string, onlyIfStatus: readonly RuntimeStatus[], options: PurgeOptions = {}): Promise<boolean> {
    this.open();
    return this.transaction((after) => {
      const record = this.current(instanceId);
      if (!record || !onlyIfStatus.includes(record.runtimeStatus)) return false;
      if (options.ifInboxEmpty && Number(this.rows(`SELECT COUNT(*) AS n FROM inbox WHERE instance_id = ?`, instanceId)[0]?.n ?? 0) > 0) return false;
      this.deleteAll(instanceId, after);
      this.queueIndex(instanceId, null);
      return true;
    });
  }

  // --- hand-over ---

  async exportInstance(instanceId: string, seal?: (snapshot: InstanceSnapshot) => InstanceSeal | null): Promise<InstanceSnapshot | undefined> {
    this.open();
    if (!seal) return this.snapshotOf(instanceId);
    return this.transaction((after) => {
      const snapshot = this.snapshotOf(instanceId);
      if (!snapshot) return undefined;
      const sealed = seal(snapshot);
      if (!sealed) return snapshot;
      this.writeInstanceRow(sealed.instance, { input: snapshot.instance.input, runs: snapshot.instance.runs });
      this.writeStep(sealed.instance, snapshot.instance.historyLength, sealed.history);
      this.exec(`DELETE FROM inbox WHERE instance_id = ?`, instanceId);
      this.exec(`DELETE FROM activities WHERE instance_id = ?`, instanceId);
      this.inboxRows.set(instanceId, 0);
      this.inboxEarliest = undefined;
      if (sealed.instance.runtimeStatus !== snapshot.instance.runtimeStatus) this.queueIndex(instanceId, sealed.instance);
      after(() => {
        for (const item of [...this.queue.values()]) if (item.instanceId === instanceId) this.forget(item.id);
        for (const [id, m] of [...this.results]) if (m.instanceId === instanceId) this.results.delete(id);
      });
      return snapshot;
    });
  }

  /** Everything stored for one instance: results held in memory or in activity rows count as inbox messages. */
  private snapshotOf(instanceId: string): InstanceSnapshot | undefined {
    const record = this.current(instanceId);
    if (!record) return undefined;
    const inbox: InboxMessage[] = this.rows(`SELECT id, seq, execution_id, visible_at, event FROM inbox WHERE instance_id = ?`, instanceId).map((r) => inboxMessageOf(instanceId, r));
    if (this.storedResultsMaybe) {
      for (const r of this.rows(`SELECT seq, result FROM activities WHERE instance_id = ? AND result IS NOT NULL`, instanceId)) {
        inbox.push({ ...(JSON.parse(r.result as string) as InboxMessage), seq: r.seq as number });
      }
    }
    for (const m of this.results.values()) if (m.instanceId === instanceId) inbox.push({ ...m });
    inbox.sort((a, b) => a.seq! - b.seq!);
    const activities: ActivityWorkItem[] = [];
    for (const { seq: _seq, ...item } of this.queue.values()) if (item.instanceId === instanceId) activities.push(item);
    return { instance: this.full(instanceId, record), history: this.historyFrom(instanceId, 0), inbox, activities };
  }

  async importInstance(snapshot: InstanceSnapshot, options: CreateOptions): Promise<void> {
    return this.importInstances([snapshot], options);
  }

  /** Every check, then every write, in one transaction (of this object: the Worker imports a tree's instances each in its own). */
  async importInstances(snapshots: readonly InstanceSnapshot[], options: CreateOptions): Promise<void> {
    this.open();
    this.transaction((after) => {
      const existing = snapshots.map(({ instance: { instanceId } }) => {
        const row = this.current(instanceId);
        if (row && !options.overwritableStatuses.includes(row.runtimeStatus)) {
          throw new DurableError(
            "InstanceAlreadyExists",
            `An instance with ID '${instanceId}' already exists here and is ${row.runtimeStatus}. Terminate or purge it first, or import under another instance ID.`,
          );
        }
        return row !== undefined;
      });
      snapshots.forEach((snapshot, i) => {
        const instanceId = snapshot.instance.instanceId;
        if (existing[i]) this.deleteAll(instanceId, after);
        this.exec(`INSERT OR REPLACE INTO instances (instance_id, input, runs) VALUES (?, ?, ?)`, instanceId, snapshot.instance.input, runsText(snapshot.instance.runs));
        this.writeStep(snapshot.instance, 0, snapshot.history);
        for (const m of snapshot.inbox) this.appendLocal({ id: m.id, instanceId, executionId: m.executionId, visibleAt: m.visibleAt, event: m.event });
        for (const a of snapshot.activities) this.enqueueActivity({ ...a, instanceId }, after, []);
        this.queueIndex(instanceId, snapshot.instance);
      });
    });
  }

  // --- outbox ---

  takeOutbox(now: number, limit: number): OutboxEntry[] {
    this.open();
    if (!this.outboxMaybe) return [];
    const rows = this.anyEntityRetry()
      ? // An entity's message waits behind an earlier one for the same entity that is not due yet (see the module comment).
        this.rows(
          `SELECT * FROM outbox o WHERE due_at <= ?1 AND NOT (${ENTITY_MESSAGE} AND EXISTS (
             SELECT 1 FROM outbox p WHERE p.kind = 'message' AND p.target = o.target AND p.due_at > ?1 AND ${EARLIER}))
           ORDER BY seq, id LIMIT ?2`,
          now,
          limit,
        )
      : this.rows(`SELECT * FROM outbox WHERE due_at <= ? ORDER BY seq, id LIMIT ?`, now, limit);
    return rows.map((r) => {
      const kind = r.kind as OutboxEntry["kind"];
      const payload = JSON.parse(r.payload as string) as InboxMessage | IndexUpdate;
      return {
        id: r.id as string,
        kind,
        target: r.target as string,
        rev: r.rev as number,
        attempts: r.attempts as number,
        ...(kind === "message" ? { message: payload as InboxMessage } : { index: payload as IndexUpdate }),
      };
    });
  }

  /** Whether some message for an entity waits for a retry (checked after such a failure, then known false until the next). */
  private anyEntityRetry(): boolean {
    if (!this.entityRetriesMaybe) return false;
    this.entityRetriesMaybe = this.rows(`SELECT 1 AS x FROM outbox o WHERE ${ENTITY_MESSAGE} AND due_at > 0 LIMIT 1`).length > 0;
    return this.entityRetriesMaybe;
  }

  settleOutbox(delivered: readonly OutboxEntry[], failed: readonly OutboxEntry[], retryAt: number): void {
    this.open();
    if (delivered.length === 0 && failed.length === 0) return;
    this.transaction(() => {
      for (const e of delivered) this.exec(`DELETE FROM outbox WHERE id = ? AND rev = ?`, e.id, e.rev);
      for (const e of failed) this.exec(`UPDATE outbox SET due_at = ?, attempts = attempts + 1 WHERE id = ? AND rev = ?`, retryAt, e.id, e.rev);
      if (failed.length > 0) this.workDueAt = retryAt;
      if (failed.some((e) => e.kind === "message" && isEntityInstanceId(e.target))) this.entityRetriesMaybe = true;
    });
  }

  nextOutboxAt(): number | null {
    this.open();
    if (!this.outboxMaybe) return null;
    // With entity messages waiting behind a retry, what falls due first is the head of an entity's line, or any other entry.
    const r = this.anyEntityRetry()
      ? this.rows(`SELECT MIN(due_at) AS d FROM outbox o WHERE NOT (${ENTITY_MESSAGE} AND EXISTS (SELECT 1 FROM outbox p WHERE p.kind = 'message' AND p.target = o.target AND ${EARLIER}))`)[0]
      : this.rows(`SELECT MIN(due_at) AS d FROM outbox`)[0];
    if (typeof r?.d !== "number") {
      this.outboxMaybe = false;
      return null;
    }
    return r.d;
  }

  // --- internals (called inside a transaction) ---

  /**
   * Writes what `instances` holds of the row (its input and earlier runs) where it differs from
   * `stored` (what it holds now; undefined: no row yet). Both change only when an execution
   * starts or ends, so most commits write nothing here.
   */
  private writeInstanceRow(instance: InstanceRecord, stored: { input: string | null; runs: RunChain | undefined } | undefined): void {
    if (stored === undefined) {
      this.exec(`INSERT OR REPLACE INTO instances (instance_id, input, runs) VALUES (?, ?, ?)`, instance.instanceId, instance.input, runsText(instance.runs));
    } else if (instance.runs !== stored.runs && runsText(instance.runs) !== runsText(stored.runs)) {
      this.exec(`UPDATE instances SET input = ?, runs = ? WHERE instance_id = ?`, instance.input, runsText(instance.runs), instance.instanceId);
    } else if (instance.input !== stored.input) {
      this.exec(`UPDATE instances SET input = ? WHERE instance_id = ?`, instance.input, instance.instanceId);
    }
  }

  private writeStep(instance: InstanceRecord, firstIndex: number, events: readonly HistoryEvent[]): void {
    const { input, runs, ...record } = instance;
    this.records.set(instance.instanceId, { record, input, runs });
    let json = events.length === 0 ? "[]" : JSON.stringify(events);
    let count = events.length;
    if (overUtf8Limit(json, PART_BYTES)) {
      // Larger than one SQLite value may be: the first part goes with the record, the rest apart.
      const parts = splitEvents(events, PART_BYTES);
      json = parts[0]!.json;
      count = parts[0]!.count;
      let index = firstIndex + count;
      this.partsMaybe = true;
      for (const part of parts.slice(1)) {
        this.exec(
          `INSERT OR REPLACE INTO history_parts (instance_id, first_index, event_count, events) VALUES (?, ?, ?, ?)`,
          instance.instanceId,
          index,
          part.count,
          part.json,
        );
        index += part.count;
      }
    }
    this.exec(
      `INSERT OR REPLACE INTO steps (instance_id, etag, first_index, event_count, record, events) VALUES (?, ?, ?, ?, ?, ?)`,
      instance.instanceId,
      instance.etag,
      firstIndex,
      count,
      JSON.stringify(record),
      json,
    );
  }

  /** Deletes an instance's history: its steps and the parts of large ones. */
  private deleteHistory(instanceId: string): void {
    this.exec(`DELETE FROM steps WHERE instance_id = ?`, instanceId);
    if (this.partsMaybe) this.exec(`DELETE FROM history_parts WHERE instance_id = ?`, instanceId);
  }

  private route(m: InboxMessage): void {
    if (this.isLocal(m.instanceId)) this.appendLocal(m);
    else {
      this.outboxMaybe = true;
      this.workDueAt = 0;
      const { seq: _seq, ...message } = m;
      const seq = this.seq + 1;
      const written = this.exec(
        `INSERT OR IGNORE INTO outbox (id, kind, target, payload, rev, due_at, seq) VALUES (?, 'message', ?, ?, 0, 0, ?)`,
        `m\u0000${m.instanceId}\u0000${m.id}`,
        m.instanceId,
        JSON.stringify(message),
        seq,
      );
      if (written > 0) this.seq = seq;
    }
  }

  private appendLocal(m: InboxMessage): void {
    const seq = this.seq + 1;
    const written = this.exec(
      `INSERT OR IGNORE INTO inbox (instance_id, id, seq, execution_id, visible_at, event) VALUES (?, ?, ?, ?, ?, ?)`,
      m.instanceId,
      m.id,
      seq,
      m.executionId,
      m.visibleAt,
      JSON.stringify(m.event),
    );
    if (written > 0) {
      this.seq = seq;
      this.workDueAt = Math.min(this.workDueAt, m.visibleAt);
      this.countInbox(m.instanceId, written);
      if (this.inboxEarliest !== undefined) this.inboxEarliest = Math.min(this.inboxEarliest ?? Infinity, m.visibleAt);
    }
  }

  /** The earliest `visible_at` of the inbox (null: empty), read once and then kept (see `inboxEarliest`). */
  private earliestInbox(): number | null {
    if (this.inboxEarliest === undefined) {
      const r = this.rows(`SELECT MIN(visible_at) AS v FROM inbox`)[0];
      this.inboxEarliest = typeof r?.v === "number" ? r.v : null;
    }
    return this.inboxEarliest;
  }

  /** Keeps the number of inbox rows of an instance whose number is known (see `inboxRows`). */
  private countInbox(instanceId: string, delta: number): void {
    if (delta < 0) this.inboxEarliest = undefined;
    const known = this.inboxRows.get(instanceId);
    if (known !== undefined) this.inboxRows.set(instanceId, Math.max(0, known + delta));
  }

  /** The activity whose result message `id` is (held in memory or stored in its row), or null. */
  private consumedActivity(instanceId: string, id: string): string | null {
    if (!id.endsWith(RESULT_SUFFIX)) return null;
    const activityId = id.slice(0, -RESULT_SUFFIX.length);
    if (this.results.get(activityId)?.instanceId === instanceId) return activityId;
    if (!this.storedResultsMaybe) return null;
    const stored = this.rows(`SELECT 1 AS x FROM activities WHERE id = ? AND instance_id = ? AND result IS NOT NULL`, activityId, instanceId);
    return stored.length > 0 ? activityId : null;
  }

  /** Inserts the activity (unless its id is queued already), reusing a consumed activity's row when there is one. */
  private enqueueActivity(a: ActivityWorkItem, after: (effect: () => void) => void, recyclable: string[]): void {
    if (this.rows(`SELECT 1 AS x FROM activities WHERE id = ?`, a.id).length > 0) return;
    const seq = ++this.seq;
    const values: SqlValue[] = [a.id, a.instanceId, a.executionId, a.taskId, a.name, a.input, a.enqueuedAt, seq];
    const reuse = recyclable.pop();
    if (reuse === undefined) {
      this.exec(`INSERT INTO activities (id, instance_id, execution_id, task_id, name, input, enqueued_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, ...values);
    } else {
      this.exec(
        `UPDATE activities SET id = ?, instance_id = ?, execution_id = ?, task_id = ?, name = ?, input = ?, enqueued_at = ?, seq = ?,
           visible_at = NULL, result = NULL WHERE id = ?`,
        ...values,
        reuse,
      );
    }
    const item = { ...a, seq };
    this.workDueAt = 0;
    after(() => this.queue.set(item.id, item));
  }

  private dropExecution(instanceId: string, executionId: string, after: (effect: () => void) => void): void {
    this.countInbox(instanceId, -this.exec(`DELETE FROM inbox WHERE instance_id = ? AND execution_id = ?`, instanceId, executionId));
    this.exec(`DELETE FROM activities WHERE instance_id = ? AND execution_id = ?`, instanceId, executionId);
    after(() => {
      for (const item of [...this.queue.values()]) if (item.instanceId === instanceId && item.executionId === executionId) this.forget(item.id);
      for (const [id, m] of [...this.results]) if (m.instanceId === instanceId && m.executionId === executionId) this.results.delete(id);
    });
  }

  private deleteAll(instanceId: string, after: (effect: () => void) => void): void {
    this.deleteHistory(instanceId);
    for (const table of ["instances", "inbox", "activities"]) this.exec(`DELETE FROM ${table} WHERE instance_id = ?`, instanceId);
    this.records.set(instanceId, null);
    this.inboxRows.set(instanceId, 0);
    this.inboxEarliest = undefined;
    after(() => {
      for (const item of [...this.queue.values()]) if (item.instanceId === instanceId) this.forget(item.id);
      for (const [id, m] of [...this.results]) if (m.instanceId === instanceId) this.results.delete(id);
    });
  }

  private forget(activityId: string): void {
    this.queue.delete(activityId);
    this.leases.delete(activityId);
    this.dequeues.delete(activityId);
  }

  private queueIndex(instanceId: string, record: InstanceRecord | null): void {
    if (!this.indexShardOf) return;
    this.outboxMaybe = true;
    this.workDueAt = 0;
    const version = this.nextVersion();
    // An entity's document (its state, its queue) is not the index's business: listings read it from the row.
    // Nor are an instance's earlier runs: listings do not show them, and status reads come from the row.
    const listed = record && (isEntityInstanceId(instanceId) ? { ...record, input: null } : record.runs ? { ...record, runs: undefined } : record);
    const update: IndexUpdate = { instanceId, version, record: listed };
    this.exec(
      `INSERT OR REPLACE INTO outbox (id, kind, target, payload, rev, due_at, attempts, seq) VALUES (?, 'index', ?, ?, ?, 0, 0, ?)`,
      `i\u0000${instanceId}`,
      this.indexShardOf(instanceId),
      JSON.stringify(update),
      version,
      ++this.seq,
    );
  }
}

/** The `instances.runs` column: JSON, or NULL for an instance without earlier runs. */
function runsText(runs: RunChain | undefined): string | null {
  return runs ? JSON.stringify(runs) : null;
}

function runsOf(value: SqlValue | undefined): RunChain | undefined {
  return typeof value === "string" ? (JSON.parse(value) as RunChain) : undefined;
}

function toActivity(r: Record<string, SqlValue>): ActivityWorkItem & { seq: number } {
  return {
    id: r.id as string,
    instanceId: r.instance_id as string,
    executionId: r.execution_id as string,
    taskId: r.task_id as number,
    name: r.name as string,
    input: r.input as string | null,
    enqueuedAt: r.enqueued_at as number,
    seq: r.seq as number,
  };
}

/**
 * A message for an entity as it arrives from another object (or from a client): if it is due
 * already, it counts as arrived `now`, so that the entity's batch order (visibleAt, then seq) is
 * arrival order, which the outbox keeps equal to each sender's send order, whatever the clocks of
 * the senders (other objects, other machines, the Worker's isolates). A scheduled one keeps its time.
 */
export function arrived(m: InboxMessage, now: number): InboxMessage {
  return isEntityInstanceId(m.instanceId) && m.visibleAt < now ? { ...m, visibleAt: now } : m;
}

/** Whether a row passes a list query's filters (status, created range, id prefix, position). */
export function matchesQuery(row: InstanceRecord, query: Omit<InstanceQuery, "limit">): boolean {
  if (query.runtimeStatus && !query.runtimeStatus.includes(row.runtimeStatus)) return false;
  if (query.createdFrom !== undefined && row.createdAt < query.createdFrom) return false;
  if (query.createdTo !== undefined && row.createdAt > query.createdTo) return false;
  if (!listedByPrefix(row.instanceId, query.instanceIdPrefix)) return false;
  const after = query.after;
  if (after && (row.createdAt < after.createdAt || (row.createdAt === after.createdAt && row.instanceId <= after.instanceId))) return false;
  return true;
}

/** List order: createdAt, then instanceId. */
export function compareListOrder(a: { createdAt: number; instanceId: string }, b: { createdAt: number; instanceId: string }): number {
  return a.createdAt - b.createdAt || (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0);
}

/**
 * The most one SQLite value of this store holds: SQLite in Durable Objects refuses a string over
 * about 1,000,000 bytes (`SQLITE_TOOBIG`); a step's history beyond it is stored in parts.
 */
export const PART_BYTES = 900_000;

/** Consecutive runs of `events`, each at most `limit` UTF-8 bytes as a JSON array (one event never exceeds it: values are bounded by `LIMITS`). */
function splitEvents(events: readonly HistoryEvent[], limit: number): { json: string; count: number }[] {
  const parts: { json: string; count: number }[] = [];
  let texts: string[] = [];
  let bytes = 2;
  for (const e of events) {
    const text = JSON.stringify(e);
    const size = utf8Length(text) + 1;
    if (texts.length > 0 && bytes + size > limit) {
      parts.push({ json: `[${texts.join(",")}]`, count: texts.length });
      texts = [];
      bytes = 2;
    }
    texts.push(text);
    bytes += size;
  }
  if (texts.length > 0) parts.push({ json: `[${texts.join(",")}]`, count: texts.length });
  return parts;
}

/** An inbox row (`id, seq, execution_id, visible_at, event`) as the message it stores. */
function inboxMessageOf(instanceId: string, r: Record<string, SqlValue>): InboxMessage {
  return {
    id: r.id as string,
    instanceId,
    executionId: r.execution_id as string | null,
    visibleAt: r.visible_at as number,
    event: JSON.parse(r.event as string) as HistoryEvent,
    seq: r.seq as number,
  };
}
