/**
 * The store contract on IndexedDB (through `idb`). Each call is one transaction; `commitSteps` puts
 * a whole batch of steps in one readwrite transaction (group commit) in two rounds of requests: first
 * every read the batch needs (the etag fences, the inbox seq counter), then every write, issued
 * synchronously. Creations and activity completions that arrive together share a transaction too.
 * Nothing but IndexedDB requests is awaited inside a transaction, and any failure aborts it whole.
 *
 * Chromium sends every request to the browser process, so requests, more than transactions, are
 * what a step costs: a step's events are one history row, and idempotent inserts are single `add`
 * requests whose "already there" error is swallowed instead of a read before each write.
 */
import { unwrap, type IDBPDatabase, type IDBPTransaction } from "idb";
import { DurableError } from "../../src/errors.ts";
import type { HistoryEvent } from "../../src/history.ts";
import type { RuntimeStatus } from "../../src/status.ts";
import type {
  ClaimOptions,
  ClaimedActivity,
  ClaimedWork,
  CommitOutcome,
  CreateOptions,
  InboxMessage,
  InstancePage,
  InstanceQuery,
  InstanceRecord,
  StepCommit,
  StepInput,
  StepRequest,
  Store,
} from "../../src/store.ts";
import { GroupCommitQueue, type ItemOutcome } from "./group-commit-queue.ts";
import { toStoreError } from "./errors.ts";
import { defaultFactory, openDatabase } from "./open.ts";
import type { ActivityRow, DurableDb, HistoryRow, InboxRow, StoreName } from "./schema.ts";

interface Completion {
  activity: ClaimedActivity;
  result: InboxMessage;
}

interface Creation {
  instance: InstanceRecord;
  start: InboxMessage;
  options: CreateOptions;
}

export interface IndexedDbStoreOptions {
  /** The database name (default "durable-edge"). Stores with the same name share their data. */
  name?: string;
  /** Default: the global `indexedDB`. Tests pass a fresh `fake-indexeddb` factory. */
  indexedDB?: IDBFactory;
  /** Passed to every readwrite transaction (Chromium: "relaxed" is fastest, "strict" flushes to disk). */
  durability?: IDBTransactionDurability;
  /** How long to wait while another tab keeps an older schema version open (default 10,000 ms). */
  blockedTimeoutMs?: number;
  /** Called once if the store closes on its own: another tab deleted or upgraded the database. */
  onClose?: (error: DurableError) => void;
}

export interface IndexedDbStore extends Store {
  readonly databaseName: string;
  /** Opens the database now instead of on first use; rejects with a typed error. */
  open(): Promise<void>;
  /**
   * Makes every leased activity claimable again at once and returns how many there were. Call it
   * only when no other worker can still be running one (the browser host does when its tab becomes
   * the only leader: the previous leader's tab is gone, and so are its activities).
   */
  releaseLeases(): Promise<number>;
  /** How many readwrite transactions committed steps, and how many steps they held (for tests and benchmarks). */
  readonly stats: StoreStats;
}

export interface StoreStats {
  commitTransactions: number;
  commits: number;
  completionTransactions: number;
  completions: number;
  createTransactions: number;
  creates: number;
}

export const DEFAULT_DATABASE_NAME = "durable-edge";

/** Creates the store; the database opens on first use (or on `open()`). */
export function createIndexedDbStore(options: IndexedDbStoreOptions = {}): IndexedDbStore {
  return new IdbStore(options);
}

type Db = IDBPDatabase<DurableDb>;
type Tx<S extends StoreName[], M extends IDBTransactionMode> = IDBPTransaction<DurableDb, S, M>;

const SEQ_KEY = "seq";
/** Every key of one instance in a store keyed by `[instanceId, …]` (arrays sort after strings and numbers). */
const instanceRange = (instanceId: string) => IDBKeyRange.bound([instanceId], [instanceId, []]);
/** Every activity of one execution. */
const executionRange = (instanceId: string, executionId: string) => IDBKeyRange.bound([instanceId, executionId], [instanceId, executionId, []]);
const activityKey = (a: { instanceId: string; executionId: string; id: string }): [string, string, string] => [a.instanceId, a.executionId, a.id];
const bySeq = (a: InboxRow, b: InboxRow) => a.seq - b.seq;

