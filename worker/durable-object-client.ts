/**
 * @module worker/durable-object-client — the `OrchestrationClient` and `EntityClient` of the Worker:
 * each call on one instance or entity (`@name@key`) goes to the Durable Object that owns it (its
 * partition, or its own object); listing and purge-by-filter read the sharded index and merge its
 * shards in (createdAt, instanceId) order. The index lists entity rows only for `@` prefixes, so
 * orchestration listings never show them and entity listings show nothing else.
 */
import {
  DurableError,
  encodeContinuationToken,
  entityInstanceId,
  toEntityId,
  isTerminal,
  newInstanceId,
  toInstanceQuery,
  toJson,
  toPurgeQuery,
  toStatus,
  validateInstanceId,
  type ExportOptions,
  type ImportOptions,
  type InstanceDocument,
  type InstanceTravel,
  type HistoryEvent,
  type TimeTravel,
  type InstanceQuery,
  type InstanceRecord,
  type ListQuery,
  type ListResult,
  type OrchestrationClient,
  type OrchestrationStatus,
  type OrchestratorDefinition,
  type PurgeFilter,
  type PurgeResult,
  type Registry,
  type StartOptions,
  type StatusOptions,
  type WaitOptions,
  type CleanEntityStorageOptions,
  type CleanEntityStorageResult,
  type EntityClient,
  type EntityIdLike,
  type EntityMetadata,
  type EntityPage,
  type EntityQuery,
  type EntityStateResponse,
  type InstanceWatch,
  type RegisteredFunctions,
  type WatchOptions,
} from "../src/index.ts";
import { entityMatches, signalArgs, signalMessage, toEntityStoreQuery } from "../src/entities/entity-client.ts";
import { exportTree, type PartResult, type TreeHost } from "../src/travel.ts";
import { membersToWrite, planImport, type ImportTarget } from "../src/travel-import.ts";
import { compareListOrder } from "../adapters/durable-object/index.ts";
import { indexStub, instanceObjectName, instanceStub, type Placement } from "./routing.ts";
import { unwrap } from "./rpc-result.ts";
import { decodeChanges } from "./watch-stream.ts";

const PURGE_PAGE = 200;
/** What `InstanceObject.entityMetadata` answers (its RPC type loses the `unknown` state's shape). */
type EntityRows = (EntityMetadata | null)[];
/** Entities read per page while cleaning (each page: one call per object that holds some). */
const CLEAN_PAGE = 500;

export class DurableObjectClient implements OrchestrationClient, InstanceTravel, EntityClient {
  private readonly placement: Placement;
  private readonly registry: Registry;

  /** `placement`: the namespaces and counts of one env (see `WorkerConfig.settings`); `registry`: what may be started. */
  constructor(placement: Placement, registry: Registry) {
    this.placement = placement;
    this.registry = registry;
  }

  async startNew<I>(orchestrator: OrchestratorDefinition<I, unknown> | string, options: StartOptions<I> = {}): Promise<string> {
    const name = typeof orchestrator === "string" ? orchestrator : orchestrator?.name;
    if (typeof name !== "string" || name === "") throw new DurableError("InvalidArgument", "startNew needs an orchestrator definition or name.");
    const definition = this.registry.orchestrator(name);
    if (!definition) {
      throw new DurableError("UnknownOrchestrator", `No orchestrator named '${name}' is registered. Registered: ${this.registry.orchestratorNames().join(", ")}.`);
    }
    const instanceId = options.instanceId ?? newInstanceId();
    validateInstanceId(instanceId);
    if (options.version !== undefined && typeof options.version !== "string") throw new DurableError("InvalidArgument", "version must be a string.");
    const input = toJson(options.input, `The input of orchestration '${definition.name}'`);
    return unwrap(await this.stub(instanceId).start(instanceId, definition.name, input, options.version ?? null));
  }

  async getStatus(instanceId: string, options: StatusOptions = {}): Promise<OrchestrationStatus | undefined> {
    return unwrap(await this.stub(instanceId).getStatus(instanceId, { ...options }));
  }

  async raiseEvent(instanceId: string, eventName: string, eventData?: unknown): Promise<void> {
    if (typeof eventName !== "string" || eventName === "") throw new DurableError("InvalidArgument", "raiseEvent needs a non-empty event name.");
    const data = toJson(eventData, `The data of event '${eventName}'`);
    unwrap(await this.stub(instanceId).raiseEvent(instanceId, eventName, data));
  }

  async terminate(instanceId: string, reason?: string, options: { recursive?: boolean | undefined } = {}): Promise<void> {
    unwrap(await this.stub(instanceId).terminate(instanceId, reason, options.recursive !== false));
  }

