/**
 * The in-memory store: the embedded default for Node, tests and benchmarks. Every method does its
 * check-then-mutate with no `await` in between, so each call is atomic in a single-threaded host.
 */
import { DurableError } from "../../src/errors.ts";
import { listedByPrefix } from "../../src/entities/entity-id.ts";
import type { HistoryEvent } from "../../src/history.ts";
import type {
  ActivityResult,
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
  StepCommit,
  StepInput,
  StepRequest,
  Store,
} from "../../src/store.ts";
import type { RuntimeStatus } from "../../src/status.ts";
import { InstanceInbox } from "./instance-inbox.ts";
import { MinHeap } from "./min-heap.ts";

interface ActivityRow extends ActivityWorkItem {
  leaseToken: string | null;
  lockedUntil: number;
  dequeueCount: number;
  /** Queued (waiting in `queue`), leased (counted in `leasedCount`), or removed (completed or dropped). */
  state: "queued" | "leased" | "removed";
}

/**
 * An instance's activities, by execution and task id. Rows are found through the instance and
 * execution ids (strings the store hashed once) and the task id (a number), never through the
 * activity's own long id, which the hot path would otherwise hash once per activity.
 */
type InstanceActivities = Map<string, Map<number, ActivityRow>>;

export interface MemoryStoreOptions {
  /** A label shown in errors; handy when a test holds several stores. */
  name?: string;
}

export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  return new MemoryStore(options.name ?? "memory");
}

class MemoryStore implements Store {
  private readonly instances = new Map<string, InstanceRecord>();
  private readonly histories = new Map<string, HistoryEvent[]>();
  private readonly inboxes = new Map<string, InstanceInbox>();
  /** Instances with at least one message visible as of the last promotion. */
  private readonly ready = new Set<string>();
  private readonly delayed = new MinHeap<InboxMessage>();
  private readonly activities = new Map<string, InstanceActivities>();
  /** Rows to hand out, in order; removed or leased rows left in it are skipped. */
  private queue: ActivityRow[] = [];
  private queueHead = 0;
  private queued = 0;
  /** Rows leased now; an expired lease is found by a walk over the rows, once the earliest one is due. */
  private leasedCount = 0;
  private earliestLeaseExpiry = Infinity;
  private seq = 0;
  private leaseCounter = 0;
  private closed = false;

  private readonly name: string;
  constructor(name: string) {
    this.name = name;
  }

  async createInstance(instance: InstanceRecord, start: InboxMessage, options: CreateOptions): Promise<void> {
    this.assertOpen();
    const existing = this.instances.get(instance.instanceId);
    if (existing && !options.overwritableStatuses.includes(existing.runtimeStatus)) {
      throw new DurableError(
        "InstanceAlreadyExists",
        `An instance with ID '${instance.instanceId}' already exists and is ${existing.runtimeStatus}. ` +
          `Wait for it to finish, terminate it, or start with another instance ID.`,
      );
    }
    if (existing) this.deleteAll(instance.instanceId);
    this.instances.set(instance.instanceId, copyRecord(instance));
    this.histories.set(instance.instanceId, []);
    this.append(start);
  }

