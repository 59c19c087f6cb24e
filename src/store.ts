/**
 * @module store — the persistence contract the core calls. Types only: adapters implement it
 * (`adapters/memory`, `adapters/indexeddb`, `adapters/durable-object`) and every adapter runs the
 * shared contract suite in `adapters/contract/`.
 *
 * Invariants every adapter keeps:
 * - `commitSteps` applies each commit atomically and fenced: a commit whose `expectedEtag` does not
 *   match the stored row (or, for `null`, finds a row) changes nothing and reports `"conflict"`.
 *   Several commits may share one transaction (group commit); each still succeeds or fails alone.
 * - Inbox messages are idempotent by `id`: appending an id that is already in the inbox is a no-op.
 *   Each message gets a store-assigned `seq`, increasing in append order, and is returned in it.
 * - A message is visible from `visibleAt` on. Durable timers are messages with a future `visibleAt`.
 * - Activity work items are leased: `claimWork` hands an item out with a fresh `leaseToken` and
 *   hides it until `lockedUntil`; after that it can be claimed again (the worker is presumed dead).
 *   `completeActivity` applies only while the token still matches; otherwise it returns false and
 *   changes nothing (the completion of a lost lease is dropped).
 * - Nothing a commit writes is visible to readers before the commit resolves.
 * - Values are plain data (strings, numbers, booleans, null, arrays, plain objects): JSON payloads
 *   are already text, so what one adapter stores, another can read.
 * - A row's `runs` (the summaries of earlier runs of a continue-as-new chain, bounded by the
 *   core) is stored with the row and read back as written: every read of the row returns it, a
 *   row written without it reads back without it, and it goes when the row goes.
 *
 * Durable entities fit the same shape, with no new store methods (`src/entities/`): an entity is
 * an instance row whose id is `@name@key` (user instance ids may not start with `@`) and whose
 * `input` holds its document (state, lock holder, queued requests; `entity-state.ts`); it keeps no
 * history. Its operations, signals, lock requests and releases are inbox messages (idempotent,
 * ordered by `seq`); one step runs a batch of them one at a time and commits the new document
 * with the fenced commit, with the answers and signals it sends as messages. Two rules make
 * stores entity-aware: `listInstances` lists entity rows only when `instanceIdPrefix` starts with
 * `@` (so orchestration queries never see them), and `purgeInstance(…, { ifInboxEmpty })` removes
 * an empty entity only if nothing was sent to it meanwhile.
 */
import type { FailureDetails } from "./errors.ts";
import type { HistoryEvent } from "./history.ts";
import type { Json } from "./json.ts";
import type { RuntimeStatus } from "./status.ts";

/** The row of one orchestration instance. */
export interface InstanceRecord {
  instanceId: string;
  name: string;
  /** The orchestration version given at start (Durable Functions `version`), or null. */
  version: string | null;
  /** Changes with every continue-as-new, restart and re-creation. */
  executionId: string;
  runtimeStatus: RuntimeStatus;
  input: Json;
  output: Json;
  customStatus: Json;
  failureDetails: FailureDetails | null;
  parentInstanceId: string | null;
  /** Epoch ms. */
  createdAt: number;
  lastUpdatedAt: number;
  completedAt: number | null;
  /** The fence: increases with every commit that touches the row. */
  etag: number;
  /** Number of history events stored for the current execution. */
  historyLength: number;
  /**
   * The runs before the current execution, when it continued as new (`runs.ts`): bounded
   * summaries, written by the step that continues as new and kept with the row (rewind,
   * terminate, suspend, export and import keep them; purge removes them with the row; a
   * re-created instance, by `startNew` or `restart` of a finished id, starts without). Absent for
   * an instance that never continued as new, and in rows written before this field existed.
   */
  runs?: RunChain | undefined;
}

/**
 * The earlier runs of an instance that continues as new: the last `RUNS_KEPT` (20) kept, older
 * ones only counted, so the row stays the same size however long the chain grows.
 */
export interface RunChain {
  /** The runs kept, oldest first; the last one is the run right before the current one. */
  runs: RunSummary[];
  /** How many runs came before `runs[0]`: counted, no longer kept. */
  olderRuns: number;
}

/** One run (execution) that ended by continuing as new. */
export interface RunSummary {
  executionId: string;
  /** Epoch ms: when it started (the previous run's end, or the instance's creation for the first). */
  startedAt: number;
  /** Epoch ms: when it continued as new. */
  endedAt: number;
  /** The input it started with. */
  input: JsonPreview;
  /** Its custom status when it ended, or null when it set none. */
  customStatus: JsonPreview | null;
  /** How many history events it had when it ended. */
  historyLength: number;
}

/** The start of a JSON value's text: at most `RUN_PREVIEW_BYTES` (256) UTF-8 bytes of it. */
export interface JsonPreview {
  /** The JSON text, whole, or cut short (then not parseable) when `truncated`. */
  text: string;
  /** UTF-8 bytes of the whole value's JSON. */
  bytes: number;
  truncated: boolean;
}