  async suspend(instanceId: string, reason?: string): Promise<void> {
    unwrap(await this.stub(instanceId).suspend(instanceId, reason));
  }

  async resume(instanceId: string, reason?: string): Promise<void> {
    unwrap(await this.stub(instanceId).resume(instanceId, reason));
  }

  async rewind(instanceId: string, reason?: string): Promise<void> {
    unwrap(await this.stub(instanceId).rewind(instanceId, reason));
  }

  async restart(instanceId: string, options: { restartWithNewInstanceId?: boolean | undefined } = {}): Promise<string> {
    if (options.restartWithNewInstanceId === false) return unwrap(await this.stub(instanceId).restartInPlace(instanceId));
    const source = unwrap(await this.stub(instanceId).restartSource(instanceId));
    const id = newInstanceId();
    return unwrap(await this.stub(id).start(id, source.name, source.input, source.version));
  }

  async purge(instanceId: string): Promise<PurgeResult> {
    return { instancesDeleted: unwrap(await this.stub(instanceId).purge(instanceId)) };
  }

  async purgeBy(filter: PurgeFilter = {}): Promise<PurgeResult> {
    const query = toPurgeQuery(filter, PURGE_PAGE);
    if (query.runtimeStatus!.length === 0) return { instancesDeleted: 0 };
    let deleted = 0;
    for (;;) {
      const page = await this.readIndex(query);
      const counts = await Promise.all(page.items.map(async (r) => unwrap(await this.stub(r.instanceId).purge(r.instanceId)).valueOf()));
      deleted += counts.reduce((a, b) => a + b, 0);
      if (!page.next) return { instancesDeleted: deleted };
      query.after = page.next;
    }
  }

  async listInstances(query: ListQuery = {}): Promise<ListResult> {
    const page = await this.readIndex(toInstanceQuery(query));
    const showInput = query.showInput !== false;
    // The index is updated on status changes; a running instance's custom status and last update
    // move between them, so those are read fresh from their objects.
    const instances = await Promise.all(
      page.items.map(async (row) => {
        if (isTerminal(row.runtimeStatus)) return toStatus(row, { showInput });
        return (await this.getStatus(row.instanceId, { showInput })) ?? toStatus(row, { showInput });
      }),
    );
    return { instances, continuationToken: page.next ? encodeContinuationToken(page.next) : null };
  }