class IdbStore implements IndexedDbStore {
  readonly databaseName: string;
  readonly stats: StoreStats = { commitTransactions: 0, commits: 0, completionTransactions: 0, completions: 0, createTransactions: 0, creates: 0 };
  private readonly options: IndexedDbStoreOptions;
  private dbPromise: Promise<Db> | null = null;
  private db: Db | null = null;
  private closedError: DurableError | null = null;
  private readonly leasePrefix = Math.random().toString(36).slice(2, 10);
  private leaseCounter = 0;
  /** A hint: this store queued activities since its last leasing claim (see `claimWork`). */
  private activitiesQueuedHere = true;
  private readonly completions = new GroupCommitQueue<Completion, boolean>((batch) => this.applyCompletions(batch));
  private readonly creations = new GroupCommitQueue<Creation, void>((batch) => this.applyCreations(batch));

  constructor(options: IndexedDbStoreOptions) {
    this.options = options;
    this.databaseName = options.name ?? DEFAULT_DATABASE_NAME;
  }

  async open(): Promise<void> {
    await this.connection();
  }

  // --- instances ---

  createInstance(instance: InstanceRecord, start: InboxMessage, options: CreateOptions): Promise<void> {
    if (this.closedError) return Promise.reject(this.closedError);
    return this.creations.add({ instance, start, options });
  }

  /** Creates a batch of instances in one transaction; each fails alone if a live instance has its id. */
  private async applyCreations(batch: readonly Creation[]): Promise<ItemOutcome<void>[]> {
    const outcomes = await this.write("createInstance", ["instances", "history", "inbox", "activities", "meta"], async (tx) => {
      const ids = [...new Set(batch.map((c) => c.instance.instanceId))];
      const [rows, seq] = await Promise.all([Promise.all(ids.map((id) => tx.objectStore("instances").get(id))), tx.objectStore("meta").get(SEQ_KEY)]);
      const current = new Map(ids.map((id, i) => [id, rows[i]]));
      const state = new BatchState(unwrap(tx as unknown as Tx<StoreName[], "readwrite">), seq ?? 0);
      const outcomes = batch.map(({ instance, start, options }): ItemOutcome<void> => {
        const id = instance.instanceId;
        const existing = current.get(id);
        if (existing && !options.overwritableStatuses.includes(existing.runtimeStatus)) {
          return {
            ok: false,
            error: new DurableError(
              "InstanceAlreadyExists",
              `An instance with ID '${id}' already exists and is ${existing.runtimeStatus}. Wait for it to finish, terminate it, or start with another instance ID.`,
            ),
          };
        }
        if (existing) deleteEverythingOf(state.raw, id);
        state.raw.objectStore("instances").put(instance);
        state.append(start);
        current.set(id, instance);
        return { ok: true, value: undefined };
      });
      state.finish();
      return outcomes;
    });
    this.stats.createTransactions++;
    this.stats.creates += batch.length;
    return outcomes;
  }