/** A message waiting in an instance's inbox. */
export interface InboxMessage {
  /** Unique and stable: re-sending the same message never delivers it twice. */
  id: string;
  /** The instance it is for. */
  instanceId: string;
  /**
   * The execution it belongs to (task results, timers), or null for messages meant for whatever
   * execution is current (events, terminate, suspend, start).
   */
  executionId: string | null;
  /** Epoch ms from which the message may be consumed. */
  visibleAt: number;
  event: HistoryEvent;
  /** Assigned by the store when appended; orders an inbox. */
  seq?: number;
}

/** An activity invocation waiting to run. */
export interface ActivityWorkItem {
  /** Stable: `${instanceId}|${executionId}|${taskId}`, usable by activities as an idempotency key. */
  id: string;
  instanceId: string;
  executionId: string;
  taskId: number;
  name: string;
  input: Json;
  enqueuedAt: number;
}

export interface ClaimedActivity extends ActivityWorkItem {
  leaseToken: string;
  lockedUntil: number;
  /** How many times it was claimed, this claim included. */
  dequeueCount: number;
}

/** An activity's result, to record while its lease is held (`Store.completeActivity`). */
export interface ActivityResult {
  activity: ClaimedActivity;
  result: InboxMessage;
}

export interface StepRequest {
  instanceId: string;
  /** What the caller already holds in memory; when the etag still matches, only later history is returned. */
  cached?: { etag: number; historyLength: number } | undefined;
}

export interface StepInput {
  instanceId: string;
  instance: InstanceRecord | undefined;
  /** Events from `historyFrom` on (all of them unless the cached etag matched). */
  history: HistoryEvent[];
  historyFrom: number;
  /** Inbox messages visible at `now`, in `seq` order. */
  messages: InboxMessage[];
}

export interface StepCommit {
  instanceId: string;
  /** The etag read by the step, or null when the step expects no row. */
  expectedEtag: number | null;
  /** The new row (its etag already bumped), or null to leave no row (messages for an unknown instance). */
  instance: InstanceRecord | null;
  /** "append" adds events at the row's old `historyLength`; "replace" drops the stored history first. */
  history: { mode: "append" | "replace"; events: HistoryEvent[] };
  /** Inbox messages of this instance to delete (consumed, or timers cancelled). */
  deleteMessageIds: string[];
  /** When set: delete every inbox message and queued activity of that execution of this instance. */
  dropExecution: string | null;
  /** Messages to append: timers for itself, messages to other instances. */
  messages: InboxMessage[];
  /** Activities to enqueue. */
  activities: ActivityWorkItem[];
}

/** "skipped": `runSteps`' plan gave no commit for that instance (it commits later, on its own). */
export type CommitOutcome = "committed" | "conflict" | "skipped";

export interface ClaimOptions {
  /** The most ready instances to return. */
  instanceLimit: number;
  /** The most activities to lease. */
  activityLimit: number;
  leaseMs: number;
  /** Instances the caller is stepping already: leave them out. */
  exclude?: ReadonlySet<string>;
}

export interface ClaimedWork {
  /** Instances with at least one visible inbox message. */
  instanceIds: string[];
  activities: ClaimedActivity[];
}

export interface InstanceQuery {
  runtimeStatus?: readonly RuntimeStatus[] | undefined;
  createdFrom?: number | undefined;
  createdTo?: number | undefined;
  /** Entity rows (ids starting with `@`) are listed only when this starts with `@`. */
  instanceIdPrefix?: string | undefined;
  limit: number;
  /** Resume after this position (order: createdAt, then instanceId). */
  after?: { createdAt: number; instanceId: string } | undefined;
}

export interface InstancePage {
  items: InstanceRecord[];
  /** Present when more items may follow. */
  next: { createdAt: number; instanceId: string } | null;
}

export interface PurgeOptions {
  /** Purge only if the instance's inbox holds no message (checked in the same transaction): nothing sent to it is lost. */
  ifInboxEmpty?: boolean | undefined;
}

export interface CreateOptions {
  /** Existing instances in these statuses are overwritten; any other existing instance makes it fail. */
  overwritableStatuses: readonly RuntimeStatus[];
}

/** Everything a store holds for one instance (`Store.exportInstance`, `Store.importInstance`). */
export interface InstanceSnapshot {
  instance: InstanceRecord;
  /** The current execution's history, in order. */
  history: HistoryEvent[];
  /** Every inbox message, visible or not (timers not yet due, results not yet consumed), in `seq` order. */
  inbox: InboxMessage[];
  /** Activities queued or running (leased), in enqueue order. */
  activities: ActivityWorkItem[];
}

/** What `Store.exportInstance`'s `seal` writes in the transaction that read the snapshot. */
export interface InstanceSeal {
  /** The new row (its etag bumped, `historyLength` counting `history`). */
  instance: InstanceRecord;
  /** Events appended to the history. */
  history: HistoryEvent[];
}

