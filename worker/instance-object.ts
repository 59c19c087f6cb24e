/**
 * @module worker/instance-object — the Durable Object that owns one orchestration instance (named by
 * its id), or every instance of one partition (with partitions): its SQLite store, a runtime that
 * steps its instances (many in one commit), the outbox it delivers to other objects, and the alarm
 * that wakes it for timers, expired leases and outbox retries.
 *
 * Activities do not run here: the runtime hands claimed items to the Worker's `ActivityRunner`
 * entrypoint (stateless invocations), which reports results back through `completeActivities`.
 *
 * `defineInstanceObject(config)` builds the class a Worker exports: it closes over the user's
 * definitions and options (`createDurableWorker` calls it).
 */
import { DurableObject } from "cloudflare:workers";
import { arrived, createDurableObjectStore, type DurableObjectStore, type OutboxEntry } from "../adapters/durable-object/index.ts";
import {
  createRuntime,
  DurableClient,
  DurableError,
  fromJson,
  isEntityInstanceId,
  isIdleEntity,
  readEntityRecord,
  systemClock,
  type EntityMetadata,
  type EntityStateResponse,
  type ClaimedActivity,
  type HistoryEvent,
  type InboxMessage,
  type InstanceDocument,
  type InstanceRecord,
  type Json,
  type OrchestrationStatus,
  type Runtime,
  type StatusOptions,
  type TimeTravel,
} from "../src/index.ts";
import type { IndexUpdate } from "../adapters/durable-object/index.ts";
import { entityMetadata, entityStateOf, orphanRelease } from "../src/entities/entity-client.ts";
import { validateInstanceDocument } from "../src/instance-document.ts";
import { exportPart, type PartRequest, type PartResult } from "../src/travel.ts";
import { importMember, importTarget, type ImportTarget } from "../src/travel-import.ts";
import { createBatcher } from "./batcher.ts";
import type { Settings, WorkerConfig } from "./config.ts";
import type { ActivityRunner } from "./activity-runner.ts";
import { indexShardName, indexStub, instanceObjectName, instanceStub } from "./routing.ts";
import { capture, type RpcResult } from "./rpc-result.ts";
import { DISPATCH_BATCH } from "./limits.ts";
import { exportsProblem } from "./misconfiguration.ts";
import { encodeChanges, encodeFailure } from "./watch-stream.ts";

const OUTBOX_BATCH = 500;
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 5 * 60_000;
/**
 * How soon an object that died mid-round wakes to resume, through the fallback alarm armed with
 * every commit that leaves work (see `armFallback`).
 */
export const RESUME_AFTER_MS = 30_000;

export interface ActivityCompletion {
  item: ClaimedActivity;
  result: InboxMessage;
}

export interface CompletionReceipt {
  /** How many results applied (a result whose lease was lost is dropped). */
  accepted: number;
  /** Activities the caller takes back to run (at most the capacity it offered). */
  next: ClaimedActivity[];
}

/** An open hand-back: activities claimed while a runner waits for its answer go to it. */
interface HandBack {
  items: ClaimedActivity[];
  capacity: number;
}

/** A lock an entity holds for an orchestration (`cleanEntities`). */
export interface EntityLockReport {
  entity: string;
  owner: string;
  executionId: string | null;
  requestId: string;
}

/** What a restart under a new id needs from the original instance. */
export interface RestartSource {
  name: string;
  input: Json;
  version: string | null;
}

/** The class a Worker exports (and binds as `INSTANCES`); its constructor is the one Durable Objects call. */
export type InstanceObjectClass = new (ctx: DurableObjectState, env: Cloudflare.Env) => InstanceObject;

/** The `InstanceObject` class of one Worker: an {@link InstanceObject} over `config`. */
export function defineInstanceObject(config: WorkerConfig): InstanceObjectClass {
  return class DurableInstanceObject extends InstanceObject {
    constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
      super(ctx, env, config);
    }
  };
}