  async getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    return this.read("getInstance", async (db) => db.get("instances", instanceId));
  }

  async getHistory(instanceId: string): Promise<HistoryEvent[]> {
    return this.read("getHistory", async (db) => (await db.getAll("history", instanceRange(instanceId))).flatMap((r) => r.events));
  }

  async listInstances(query: InstanceQuery): Promise<InstancePage> {
    return this.read("listInstances", async (db) => {
      const tx = db.transaction("instances", "readonly");
      const index = tx.store.index("byCreated");
      let lower: [number, string] | null = query.createdFrom !== undefined ? [query.createdFrom, ""] : null;
      let lowerOpen = false;
      const after = query.after;
      if (after && (!lower || after.createdAt >= lower[0])) {
        lower = [after.createdAt, after.instanceId];
        lowerOpen = true;
      }
      const upper = query.createdTo !== undefined ? [query.createdTo, []] : null;
      const chunk = Math.max(query.limit + 1, 100);
      const matches: InstanceRecord[] = [];
      for (;;) {
        const range =
          lower && upper ? IDBKeyRange.bound(lower, upper, lowerOpen) : lower ? IDBKeyRange.lowerBound(lower, lowerOpen) : upper ? IDBKeyRange.upperBound(upper) : undefined;
        const rows = await index.getAll(range, chunk);
        for (const r of rows) {
          if (query.runtimeStatus && !query.runtimeStatus.includes(r.runtimeStatus)) continue;
          if (query.instanceIdPrefix && !r.instanceId.startsWith(query.instanceIdPrefix)) continue;
          matches.push(r);
        }
        const last = rows[rows.length - 1];
        if (rows.length < chunk || matches.length > query.limit || !last) break;
        lower = [last.createdAt, last.instanceId];
        lowerOpen = true;
      }
      const items = matches.slice(0, query.limit);
      const end = items[items.length - 1];
      return { items, next: matches.length > query.limit && end ? { createdAt: end.createdAt, instanceId: end.instanceId } : null };
    });
  }

  async purgeInstance(instanceId: string, onlyIfStatus: readonly RuntimeStatus[]): Promise<boolean> {
    return this.write("purgeInstance", ["instances", "history", "inbox", "activities"], async (tx) => {
      const row = await tx.objectStore("instances").get(instanceId);
      if (!row || !onlyIfStatus.includes(row.runtimeStatus)) return false;
      deleteEverythingOf(unwrap(tx), instanceId);
      return true;
    });
  }

  // --- steps ---

  async loadSteps(requests: readonly StepRequest[], now: number): Promise<StepInput[]> {
    if (requests.length === 0) return [];
    return this.read("loadSteps", async (db) => {
      const tx = db.transaction(["instances", "history", "inbox"], "readonly");
      const instances = tx.objectStore("instances");
      const history = tx.objectStore("history");
      const inboxes = tx.objectStore("inbox");
      // A cached step whose etag still matches has no new history (every commit bumps the etag), so
      // its history is not read at all; everything else reads the whole history.
      const first = await Promise.all(
        requests.map(({ instanceId, cached }) =>
          Promise.all([instances.get(instanceId), cached ? null : history.getAll(instanceRange(instanceId)), inboxes.getAll(instanceRange(instanceId))]),
        ),
      );
      const hit = requests.map(({ cached }, i) => {
        const row = first[i]![0];
        return cached !== undefined && row !== undefined && row.etag === cached.etag && row.historyLength === cached.historyLength;
      });
      // A cache that turned out stale needs the whole history: one more round, same transaction.
      const refetched = await Promise.all(requests.map(({ instanceId, cached }, i) => (cached && !hit[i] ? history.getAll(instanceRange(instanceId)) : null)));
      return requests.map(({ instanceId, cached }, i) => {
        const [row, full, inbox] = first[i]!;
        return {
          instanceId,
          instance: row,
          history: hit[i] ? [] : (full ?? refetched[i] ?? []).flatMap((h) => h.events),
          historyFrom: hit[i] ? cached!.historyLength : 0,
          messages: inbox.filter((m) => m.visibleAt <= now).sort(bySeq),
        };
      });
    });
  }

  async commitSteps(commits: readonly StepCommit[]): Promise<CommitOutcome[]> {
    if (commits.length === 0) return [];
    const stores = storesTouchedBy(commits);
    const outcomes = await this.write("commitSteps", stores, async (tx) => {
      const t = tx as unknown as Tx<StoreName[], "readwrite">;
      const ids = [...new Set(commits.map((c) => c.instanceId))];
      const appends = commits.some((c) => c.messages.length > 0);
      const drops = commits.filter((c) => c.dropExecution !== null);
      const [rows, seq, dropped] = await Promise.all([
        Promise.all(ids.map((id) => t.objectStore("instances").get(id))),
        appends ? t.objectStore("meta").get(SEQ_KEY) : undefined,
        Promise.all(drops.map((c) => t.objectStore("inbox").getAll(instanceRange(c.instanceId)))),
      ]);
      const state = new BatchState(unwrap(t), seq ?? 0);
      ids.forEach((id, i) => state.rows.set(id, rows[i]));
      drops.forEach((c, i) => state.dropReads.set(c, dropped[i]!));
      const outcomes = commits.map((c) => state.apply(c));
      state.finish();
      return outcomes;
    });
    if (commits.some((c, i) => outcomes[i] === "committed" && c.activities.length > 0)) this.activitiesQueuedHere = true;
    this.stats.commitTransactions++;
    this.stats.commits += commits.length;
    return outcomes;
  }

  async appendMessages(messages: readonly InboxMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.write("appendMessages", ["inbox", "meta"], async (tx) => {
      const seq = await tx.objectStore("meta").get(SEQ_KEY);
      const state = new BatchState(unwrap(tx as unknown as Tx<StoreName[], "readwrite">), seq ?? 0);
      for (const m of messages) state.append(m);
      state.finish();
    });
  }

  // --- work ---

  /**
   * When this store just queued activities, it leases them straight away in one readwrite
   * transaction. Otherwise it looks in a readonly transaction first (cheaper, and it does not hold up
   * writers), and opens a readwrite one only if there is something to lease. Both paths are correct
   * for any writer; the hint only picks the faster one.
   */
  async claimWork(now: number, options: ClaimOptions): Promise<ClaimedWork> {
    const wantsActivities = options.activityLimit > 0;
    if (wantsActivities && this.activitiesQueuedHere) return this.claimLeasing(now, options);
    const { instanceIds, leasable } = await this.read("claimWork", async (db) => {
      const tx = db.transaction(["inbox", "activities"], "readonly");
      const [visible, leasable] = await Promise.all([
        readyInstances(tx.objectStore("inbox"), now, options),
        wantsActivities ? tx.objectStore("activities").index("byLockedUntil").count(IDBKeyRange.upperBound(now)) : 0,
      ]);
      return { instanceIds: visible, leasable };
    });
    if (leasable === 0) return { instanceIds, activities: [] };
    return { instanceIds, activities: (await this.claimLeasing(now, { ...options, instanceLimit: 0 })).activities };
  }

  private async claimLeasing(now: number, options: ClaimOptions): Promise<ClaimedWork> {
    this.activitiesQueuedHere = false;
    return this.write("claimWork", ["inbox", "activities"], async (tx) => {
      const [instanceIds, available] = await Promise.all([
        readyInstances(tx.objectStore("inbox"), now, options),
        tx.objectStore("activities").index("byLockedUntil").getAll(IDBKeyRange.upperBound(now), options.activityLimit),
      ]);
      const raw = unwrap(tx).objectStore("activities");
      const activities = available.map((row) => {
        const claimed: ActivityRow = { ...row, leaseToken: this.newLeaseToken(), lockedUntil: now + options.leaseMs, dequeueCount: row.dequeueCount + 1 };
        raw.put(claimed);
        return toClaimed(claimed);
      });
      return { instanceIds, activities };
    });
  }

  completeActivity(activity: ClaimedActivity, result: InboxMessage): Promise<boolean> {
    if (this.closedError) return Promise.reject(this.closedError);
    return this.completions.add({ activity, result });
  }

  /** Applies a batch of completions in one transaction; each applies only if its lease is still held. */
  private async applyCompletions(batch: readonly Completion[]): Promise<ItemOutcome<boolean>[]> {
    const outcomes = await this.write("completeActivity", ["activities", "inbox", "meta"], async (tx) => {
      const [rows, seq] = await Promise.all([
        Promise.all(batch.map(({ activity }) => tx.objectStore("activities").get(activityKey(activity)))),
        tx.objectStore("meta").get(SEQ_KEY),
      ]);
      const state = new BatchState(unwrap(tx as unknown as Tx<StoreName[], "readwrite">), seq ?? 0);
      const completed = new Set<string>();
      const outcomes = batch.map(({ activity, result }, i): ItemOutcome<boolean> => {
        const row = rows[i];
        if (!row || row.leaseToken !== activity.leaseToken || completed.has(activity.id)) return { ok: true, value: false };
        completed.add(activity.id);
        state.raw.objectStore("activities").delete(activityKey(activity));
        state.append(result);
        return { ok: true, value: true };
      });
      state.finish();
      return outcomes;
    });
    this.stats.completionTransactions++;
    this.stats.completions += batch.length;
    return outcomes;
  }

  async nextWakeAt(): Promise<number | null> {
    return this.read("nextWakeAt", async (db) => {
      const tx = db.transaction(["inbox", "activities"], "readonly");
      const [message, activity] = await Promise.all([
        tx.objectStore("inbox").index("byVisibleAt").openKeyCursor(),
        tx.objectStore("activities").index("byLockedUntil").openKeyCursor(),
      ]);
      const next = Math.min(message ? message.key : Infinity, activity ? activity.key : Infinity);
      return next === Infinity ? null : next;
    });
  }

  async releaseLeases(): Promise<number> {
    return this.write("releaseLeases", ["activities"], async (tx) => {
      const leased = await tx.objectStore("activities").index("byLockedUntil").getAll(IDBKeyRange.lowerBound(0, true));
      const raw = unwrap(tx).objectStore("activities");
      for (const row of leased) raw.put({ ...row, lockedUntil: 0 } satisfies ActivityRow);
      if (leased.length > 0) this.activitiesQueuedHere = true;
      return leased.length;
    });
  }

  async close(): Promise<void> {
    this.closedError ??= new DurableError("StoreClosed", `The IndexedDB store '${this.databaseName}' is closed; create a new one.`);
    this.completions.failPending(this.closedError);
    this.creations.failPending(this.closedError);
    const db = this.db ?? (await this.dbPromise?.catch(() => null));
    db?.close();
  }

  // --- plumbing ---

  private newLeaseToken(): string {
    return `${this.leasePrefix}:${++this.leaseCounter}`;
  }

  private connection(): Promise<Db> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (this.db) return Promise.resolve(this.db);
    this.dbPromise ??= openDatabase({
      name: this.databaseName,
      factory: this.options.indexedDB ?? defaultFactory(),
      blockedTimeoutMs: this.options.blockedTimeoutMs ?? 10_000,
      onLost: (error) => this.lost(error),
    }).then(
      (db) => {
        if (this.closedError) db.close();
        else this.db = db;
        return db;
      },
      (error: unknown) => {
        this.dbPromise = null; // a later call may succeed (e.g. once the blocking tab closed)
        throw error;
      },
    );
    return this.dbPromise;
  }

  private lost(error: DurableError): void {
    if (this.closedError) return;
    this.closedError = error;
    this.completions.failPending(error);
    this.creations.failPending(error);
    this.options.onClose?.(error);
  }

  private async read<T>(what: string, body: (db: Db) => Promise<T>): Promise<T> {
    const db = await this.connection();
    try {
      return await body(db);
    } catch (error) {
      throw this.closedError ?? toStoreError(error, this.databaseName, what);
    }
  }

  /**
   * Runs `body` in one readwrite transaction and resolves once it committed. `body` may await only
   * requests of `tx`. If it throws, or the transaction fails, the transaction aborts whole.
   */
  private async write<S extends StoreName[], T>(what: string, stores: S, body: (tx: Tx<S, "readwrite">) => Promise<T>): Promise<T> {
    const db = await this.connection();
    let tx: Tx<S, "readwrite">;
    try {
      tx = db.transaction(stores, "readwrite", this.options.durability ? { durability: this.options.durability } : undefined);
    } catch (error) {
      throw this.closedError ?? toStoreError(error, this.databaseName, what);
    }
    const done = tx.done;
    done.catch(() => undefined); // observed below; keeps an abort from surfacing as unhandled
    try {
      const result = await body(tx);
      // An explicit commit turns any later request error into an abort, even a cancelled one, so
      // transactions with add-if-absent requests wait for the automatic commit.
      if (!tolerantTransactions.has(unwrap(tx))) commitNow(tx);
      await done;
      return result;
    } catch (error) {
      try {
        tx.abort();
      } catch {
        // already finished or aborted
      }
      const cause = DurableError.is(error) ? error : ((tx as unknown as { error?: unknown }).error ?? error);
      throw this.closedError ?? toStoreError(cause, this.databaseName, what);
    }
  }
}