export interface Store {
  /**
   * Creates the row and appends its start message, atomically. If a row exists whose status is not
   * overwritable, throws `DurableError("InstanceAlreadyExists")` and changes nothing; otherwise the
   * old row, history, inbox and activities are replaced.
   */
  createInstance(instance: InstanceRecord, start: InboxMessage, options: CreateOptions): Promise<void>;
  getInstance(instanceId: string): Promise<InstanceRecord | undefined>;
  getHistory(instanceId: string): Promise<HistoryEvent[]>;
  /** Everything the given steps need, read consistently per instance (one transaction where possible). */
  loadSteps(requests: readonly StepRequest[], now: number): Promise<StepInput[]>;
  /** See the module invariants. Returns one outcome per commit, in order. */
  commitSteps(commits: readonly StepCommit[]): Promise<CommitOutcome[]>;
  /** Appends messages to inboxes (idempotent by id). Targets need not exist. */
  appendMessages(messages: readonly InboxMessage[]): Promise<void>;
  /** Ready instances and newly leased activities at `now`. */
  claimWork(now: number, options: ClaimOptions): Promise<ClaimedWork>;
  /** Deletes the activity and appends its result, atomically, if the lease is still held. */
  completeActivity(activity: ClaimedActivity, result: InboxMessage): Promise<boolean>;
  /**
   * Optional, for speed: `completeActivity` for many results at once (one transaction where the
   * store has them), each applied only if its own lease is still held; one outcome per result, in
   * order. If it throws, nothing was recorded (the runtime then records each on its own).
   */
  completeActivities?(results: readonly ActivityResult[]): Promise<boolean[]>;
  /** The earliest time something becomes due (a delayed message, an expiring lease, a queued activity), or null. */
  nextWakeAt(): Promise<number | null>;
  listInstances(query: InstanceQuery): Promise<InstancePage>;
  /**
   * Deletes the instance with its history, inbox and activities, if its status is one of
   * `onlyIfStatus`. Returns whether it deleted anything.
   */
  purgeInstance(instanceId: string, onlyIfStatus: readonly RuntimeStatus[], options?: PurgeOptions): Promise<boolean>;
  /**
   * Optional, for speed: loads the steps, calls `plan` (synchronous and pure: it never throws and
   * does no I/O) and commits what it returns, all in ONE transaction — what `loadSteps` followed by
   * `commitSteps` do in two. IndexedDB can keep a readwrite transaction open across a synchronous
   * callback, and a Durable Object can run it inside one `transactionSync`. Same fencing and
   * outcomes as `commitSteps`. A store may call `plan` more than once (say, after finding that what
   * it planned from was stale); only the last call's commits count, and its inputs carry every
   * instance's whole history (`historyFrom` 0). A `null` in place of a commit writes nothing for
   * that instance and reports `"skipped"` (the runtime commits it later itself, e.g. after running
   * its local activities).
   */
  runSteps?(requests: readonly StepRequest[], now: number, plan: (inputs: StepInput[]) => (StepCommit | null)[]): Promise<CommitOutcome[]>;
  /**
   * Optional (hand-over: `DurableClient.exportInstance`): everything stored for one instance, read
   * in one transaction: its row, whole history, every inbox message and its queued and running
   * activities; undefined when there is no such instance. With `seal`, the same transaction then
   * calls it with the snapshot (synchronous and pure, like `runSteps`' plan; when it throws,
   * nothing changes and the call rejects with its error) and, unless it returns null, replaces the
   * row with its `instance`, appends its `history`, and deletes every inbox message and activity
   * of the instance (so the completion of an activity still running is dropped, as for a lost
   * lease). The instance then runs nowhere here: the snapshot is where it goes on.
   */
  exportInstance?(instanceId: string, seal?: (snapshot: InstanceSnapshot) => InstanceSeal | null): Promise<InstanceSnapshot | undefined>;
  /**
   * Optional (hand-over: `DurableClient.importInstance`): writes an instance whole, in one
   * transaction: its row, its history, its inbox messages (appended in the given order, with new
   * `seq`s) and its activities (queued, not leased). Like `createInstance`: an existing row whose
   * status is not in `overwritableStatuses` makes it throw `InstanceAlreadyExists` and change
   * nothing; otherwise the old row, history, inbox and activities are replaced.
   */
  importInstance?(snapshot: InstanceSnapshot, options: CreateOptions): Promise<void>;
  /**
   * Optional (hand-over of a tree: an instance with the sub-orchestrations moved with it):
   * `importInstance` of several instances in ONE transaction, all or nothing: if any of them
   * finds a row whose status is not in `overwritableStatuses`, it throws `InstanceAlreadyExists`
   * and writes none of them. Without it, the client imports them one by one, parents first.
   */
  importInstances?(snapshots: readonly InstanceSnapshot[], options: CreateOptions): Promise<void>;
  /** Releases connections; later calls reject with `DurableError("StoreClosed")`. */
  close(): Promise<void>;
}