  async getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    this.assertOpen();
    const row = this.instances.get(instanceId);
    return row && copyRecord(row);
  }

  async getHistory(instanceId: string): Promise<HistoryEvent[]> {
    this.assertOpen();
    return (this.histories.get(instanceId) ?? []).slice();
  }

  async loadSteps(requests: readonly StepRequest[], now: number): Promise<StepInput[]> {
    this.assertOpen();
    return this.load(requests, now);
  }

  private load(requests: readonly StepRequest[], now: number): StepInput[] {
    this.promote(now);
    return requests.map(({ instanceId, cached }) => {
      const row = this.instances.get(instanceId);
      const history = this.histories.get(instanceId) ?? [];
      const from = row && cached && cached.etag === row.etag ? cached.historyLength : 0;
      const messages: InboxMessage[] = [];
      const inbox = this.inboxes.get(instanceId);
      if (inbox) for (const m of inbox.values()) if (m.visibleAt <= now) messages.push(m);
      return {
        instanceId,
        // Rows are replaced, never mutated, on commit: the step may hold this one as it is.
        instance: row,
        history: from === 0 ? history.slice() : history.slice(from),
        historyFrom: from,
        messages,
      };
    });
  }

  async runSteps(requests: readonly StepRequest[], now: number, plan: (inputs: StepInput[]) => (StepCommit | null)[]): Promise<CommitOutcome[]> {
    this.assertOpen();
    // No await between loading and committing: nothing else can run in between.
    const inputs = this.load(requests, now);
    return plan(inputs).map((c, i) => (c ? this.commitOne(c, inputs[i]?.instanceId === c.instanceId ? inputs[i]!.messages : undefined) : "skipped"));
  }

  async commitSteps(commits: readonly StepCommit[]): Promise<CommitOutcome[]> {
    this.assertOpen();
    return commits.map((c) => this.commitOne(c));
  }

  /** `loaded`: the messages the step was given (from `runSteps`), so its deletes need no id lookups. */
  private commitOne(c: StepCommit, loaded?: readonly InboxMessage[]): CommitOutcome {
    const current = this.instances.get(c.instanceId);
    if (c.expectedEtag === null ? current !== undefined : current?.etag !== c.expectedEtag) return "conflict";
    this.inboxes.get(c.instanceId)?.deleteIds(c.deleteMessageIds, loaded);
    if (c.dropExecution !== null) this.dropExecution(c.instanceId, c.dropExecution);
    if (c.instance) {
      this.instances.set(c.instanceId, copyRecord(c.instance));
      if (c.history.mode === "replace") {
        this.histories.set(c.instanceId, c.history.events.slice());
      } else if (current === undefined) {
        this.histories.set(c.instanceId, c.history.events.slice());
      } else {
        const history = this.histories.get(c.instanceId);
        if (history) for (const e of c.history.events) history.push(e);
        else this.histories.set(c.instanceId, c.history.events.slice());
      }
    } else {
      this.instances.delete(c.instanceId);
      this.histories.delete(c.instanceId);
    }
    for (const m of c.messages) this.append(m);
    for (const a of c.activities) this.enqueueActivity(a);
    this.refreshReady(c.instanceId);
    return "committed";
  }

  async appendMessages(messages: readonly InboxMessage[]): Promise<void> {
    this.assertOpen();
    for (const m of messages) this.append(m);
  }

  async claimWork(now: number, options: ClaimOptions): Promise<ClaimedWork> {
    this.assertOpen();
    this.promote(now);
    const instanceIds: string[] = [];
    if (options.instanceLimit > 0) {
      for (const id of this.ready) {
        if (options.exclude?.has(id)) continue;
        instanceIds.push(id);
        if (instanceIds.length >= options.instanceLimit) break;
      }
    }
    const activities: ClaimedActivity[] = [];
    if (options.activityLimit > 0) {
      if (now >= this.earliestLeaseExpiry) this.releaseExpiredLeases(now);
      while (activities.length < options.activityLimit && this.queueHead < this.queue.length) {
        const row = this.queue[this.queueHead++]!;
        if (row.state !== "queued") continue;
        this.queued--;
        row.state = "leased";
        this.leasedCount++;
        row.leaseToken = `${this.name}:${++this.leaseCounter}`;
        row.lockedUntil = now + options.leaseMs;
        row.dequeueCount++;
        if (row.lockedUntil < this.earliestLeaseExpiry) this.earliestLeaseExpiry = row.lockedUntil;
        activities.push(claimedCopy(row, row.leaseToken));
      }
      this.compactQueue();
    }
    return { instanceIds, activities };
  }

  async completeActivity(activity: ClaimedActivity, result: InboxMessage): Promise<boolean> {
    this.assertOpen();
    return this.completeOne(activity, result);
  }

  async completeActivities(results: readonly ActivityResult[]): Promise<boolean[]> {
    this.assertOpen();
    return results.map(({ activity, result }) => this.completeOne(activity, result));
  }

  async nextWakeAt(): Promise<number | null> {
    this.assertOpen();
    if (this.ready.size > 0 || this.queued > 0) return 0;
    this.dropStaleDelayed();
    const next = Math.min(this.delayed.peekKey() ?? Infinity, this.leasedCount > 0 ? this.earliestLeaseExpiry : Infinity);
    return next === Infinity ? null : next;
  }

  async listInstances(query: InstanceQuery): Promise<InstancePage> {
    this.assertOpen();
    const matches: InstanceRecord[] = [];
    for (const row of this.instances.values()) {
      if (query.runtimeStatus && !query.runtimeStatus.includes(row.runtimeStatus)) continue;
      if (query.createdFrom !== undefined && row.createdAt < query.createdFrom) continue;
      if (query.createdTo !== undefined && row.createdAt > query.createdTo) continue;
      if (!listedByPrefix(row.instanceId, query.instanceIdPrefix)) continue;
      const after = query.after;
      if (after && (row.createdAt < after.createdAt || (row.createdAt === after.createdAt && row.instanceId <= after.instanceId))) continue;
      matches.push(row);
    }
    matches.sort((a, b) => a.createdAt - b.createdAt || (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));
    const items = matches.slice(0, query.limit).map(copyRecord);
    const last = items[items.length - 1];
    return { items, next: matches.length > query.limit && last ? { createdAt: last.createdAt, instanceId: last.instanceId } : null };
  }

  async purgeInstance(instanceId: string, onlyIfStatus: readonly RuntimeStatus[], options: PurgeOptions = {}): Promise<boolean> {
    this.assertOpen();
    const row = this.instances.get(instanceId);
    if (!row || !onlyIfStatus.includes(row.runtimeStatus)) return false;
    if (options.ifInboxEmpty && (this.inboxes.get(instanceId)?.size ?? 0) > 0) return false;
    this.deleteAll(instanceId);
    return true;
  }

  async exportInstance(instanceId: string, seal?: (snapshot: InstanceSnapshot) => InstanceSeal | null): Promise<InstanceSnapshot | undefined> {
    this.assertOpen();
    const row = this.instances.get(instanceId);
    if (!row) return undefined;
    const inbox = [...(this.inboxes.get(instanceId)?.values() ?? [])].sort((a, b) => a.seq! - b.seq!);
    const activities: ActivityWorkItem[] = [];
    for (const a of this.rowsOf(instanceId)) {
      activities.push({ id: a.id, instanceId: a.instanceId, executionId: a.executionId, taskId: a.taskId, name: a.name, input: a.input, enqueuedAt: a.enqueuedAt });
    }
    const snapshot: InstanceSnapshot = {
      instance: copyRecord(row),
      history: (this.histories.get(instanceId) ?? []).slice(),
      inbox: inbox.map((m) => ({ ...m })),
      activities,
    };
    // No await from here on: the seal applies to exactly what was read.
    const sealed = seal?.(snapshot);
    if (sealed) {
      this.instances.set(instanceId, copyRecord(sealed.instance));
      const history = this.histories.get(instanceId) ?? [];
      this.histories.set(instanceId, [...history, ...sealed.history]);
      this.inboxes.delete(instanceId);
      this.ready.delete(instanceId);
      this.removeAllActivities(instanceId);
    }
    return snapshot;
  }

  async importInstance(snapshot: InstanceSnapshot, options: CreateOptions): Promise<void> {
    return this.importInstances([snapshot], options);
  }

  async importInstances(snapshots: readonly InstanceSnapshot[], options: CreateOptions): Promise<void> {
    this.assertOpen();
    // Every check before any write, with no await in between: all or nothing.
    for (const { instance } of snapshots) {
      const existing = this.instances.get(instance.instanceId);
      if (existing && !options.overwritableStatuses.includes(existing.runtimeStatus)) {
        throw new DurableError(
          "InstanceAlreadyExists",
          `An instance with ID '${instance.instanceId}' already exists here and is ${existing.runtimeStatus}. Terminate or purge it first, or import under another instance ID.`,
        );
      }
    }
    for (const snapshot of snapshots) {
      const instanceId = snapshot.instance.instanceId;
      if (this.instances.has(instanceId)) this.deleteAll(instanceId);
      this.instances.set(instanceId, copyRecord(snapshot.instance));
      this.histories.set(instanceId, snapshot.history.slice());
      for (const m of snapshot.inbox) this.append(m);
      for (const a of snapshot.activities) this.enqueueActivity(a);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  // --- internals ---

  private assertOpen(): void {
    if (this.closed) throw new DurableError("StoreClosed", `The store '${this.name}' is closed; create a new one.`);
  }

  /** `unique`: the caller knows no message with this id is here (an activity's result under its lease). */
  private append(m: InboxMessage, unique = false): void {
    let inbox = this.inboxes.get(m.instanceId);
    if (!inbox) this.inboxes.set(m.instanceId, (inbox = new InstanceInbox()));
    if (!unique && inbox.hasId(m.id)) return;
    const stored: InboxMessage = { id: m.id, instanceId: m.instanceId, executionId: m.executionId, visibleAt: m.visibleAt, event: m.event, seq: ++this.seq };
    if (unique) inbox.addUnindexed(stored);
    else inbox.add(stored);
    // Visibility is decided against the clock at the next promotion; a message due "now" is ready at once.
    if (m.visibleAt <= 0 || m.visibleAt <= this.lastPromotion) this.ready.add(m.instanceId);
    else this.delayed.push(m.visibleAt, stored);
  }

  private lastPromotion = 0;

  /** Marks instances whose delayed messages came due by `now` as ready. */
  private promote(now: number): void {
    if (now > this.lastPromotion) this.lastPromotion = now;
    while ((this.delayed.peekKey() ?? Infinity) <= now) {
      const m = this.delayed.pop()!;
      if (this.inboxes.get(m.instanceId)?.holds(m)) this.ready.add(m.instanceId);
    }
  }

  /** Timers that were cancelled or consumed leave stale heap entries; drop them from the top. */
  private dropStaleDelayed(): void {
    for (let m = this.delayed.peek(); m && !this.inboxes.get(m.instanceId)?.holds(m); m = this.delayed.peek()) {
      this.delayed.pop();
    }
  }

  private refreshReady(instanceId: string): void {
    const inbox = this.inboxes.get(instanceId);
    if (inbox) {
      for (const m of inbox.values()) {
        if (m.visibleAt <= this.lastPromotion) {
          this.ready.add(instanceId);
          return;
        }
      }
      if (inbox.size === 0) this.inboxes.delete(instanceId);
    }
    this.ready.delete(instanceId);
  }

  private completeOne(activity: ClaimedActivity, result: InboxMessage): boolean {
    const row = this.activities.get(activity.instanceId)?.get(activity.executionId)?.get(activity.taskId);
    if (!row || row.id !== activity.id || row.leaseToken !== activity.leaseToken) return false;
    this.removeActivity(row);
    this.append(result, true); // one result per lease: its id needs no dedupe
    return true;
  }

  private enqueueActivity(a: ActivityWorkItem): void {
    let byExecution = this.activities.get(a.instanceId);
    if (!byExecution) this.activities.set(a.instanceId, (byExecution = new Map()));
    let byTask = byExecution.get(a.executionId);
    if (!byTask) byExecution.set(a.executionId, (byTask = new Map()));
    const existing = byTask.get(a.taskId);
    if (existing?.id === a.id) return;
    if (existing) this.unqueue(existing);
    const row: ActivityRow = {
      id: a.id,
      instanceId: a.instanceId,
      executionId: a.executionId,
      taskId: a.taskId,
      name: a.name,
      input: a.input,
      enqueuedAt: a.enqueuedAt,
      leaseToken: null,
      lockedUntil: 0,
      dequeueCount: 0,
      state: "queued",
    };
    byTask.set(a.taskId, row);
    this.queue.push(row);
    this.queued++;
  }

  /** Takes a row out of the queue or the leases (it stays in `queue` until passed over). */
  private unqueue(row: ActivityRow): void {
    if (row.state === "queued") this.queued--;
    else if (row.state === "leased") this.leasedCount--;
    row.state = "removed";
  }

  private removeActivity(row: ActivityRow): void {
    this.unqueue(row);
    const byExecution = this.activities.get(row.instanceId);
    const byTask = byExecution?.get(row.executionId);
    if (!byExecution || !byTask || byTask.get(row.taskId) !== row) return;
    byTask.delete(row.taskId);
    if (byTask.size > 0) return;
    byExecution.delete(row.executionId);
    if (byExecution.size === 0) this.activities.delete(row.instanceId);
  }

  /** An instance's activities, in the order they were queued per execution. */
  private *rowsOf(instanceId: string): Iterable<ActivityRow> {
    for (const byTask of this.activities.get(instanceId)?.values() ?? []) yield* byTask.values();
  }

  private removeAllActivities(instanceId: string): void {
    for (const row of [...this.rowsOf(instanceId)]) this.removeActivity(row);
  }

  /** Drops the rows already handed out from the front of the queue once they are most of it. */
  private compactQueue(): void {
    if (this.queueHead < 1024 || this.queueHead * 2 < this.queue.length) return;
    this.queue = this.queue.slice(this.queueHead);
    this.queueHead = 0;
  }

  private releaseExpiredLeases(now: number): void {
    let earliest = Infinity;
    if (this.leasedCount > 0) {
      for (const byExecution of this.activities.values()) {
        for (const byTask of byExecution.values()) {
          for (const row of byTask.values()) {
            if (row.state !== "leased") continue;
            if (row.lockedUntil <= now) {
              row.state = "queued";
              this.leasedCount--;
              this.queue.push(row);
              this.queued++;
            } else if (row.lockedUntil < earliest) {
              earliest = row.lockedUntil;
            }
          }
        }
      }
    }
    this.earliestLeaseExpiry = earliest;
  }

  private dropExecution(instanceId: string, executionId: string): void {
    const inbox = this.inboxes.get(instanceId);
    if (inbox) for (const m of [...inbox.values()]) if (m.executionId === executionId) inbox.delete(m);
    const byTask = this.activities.get(instanceId)?.get(executionId);
    if (byTask) for (const row of [...byTask.values()]) this.removeActivity(row);
  }

  private deleteAll(instanceId: string): void {
    this.instances.delete(instanceId);
    this.histories.delete(instanceId);
    this.inboxes.delete(instanceId);
    this.ready.delete(instanceId);
    this.removeAllActivities(instanceId);
  }
}

/** Explicit copies: object spread is slow on the hot path and would leak internal fields. */
function claimedCopy(row: ActivityRow, leaseToken: string): ClaimedActivity {
  return {
    id: row.id,
    instanceId: row.instanceId,
    executionId: row.executionId,
    taskId: row.taskId,
    name: row.name,
    input: row.input,
    enqueuedAt: row.enqueuedAt,
    leaseToken,
    lockedUntil: row.lockedUntil,
    dequeueCount: row.dequeueCount,
  };
}

function copyRecord(r: InstanceRecord): InstanceRecord {
  return {
    instanceId: r.instanceId,
    name: r.name,
    version: r.version,
    executionId: r.executionId,
    runtimeStatus: r.runtimeStatus,
    input: r.input,
    output: r.output,
    customStatus: r.customStatus,
    failureDetails: r.failureDetails,
    parentInstanceId: r.parentInstanceId,
    createdAt: r.createdAt,
    lastUpdatedAt: r.lastUpdatedAt,
    completedAt: r.completedAt,
    etag: r.etag,
    historyLength: r.historyLength,
    runs: r.runs,
  };
}