/**
 * The writes of one batch, applied in order against what the batch's first round read, so that
 * several commits in one transaction see each other's effects exactly as separate commits would.
 */
class BatchState {
  readonly rows = new Map<string, InstanceRecord | undefined>();
  /** The inbox of each instance whose execution a commit drops, read in the first round. */
  readonly dropReads = new Map<StepCommit, InboxRow[]>();
  /** Messages written earlier in this batch, per instance, for dropExecution. */
  private readonly added = new Map<string, { messages: InboxMessage[] }>();
  private readonly startSeq: number;

  constructor(
    readonly raw: IDBTransaction,
    private seq: number,
  ) {
    this.startSeq = seq;
  }

  apply(c: StepCommit): CommitOutcome {
    const current = this.rows.get(c.instanceId);
    if (c.expectedEtag === null ? current !== undefined : current?.etag !== c.expectedEtag) return "conflict";
    for (const id of c.deleteMessageIds) this.raw.objectStore("inbox").delete([c.instanceId, id]);
    if (c.dropExecution !== null) this.dropExecution(c, c.dropExecution);
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
    for (const a of c.activities) {
      addIfAbsent(this.raw.objectStore("activities"), { ...a, leaseToken: null, lockedUntil: 0, dequeueCount: 0 } satisfies ActivityRow);
    }
    this.rows.set(c.instanceId, c.instance ?? undefined);
    return "committed";
  }

