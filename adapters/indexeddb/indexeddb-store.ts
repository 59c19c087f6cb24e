/**
 * The store contract on IndexedDB (through `idb`).
 *
 * - A step is ONE readwrite transaction (`runSteps`): the first round reads every row the batch
 *   needs (none, when step memory knows the batch: see `step-memory.ts`), `plan` runs
 *   synchronously (nothing but IndexedDB requests is awaited inside, so the transaction stays
 *   alive), then every write is issued at once. A batch holds many instances' steps (group commit);
 *   each is fenced by its etag and applied or skipped alone. Any failure aborts the transaction whole.
 * - The commits of steps that ran local activities (`commitSteps`) are written from step memory
 *   too when it knows their instances (a step skipped for its local activities leaves them known),
 *   and creations grouped in one transaction read only the ids that have something stored. So a
 *   new instance run by local activities costs four requests: its row and start message, then its
 *   row again and the start message's delete. A step or commit that may plan from memory waits for
 *   this store's writes in flight first: IndexedDB would run it after them anyway, and it would
 *   find their write token and go stale.
 * - An instance row carries its history tail and first few activities (see `StoredInstance`), so a
 *   chain step writes one row.
 * - Write-behind completions: the result of an activity this store leased is held in memory and
 *   handed to the next step as an inbox message; the commit that consumes it removes the activity
 *   (see `activity-book.ts`). If the tab dies first, the activity runs again: at-least-once.
 * - A step's commit leases the activities it queues to this store at once; `claimWork` hands them
 *   out without a transaction. With `externalWritesSignalled`, `claimWork` and `nextWakeAt` answer
 *   from memory while nothing else could have written (see `work-view.ts`).
 *
 * Chromium sends every request to the browser process, so requests, more than transactions, are
 * what a step costs: a step's events and activities ride in the row it writes anyway, and
 * idempotent inserts are single `add` requests whose "already there" error is swallowed instead of
 * a read before each write.
 */
import { unwrap, type IDBPDatabase, type IDBPTransaction } from "idb";
import { DurableError } from "../../src/errors.ts";
import { listedByPrefix } from "../../src/entities/entity-id.ts";
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
  InstanceSeal,
  InstanceSnapshot,
  PurgeOptions,
  StepCommit,
  StepInput,
  StepRequest,
  Store,
} from "../../src/store.ts";
import { ActivityBook, type HeldResult } from "./activity-book.ts";
import { activityKey, BatchState, bySeq, instanceRange, SEQ_KEY, tolerantTransactions } from "./batch-state.ts";
import { historyOf, recordOf, storedRow, withInline } from "./stored-instance.ts";
import { GroupCommitQueue, type ItemOutcome } from "./group-commit-queue.ts";
import { toStoreError } from "./errors.ts";
import { defaultFactory, openDatabase } from "./open.ts";
import { ALL_STORES, type ActivityRow, type DurableDb, type HistoryRow, type InboxRow, type StoredInstance, type StoreName } from "./schema.ts";
import { WorkView, type Look } from "./work-view.ts";
import { newWriteToken, StepMemory, WRITE_TOKEN_KEY, type KnownInstance } from "./step-memory.ts";

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
  name?: string | undefined;
  /** Default: the global `indexedDB`. Tests pass a fresh `fake-indexeddb` factory. */
  indexedDB?: IDBFactory | undefined;
  /** Passed to every readwrite transaction (Chromium: "relaxed" is fastest, "strict" flushes to disk). */
  durability?: IDBTransactionDurability | undefined;
  /** How long to wait while another tab keeps an older schema version open (default 10,000 ms). */
  blockedTimeoutMs?: number | undefined;
  /** Called once if the store closes on its own: another tab deleted or upgraded the database. */
  onClose?: ((error: DurableError) => void) | undefined;
  /**
   * Promise that whoever else writes to this database calls `invalidate()` on this store afterwards
   * (the browser host does on every `wake` message from another tab). Then `claimWork` and
   * `nextWakeAt` answer from memory while nothing could have changed. Default false: they always
   * read IndexedDB.
   */
  externalWritesSignalled?: boolean | undefined;
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
  /** Someone else wrote to the database: the next `claimWork` reads IndexedDB. */
  invalidate(): void;
  /**
   * Writes the activity results held in memory (write-behind) to IndexedDB now, each only if its
   * lease still holds; returns how many were written. Call it before handing the work to another
   * tab; `close()` does it too.
   */
  flushCompletions(): Promise<number>;
  /** Counters for tests and benchmarks. */
  readonly stats: StoreStats;
}

export interface StoreStats {
  /** Readwrite transactions that committed steps, and the steps they held. */
  commitTransactions: number;
  commits: number;
  /** Transactions that stored activity results, and the completions accepted (stored or held). */
  completionTransactions: number;
  completions: number;
  /** Completions held in memory until their step (write-behind). */
  heldCompletions: number;
  createTransactions: number;
  creates: number;
  /** `claimWork` calls that read IndexedDB, and those answered from memory. */
  claimLooks: number;
  claimsFromMemory: number;
  /** Steps planned from memory with no read (see `step-memory.ts`), and those found stale and run again (steps and commits). */
  stepsFromMemory: number;
  staleMemorySteps: number;
  /** `commitSteps` commits written from memory with no read. */
  commitsFromMemory: number;
  /** Every transaction this store opened, readonly ones included. */
  transactions: number;
}

export const DEFAULT_DATABASE_NAME = "durable-edge";

/** Creates the store; the database opens on first use (or on `open()`). */
export function createIndexedDbStore(options: IndexedDbStoreOptions = {}): IndexedDbStore {
  return new IdbStore(options);
}

type Db = IDBPDatabase<DurableDb>;
type Tx<S extends StoreName[], M extends IDBTransactionMode> = IDBPTransaction<DurableDb, S, M>;

class IdbStore implements IndexedDbStore {
  readonly databaseName: string;
  readonly stats: StoreStats = {
    commitTransactions: 0,
    commits: 0,
    completionTransactions: 0,
    completions: 0,
    heldCompletions: 0,
    createTransactions: 0,
    creates: 0,
    claimLooks: 0,
    claimsFromMemory: 0,
    stepsFromMemory: 0,
    staleMemorySteps: 0,
    commitsFromMemory: 0,
    transactions: 0,
  };
  private readonly options: IndexedDbStoreOptions;
  private dbPromise: Promise<Db> | null = null;
  private db: Db | null = null;
  private closedError: DurableError | null = null;
  private readonly leasePrefix = Math.random().toString(36).slice(2, 10);
  private leaseCounter = 0;
  /** A hint: activities may be queued unleased since this store's last leasing claim (see `claimWork`). */
  private activitiesQueuedHere = true;
  private readonly book = new ActivityBook();
  private readonly view: WorkView;
  private readonly memory = new StepMemory();
  /** The latest `now` the runtime passed in; a lease running past it may be trusted in memory. */
  private latestNow = -Infinity;
  /** From the last claim: the lease length, and how many more activities the caller could take. */
  private claimTerms: { leaseMs: number; room: number } | null = null;
  private readonly completions = new GroupCommitQueue<Completion, boolean>((batch) => this.applyCompletions(batch));
  private readonly creations = new GroupCommitQueue<Creation, void>((batch) => this.applyCreations(batch));
  /** This store's writes in flight, each settling once memory knows what it wrote (see `tracked`). */
  private readonly writesInFlight = new Set<Promise<void>>();