/**
 * The object itself. A Worker does not export it as is (its constructor takes the config): it
 * exports the subclass `defineInstanceObject` builds. Stubs are typed by it.
 */
export class InstanceObject extends DurableObject {
  private readonly store: DurableObjectStore;
  private readonly settings: Settings;
  private readonly runtime: Runtime;
  private readonly client: DurableClient;
  /** The name this object is routed by: an instance id, or a partition's name (null: nothing routed here yet). */
  private objectName: string | null;
  private readonly partitions: number;
  private pumping: Promise<void> | null = null;
  private again = false;
  /** A kick is scheduled for after the client requests already queued here (see `kickAfterQueued`). */
  private kickQueued = false;
  private resumed = false;
  private handBack: HandBack | null = null;
  private readonly leaseMs: number;
  /** The alarm as this object last set or read it (undefined: not known yet). */
  private alarmAt: number | null | undefined = undefined;
  /** Open watches (`watch`), changes they sent, and reads of statuses and histories by RPC (`watchStats`). */
  private readonly watchCounts = { watchers: 0, notifications: 0, reads: 0 };
  /** The open watches by the id their caller gave, to end on `unwatch`. */
  private readonly watches = new Map<string, () => void>();

  constructor(ctx: DurableObjectState, env: Cloudflare.Env, config: WorkerConfig) {
    super(ctx, env);
    this.settings = config.settings(env);
    const shards = this.settings.shards;
    this.partitions = this.settings.partitions;
    this.objectName = ctx.id.name ?? null;
    this.store = createDurableObjectStore(ctx.storage, {
      name: `instance object ${ctx.id.toString()}`,
      isLocal: (id) => instanceObjectName(id, this.partitions) === this.objectName,
      indexShardOf: (id) => indexShardName(id, shards),
      completions: "write-behind",
      onWork: (dueAt) => this.armFallback(dueAt),
    });
    void ctx.blockConcurrencyWhile(async () => {
      this.store.migrate();
      ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS object_meta (key TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID`);
      // 'instance_id': the name this object was first routed by (an instance id, or a partition's name).
      const stored = ctx.storage.sql.exec<{ value: string }>(`SELECT value FROM object_meta WHERE key = 'instance_id'`).toArray()[0];
      this.objectName ??= stored?.value ?? null;
      // Kept, so that an alarm that wakes the object without its name still knows what it holds.
      if (!stored && this.objectName !== null) ctx.storage.sql.exec(`INSERT OR REPLACE INTO object_meta (key, value) VALUES ('instance_id', ?)`, this.objectName);
      this.alarmAt = await ctx.storage.getAlarm();
    });
    const runner = activityRunnerOf(ctx);
    const send = createBatcher<ClaimedActivity>((items) => runner.run(items), DISPATCH_BATCH);
    const dispatch = (item: ClaimedActivity): Promise<void> => {
      const back = this.handBack;
      if (back && back.items.length < back.capacity) {
        back.items.push(item);
        return Promise.resolve();
      }
      return send(item);
    };
    this.leaseMs = this.settings.leaseMs;
    this.runtime = createRuntime({
      store: this.store,
      orchestrators: config.orchestrators,
      activities: config.activities,
      entities: config.entities,
      entityOperations: config.entityOperations,
      dispatchActivity: dispatch,
      leaseMs: this.leaseMs,
    });
    this.client = new DurableClient({
      store: this.store,
      clock: systemClock,
      registry: config.registry,
      onWrite: () => void this.kick(),
      // Every commit of this object's runtime: watches (and waitForCompletion) react to it at once.
      subscribe: (listener) => this.runtime.onChange(listener),
    });
  }

  // --- RPC: the client's operations, routed here by instance id ---

  async start(instanceId: string, name: string, input: Json, version: string | null): Promise<RpcResult<string>> {
    this.bind(instanceId);
    return capture(() => this.client.startNew(name, { instanceId, input: fromJson(input), ...(version === null ? {} : { version }) }));
  }

  async getStatus(instanceId: string, options: StatusOptions): Promise<RpcResult<OrchestrationStatus | undefined>> {
    this.bind(instanceId);
    this.watchCounts.reads++;
    return capture(() => this.client.getStatus(instanceId, options));
  }

  async raiseEvent(instanceId: string, eventName: string, data: Json): Promise<RpcResult<void>> {
    this.bind(instanceId);
    return capture(() => this.client.raiseEvent(instanceId, eventName, fromJson(data)));
  }

  async terminate(instanceId: string, reason: string | undefined, recursive: boolean): Promise<RpcResult<void>> {
    this.bind(instanceId);
    return capture(() => this.client.terminate(instanceId, reason, { recursive }));
  }

  async suspend(instanceId: string, reason: string | undefined): Promise<RpcResult<void>> {
    this.bind(instanceId);
    return capture(() => this.client.suspend(instanceId, reason));
  }

  async resume(instanceId: string, reason: string | undefined): Promise<RpcResult<void>> {
    this.bind(instanceId);
    return capture(() => this.client.resume(instanceId, reason));
  }

  async rewind(instanceId: string, reason: string | undefined): Promise<RpcResult<void>> {
    this.bind(instanceId);
    return capture(() => this.client.rewind(instanceId, reason));
  }

  /** Restarts under the same id (the instance must have finished). */
  async restartInPlace(instanceId: string): Promise<RpcResult<string>> {
    this.bind(instanceId);
    return capture(() => this.client.restart(instanceId, { restartWithNewInstanceId: false }));
  }

  /** The name, original input and version, for a restart under a new id (on another object). */
  async restartSource(instanceId: string): Promise<RpcResult<RestartSource>> {
    this.bind(instanceId);
    return capture(async () => {
      const history = await this.client.getHistory(instanceId);
      const row = (await this.store.getInstance(instanceId))!;
      const started = history.find((e) => e.EventType === "ExecutionStarted");
      const input = started?.EventType === "ExecutionStarted" ? started.Input : row.input;
      return { name: row.name, input, version: row.version };
    });
  }

  async purge(instanceId: string): Promise<RpcResult<number>> {
    this.bind(instanceId);
    return capture(async () => {
      const { instancesDeleted } = await this.client.purge(instanceId);
      if (instancesDeleted > 0) void this.kick(); // delivers the index update the purge queued
      return instancesDeleted;
    });
  }

  /**
   * One instance's part of an export (`exportPart`), in one transaction of this object: read, or
   * sealed (a move). The Worker's client walks a tree with it, one instance, and so one object,
   * at a time (`exportTree`).
   */
  async exportPart(instanceId: string, request: PartRequest): Promise<RpcResult<PartResult>> {
    this.bind(instanceId);
    return capture(async () => {
      const result = await exportPart(this.store, instanceId, request);
      if (request.move) void this.kick(); // delivers the index update of the seal; drops what still arrives for it
      return result;
    });
  }

  /** The instance's parent and status, or null (to name a tree's root). */
  async instanceParent(instanceId: string): Promise<RpcResult<{ parentInstanceId: string | null; runtimeStatus: InstanceRecord["runtimeStatus"] } | null>> {
    this.bind(instanceId);
    return capture(async () => {
      const row = await this.store.getInstance(instanceId);
      return row ? { parentInstanceId: row.parentInstanceId, runtimeStatus: row.runtimeStatus } : null;
    });
  }

  /** What an import of `document` finds under its id here (`importTarget`): checked for every instance of a tree before any is written. */
  async importTarget(instanceId: string, document: InstanceDocument): Promise<RpcResult<ImportTarget>> {
    this.bind(instanceId);
    return capture(() => importTarget(this.store, document));
  }

  /**
   * Writes one instance of a planned import (`importMember`: checked, renamed and replayed by the
   * Worker's client already), in one transaction; nothing when this document imported it already.
   */
  async importMember(instanceId: string, document: InstanceDocument, onConflict: "fail" | "replace"): Promise<RpcResult<boolean>> {
    this.bind(instanceId);
    return capture(async () => {
      if (document.instance.instanceId !== instanceId) throw new TypeError(`The document is of '${document.instance.instanceId}', not of '${instanceId}'.`);
      const wrote = await importMember(this.store, validateInstanceDocument(document), onConflict, Date.now());
      if (wrote) void this.kick();
      return wrote;
    });
  }

  /** The current execution's history as stored (epoch-ms times, JSON-text payloads). */
  async getHistory(instanceId: string): Promise<RpcResult<HistoryEvent[]>> {
    this.bind(instanceId);
    this.watchCounts.reads++;
    return capture(() => this.client.getHistory(instanceId));
  }

  /** Time travel over the instance's history, replayed here with this Worker's code; nothing is committed. */
  async timeTravel(instanceId: string): Promise<RpcResult<TimeTravel>> {
    this.bind(instanceId);
    return capture(() => this.client.timeTravel(instanceId));
  }

  /**
   * The instance's changes, pushed: a byte stream of newline-delimited JSON (`worker/watch-stream.ts`),
   * one `InstanceChange` a line: the instance now, then after each commit of this object's runtime
   * and each write of its client (changes made while the reader lags are merged into the next
   * line), until it is purged (a last line without `status`) or the caller cancels the stream,
   * which ends the subscription here (when it next writes: see `worker/watch-stream.ts`), or calls
   * `unwatch(watchId)`, which ends it at once. A failure is a last line `{"error":{code,message}}`.
   */
  watch(instanceId: string, options: { status?: StatusOptions | undefined; history?: boolean | undefined } = {}, watchId?: string): ReadableStream<Uint8Array> {
    this.bind(instanceId);
    const key = watchId ?? crypto.randomUUID();
    if (this.watches.has(key)) throw new TypeError(`A watch with the id '${key}' is open already.`);
    let changes;
    try {
      changes = this.client.watch(instanceId, { status: { ...options.status }, history: options.history === true });
    } catch (error) {
      if (DurableError.is(error)) return encodeFailure(error);
      throw error;
    }
    const counts = this.watchCounts;
    counts.watchers++;
    const { stream, end } = encodeChanges(changes, {
      release: () => {
        counts.watchers--;
        this.watches.delete(key);
      },
      onChange: () => counts.notifications++,
    });
    this.watches.set(key, end);
    return stream;
  }

  /** Ends the watch opened with `watchId` (its stream closes); nothing when it has ended already. */
  async unwatch(watchId: string): Promise<void> {
    this.watches.get(watchId)?.();
  }

  /** Watches open now, changes they sent, and status and history reads by RPC, since the object started (tests, benchmarks). */
  async watchStats(): Promise<{ watchers: number; notifications: number; reads: number }> {
    return { ...this.watchCounts };
  }

  // --- RPC: entities that live here, for the Worker's client ---

  /**
   * A client's signals to an entity (messages made by `signalMessage`), appended to its inbox as
   * arrived now (`arrived`: the clock of the Worker's isolate that sent them does not order them).
   */
  async signalEntity(instanceId: string, messages: InboxMessage[]): Promise<RpcResult<void>> {
    this.bind(instanceId);
    return capture(async () => {
      for (const m of messages) {
        if (!isEntityInstanceId(instanceId) || m.instanceId !== instanceId) throw new TypeError(`Signal '${m.id}' is for '${m.instanceId}', not for the entity '${instanceId}'.`);
      }
      const now = Date.now();
      await this.store.appendMessages(messages.map((m) => arrived(m, now)));
      this.kickAfterQueued();
    });
  }

  /** The entity's state, as `readEntityState` answers (`{ entityExists: false }` without a row). */
  async readEntityState(instanceId: string): Promise<RpcResult<EntityStateResponse>> {
    this.bind(instanceId);
    return capture(async () => entityStateOf(await this.entityRow(instanceId)));
  }

  /** What is known of entities that live here, one per id (null: no row). */
  async entityMetadata(instanceIds: string[], includeState: boolean): Promise<RpcResult<(EntityMetadata | null)[]>> {
    for (const id of instanceIds) this.bind(id);
    return capture(async () => {
      const rows = await Promise.all(instanceIds.map((id) => this.entityRow(id)));
      return rows.map((row) => (row ? entityMetadata(row, includeState) : null));
    });
  }

  /**
   * One object's part of `cleanEntityStorage`: removes the idle entities (no state, no lock,
   * nothing queued) whose inbox is empty, in one transaction each, and reports the locks held, so
   * that the client can ask each holder's own object whether it is gone.
   */
  async cleanEntities(instanceIds: string[], removeEmpty: boolean): Promise<RpcResult<{ removed: number; locks: EntityLockReport[] }>> {
    for (const id of instanceIds) this.bind(id);
    return capture(async () => {
      let removed = 0;
      const locks: EntityLockReport[] = [];
      for (const id of instanceIds) {
        const row = await this.entityRow(id);
        if (!row) continue;
        const doc = readEntityRecord(row);
        if (doc.lock) locks.push({ entity: id, owner: doc.lock.instanceId, executionId: doc.lock.executionId, requestId: doc.lock.requestId });
        else if (removeEmpty && isIdleEntity(doc) && (await this.store.purgeInstance(id, ["Completed"], { ifInboxEmpty: true }))) removed++;
      }
      if (removed > 0) void this.kick(); // delivers the index updates the purges queued
      return { removed, locks };
    });
  }

  /** Whether the orchestration that holds a lock is still there: its status and execution, or null when it is gone. */
  async lockOwner(instanceId: string): Promise<RpcResult<{ runtimeStatus: OrchestrationStatus["runtimeStatus"]; executionId: string } | null>> {
    this.bind(instanceId);
    return capture(async () => {
      const row = await this.store.getInstance(instanceId);
      return row ? { runtimeStatus: row.runtimeStatus, executionId: row.executionId } : null;
    });
  }

  /** Releases a lock whose holder is gone (`orphanRelease`): the entity lets its queue run. */
  async releaseOrphanedLock(instanceId: string, owner: string, requestId: string): Promise<RpcResult<void>> {
    this.bind(instanceId);
    return capture(async () => {
      if (!isEntityInstanceId(instanceId)) throw new TypeError(`'${instanceId}' is not an entity.`);
      await this.store.appendMessages([orphanRelease(instanceId, owner, requestId, Date.now())]);
      void this.kick();
    });
  }

  // --- RPC: from other objects and from activity runners ---

  /** Messages from other instances (outbox delivery). Idempotent by message id. */
  async deliver(instanceId: string, messages: InboxMessage[]): Promise<number> {
    this.bind(instanceId);
    for (const m of messages) {
      if (m.instanceId !== instanceId) throw new TypeError(`Message '${m.id}' is for '${m.instanceId}', not for '${instanceId}'.`);
    }
    const appended = this.store.receiveMessages(messages, Date.now());
    if (appended > 0) void this.kick();
    return appended;
  }

  /**
   * Results of activities run elsewhere. With `capacity` > 0 the caller (a runner) waits while the
   * results are stepped, and takes back up to `capacity` of the activities that step scheduled:
   * a chain then costs one RPC per step instead of a dispatch and a report.
   */
  async completeActivities(completions: ActivityCompletion[], capacity = 0): Promise<CompletionReceipt> {
    for (const { item } of completions) this.bind(item.instanceId);
    let accepted = 0;
    for (const { item, result } of completions) if (await this.store.completeActivity(item, result)) accepted++;
    if (accepted === 0) return { accepted, next: [] };
    if (capacity <= 0 || this.handBack !== null) {
      void this.kick();
      return { accepted, next: [] };
    }
    const back: HandBack = { items: [], capacity };
    this.handBack = back;
    try {
      await this.kick();
    } finally {
      this.handBack = null;
    }
    return { accepted, next: back.items };
  }

  /**
   * A runner's heartbeat for activities still running: extends their leases by a lease from now,
   * each only while it is still theirs. Returns, per activity, whether its lease is held.
   */
  async renewLeases(items: readonly Pick<ClaimedActivity, "id" | "instanceId" | "leaseToken">[]): Promise<boolean[]> {
    for (const item of items) this.bind(item.instanceId);
    return this.store.renewLeases(items, Date.now() + this.leaseMs);
  }

  /** SQLite rows written and transactions run by this object's store since it started (benchmarks). */
  async storeStats(): Promise<{ rowsWritten: number; transactions: number; databaseSize: number }> {
    return { ...this.store.stats(), databaseSize: this.ctx.storage.sql.databaseSize };
  }

  override async alarm(): Promise<void> {
    this.resumed = true;
    this.alarmAt = null; // a running alarm is no longer scheduled
    await this.kick();
  }

  // --- internals ---

  /** An entity's row, refusing ids that are not entities' (an orchestration's row is none of the entity API's business). */
  private async entityRow(instanceId: string): Promise<InstanceRecord | undefined> {
    if (!isEntityInstanceId(instanceId)) throw new TypeError(`'${instanceId}' is not an entity instance ID ('@name@key').`);
    return this.store.getInstance(instanceId);
  }

  /** Learns (once) which instance or partition this object holds, and resumes work after a restart. */
  private bind(instanceId: string): void {
    const name = instanceObjectName(instanceId, this.partitions);
    if (this.objectName === null) {
      this.objectName = name;
      this.ctx.storage.sql.exec(`INSERT OR REPLACE INTO object_meta (key, value) VALUES ('instance_id', ?)`, name);
    } else if (this.objectName !== name) {
      throw new TypeError(
        `This object holds '${this.objectName}', and instance '${instanceId}' belongs in '${name}'. Were the partitions (INSTANCE_PARTITIONS) changed on a deployment with data?`,
      );
    }
    if (!this.resumed) {
      this.resumed = true;
      void this.kick();
    }
  }

  /**
   * Kicks once the requests already queued for this object have run. Each client signal is a
   * request of its own, and a kick right after its append would run a batch of that one signal
   * before the next request is let in (nothing in a batch waits on I/O): a batch and its rows per
   * signal. Run after them, one batch takes every signal appended meanwhile (bench:worker: 1
   * commit and 2 rows per signal, from 2 and 5). The append is committed, and arms the fallback
   * alarm, before this returns.
   */
  private kickAfterQueued(): void {
    if (this.kickQueued) return;
    this.kickQueued = true;
    setTimeout(() => {
      this.kickQueued = false;
      void this.kick();
    }, 0);
  }

  /** Runs the runtime until nothing is due, delivers the outbox, then arms the alarm. One at a time. */
  private kick(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return this.pumping;
    }
    const run = this.pump().finally(() => {
      this.pumping = null;
      if (this.again) void this.kick();
    });
    this.pumping = run;
    return run;
  }

  private async pump(): Promise<void> {
    try {
      do {
        this.again = false;
        if (this.objectName === null) return; // nothing was ever routed here
        // Not `drain`: that would wait for running activities, whose results arrive here.
        await this.runtime.runDue();
        await this.flushOutbox();
      } while (this.again);
    } catch (error) {
      console.error(`durable-edge: processing '${this.objectName}' failed; retrying on the alarm.`, error);
      await this.setAlarm(Date.now() + RETRY_MIN_MS);
      return;
    }
    await this.armAlarm();
  }

  private async flushOutbox(): Promise<void> {
    for (;;) {
      const entries = this.store.takeOutbox(Date.now(), OUTBOX_BATCH);
      if (entries.length === 0) return;
      const groups = new Map<string, OutboxEntry[]>();
      for (const e of entries) {
        const key = `${e.kind}\u0000${e.target}`;
        const group = groups.get(key);
        if (group) group.push(e);
        else groups.set(key, [e]);
      }
      const delivered: OutboxEntry[] = [];
      const failed: OutboxEntry[] = [];
      const send = async (group: readonly OutboxEntry[]): Promise<void> => {
        const { kind, target } = group[0]!;
        if (kind === "message") await instanceStub(this.settings, target).deliver(target, group.map((e) => e.message!));
        else await indexStub(this.settings, target).apply(group.map((e): IndexUpdate => e.index!));
      };
      await Promise.all(
        [...groups.values()].map(async (group) => {
          try {
            await send(group);
            delivered.push(...group);
          } catch (error) {
            if (group.length === 1) {
              console.error(`durable-edge: could not deliver a ${group[0]!.kind} update to '${group[0]!.target}'; retrying later.`, error);
              failed.push(...group);
              return;
            }
            // One undeliverable entry must not hold back the others to the same target: each alone.
            // Except for an entity, which must see them in order: after a failure, the rest wait for the retry.
            const inOrder = group[0]!.kind === "message" && isEntityInstanceId(group[0]!.target);
            let blocked = false;
            for (const entry of group) {
              if (blocked) {
                failed.push(entry);
                continue;
              }
              try {
                await send([entry]);
                delivered.push(entry);
              } catch (alone) {
                console.error(`durable-edge: could not deliver ${entry.kind} update '${entry.id}' to '${entry.target}'; retrying later.`, alone);
                failed.push(entry);
                blocked = inOrder;
              }
            }
          }
        }),
      );
      const attempts = Math.max(0, ...failed.map((e) => e.attempts));
      this.store.settleOutbox(delivered, failed, Date.now() + Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** attempts));
      if (delivered.length === 0 || entries.length < OUTBOX_BATCH) return;
    }
  }

  /**
   * Called right after a commit that left work, in the same turn (no await in between, so the
   * alarm is written with the commit). The round arms the exact wake-up only at its end, after
   * delivering the outbox; if the object dies before that (a deploy, a crash), nothing but an
   * alarm would ever wake it, and a timer or queued activity would wait for the next request.
   * This alarm, at most `RESUME_AFTER_MS` away, resumes it. Only moves the alarm earlier, so a busy
   * object writes it about once per `RESUME_AFTER_MS`.
   */
  private armFallback(dueAt: number): void {
    const at = Math.max(dueAt, Date.now() + RESUME_AFTER_MS);
    if (this.alarmAt === undefined || (this.alarmAt !== null && this.alarmAt <= at)) return;
    this.alarmAt = at;
    this.ctx.storage.setAlarm(at).catch((error: unknown) => console.error(`durable-edge: could not arm the fallback alarm of '${this.objectName}'.`, error));
  }

  /** The alarm only ever moves earlier; one that fires early finds nothing due and re-arms. */
  private async armAlarm(): Promise<void> {
    const wake = await this.store.nextWakeAt();
    const outbox = this.store.nextOutboxAt();
    const next = Math.min(wake ?? Infinity, outbox ?? Infinity);
    if (next === Infinity) return;
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (this.alarmAt === null || next < this.alarmAt) await this.setAlarm(Math.max(next, Date.now()));
  }

  private async setAlarm(at: number): Promise<void> {
    this.alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }
}

/**
 * The loopback binding of this Worker's `ActivityRunner` entrypoint (`ctx.exports`, on by default
 * from compatibility date 2025-11-17). A service binding of the Worker to itself would do the same, but under
 * `wrangler dev` it goes through the dev registry and reloads the Worker whenever another local
 * dev session starts or stops.
 */
function activityRunnerOf(ctx: DurableObjectState): Pick<Service<ActivityRunner>, "run"> {
  const problem = exportsProblem(ctx);
  if (problem) throw problem;
  return (ctx as unknown as { exports: { ActivityRunner: Service<ActivityRunner> } }).exports.ActivityRunner;
}