  /** Appends a message unless its inbox already holds one with its id. */
  append(m: InboxMessage): void {
    addIfAbsent(this.raw.objectStore("inbox"), { ...m, seq: ++this.seq } satisfies InboxRow);
    this.addedTo(m.instanceId).messages.push(m);
  }

  finish(): void {
    if (this.seq !== this.startSeq) this.raw.objectStore("meta").put(this.seq, SEQ_KEY);
  }

  private dropExecution(c: StepCommit, executionId: string): void {
    const stored = this.dropReads.get(c) ?? [];
    const inbox = this.raw.objectStore("inbox");
    for (const m of [...stored, ...this.addedTo(c.instanceId).messages]) if (m.executionId === executionId) inbox.delete([m.instanceId, m.id]);
    this.raw.objectStore("activities").delete(executionRange(c.instanceId, executionId));
  }

  private addedTo(instanceId: string) {
    let entry = this.added.get(instanceId);
    if (!entry) this.added.set(instanceId, (entry = { messages: [] }));
    return entry;
  }
}

/** Transactions that issued requests whose failure is expected and cancelled (see `addIfAbsent`). */
const tolerantTransactions = new WeakSet<IDBTransaction>();

/**
 * Inserts `value` unless its key exists, in one request: the "already exists" error is cancelled,
 * so it neither aborts the transaction nor reaches the transaction's error listeners.
 */