  async waitForCompletion(instanceId: string, options: WaitOptions = {}): Promise<OrchestrationStatus> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const pollMs = options.pollIntervalMs ?? 250;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.getStatus(instanceId);
      if (!status) throw new DurableError("InstanceNotFound", `No instance with ID '${instanceId}' exists.`);
      if (isTerminal(status.runtimeStatus)) return status;
      const left = deadline - Date.now();
      if (left <= 0) throw new DurableError("Timeout", `Instance '${instanceId}' is still ${status.runtimeStatus} after ${timeoutMs} ms.`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, left)));
    }
  }

  /**
   * See `DurableClient.exportInstance`: each instance's part is done by the object that owns it,
   * in one transaction of that object; a tree is walked from here, parents first (`exportTree`).
   */
  async exportInstance(instanceId: string, options: ExportOptions = {}): Promise<InstanceDocument> {
    if (typeof instanceId !== "string" || instanceId === "") throw new DurableError("InvalidInstanceId", "An instance ID is required.");
    const to = options.to ?? "another host";
    if (typeof to !== "string" || to.length > 2048) throw new DurableError("InvalidArgument", "The destination (to) must be a string of at most 2,048 characters.");
    const host: TreeHost = {
      part: async (id, request) => unwrap(await this.stub(id).exportPart(id, request)) as PartResult,
      rowOf: async (id) => unwrap(await this.stub(id).instanceParent(id)),
    };
    return exportTree(host, instanceId, { move: options.move === true, to, now: Date.now(), source: options.source ?? null });
  }

  /**
   * See `DurableClient.importInstance`: checked and planned here (`planImport`, with this Worker's
   * orchestrators), each instance written by the object that owns it. A tree's instances are in
   * several objects, so no transaction holds them all: every id is checked first (nothing is
   * written if one is taken), then the root is written, then each sub-orchestration after its
   * parent. If a write fails (an object unreachable, after a few tries), the instances written so
   * far stay, and the call rejects with `StoreUnavailable` saying so: importing the same document
   * again finds them (`importedAlready`), leaves them as they are and writes the rest.
   */
  async importInstance(document: unknown, options: ImportOptions = {}): Promise<string> {
    const plan = planImport(document, options, this.registry);
    if (plan.members.length === 1) {
      const [doc] = plan.members as [InstanceDocument];
      unwrap(await this.stub(plan.instanceId).importMember(plan.instanceId, doc, plan.onConflict));
      return plan.instanceId;
    }
    const targets = await Promise.all(plan.members.map(async (m) => unwrap(await this.stub(m.instance.instanceId).importTarget(m.instance.instanceId, m)) as ImportTarget));
    const written: string[] = [];
    for (const doc of membersToWrite(plan, targets)) {
      const id = doc.instance.instanceId;
      let failure: unknown;
      for (let attempt = 1; attempt <= 3; attempt++) {
        try {
          unwrap(await this.stub(id).importMember(id, doc, plan.onConflict));
          failure = undefined;
          break;
        } catch (error) {
          failure = error;
          if (DurableError.is(error)) break;
        }
      }
      if (failure !== undefined) {
        if (written.length === 0) throw failure;
        throw new DurableError(
          "StoreUnavailable",
          `Imported ${written.map((w) => `'${w}'`).join(", ")} of the tree of '${plan.instanceId}', but could not write '${id}': ${failure instanceof Error ? failure.message : String(failure)}. The rest was not imported. Import the same document again: what it imported already is left as it is, and the rest is written.`,
        );
      }
      written.push(id);
    }
    return plan.instanceId;
  }

  /** See `DurableClient.getHistory`: the stored events, from the object that owns the instance. */
  async getHistory(instanceId: string): Promise<HistoryEvent[]> {
    validateInstanceId(instanceId);
    return unwrap(await this.stub(instanceId).getHistory(instanceId));
  }

  /**
   * See `DurableClient.watch`: the object that owns the instance pushes each of its commits over
   * one RPC stream (`InstanceObject.watch`), so nothing is read here in between; `return()`
   * cancels the stream, and the object lets go of its subscription.
   */
  watch(instanceId: string, options: WatchOptions = {}): InstanceWatch {
    const watchId = crypto.randomUUID();
    // One stub for both calls: calls on one stub arrive in order, so `unwatch` never overtakes `watch`.
    let stub: ReturnType<DurableObjectClient["stub"]> | undefined;
    const opened = Promise.resolve().then(() => {
      stub = this.stub(instanceId); // validates the id: a bad one is thrown by next()
      return stub.watch(instanceId, { status: { ...options.status }, history: options.history === true }, watchId);
    });
    return decodeChanges(opened as Promise<ReadableStream<Uint8Array>>, {
      signal: options.signal,
      // workerd tells the object of a cancelled stream only when it next writes: say so at once.
      release: async () => void (await stub?.unwatch(watchId)),
    });
  }

  /** The orchestrators, activities and entities this Worker registers (its config). */
  registered(): RegisteredFunctions {
    return this.registry.registered();
  }

  /** See `DurableClient.timeTravel`: replayed by the object that owns the instance, with the Worker's code. */
  async timeTravel(instanceId: string): Promise<TimeTravel> {
    return unwrap(await this.stub(instanceId).timeTravel(instanceId));
  }

  // --- entities ---

  /** Appends the signal to the entity's inbox in the object that owns it (one-way; `{ at }` schedules it). */
  async signalEntity(entity: EntityIdLike, operation: string, ...args: unknown[]): Promise<void> {
    const { input, options } = signalArgs(args);
    const message = signalMessage(entity, operation, input, options, Date.now());
    unwrap(await instanceStub(this.placement, message.instanceId).signalEntity(message.instanceId, [message]));
  }

  async readEntityState<T = unknown>(entity: EntityIdLike): Promise<EntityStateResponse<T>> {
    const id = this.entityInstance(entity);
    return unwrap(await instanceStub(this.placement, id).readEntityState(id)) as EntityStateResponse<T>;
  }

  async getEntity<T = unknown>(entity: EntityIdLike, options: { includeState?: boolean | undefined } = {}): Promise<EntityMetadata<T> | undefined> {
    const id = this.entityInstance(entity);
    const [found] = unwrap(await instanceStub(this.placement, id).entityMetadata([id], options.includeState !== false)) as EntityRows;
    return (found ?? undefined) as EntityMetadata<T> | undefined;
  }

  /**
   * One page of entities from the index shards (in (createdAt, instanceId) order), each read fresh
   * from its object (the index keeps a row's status, not its state or last operation), one call
   * per object. Filtered by the query's last-operation window and `includeDeleted`, so a page may
   * hold fewer than `pageSize` while more follow.
   */
  async listEntities(query: EntityQuery = {}): Promise<EntityPage> {
    const page = await this.readIndex(toEntityStoreQuery(query));
    const found = new Map<string, EntityMetadata>();
    await Promise.all(
      this.byObject(page.items.map((r) => r.instanceId)).map(async (ids) => {
        const metadata = unwrap(await instanceStub(this.placement, ids[0]!).entityMetadata(ids, query.fetchState === true)) as EntityRows;
        ids.forEach((id, i) => metadata[i] && found.set(id, metadata[i]));
      }),
    );
    // In index order (a page spans objects); an entity removed since the index listed it is left out.
    const entities = page.items
      .map((r) => found.get(r.instanceId))
      .filter((m): m is EntityMetadata => m !== undefined && entityMatches(m, query));
    return { entities, continuationToken: page.next ? encodeContinuationToken(page.next) : null };
  }

  /**
   * Removes idle entities (no state, no lock, nothing queued) whose inbox is empty, each in its own
   * object's transaction, and releases locks whose orchestration is gone or finished or running
   * another execution (asked of the orchestration's own object).
   */
  async cleanEntityStorage(options: CleanEntityStorageOptions = {}): Promise<CleanEntityStorageResult> {
    const removeEmpty = options.removeEmptyEntities !== false;
    const releaseOrphans = options.releaseOrphanedLocks !== false;
    const result: CleanEntityStorageResult = { emptyEntitiesRemoved: 0, orphanedLocksReleased: 0 };
    const query: InstanceQuery = { instanceIdPrefix: "@", limit: CLEAN_PAGE };
    for (;;) {
      const page = await this.readIndex(query);
      const reports = await Promise.all(
        this.byObject(page.items.map((r) => r.instanceId)).map(async (ids) => unwrap(await instanceStub(this.placement, ids[0]!).cleanEntities(ids, removeEmpty))),
      );
      for (const report of reports) {
        result.emptyEntitiesRemoved += report.removed;
        if (!releaseOrphans) continue;
        const released = await Promise.all(
          report.locks.map(async (lock) => {
            if (!(await this.holderIsGone(lock.owner, lock.executionId))) return 0;
            unwrap(await instanceStub(this.placement, lock.entity).releaseOrphanedLock(lock.entity, lock.owner, lock.requestId));
            return 1;
          }),
        );
        result.orphanedLocksReleased += released.reduce<number>((a, b) => a + b, 0);
      }
      if (!page.next) return result;
      query.after = page.next;
    }
  }

  /** The entities this Worker registers (for the HTTP API, which refuses a signal no entity would take). */
  entityNames(): string[] {
    return this.registry.entityNames();
  }

  // --- internals ---

  private stub(instanceId: string) {
    validateInstanceId(instanceId);
    return instanceStub(this.placement, instanceId);
  }

  /** The instance id of an entity (`InvalidArgument` for anything that does not name one). */
  private entityInstance(entity: EntityIdLike): string {
    return entityInstanceId(toEntityId(entity));
  }

  /** Whether the orchestration holding a lock is gone: no such instance, finished, or on another execution. */
  private async holderIsGone(owner: string, executionId: string | null): Promise<boolean> {
    try {
      validateInstanceId(owner);
    } catch {
      return true; // no orchestration can have this id
    }
    const found = unwrap(await instanceStub(this.placement, owner).lockOwner(owner));
    return !found || isTerminal(found.runtimeStatus) || (executionId !== null && found.executionId !== executionId);
  }

  /** The ids grouped by the object that owns them (one group per id without partitions), each group in the order given. */
  private byObject(ids: readonly string[]): string[][] {
    const groups = new Map<string, string[]>();
    for (const id of ids) {
      const name = instanceObjectName(id, this.placement.partitions);
      const group = groups.get(name);
      if (group) group.push(id);
      else groups.set(name, [id]);
    }
    return [...groups.values()];
  }

  /** Reads one page from every shard and merges them; `next` when any shard may have more. */
  private async readIndex(query: InstanceQuery): Promise<{ items: InstanceRecord[]; next: InstanceQuery["after"] | null }> {
    const pages = await Promise.all(Array.from({ length: this.placement.shards }, (_, i) => indexStub(this.placement, `index-${i}`).list(query)));
    const merged = pages.flatMap((p) => p.items).sort(compareListOrder);
    const items = merged.slice(0, query.limit);
    const more = merged.length > query.limit || pages.some((p) => p.next !== null);
    const last = items[items.length - 1];
    return { items, next: more && last ? { createdAt: last.createdAt, instanceId: last.instanceId } : null };
  }
}