  constructor(options: IndexedDbStoreOptions) {
    this.options = options;
    this.databaseName = options.name ?? DEFAULT_DATABASE_NAME;
    this.view = new WorkView(options.externalWritesSignalled === true);
  }

  async open(): Promise<void> {
    await this.connection();
  }

  invalidate(): void {
    this.view.invalidate();
    this.memory.forget();
  }

  // --- instances ---

  createInstance(instance: InstanceRecord, start: InboxMessage, options: CreateOptions): Promise<void> {
    if (this.closedError) return Promise.reject(this.closedError);
    return this.creations.add({ instance, start, options });
  }

  /**
   * Creates a batch of instances in one transaction; each fails alone if a live instance has its id.
   * It reads each instance's inbox too, so memory knows the new instances whole: their first step
   * reads nothing (see `step-memory.ts`).
   */
  private async applyCreations(batch: readonly Creation[]): Promise<ItemOutcome<void>[]> {
    const done = await this.ownWrite(
      async () => {
        const done = await this.write("createInstance", ALL_STORES, (tx, tokens) => this.createInTransaction(tx, tokens, batch));
        // An instance created twice in the batch is known as its last creation left it.
        this.memory.committed(done.tokenFound, done.tokenWritten, done.lastSeq, done.created.map((k) => [k.row.instanceId, k] as const));
        return done;
      },
      { keepsMemory: true },
    );
    for (const id of done.overwritten) this.book.forgetInstance(id);
    this.stats.createTransactions++;
    this.stats.creates += batch.length;
    return done.outcomes;
  }