function addIfAbsent(store: IDBObjectStore, value: unknown): void {
  tolerantTransactions.add(store.transaction);
  const request = store.add(value);
  request.onerror = (event) => {
    if (request.error?.name === "ConstraintError") {
      event.preventDefault();
      event.stopPropagation();
    }
  };
}

/**
 * Tells IndexedDB that no request follows, so a readwrite transaction commits as soon as its
 * pending requests are done instead of after one more round trip to notice. (Readonly ones are left
 * to finish on their own: measured, committing them explicitly did not help.) Harmless when the
 * transaction already finished.
 */
function commitNow(tx: { commit?: () => void }): void {
  try {
    tx.commit?.();
  } catch {
    // no longer active: it commits on its own
  }
}

/** Instances with a message visible at `now`, at most `instanceLimit`, leaving out `exclude`. */
async function readyInstances(
  inbox: { index(name: "byVisibleAt"): { getAllKeys(query: IDBKeyRange): Promise<[string, string][]> } },
  now: number,
  options: ClaimOptions,
): Promise<string[]> {
  if (options.instanceLimit <= 0) return [];
  const visible = await inbox.index("byVisibleAt").getAllKeys(IDBKeyRange.upperBound(now));
  const instanceIds: string[] = [];
  const seen = new Set<string>();
  for (const [instanceId] of visible) {
    if (instanceIds.length >= options.instanceLimit) break;
    if (seen.has(instanceId) || options.exclude?.has(instanceId)) continue;
    seen.add(instanceId);
    instanceIds.push(instanceId);
  }
  return instanceIds;
}

function storesTouchedBy(commits: readonly StepCommit[]): StoreName[] {
  const stores = new Set<StoreName>(["instances", "history"]);
  for (const c of commits) {
    if (c.messages.length > 0) stores.add("inbox").add("meta");
    if (c.deleteMessageIds.length > 0) stores.add("inbox");
    if (c.activities.length > 0) stores.add("activities");
    if (c.dropExecution !== null) stores.add("inbox").add("activities");
  }
  return [...stores];
}

/** Deletes an instance's row, history, inbox and activities: four requests, whatever their size. */
function deleteEverythingOf(raw: IDBTransaction, instanceId: string): void {
  raw.objectStore("instances").delete(instanceId);
  raw.objectStore("history").delete(instanceRange(instanceId));
  raw.objectStore("inbox").delete(instanceRange(instanceId));
  raw.objectStore("activities").delete(instanceRange(instanceId));
}

function toClaimed(row: ActivityRow): ClaimedActivity {
  return { ...row, leaseToken: row.leaseToken! };
}