  /** The body of a creations transaction: what it decided, and what memory may keep of it. */
  private async createInTransaction(tx: Tx<StoreName[], "readwrite">, { found, written }: WriteTokens, batch: readonly Creation[]) {
    const ids = [...new Set(batch.map((c) => c.instance.instanceId))];
    const instances = tx.objectStore("instances");
    const inbox = tx.objectStore("inbox");
    // Most new ids have no row and no inbox: two key reads over the batch's id range tell which do,
    // and only those are read (instead of two reads per id).
    const [withRow, withInbox, seq, tokenFound] = await Promise.all([
      idsHavingKeys(ids, (lo, hi, count) => instances.getAllKeys(IDBKeyRange.bound(lo, hi), count), (key) => key),
      idsHavingKeys(ids, (lo, hi, count) => inbox.getAllKeys(IDBKeyRange.bound([lo], [hi, []]), count), (key) => key[0]),
      tx.objectStore("meta").get(SEQ_KEY),
      found,
    ]);
    const [rows, inboxes] = await Promise.all([
      Promise.all(ids.map((id) => (withRow.has(id) ? instances.get(id) : undefined))),
      Promise.all(ids.map((id) => (withInbox.has(id) ? inbox.getAll(instanceRange(id)) : ([] as InboxRow[])))),
    ]);
    const current = new Map(ids.map((id, i) => [id, rows[i]]));
    const inboxOf = new Map(ids.map((id, i) => [id, inboxes[i]!]));
    const state = new BatchState(unwrap(tx), seq ?? 0);
    ids.forEach((id) => state.knowInbox(id, inboxOf.get(id)!));
    const overwritten = new Set<string>();
    const created: KnownInstance[] = [];
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
      if (existing) {
        deleteEverythingOf(state.raw, id);
        state.knowInbox(id, []);
        inboxOf.set(id, []);
        overwritten.add(id);
      }
      state.raw.objectStore("instances").put(instance);
      const appended = state.append(start);
      if (appended) inboxOf.get(id)!.push(appended);
      current.set(id, instance);
      created.push({ row: instance, activityIds: new Map(), inbox: inboxOf.get(id)! });
      return { ok: true, value: undefined };
    });
    state.finish();
    return { outcomes, overwritten, created, lastSeq: state.lastSeq, tokenFound, tokenWritten: written };
  }

  async getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    return this.read("getInstance", async (db) => {
      const row = await db.get("instances", instanceId);
      return row && recordOf(row);
    });
  }

  async getHistory(instanceId: string): Promise<HistoryEvent[]> {
    return this.read("getHistory", async (db) => {
      const tx = db.transaction(["history", "instances"], "readonly");
      const [rows, row] = await Promise.all([tx.objectStore("history").getAll(instanceRange(instanceId)), tx.objectStore("instances").get(instanceId)]);
      return historyOf(rows, row);
    });
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
          if (!listedByPrefix(r.instanceId, query.instanceIdPrefix)) continue;
          matches.push(r);
        }
        const last = rows[rows.length - 1];
        if (rows.length < chunk || matches.length > query.limit || !last) break;
        lower = [last.createdAt, last.instanceId];
        lowerOpen = true;
      }
      const items = matches.slice(0, query.limit).map(recordOf);
      const end = items[items.length - 1];
      return { items, next: matches.length > query.limit && end ? { createdAt: end.createdAt, instanceId: end.instanceId } : null };
    });
  }

  /** With `ifInboxEmpty`, the inbox is counted in the same readwrite transaction, and a result held in memory counts as a message. */
  async purgeInstance(instanceId: string, onlyIfStatus: readonly RuntimeStatus[], options: PurgeOptions = {}): Promise<boolean> {
    if (options.ifInboxEmpty && this.book.heldOf(instanceId).length > 0) return false;
    const purged = await this.ownWrite(() =>
      this.write("purgeInstance", ["instances", "history", "inbox", "activities"], async (tx) => {
        const [row, waiting] = await Promise.all([
          tx.objectStore("instances").get(instanceId),
          options.ifInboxEmpty ? tx.objectStore("inbox").count(instanceRange(instanceId)) : 0,
        ]);
        if (!row || !onlyIfStatus.includes(row.runtimeStatus)) return false;
        if (waiting > 0) return false;
        deleteEverythingOf(unwrap(tx), instanceId);
        return true;
      }),
    );
    if (purged) this.book.forgetInstance(instanceId);
    return purged;
  }

  // --- hand-over ---

  async exportInstance(instanceId: string, seal?: (snapshot: InstanceSnapshot) => InstanceSeal | null): Promise<InstanceSnapshot | undefined> {
    if (this.closedError) throw this.closedError;
    // Results held in memory are written first, so that the snapshot holds them as inbox messages.
    if (this.book.heldOf(instanceId).length > 0) await this.flushCompletions();
    const stores: StoreName[] = ["instances", "history", "inbox", "activities"];
    const readAll = async (tx: Tx<StoreName[], IDBTransactionMode>): Promise<InstanceSnapshot | undefined> => {
      const [row, history, inbox, stored] = await Promise.all([
        tx.objectStore("instances").get(instanceId),
        tx.objectStore("history").getAll(instanceRange(instanceId)),
        tx.objectStore("inbox").getAll(instanceRange(instanceId)),
        tx.objectStore("activities").getAll(instanceRange(instanceId)),
      ]);
      if (!row) return undefined;
      const activities = [...(row.inlineActivities ?? []), ...stored].map(({ id, instanceId: owner, executionId, taskId, name, input, enqueuedAt }) => ({ id, instanceId: owner, executionId, taskId, name, input, enqueuedAt }));
      return { instance: recordOf(row), history: historyOf(history, row), inbox: inbox.sort(bySeq), activities };
    };
    if (!seal) {
      return this.read("exportInstance", (db) => readAll(db.transaction(stores, "readonly") as unknown as Tx<StoreName[], "readonly">));
    }
    let sealed = false;
    const snapshot = await this.ownWrite(() =>
      this.write("exportInstance", stores, async (tx) => {
        const found = await readAll(tx as unknown as Tx<StoreName[], "readwrite">);
        if (!found) return undefined;
        const seals = seal(found);
        if (seals) {
          // The whole history in one row: the row keeps no tail, activities none inline.
          const raw = unwrap(tx as unknown as Tx<StoreName[], "readwrite">);
          const events = [...found.history, ...seals.history];
          raw.objectStore("history").delete(instanceRange(instanceId));
          if (events.length > 0) raw.objectStore("history").put({ instanceId, index: 0, events } satisfies HistoryRow);
          raw.objectStore("inbox").delete(instanceRange(instanceId));
          raw.objectStore("activities").delete(instanceRange(instanceId));
          raw.objectStore("instances").put(storedRow(seals.instance, [], [], false));
          sealed = true;
        }
        return found;
      }),
    );
    if (sealed) this.book.forgetInstance(instanceId);
    return snapshot;
  }

  async importInstance(snapshot: InstanceSnapshot, options: CreateOptions): Promise<void> {
    return this.importInstances([snapshot], options);
  }

  /** Every check, then every write, in one readwrite transaction: all or nothing. */
  async importInstances(snapshots: readonly InstanceSnapshot[], options: CreateOptions): Promise<void> {
    const overwritten = await this.ownWrite(() =>
      this.write("importInstance", ALL_STORES, async (tx) => {
        const [seq, ...rows] = await Promise.all([tx.objectStore("meta").get(SEQ_KEY), ...snapshots.map((s) => tx.objectStore("instances").get(s.instance.instanceId))]);
        snapshots.forEach(({ instance: { instanceId } }, i) => {
          const existing = rows[i];
          if (existing && !options.overwritableStatuses.includes(existing.runtimeStatus)) {
            throw new DurableError(
              "InstanceAlreadyExists",
              `An instance with ID '${instanceId}' already exists here and is ${existing.runtimeStatus}. Terminate or purge it first, or import under another instance ID.`,
            );
          }
        });
        const raw = unwrap(tx as unknown as Tx<StoreName[], "readwrite">);
        const state = new BatchState(raw, (seq as number | undefined) ?? 0);
        const replaced: string[] = [];
        snapshots.forEach((snapshot, i) => {
          const instanceId = snapshot.instance.instanceId;
          if (rows[i]) {
            deleteEverythingOf(raw, instanceId);
            replaced.push(instanceId);
          }
          if (snapshot.history.length > 0) raw.objectStore("history").put({ instanceId, index: 0, events: snapshot.history } satisfies HistoryRow);
          raw.objectStore("instances").put(storedRow(snapshot.instance, [], [], snapshot.activities.length > 0));
          for (const a of snapshot.activities) {
            const { id, executionId, taskId, name, input, enqueuedAt } = a;
            raw.objectStore("activities").put({ id, instanceId, executionId, taskId, name, input, enqueuedAt, leaseToken: null, lockedUntil: 0, dequeueCount: 0 } satisfies ActivityRow);
          }
          state.knowInbox(instanceId, []);
          for (const m of snapshot.inbox) state.append({ id: m.id, instanceId, executionId: m.executionId, visibleAt: m.visibleAt, event: m.event });
        });
        state.finish();
        return replaced;
      }),
    );
    for (const id of overwritten) this.book.forgetInstance(id);
    if (snapshots.some((s) => s.activities.length > 0)) this.activitiesQueuedHere = true;
  }

  // --- steps ---

  async loadSteps(requests: readonly StepRequest[], now: number): Promise<StepInput[]> {
    if (requests.length === 0) return [];
    this.noteNow(now);
    const held = requests.map(({ instanceId }) => this.book.heldOf(instanceId).filter((h) => h.message.visibleAt <= now));
    const loaded = await this.read("loadSteps", async (db) => {
      const tx = db.transaction(["instances", "history", "inbox", "activities"], "readonly");
      const instances = tx.objectStore("instances");
      const history = tx.objectStore("history");
      const inboxes = tx.objectStore("inbox");
      const activities = tx.objectStore("activities");
      // A cached step whose etag still matches has no new history (every commit bumps the etag), so
      // its history is not read at all; everything else reads the whole history.
      const first = await Promise.all(
        requests.map(({ instanceId, cached }, i) =>
          Promise.all([
            instances.get(instanceId),
            cached ? null : history.getAll(instanceRange(instanceId)),
            inboxes.getAll(instanceRange(instanceId)),
            Promise.all(held[i]!.map((h) => activities.get(activityKey(h.activity)))),
          ]),
        ),
      );
      const refetched = await refetchStale(
        requests,
        first.map(([row]) => ({ row })),
        (id) => history.getAll(instanceRange(id)),
      );
      return requests.map((request, i) => {
        const [row, full, inbox, stored] = first[i]!;
        const tokens = held[i]!.map((h, k) => leaseTokenOf(h.activity, row, stored[k]));
        return assembleInput(request, row, full ?? refetched[i] ?? null, inbox, sortHeld(held[i]!, tokens, inbox), now);
      });
    });
    for (const { void: gone } of loaded) for (const h of gone) this.book.settle(h);
    return loaded.map((l) => l.input);
  }

  /**
   * Loads, plans and commits a batch of steps in ONE readwrite transaction. Held results are handed
   * to the steps as messages (their lease is re-checked in IndexedDB only if it may have expired);
   * the activities the commits queue are leased to this store at once when the last claim left room.
   *
   * When memory knows every instance of the batch as this store's last step left it (see
   * `step-memory.ts`), the transaction reads nothing but the write token, and issues its writes
   * without waiting for it; if the token shows that something else wrote since, the transaction
   * aborts and the batch runs again from what IndexedDB holds.
   */
  async runSteps(requests: readonly StepRequest[], now: number, plan: (inputs: StepInput[]) => (StepCommit | null)[]): Promise<CommitOutcome[]> {
    if (this.closedError) throw this.closedError;
    if (requests.length === 0) return [];
    this.noteNow(now);
    return this.afterOwnWrites(async () => {
      const held = requests.map(({ instanceId }) => this.book.heldOf(instanceId).filter((h) => h.message.visibleAt <= now));
      const known = this.knownSteps(requests, held, now);
      if (known) {
        const outcomes = await this.stepBatch(requests, held, now, plan, known);
        if (outcomes) return outcomes;
        this.stats.staleMemorySteps += requests.length;
      }
      // After a stale plan, the caller's executors went into it: the retry hands over whole histories.
      return (await this.stepBatch(known ? requests.map(({ instanceId }) => ({ instanceId })) : requests, held, now, plan, null))!;
    });
  }

  /** What memory knows of every instance of the batch, or null if it does not know them all. */
  private knownSteps(requests: readonly StepRequest[], held: readonly HeldResult[][], now: number): KnownInstance[] | null {
    const known: KnownInstance[] = [];
    for (let i = 0; i < requests.length; i++) {
      const k = this.memory.lookup(requests[i]!);
      if (!k || !held[i]!.every((h) => h.activity.lockedUntil > now)) return null;
      known.push(k);
    }
    return known;
  }

  /**
   * One attempt at `runSteps`: from memory (`known`), or reading IndexedDB (`known` null). Resolves
   * null when memory turned out stale (the transaction aborted, nothing was written).
   */
  private async stepBatch(
    requests: readonly StepRequest[],
    held: readonly HeldResult[][],
    now: number,
    plan: (inputs: StepInput[]) => (StepCommit | null)[],
    known: KnownInstance[] | null,
  ): Promise<CommitOutcome[] | null> {
    const terms = this.claimTerms;
    let room = terms ? terms.room - this.book.handoutCount : 0;
    let settled: HeldResult[] = [];
    let state: BatchState | null = null;
    let readToken: number | undefined | null = null;
    let written = 0;
    let stale = false;
    const activityIds = new Map<string, Map<string, string>>();
    let outcomes: CommitOutcome[];
    try {
      outcomes = await this.write(
        "runSteps",
        ALL_STORES,
        async (tx, tokens) => {
          written = tokens.written;
          let first: FirstRead[];
          let seq: number;
          if (known) {
            // Not awaited before planning: checked before the commit (below).
            readToken = this.memory.token;
            seq = this.memory.lastSeq;
            first = requests.map(({ cached }, i) => ({
              row: known[i]!.row,
              // Without the caller's executor, the row's tail is the whole history (see `lookup`).
              history: cached ? null : [],
              // Known whole as surely as by a read: the write token fences it.
              inbox: [...known[i]!.inbox],
              tokens: held[i]!.map((h) => h.activity.leaseToken),
              activityIds: new Map(known[i]!.activityIds),
            }));
          } else {
            let storedSeq: number | undefined;
            [first, readToken, storedSeq] = await Promise.all([
              this.readSteps(tx, requests, held, now),
              tokens.found,
              tx.objectStore("meta").get(SEQ_KEY),
            ]);
            seq = storedSeq ?? 0;
          }
          const refetched = await refetchStale(requests, first, (id) => tx.objectStore("history").getAll(instanceRange(id)));
          const loaded = requests.map((request, i) => {
            const { row, history, inbox, tokens } = first[i]!;
            return assembleInput(request, row, history ?? refetched[i] ?? null, inbox, sortHeld(held[i]!, tokens, inbox), now);
          });
          const commits = plan(loaded.map((l) => l.input));
          if (commits.length !== requests.length) throw new DurableError("InvalidState", `plan returned ${commits.length} commits for ${requests.length} steps.`);
          // Held results a committed step does not consume are written as ordinary inbox messages.
          // (A skipped step, `null`, consumes nothing: its held results stay held for its later commit.)
          const leftover = loaded.flatMap((l, i) => {
            const c = commits[i];
            return c ? l.valid.filter((h) => !c.deleteMessageIds.includes(h.message.id)) : [];
          });
          const usable = new Map<string, HeldResult>();
          for (const l of loaded) for (const h of l.valid) usable.set(`${h.activity.instanceId}\u0000${h.message.id}`, h);
          requests.forEach(({ instanceId }, i) => activityIds.set(instanceId, first[i]!.activityIds));
          state = new BatchState(unwrap(tx), seq, {
            activityIds: (instanceId) => activityIds.get(instanceId),
            heldResult: (instanceId, id) => usable.get(`${instanceId}\u0000${id}`),
            leaseFor: () => (terms && room-- > 0 ? { leaseToken: this.newLeaseToken(), lockedUntil: now + terms.leaseMs } : null),
          });
          requests.forEach(({ instanceId }, i) => {
            state!.rows.set(instanceId, first[i]!.row);
            state!.knowInbox(instanceId, first[i]!.inbox);
          });
          const outcomes = commits.map((c): CommitOutcome => (c ? state!.apply(c) : "skipped"));
          for (const h of leftover) {
            if (outcomes[requests.findIndex((r) => r.instanceId === h.activity.instanceId)] !== "committed") continue;
            state.consumeHeld(h);
            state.append(h.message);
          }
          state.finish();
          settled = loaded.flatMap((l) => l.void);
          if (known && (await tokens.found) !== readToken) {
            stale = true;
            throw new DurableError("InvalidState", "Step memory was stale; the batch runs again from IndexedDB.");
          }
          return outcomes;
        },
      );
    } catch (error) {
      if (!stale) throw error;
      // Something wrote that no signal announced (yet): what the work view knows is suspect too.
      this.memory.forget();
      this.view.invalidate();
      return null;
    }
    this.afterSteps(state!, settled, requests.length, known !== null);
    this.memory.committed(readToken, written, state!.lastSeq, this.knownAfter(state!, requests, outcomes, activityIds));
    return outcomes;
  }

  /** The first round of a read-path step: each instance's row, history, inbox, held leases and activity ids. */
  private readSteps(tx: Tx<StoreName[], "readwrite">, requests: readonly StepRequest[], held: readonly HeldResult[][], now: number): Promise<FirstRead[]> {
    const instances = tx.objectStore("instances");
    const history = tx.objectStore("history");
    const inboxes = tx.objectStore("inbox");
    const activities = tx.objectStore("activities");
    return Promise.all(
      requests.map(async ({ instanceId, cached }, i): Promise<FirstRead> => {
        const [row, inbox, stored] = await Promise.all([
          instances.get(instanceId),
          inboxes.getAll(instanceRange(instanceId)),
          // A lease still running at `now` cannot have been taken over: no need to read its row.
          Promise.all(held[i]!.map((h) => (h.activity.lockedUntil > now ? null : activities.get(activityKey(h.activity))))),
        ]);
        // The row tells whether there is more to read: history rows before its tail (an instance
        // with a short history has none), activities beyond its inline ones. Only then a second round.
        const [full, keys] = await Promise.all([
          cached ? null : row && row.historyLength > (row.historyTail?.length ?? 0) ? history.getAll(instanceRange(instanceId)) : [],
          // Knowing the ids lets new activities be plain puts (and the transaction commit explicitly).
          row?.activitiesStored ? activities.getAllKeys(instanceRange(instanceId)) : [],
        ]);
        const tokens = held[i]!.map((h, k) => (h.activity.lockedUntil > now ? h.activity.leaseToken : leaseTokenOf(h.activity, row, stored[k] ?? undefined)));
        const activityIds = new Map(keys.map(([, executionId, id]) => [id, executionId]));
        for (const a of row?.inlineActivities ?? []) activityIds.set(a.id, a.executionId);
        return { row, history: full, inbox, tokens, activityIds };
      }),
    );
  }

  /**
   * What memory knows after a committed batch: each instance of the batch whose step committed or
   * was skipped (its row and inbox then stay as they were), with its whole inbox as the batch
   * left it. Others whose inbox the batch wrote to are forgotten.
   */
  private knownAfter(state: BatchState, requests: readonly StepRequest[], outcomes: readonly CommitOutcome[], activityIds: ReadonlyMap<string, Map<string, string>>) {
    const changes: [string, KnownInstance | null][] = state.inboxSummary().map(({ instanceId }) => [instanceId, null]);
    requests.forEach(({ instanceId }, i) => {
      const row = state.rows.get(instanceId);
      const ids = activityIds.get(instanceId);
      const inbox = state.inboxAfter(instanceId);
      const usable = outcomes[i] !== "conflict" && row !== undefined && ids !== undefined && inbox !== undefined;
      changes.push([instanceId, usable ? { row, activityIds: ids, inbox } : null]);
    });
    return changes;
  }

  /** Brings memory up to date with a committed `runSteps` batch: exactly what it changed. */
  private afterSteps(state: BatchState, settled: HeldResult[], steps: number, fromMemory: boolean): void {
    this.stats.commitTransactions++;
    this.stats.commits += steps;
    if (fromMemory) this.stats.stepsFromMemory += steps;
    for (const h of [...settled, ...state.consumed]) this.book.settle(h);
    this.view.committed();
    for (const q of state.queued) {
      if (q.added && q.row.leaseToken !== null) {
        this.book.queuedLeased(toClaimed(q.row));
        this.view.leaseUntil(q.row.lockedUntil);
      } else {
        // Queued unleased, or its id was queued already (maybe claimable): a claim must look.
        this.activitiesQueuedHere = true;
        this.view.queuedUnleased();
      }
    }
    for (const { instanceId, executionId } of state.dropped) this.book.forgetExecution(instanceId, executionId);
    for (const { instanceId, complete, earliest } of state.inboxSummary()) {
      if (complete) this.view.inboxIs(instanceId, earliest);
      else if (earliest !== null) this.view.inboxGained(instanceId, earliest);
    }
  }

  /**
   * Commits steps planned elsewhere (the runtime's steps that ran local activities) in one
   * readwrite transaction. When memory knows every instance as this store's last write left it
   * (see `step-memory.ts`), it reads nothing but the write token, as `runSteps` does: the rows,
   * inboxes and activity ids come from memory, and if the token shows that something else wrote
   * since, the transaction aborts and the batch runs again reading IndexedDB. Either way memory
   * keeps what it may of the instances: all of them after the memory path, none of those touched
   * after the read path.
   */
  async commitSteps(commits: readonly StepCommit[]): Promise<CommitOutcome[]> {
    if (commits.length === 0) return [];
    if (this.closedError) throw this.closedError;
    return this.afterOwnWrites(async () => {
      const known = this.knownCommits(commits);
      if (known) {
        const outcomes = await this.commitBatch(commits, known);
        if (outcomes) return outcomes;
        this.stats.staleMemorySteps += commits.length;
      }
      return (await this.commitBatch(commits, null))!;
    });
  }

  /** What memory knows of every instance the commits are for, or null if it does not know them all. */
  private knownCommits(commits: readonly StepCommit[]): Map<string, KnownInstance> | null {
    const known = new Map<string, KnownInstance>();
    for (const c of commits) {
      const k = c.expectedEtag === null ? undefined : this.memory.get(c.instanceId);
      if (!k) return null;
      known.set(c.instanceId, k);
    }
    return known;
  }

  /** One attempt at `commitSteps`; resolves null when memory (`known`) turned out stale (nothing was written). */
  private async commitBatch(commits: readonly StepCommit[], known: Map<string, KnownInstance> | null): Promise<CommitOutcome[] | null> {
    const stores = storesTouchedBy(commits, this.book.heldCount > 0);
    const ids = [...new Set(commits.map((c) => c.instanceId))];
    const activityIds = new Map<string, Map<string, string>>();
    let state: BatchState | null = null;
    let readToken: number | null | undefined = null;
    let written = 0;
    let stale = false;
    let outcomes: CommitOutcome[];
    try {
      outcomes = await this.write("commitSteps", stores, async (tx, tokens) => {
        written = tokens.written;
        const t = tx as unknown as Tx<StoreName[], "readwrite">;
        let rows: (StoredInstance | undefined)[];
        let seq: number;
        let inboxes: [string, InboxRow[]][];
        if (known) {
          // Not awaited before the writes: checked before the commit (below).
          readToken = this.memory.token;
          seq = this.memory.lastSeq;
          rows = ids.map((id) => known.get(id)!.row);
          inboxes = ids.map((id) => [id, [...known.get(id)!.inbox]]);
          for (const id of ids) activityIds.set(id, new Map(known.get(id)!.activityIds));
        } else {
          const drops = [...new Set(commits.filter((c) => c.dropExecution !== null).map((c) => c.instanceId))];
          let stored: InboxRow[][];
          let storedSeq: number | undefined;
          [rows, storedSeq, stored, readToken] = await Promise.all([
            Promise.all(ids.map((id) => t.objectStore("instances").get(id))),
            t.objectStore("meta").get(SEQ_KEY),
            Promise.all(drops.map((id) => t.objectStore("inbox").getAll(instanceRange(id)))),
            tokens.found,
          ]);
          seq = storedSeq ?? 0;
          inboxes = drops.map((id, i) => [id, stored[i]!]);
        }
        const held = new Map<string, HeldResult>();
        for (const c of commits) for (const h of this.book.heldOf(c.instanceId)) held.set(`${c.instanceId}\u0000${h.message.id}`, h);
        state = new BatchState(unwrap(t), seq, {
          heldResult: (instanceId, id) => held.get(`${instanceId}\u0000${id}`),
          ...(known ? { activityIds: (instanceId: string) => activityIds.get(instanceId) } : {}),
        });
        ids.forEach((id, i) => state!.rows.set(id, rows[i]));
        for (const [id, inbox] of inboxes) state.knowInbox(id, inbox);
        const outcomes = commits.map((c) => state!.apply(c));
        state.finish();
        if (known && (await tokens.found) !== readToken) {
          stale = true;
          throw new DurableError("InvalidState", "Step memory was stale; the commits run again from IndexedDB.");
        }
        return outcomes;
      });
    } catch (error) {
      this.memory.forget();
      this.view.invalidate();
      if (stale) return null;
      throw error;
    }
    const done = state!;
    for (const h of done.consumed) this.book.settle(h);
    if (commits.some((c, i) => outcomes[i] === "committed" && c.activities.length > 0)) this.activitiesQueuedHere = true;
    for (const c of commits) if (c.dropExecution !== null) this.book.forgetExecution(c.instanceId, c.dropExecution);
    this.stats.commitTransactions++;
    this.stats.commits += commits.length;
    const changes: [string, KnownInstance | null][] = done.inboxSummary().map(({ instanceId }) => [instanceId, null]);
    if (known) {
      this.stats.commitsFromMemory += commits.length;
      // Exactly what the commits changed, as after `runSteps` (no activity queued here is leased).
      this.view.committed();
      if (done.queued.length > 0) this.view.queuedUnleased();
      for (const { instanceId, complete, earliest } of done.inboxSummary()) {
        if (complete) this.view.inboxIs(instanceId, earliest);
        else if (earliest !== null) this.view.inboxGained(instanceId, earliest);
      }
      for (const id of ids) {
        const row = done.rows.get(id);
        const inbox = done.inboxAfter(id);
        changes.push([id, row && inbox ? { row, activityIds: activityIds.get(id)!, inbox } : null]);
      }
    } else {
      this.view.invalidate();
      for (const id of ids) changes.push([id, null]);
    }
    this.memory.committed(readToken, written, done.lastSeq, changes);
    return outcomes;
  }

  async appendMessages(messages: readonly InboxMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.ownWrite(() =>
      this.write("appendMessages", ["inbox", "meta"], async (tx) => {
        const seq = await tx.objectStore("meta").get(SEQ_KEY);
        const state = new BatchState(unwrap(tx as unknown as Tx<StoreName[], "readwrite">), seq ?? 0);
        for (const m of messages) state.append(m);
        state.finish();
      }),
    );
  }

  // --- work ---

  /**
   * Hands out the activities a step's commit leased to this store, and reads the rest: from memory
   * when the work view can tell (see `work-view.ts`), else from IndexedDB. There, when this store
   * just queued activities unleased, it leases them straight away in one readwrite transaction;
   * otherwise it looks in a readonly transaction first (cheaper, and it does not hold up writers),
   * and opens a readwrite one only if there is something to lease. Every path is correct for any
   * writer; the hints only pick the faster one.
   */
  async claimWork(now: number, options: ClaimOptions): Promise<ClaimedWork> {
    if (this.closedError) throw this.closedError;
    this.noteNow(now);
    const wanted = Math.max(0, options.activityLimit);
    const handouts = this.book.takeHandouts(now, wanted);
    const more = wanted - handouts.length;
    let fromStore: string[];
    let leased: ClaimedActivity[] = [];
    const known = this.view.ready(now, more > 0);
    if (known) {
      fromStore = known;
      this.stats.claimsFromMemory++;
    } else {
      ({ instanceIds: fromStore, activities: leased } = await this.look(now, { ...options, activityLimit: more }));
    }
    const activities = [...handouts, ...leased];
    this.claimTerms = { leaseMs: options.leaseMs, room: wanted - activities.length };
    const instanceIds: string[] = [];
    const seen = new Set<string>();
    for (const id of [...this.book.readyInstances(now), ...fromStore]) {
      if (instanceIds.length >= options.instanceLimit) break;
      if (seen.has(id) || options.exclude?.has(id)) continue;
      seen.add(id);
      instanceIds.push(id);
    }
    return { instanceIds, activities };
  }

  /** Reads IndexedDB for ready instances (all of them) and leases up to `activityLimit` activities. */
  private async look(now: number, options: ClaimOptions): Promise<{ instanceIds: string[]; activities: ClaimedActivity[] }> {
    this.stats.claimLooks++;
    const token = this.view.beginLook();
    const wants = options.activityLimit > 0;
    let look: Look & { activities: ClaimedActivity[] };
    if (wants && this.activitiesQueuedHere) look = await this.lookLeasing(now, options);
    else {
      const found = await this.read("claimWork", async (db) => {
        const tx = db.transaction(["inbox", "activities", "instances"], "readonly");
        const byVisibleAt = tx.objectStore("inbox").index("byVisibleAt");
        const byLockedUntil = tx.objectStore("activities").index("byLockedUntil");
        const byActivityDue = tx.objectStore("instances").index("byActivityDue");
        const [visible, nextVisible, nextLease, nextInlineLease, claimable, claimableInline] = await Promise.all([
          byVisibleAt.getAllKeys(IDBKeyRange.upperBound(now)),
          byVisibleAt.openKeyCursor(IDBKeyRange.lowerBound(now, true)),
          byLockedUntil.openKeyCursor(IDBKeyRange.lowerBound(now, true)),
          byActivityDue.openKeyCursor(IDBKeyRange.lowerBound(now, true)),
          byLockedUntil.count(IDBKeyRange.upperBound(now)),
          byActivityDue.count(IDBKeyRange.upperBound(now)),
        ]);
        return {
          visible,
          nextVisibleAt: nextVisible?.key ?? Infinity,
          nextLockedUntil: Math.min(nextLease?.key ?? Infinity, nextInlineLease?.key ?? Infinity),
          claimable: claimable + claimableInline,
        };
      });
      if (wants && found.claimable > 0) look = await this.lookLeasing(now, options);
      else {
        look = {
          asOf: now,
          visible: new Set(found.visible.map(([id]) => id)),
          nextVisibleAt: found.nextVisibleAt,
          nextLockedUntil: found.nextLockedUntil,
          unleased: found.claimable > 0,
          activities: [],
        };
      }
    }
    this.view.adopt(token, look);
    return { instanceIds: [...look.visible], activities: look.activities };
  }

  private lookLeasing(now: number, options: ClaimOptions): Promise<Look & { activities: ClaimedActivity[] }> {
    return this.tracked(() => this.lookLeasingNow(now, options));
  }

  private async lookLeasingNow(now: number, options: ClaimOptions): Promise<Look & { activities: ClaimedActivity[] }> {
    this.activitiesQueuedHere = false;
    // Leasing changes no inbox and no activity id: step memory stays good, but for the rows it rewrites.
    const rewritten: string[] = [];
    const { tokenFound, tokenWritten, ...look } = await this.write("claimWork", ["inbox", "activities", "instances"], async (tx, { found, written }) => {
      const byVisibleAt = tx.objectStore("inbox").index("byVisibleAt");
      const byLockedUntil = tx.objectStore("activities").index("byLockedUntil");
      const byActivityDue = tx.objectStore("instances").index("byActivityDue");
      const [visible, nextVisible, nextLease, nextInlineLease, available, rows, tokenFound] = await Promise.all([
        byVisibleAt.getAllKeys(IDBKeyRange.upperBound(now)),
        byVisibleAt.openKeyCursor(IDBKeyRange.lowerBound(now, true)),
        byLockedUntil.openKeyCursor(IDBKeyRange.lowerBound(now, true)),
        byActivityDue.openKeyCursor(IDBKeyRange.lowerBound(now, true)),
        // One more than wanted tells whether some stay unleased.
        byLockedUntil.getAll(IDBKeyRange.upperBound(now), options.activityLimit + 1),
        byActivityDue.getAll(IDBKeyRange.upperBound(now), options.activityLimit + 1),
        found,
      ]);
      const raw = unwrap(tx);
      const activities: ClaimedActivity[] = [];
      let unleased = false;
      let nextLockedUntil = Math.min(nextLease?.key ?? Infinity, nextInlineLease?.key ?? Infinity);
      /** Leases `row` if it is claimable and there is room; returns the leased row, or null. */
      const lease = (row: ActivityRow): ActivityRow | null => {
        if (row.lockedUntil > now) return null;
        // An activity whose result this store holds is done; it goes with the step that consumes it.
        if (activities.length >= options.activityLimit || this.book.holdsResultOf(row.id)) {
          unleased = true;
          return null;
        }
        const claimed: ActivityRow = { ...row, leaseToken: this.newLeaseToken(), lockedUntil: now + options.leaseMs, dequeueCount: row.dequeueCount + 1 };
        activities.push(toClaimed(claimed));
        nextLockedUntil = Math.min(nextLockedUntil, claimed.lockedUntil);
        return claimed;
      };
      for (const row of available) {
        const claimed = lease(row);
        if (claimed) raw.objectStore("activities").put(claimed);
      }
      for (const row of rows) {
        let changed = false;
        const inline = row.inlineActivities!.map((a) => {
          const claimed = lease(a);
          if (claimed) changed = true;
          else if (a.lockedUntil > now) nextLockedUntil = Math.min(nextLockedUntil, a.lockedUntil); // not in the cursor's range
          return claimed ?? a;
        });
        // Leasing rewrites the row with the same etag: the instance itself did not change.
        if (changed) {
          raw.objectStore("instances").put(withInline(row, inline));
          rewritten.push(row.instanceId);
        }
      }
      return {
        asOf: now,
        visible: new Set(visible.map(([id]) => id)),
        nextVisibleAt: nextVisible?.key ?? Infinity,
        nextLockedUntil,
        unleased,
        activities,
        tokenFound,
        tokenWritten: written,
      };
    });
    this.memory.committed(tokenFound, tokenWritten, this.memory.lastSeq, rewritten.map((id) => [id, null] as const));
    for (const a of look.activities) this.book.leased(a);
    if (look.unleased) this.activitiesQueuedHere = true;
    return look;
  }

  completeActivity(activity: ClaimedActivity, result: InboxMessage): Promise<boolean> {
    if (this.closedError) return Promise.reject(this.closedError);
    const offer = this.book.offer(activity, result, this.latestNow);
    if (offer === "duplicate") return Promise.resolve(false);
    if (offer === "held") {
      this.stats.completions++;
      this.stats.heldCompletions++;
      return Promise.resolve(true);
    }
    return this.completions.add({ activity, result });
  }

  /** Applies a batch of completions in one transaction; each applies only if its lease is still held. */
  private async applyCompletions(batch: readonly Completion[]): Promise<ItemOutcome<boolean>[]> {
    const outcomes = await this.ownWrite(() =>
      this.write("completeActivity", ["activities", "inbox", "instances", "meta"], async (tx) => {
        const ids = [...new Set(batch.map(({ activity }) => activity.instanceId))];
        const [rows, instances, seq] = await Promise.all([
          Promise.all(batch.map(({ activity }) => tx.objectStore("activities").get(activityKey(activity)))),
          Promise.all(ids.map((id) => tx.objectStore("instances").get(id))),
          tx.objectStore("meta").get(SEQ_KEY),
        ]);
        const state = new BatchState(unwrap(tx as unknown as Tx<StoreName[], "readwrite">), seq ?? 0);
        ids.forEach((id, i) => state.rows.set(id, instances[i]));
        const completed = new Set<string>();
        const outcomes = batch.map(({ activity, result }, i): ItemOutcome<boolean> => {
          const row = state.inlineActivity(activity.instanceId, activity.id) ?? rows[i];
          if (!row || row.leaseToken !== activity.leaseToken || completed.has(activity.id)) return { ok: true, value: false };
          completed.add(activity.id);
          // An inline activity leaves its instance row, which keeps its etag.
          state.removeActivity(activity);
          state.append(result);
          return { ok: true, value: true };
        });
        state.finish();
        return outcomes;
      }),
    );
    for (const { activity } of batch) this.book.forgetLease(activity);
    this.stats.completionTransactions++;
    this.stats.completions += outcomes.filter((o) => o.ok && o.value).length;
    return outcomes;
  }

  async flushCompletions(): Promise<number> {
    const held = this.book.takeHeld();
    const written = await Promise.all(held.map((h) => this.completions.add({ activity: h.activity, result: h.message })));
    return written.filter(Boolean).length;
  }

  async nextWakeAt(): Promise<number | null> {
    if (this.closedError) throw this.closedError;
    let next = Math.min(this.book.nextVisibleAt(), this.book.handoutCount > 0 ? 0 : Infinity);
    const known = this.view.nextWakeAt();
    const stored =
      known !== undefined
        ? known
        : await this.read("nextWakeAt", async (db) => {
            const tx = db.transaction(["inbox", "activities", "instances"], "readonly");
            const [message, activity, inline] = await Promise.all([
              tx.objectStore("inbox").index("byVisibleAt").openKeyCursor(),
              tx.objectStore("activities").index("byLockedUntil").openKeyCursor(),
              tx.objectStore("instances").index("byActivityDue").openKeyCursor(),
            ]);
            const at = Math.min(message ? message.key : Infinity, activity ? activity.key : Infinity, inline ? inline.key : Infinity);
            return at === Infinity ? null : at;
          });
    if (stored !== null && stored < next) next = stored;
    return next === Infinity ? null : next;
  }

  async releaseLeases(): Promise<number> {
    const released = await this.ownWrite(() =>
      this.write("releaseLeases", ["activities", "instances"], async (tx) => {
        const [leased, rows] = await Promise.all([
          tx.objectStore("activities").index("byLockedUntil").getAll(IDBKeyRange.lowerBound(0, true)),
          tx.objectStore("instances").index("byActivityDue").getAll(IDBKeyRange.lowerBound(0, true)),
        ]);
        const raw = unwrap(tx);
        for (const row of leased) raw.objectStore("activities").put({ ...row, lockedUntil: 0 } satisfies ActivityRow);
        let inline = 0;
        for (const row of rows) {
          inline += row.inlineActivities!.filter((a) => a.lockedUntil > 0).length;
          raw.objectStore("instances").put(withInline(row, row.inlineActivities!.map((a) => ({ ...a, lockedUntil: 0 }))));
        }
        return leased.length + inline;
      }),
    );
    // Every lease is void now, this store's too: its held results and pre-leased activities go.
    this.book.clear();
    if (released > 0) this.activitiesQueuedHere = true;
    return released;
  }

  async close(): Promise<void> {
    if (!this.closedError && this.book.heldCount > 0) {
      // Write what activities returned, so the next leader need not run them again.
      await this.flushCompletions().catch(() => undefined);
    }
    this.closedError ??= new DurableError("StoreClosed", `The IndexedDB store '${this.databaseName}' is closed; create a new one.`);
    this.completions.failPending(this.closedError);
    this.creations.failPending(this.closedError);
    this.book.clear();
    const db = this.db ?? (await this.dbPromise?.catch(() => null));
    db?.close();
  }

  // --- plumbing ---

  private noteNow(now: number): void {
    if (now > this.latestNow) this.latestNow = now;
  }

  private newLeaseToken(): string {
    return `${this.leasePrefix}:${++this.leaseCounter}`;
  }

  /**
   * A write of this store outside `runSteps`: the work view no longer knows what is due, nor step
   * memory what is stored (unless the write brings it up to date itself: `keepsMemory`).
   */
  private ownWrite<T>(body: () => Promise<T>, { keepsMemory = false } = {}): Promise<T> {
    return this.tracked(async () => {
      try {
        return await body();
      } catch (error) {
        this.memory.forget();
        throw error;
      } finally {
        this.view.invalidate();
        if (!keepsMemory) this.memory.forget();
      }
    });
  }

  /**
   * Runs one of this store's writes, memory's bookkeeping included, as one in flight: until it
   * settles, memory does not yet know what it wrote (see `afterOwnWrites`).
   */
  private tracked<T>(operation: () => Promise<T>): Promise<T> {
    const run = operation();
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.writesInFlight.add(settled);
    void settled.then(() => this.writesInFlight.delete(settled));
    return run;
  }

  /**
   * Runs `operation` (a write that may plan from memory: `runSteps`, `commitSteps`) once this
   * store's writes already in flight settled, and counts it in flight itself from now on. IndexedDB
   * runs readwrite transactions in the order they began, so a step or commit planned from memory
   * while another write of this store is in flight would find that write's token and abort as
   * stale; once they settled, memory knows what they wrote. It costs nothing else: the transaction
   * would have waited for them anyway.
   */
  private afterOwnWrites<T>(operation: () => Promise<T>): Promise<T> {
    const earlier = [...this.writesInFlight];
    return this.tracked(async () => {
      if (earlier.length > 0) await Promise.all(earlier);
      return operation();
    });
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
    this.book.clear();
    this.view.invalidate();
    this.memory.forget();
    this.options.onClose?.(error);
  }

  /** Runs `body`, which reads in one readonly transaction. */
  private async read<T>(what: string, body: (db: Db) => Promise<T>): Promise<T> {
    const db = await this.connection();
    this.stats.transactions++;
    try {
      return await body(db);
    } catch (error) {
      throw this.closedError ?? toStoreError(error, this.databaseName, what);
    }
  }

  /**
   * Runs `body` in one readwrite transaction and resolves once it committed. `body` may await only
   * requests of `tx`. If it throws, or the transaction fails, the transaction aborts whole.
   *
   * Every readwrite transaction reads the write token and replaces it with a fresh one, first thing:
   * that is how step memory tells that something wrote (see `step-memory.ts`). `body` gets both,
   * and may await `tokens.found` (a request of `tx`) whenever it likes.
   */
  private async write<S extends StoreName[], T>(what: string, stores: S, body: (tx: Tx<S, "readwrite">, tokens: WriteTokens) => Promise<T>): Promise<T> {
    const db = await this.connection();
    const scope = (stores.includes("meta") ? stores : [...stores, "meta"]) as S;
    let tx: Tx<S, "readwrite">;
    try {
      tx = db.transaction(scope, "readwrite", this.options.durability ? { durability: this.options.durability } : undefined);
    } catch (error) {
      throw this.closedError ?? toStoreError(error, this.databaseName, what);
    }
    this.stats.transactions++;
    const done = tx.done;
    done.catch(() => undefined); // observed below; keeps an abort from surfacing as unhandled
    try {
      const meta = (tx as unknown as Tx<StoreName[], "readwrite">).objectStore("meta");
      const tokens: WriteTokens = { found: meta.get(WRITE_TOKEN_KEY), written: newWriteToken() };
      tokens.found.catch(() => undefined); // observed by the body, or by the transaction's failure
      unwrap(tx).objectStore("meta").put(tokens.written, WRITE_TOKEN_KEY);
      const result = await body(tx, tokens);
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

/** The write token a readwrite transaction found (a pending request of it) and the one it wrote. */
interface WriteTokens {
  found: Promise<number | undefined>;
  written: number;
}

/** What a step's transaction knows of one instance before planning: read in its first round, or from memory. */
interface FirstRead {
  row: StoredInstance | undefined;
  /** The history rows (the row has the tail), or null when the caller's executor has the history. */
  history: HistoryRow[] | null;
  /** The whole stored inbox: read in this transaction, or known from memory (fenced by the write token). */
  inbox: InboxRow[];
  /** The lease token each held result's activity row carries (null: the row is gone). */
  tokens: (string | null)[];
  /** Activity id → execution id, of every activity of the instance (inline or in `activities`). */
  activityIds: Map<string, string>;
}

/** One step's input, and what became of the held results offered to it. */
interface LoadedStep {
  input: StepInput;
  /** Held results handed to the step. */
  valid: HeldResult[];
  /** Held results found void (the lease was lost, or the result is in the inbox already): forgotten. */
  void: HeldResult[];
}

/** The lease token the activity carries now: inline in its instance row, or in its own row (null: gone). */
function leaseTokenOf(activity: { id: string }, row: StoredInstance | undefined, stored: ActivityRow | undefined): string | null {
  const inline = row?.inlineActivities?.find((a) => a.id === activity.id);
  return inline ? inline.leaseToken : (stored?.leaseToken ?? null);
}

/** Sorts held results into valid (the activity row still carries their lease) and void. */
function sortHeld(held: readonly HeldResult[], tokens: readonly (string | null)[], inbox: readonly InboxRow[]) {
  const stored = new Set(inbox.map((m) => m.id));
  const valid: HeldResult[] = [];
  const gone: HeldResult[] = [];
  held.forEach((h, i) => (tokens[i] === h.activity.leaseToken && !stored.has(h.message.id) ? valid : gone).push(h));
  return { valid, void: gone };
}

/**
 * A step's input: the stored inbox visible at `now` in `seq` order, then the valid held results in
 * the order they completed (numbered after the inbox; they are never stored with that number).
 */
function assembleInput(
  { instanceId, cached }: StepRequest,
  row: StoredInstance | undefined,
  history: HistoryRow[] | null,
  inbox: InboxRow[],
  held: { valid: HeldResult[]; void: HeldResult[] },
  now: number,
): LoadedStep {
  const hit = cached !== undefined && row !== undefined && row.etag === cached.etag && row.historyLength === cached.historyLength;
  const visible: InboxMessage[] = inbox.filter((m) => m.visibleAt <= now).sort(bySeq);
  let seq = inbox.reduce((max, m) => Math.max(max, m.seq), 0);
  for (const h of held.valid) visible.push({ ...h.message, seq: ++seq });
  return {
    input: {
      instanceId,
      instance: row && recordOf(row),
      history: hit ? [] : historyOf(history ?? [], row),
      historyFrom: hit ? cached.historyLength : 0,
      messages: visible,
    },
    valid: held.valid,
    void: held.void,
  };
}

/** A cache that turned out stale needs the whole history: one more round, same transaction. */
async function refetchStale<H>(
  requests: readonly StepRequest[],
  first: readonly { row: InstanceRecord | undefined }[],
  read: (instanceId: string) => Promise<H>,
): Promise<(H | null)[]> {
  const stale = requests.map(({ cached }, i) => {
    const row = first[i]!.row;
    return cached !== undefined && !(row !== undefined && row.etag === cached.etag && row.historyLength === cached.historyLength);
  });
  if (!stale.includes(true)) return requests.map(() => null);
  return Promise.all(requests.map(({ instanceId }, i) => (stale[i] ? read(instanceId) : null)));
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

function storesTouchedBy(commits: readonly StepCommit[], resultsHeld: boolean): StoreName[] {
  const stores = new Set<StoreName>(["instances", "history"]);
  for (const c of commits) {
    if (c.messages.length > 0) stores.add("inbox").add("meta");
    if (c.deleteMessageIds.length > 0) stores.add("inbox");
    if (c.deleteMessageIds.length > 0 && resultsHeld) stores.add("activities");
    if (c.activities.length > 0) stores.add("activities");
    if (c.dropExecution !== null) stores.add("inbox").add("activities");
  }
  return [...stores];
}

/** Batches this small read their ids one by one (`idsHavingKeys`). */
const KEY_SCAN_MIN_IDS = 4;

/**
 * Which of `ids` have keys in a store, in one key read over the range from the smallest id to the
 * largest (`keysIn(lo, hi, count)`, with `idOf` the instance id of a key), capped at a few keys per
 * id. When that range holds more keys than the cap (other instances between them), or the batch is
 * small, it answers "all of them": each id is then read on its own, as without it.
 */
async function idsHavingKeys<K>(
  ids: readonly string[],
  keysIn: (lo: string, hi: string, count: number) => Promise<K[]>,
  idOf: (key: K) => string,
): Promise<{ has(id: string): boolean }> {
  if (ids.length < KEY_SCAN_MIN_IDS) return { has: () => true };
  let lo = ids[0]!;
  let hi = lo;
  // IndexedDB orders strings as `<` does: by UTF-16 code units.
  for (const id of ids) {
    if (id < lo) lo = id;
    if (id > hi) hi = id;
  }
  const cap = 4 * ids.length + 16;
  const keys = await keysIn(lo, hi, cap);
  if (keys.length >= cap) return { has: () => true };
  return new Set(keys.map(idOf));
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
