/**
 * @module client — start, query and manage orchestration instances. Works over any store; the
 * client a runtime hands out also wakes that runtime when it writes.
 */
import type { Clock } from "./clock.ts";
import type { OrchestratorDefinition, RegisteredFunctions, Registry } from "./definitions.ts";
import { DurableError } from "./errors.ts";
import { newInstanceId } from "./guid.ts";
import type { HistoryEvent } from "./history.ts";
import {
  createCheckStatusResponse,
  createHttpManagementPayload,
  type CheckStatusResponse,
  type HttpManagementPayload,
  type ManagementUrlOptions,
} from "./http-management.ts";
import { validateInstanceId } from "./instance-id.ts";
import { movedInfo, type InstanceDocument } from "./instance-document.ts";
import { exportPart, exportTree, type TreeHost } from "./travel.ts";
import { importSnapshot, importTarget, membersToWrite, planImport } from "./travel-import.ts";
import { timeTravel, type TimeTravel } from "./time-travel.ts";
import { messageIds, startMessage } from "./step.ts";
import { toJson } from "./json.ts";
import { encodeContinuationToken, toInstanceQuery, toPurgeQuery, type ListFilter } from "./list-query.ts";
import { isTerminal, TERMINAL_STATUSES, type RuntimeStatus } from "./status.ts";
import { toStatus, type OrchestrationStatus, type StatusOptions } from "./status-payload.ts";
import type { InboxMessage, InstanceRecord, Store } from "./store.ts";
import { watchChanges, type InstanceChange, type InstanceWatch, type WatchOptions } from "./watch.ts";
import type { EntityRef } from "./context.ts";
import type { EntityOperations, OperationArgs, OperationName, UntypedOperations } from "./entities/entity-definition.ts";
import { isEntityInstanceId, type EntityIdLike } from "./entities/entity-id.ts";
import { unreleasedSections } from "./entities/orchestration-entities.ts";
import {
  StoreEntityClient,
  type CleanEntityStorageOptions,
  type CleanEntityStorageResult,
  type EntityClient,
  type EntityMetadata,
  type EntityPage,
  type EntityQuery,
  type EntityStateResponse,
  type SignalEntityOptions,
} from "./entities/entity-client.ts";

export interface StartOptions<I = unknown> {
  /** Default: a new random id (32 hex digits). */
  instanceId?: string | undefined;
  input?: I | undefined;
  version?: string | undefined;
}

export interface ListQuery extends ListFilter {
  /** Default true. */
  showInput?: boolean | undefined;
}

export interface ListResult {
  instances: OrchestrationStatus[];
  /** Pass back to get the next page; null on the last page. */
  continuationToken: string | null;
}

export interface PurgeFilter {
  createdTimeFrom?: Date | number | undefined;
  createdTimeTo?: Date | number | undefined;
  /** Default: the terminal statuses. Running instances are never purged. */
  runtimeStatus?: readonly RuntimeStatus[] | undefined;
}

export interface PurgeResult {
  instancesDeleted: number;
}

export interface WaitOptions {
  /** Default 60,000 ms. */
  timeoutMs?: number | undefined;
  /** How often to look when no change notification arrives (default 1,000 ms). */
  pollIntervalMs?: number | undefined;
}

export interface ExportOptions {
  /**
   * Move the instance (default false): the export stops it here, in the same transaction (it is
   * marked as moved: Terminated, its output `{ movedTo, movedAt }`), so that it runs only where the
   * document is imported. Without it, the export is a snapshot: the instance goes on here.
   */
  move?: boolean | undefined;
  /** Where it goes (a URL, a label), recorded here with the move. Default "another host". */
  to?: string | undefined;
  /** Where it comes from, written into the document (`source`). Default: the client's `source`. */
  source?: string | undefined;
}

export interface ImportOptions {
  /**
   * Import under this id instead of the document's. Code that derives values from its instance id
   * (ctx.instanceId, ctx.newGuid()) replays differently under another one, and the check below
   * then refuses it.
   */
  instanceId?: string | undefined;
  /**
   * When an instance with that id exists here: "fail" (default) refuses with
   * `InstanceAlreadyExists`; "replace" replaces it if it has finished (Completed, Failed or
   * Terminated, one moved away from here included); a running one is never replaced.
   */
  onConflict?: "fail" | "replace" | undefined;
  /**
   * Accept a snapshot (a document exported without `move`), whose instance still runs where it
   * was: the import then runs a second copy of it. Default false: refused with `InvalidState`.
   */
  allowCopy?: boolean | undefined;
}

/** Export and import of whole instances (`DurableClient`, the Worker's client). */
export interface InstanceTravel {
  exportInstance(instanceId: string, options?: ExportOptions): Promise<InstanceDocument>;
  importInstance(document: unknown, options?: ImportOptions): Promise<string>;
  /** The instance right after each event of its current execution, replayed with this host's code; nothing is committed. */
  timeTravel(instanceId: string): Promise<TimeTravel>;
}

export interface ClientOptions {
  store: Store;
  clock: Clock;
  /** Where this client's instances live (a URL, `browser:<db>`), written into exported documents. */
  source?: string | undefined;
  /** When given, `startNew` refuses names it does not know. */
  registry?: Registry | undefined;
  /** Called after every write, to wake whatever processes the store. */
  onWrite?: (() => void) | undefined;
  /**
   * Subscribes to instance changes (the runtime's commits): `waitForCompletion` and `watch` then
   * react at once instead of polling.
   */
  subscribe?: ((listener: (instance: InstanceRecord) => void) => () => void) | undefined;
}

/**
 * What hosts and the HTTP router need from a client. `DurableClient` implements it over one store;
 * the Worker implements it over many Durable Objects.
 */
export interface OrchestrationClient {
  startNew<I>(orchestrator: OrchestratorDefinition<I, unknown> | string, options?: StartOptions<I>): Promise<string>;
  getStatus(instanceId: string, options?: StatusOptions): Promise<OrchestrationStatus | undefined>;
  listInstances(query?: ListQuery): Promise<ListResult>;
  raiseEvent(instanceId: string, eventName: string, eventData?: unknown): Promise<void>;
  terminate(instanceId: string, reason?: string, options?: { recursive?: boolean | undefined }): Promise<void>;
  suspend(instanceId: string, reason?: string): Promise<void>;
  resume(instanceId: string, reason?: string): Promise<void>;
  rewind(instanceId: string, reason?: string): Promise<void>;
  restart(instanceId: string, options?: { restartWithNewInstanceId?: boolean | undefined }): Promise<string>;
  purge(instanceId: string): Promise<PurgeResult>;
  purgeBy(filter?: PurgeFilter): Promise<PurgeResult>;
  waitForCompletion(instanceId: string, options?: WaitOptions): Promise<OrchestrationStatus>;
  /**
   * Optional: the instance now, then after each change, pushed (see `InstanceWatch`). The HTTP
   * stream route uses it, and reads on an interval for a client without it.
   */
  watch?(instanceId: string, options?: WatchOptions): InstanceWatch;
  /** Optional: what this client's host registers (undefined when it cannot tell), for `GET {base}/functions`. */
  registered?(): RegisteredFunctions | undefined;
}

export class DurableClient implements OrchestrationClient, InstanceTravel, EntityClient {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly entities: StoreEntityClient;

  private readonly options: ClientOptions;
  /** Watches of this client, by instance id: told of this client's own writes (a purge is no commit of the runtime's). */
  private readonly watchers = new Map<string, Set<() => void>>();
  constructor(options: ClientOptions) {
    this.options = options;
    this.store = options.store;
    this.clock = options.clock;
    this.entities = new StoreEntityClient(options.store, options.clock, options.onWrite);
  }

  // --- entities ---

  /** Sends an operation to an entity (one-way; `{ at }` schedules it). Entities exist once something is sent to them. */
  signalEntity<Ops extends EntityOperations = UntypedOperations, K extends OperationName<Ops> = OperationName<Ops>>(
    entity: EntityRef<Ops>,
    operation: K,
    ...args: [...OperationArgs<Ops, K>, options?: SignalEntityOptions]
  ): Promise<void> {
    return this.entities.signalEntity(entity, operation, ...(args as unknown[]));
  }

  /** The entity's state: `{ entityExists: false }` when it has none. */
  readEntityState<T = unknown>(entity: EntityIdLike): Promise<EntityStateResponse<T>> {
    return this.entities.readEntityState<T>(entity);
  }

  /** What is known of one entity (last operation, lock holder, queued requests, state), or undefined. */
  getEntity<T = unknown>(entity: EntityIdLike, options?: { includeState?: boolean | undefined }): Promise<EntityMetadata<T> | undefined> {
    return this.entities.getEntity<T>(entity, options);
  }

  /** Entities by name, last-operation time, page by page. */
  listEntities(query?: EntityQuery): Promise<EntityPage> {
    return this.entities.listEntities(query);
  }

  /** Removes empty entities and releases locks whose orchestration is gone. */
  cleanEntityStorage(options?: CleanEntityStorageOptions): Promise<CleanEntityStorageResult> {
    return this.entities.cleanEntityStorage(options);
  }

  /** The registered entities' names (undefined for a client made without a registry). */
  entityNames(): string[] | undefined {
    return this.options.registry?.entityNames();
  }

  /** The registered orchestrators, activities and entities (undefined for a client made without a registry). */
  registered(): RegisteredFunctions | undefined {
    return this.options.registry?.registered();
  }

  /**
   * Watches one instance (see `InstanceWatch`): its state now, then again after each commit of
   * the runtime this client belongs to and each write of this client (a purge ends it). A client
   * made without a runtime (no `subscribe`) also reads every `pollIntervalMs`.
   */
  watch(instanceId: string, options: WatchOptions = {}): InstanceWatch {
    if (typeof instanceId !== "string" || instanceId === "") throw new DurableError("InvalidInstanceId", "An instance ID is required.");
    refuseEntity(instanceId);
    const statusOptions = { ...options.status };
    const withHistory = options.history === true;
    const read = async (): Promise<InstanceChange> => {
      const row = await this.store.getInstance(instanceId);
      if (!row) return { status: undefined };
      // One read of the history serves both the status's rendering and the raw events.
      const history = (statusOptions.showHistory && row.runtimeStatus !== "Pending") || withHistory ? await this.store.getHistory(instanceId) : undefined;
      const status = toStatus(row, statusOptions, statusOptions.showHistory && row.runtimeStatus !== "Pending" ? history : undefined);
      return withHistory ? { status, history: history ?? [] } : { status };
    };
    const subscribe = this.options.subscribe;
    return watchChanges(
      read,
      (changed) => {
        let local = this.watchers.get(instanceId);
        if (!local) this.watchers.set(instanceId, (local = new Set()));
        local.add(changed);
        const off = subscribe?.((row) => {
          if (row.instanceId === instanceId) changed();
        });
        return () => {
          off?.();
          local.delete(changed);
          if (local.size === 0 && this.watchers.get(instanceId) === local) this.watchers.delete(instanceId);
        };
      },
      { signal: options.signal, pollMs: subscribe ? undefined : (options.pollIntervalMs ?? 1000) },
    );
  }

  /** Starts an orchestration and returns its instance id. */
  async startNew<I>(orchestrator: OrchestratorDefinition<I, unknown> | string, options: StartOptions<I> = {}): Promise<string> {
    const name = typeof orchestrator === "string" ? orchestrator : orchestrator?.name;
    if (typeof name !== "string" || name === "") {
      throw new DurableError("InvalidArgument", "startNew needs an orchestrator definition or name.");
    }
    const registry = this.options.registry;
    if (registry && !registry.orchestrator(name)) {
      const known = registry.orchestratorNames();
      throw new DurableError(
        "UnknownOrchestrator",
        `No orchestrator named '${name}' is registered.${known.length ? ` Registered: ${known.join(", ")}.` : ""}`,
      );
    }
    const instanceId = options.instanceId ?? newInstanceId();
    validateInstanceId(instanceId);
    if (options.version !== undefined && typeof options.version !== "string") {
      throw new DurableError("InvalidArgument", "version must be a string.");
    }
    const input = toJson(options.input, `The input of orchestration '${name}'`);
    await this.create(instanceId, name, input, options.version ?? null);
    return instanceId;
  }

  private async create(instanceId: string, name: string, input: string | null, version: string | null): Promise<void> {
    const now = this.clock.now();
    const executionId = newInstanceId();
    const row: InstanceRecord = {
      instanceId,
      name,
      version,
      executionId,
      runtimeStatus: "Pending",
      input,
      output: null,
      customStatus: null,
      failureDetails: null,
      parentInstanceId: null,
      createdAt: now,
      lastUpdatedAt: now,
      completedAt: null,
      etag: 1,
      historyLength: 0,
    };
    const start = startMessage({ id: messageIds.start(instanceId, executionId), instanceId, executionId, name, version, input, parent: null, now });
    await this.store.createInstance(row, start, { overwritableStatuses: TERMINAL_STATUSES });
    this.changed(instanceId);
    this.options.onWrite?.();
  }

  /** The instance's status, or undefined when there is no such instance. */
  async getStatus(instanceId: string, options: StatusOptions = {}): Promise<OrchestrationStatus | undefined> {
    refuseEntity(instanceId);
    const row = await this.store.getInstance(instanceId);
    if (!row) return undefined;
    const history = options.showHistory && row.runtimeStatus !== "Pending" ? await this.store.getHistory(instanceId) : undefined;
    return toStatus(row, options, history);
  }

  /** The raw history of the current execution, with epoch-ms timestamps and JSON-text payloads. */
  async getHistory(instanceId: string): Promise<HistoryEvent[]> {
    await this.require(instanceId);
    return this.store.getHistory(instanceId);
  }

  async listInstances(query: ListQuery = {}): Promise<ListResult> {
    const page = await this.store.listInstances(toInstanceQuery(query));
    return {
      instances: page.items.map((r) => toStatus(r, { showInput: query.showInput !== false })),
      continuationToken: page.next ? encodeContinuationToken(page.next) : null,
    };
  }

  /** Sends an event to a running (or pending, or suspended) instance. */
  async raiseEvent(instanceId: string, eventName: string, eventData?: unknown): Promise<void> {
    if (typeof eventName !== "string" || eventName === "") {
      throw new DurableError("InvalidArgument", "raiseEvent needs a non-empty event name.");
    }
    const input = toJson(eventData, `The data of event '${eventName}'`);
    const row = await this.requireRunning(instanceId, "raise an event on");
    const now = this.clock.now();
    await this.send(row, { EventType: "EventRaised", EventId: -1, Timestamp: now, Name: eventName, Input: input });
  }

  /** Terminates the instance and, by default, its running sub-orchestrations. */
  async terminate(instanceId: string, reason?: string, options: { recursive?: boolean | undefined } = {}): Promise<void> {
    const row = await this.requireRunning(instanceId, "terminate");
    const input = toJson(reason ?? null, "The termination reason");
    await this.send(row, { EventType: "ExecutionTerminated", EventId: -1, Timestamp: this.clock.now(), Input: input, Recursive: options.recursive !== false });
  }

  async suspend(instanceId: string, reason?: string): Promise<void> {
    const row = await this.requireRunning(instanceId, "suspend");
    if (row.runtimeStatus === "Suspended") {
      throw new DurableError("InvalidState", `Instance '${instanceId}' is already suspended; resume it first.`);
    }
    await this.send(row, { EventType: "ExecutionSuspended", EventId: -1, Timestamp: this.clock.now(), Reason: reason ?? null });
  }

  async resume(instanceId: string, reason?: string): Promise<void> {
    const row = await this.requireRunning(instanceId, "resume");
    if (row.runtimeStatus !== "Suspended") {
      throw new DurableError("InvalidState", `Instance '${instanceId}' is ${row.runtimeStatus}, not Suspended; only a suspended instance can be resumed.`);
    }
    await this.send(row, { EventType: "ExecutionResumed", EventId: -1, Timestamp: this.clock.now(), Reason: reason ?? null });
  }

  /** Retries a Failed instance from where it failed: the failed activities and sub-orchestrations run again. */
  async rewind(instanceId: string, reason?: string): Promise<void> {
    const row = await this.require(instanceId);
    if (row.runtimeStatus !== "Failed") {
      const code = isTerminal(row.runtimeStatus) ? "InstanceGone" : "InvalidState";
      throw new DurableError(code, `Instance '${instanceId}' is ${row.runtimeStatus}; only Failed instances can be rewound.`);
    }
    if (unreleasedSections(await this.store.getHistory(instanceId)).length > 0) {
      // Its locks were released when it failed: rewound, it would go on inside a critical section it no longer holds.
      throw new DurableError(
        "InvalidState",
        `Instance '${instanceId}' failed inside a critical section (lockEntities); its locks were released when it failed, so it cannot be rewound into it. Restart it instead.`,
      );
    }
    await this.send(row, { EventType: "ExecutionRewound", EventId: -1, Timestamp: this.clock.now(), Reason: reason ?? null });
  }

  /**
   * Starts the instance's orchestration again with its original input: under a new id (the default,
   * as in Durable Functions) or, once it has finished, under the same id. Returns the id used.
   */
  async restart(instanceId: string, options: { restartWithNewInstanceId?: boolean | undefined } = {}): Promise<string> {
    const row = await this.require(instanceId);
    const newId = options.restartWithNewInstanceId !== false;
    const moved = movedInfo(row);
    if (!newId && moved) {
      throw new DurableError("InstanceGone", `Instance '${instanceId}' was moved to ${moved.to}; it runs there, so it is not restarted here under the same ID. Restart it there, or here with a new ID.`);
    }
    if (!newId && !isTerminal(row.runtimeStatus)) {
      throw new DurableError(
        "InstanceStillRunning",
        `Instance '${instanceId}' is ${row.runtimeStatus}; it can be restarted under the same ID only once it has finished. Terminate it first, or restart with a new ID.`,
      );
    }
    const history = await this.store.getHistory(instanceId);
    const started = history.find((e) => e.EventType === "ExecutionStarted");
    const input = started?.EventType === "ExecutionStarted" ? started.Input : row.input;
    const id = newId ? newInstanceId() : instanceId;
    await this.create(id, row.name, input, row.version);
    return id;
  }

  /** Deletes a finished instance and its history. Returns `{ instancesDeleted: 0 }` when there was none. */
  async purge(instanceId: string): Promise<PurgeResult> {
    refuseEntity(instanceId); // an entity is removed by cleanEntityStorage, which keeps one whose inbox is not empty
    const row = await this.store.getInstance(instanceId);
    if (!row) return { instancesDeleted: 0 };
    if (!isTerminal(row.runtimeStatus)) {
      throw new DurableError(
        "InstanceStillRunning",
        `Instance '${instanceId}' is ${row.runtimeStatus}; only finished instances can be purged. Terminate it first.`,
      );
    }
    const deleted = await this.store.purgeInstance(instanceId, TERMINAL_STATUSES);
    if (deleted) this.changed(instanceId);
    return { instancesDeleted: deleted ? 1 : 0 };
  }

  /** Deletes every finished instance that matches the filter. */
  async purgeBy(filter: PurgeFilter = {}): Promise<PurgeResult> {
    const query = toPurgeQuery(filter, 500);
    if (query.runtimeStatus!.length === 0) return { instancesDeleted: 0 };
    let deleted = 0;
    for (;;) {
      const page = await this.store.listInstances(query);
      for (const row of page.items) {
        if (!(await this.store.purgeInstance(row.instanceId, query.runtimeStatus!))) continue;
        deleted++;
        this.changed(row.instanceId);
      }
      if (!page.next) break;
      query.after = page.next;
    }
    return { instancesDeleted: deleted };
  }

  /** Resolves with the final status once the instance finished; throws `Timeout` otherwise. */
  async waitForCompletion(instanceId: string, options: WaitOptions = {}): Promise<OrchestrationStatus> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const pollMs = options.pollIntervalMs ?? 1000;
    const deadline = Date.now() + timeoutMs;
    let wake: (() => void) | null = null;
    const unsubscribe = this.options.subscribe?.((row) => {
      if (row.instanceId === instanceId) wake?.();
    });
    try {
      for (;;) {
        const status = await this.getStatus(instanceId);
        if (!status) throw new DurableError("InstanceNotFound", `No instance with ID '${instanceId}' exists.`);
        if (isTerminal(status.runtimeStatus)) return status;
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new DurableError("Timeout", `Instance '${instanceId}' is still ${status.runtimeStatus} after ${timeoutMs} ms.`);
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(pollMs, left));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
      }
    } finally {
      unsubscribe?.();
    }
  }

  /**
   * The instance as a versioned JSON document (`InstanceDocument`): its row, whole history, inbox
   * (pending timers, buffered events, results not yet consumed), queued and running activities,
   * and references to its sub-orchestrations. With `move`, it stops here (see `ExportOptions.move`)
   * in the same transaction; one that waits for running sub-orchestrations moves with them, as a
   * tree (`descendants`, see `exportTree`: each instance sealed in a transaction of its own,
   * parents first). A running sub-orchestration alone is not moved (`InvalidState`, naming its
   * tree's root), and one moved away already answers `InstanceGone`, saying where it went.
   */
  async exportInstance(instanceId: string, options: ExportOptions = {}): Promise<InstanceDocument> {
    const store = this.travelStore("exportInstance");
    if (typeof instanceId !== "string" || instanceId === "") throw new DurableError("InvalidInstanceId", "An instance ID is required.");
    const now = this.clock.now();
    const move = options.move === true;
    const to = options.to ?? "another host";
    if (typeof to !== "string" || to.length > 2048) throw new DurableError("InvalidArgument", "The destination (to) must be a string of at most 2,048 characters.");
    const source = options.source ?? this.options.source ?? null;
    const sealed: string[] = [];
    const host: TreeHost = {
      part: async (id, request) => {
        const result = await exportPart(store, id, request);
        if (result.kind === "document" && result.sealed) sealed.push(id);
        return result;
      },
      rowOf: async (id) => (await store.getInstance(id)) ?? null,
    };
    try {
      return await exportTree(host, instanceId, { move, to, now, source });
    } finally {
      if (sealed.length > 0) {
        for (const id of sealed) this.changed(id);
        this.options.onWrite?.();
      }
    }
  }

  /**
   * Recreates an instance from a document (`exportInstance`, possibly from another host), in one
   * transaction (a tree's every instance in that one transaction where the store can,
   * `Store.importInstances`): it goes on from where it was, its pending timers, buffered events
   * and queued work intact, and activities that were running there are queued again
   * (at-least-once). Returns the id it runs under. Refuses, storing nothing: a malformed or
   * incompatible document (`InvalidArgument`, naming each field), one over the limits
   * (`PayloadTooLarge`), a snapshot without `allowCopy` (`InvalidState`), an id in use
   * (`InstanceAlreadyExists`, see `onConflict`), and, when this client knows the registered
   * orchestrators, an instance they cannot run (`UnknownOrchestrator`, or `InvalidState` when its
   * history does not replay against them); see `planImport`. Importing the same document again
   * (its answer lost, say) leaves what it imported as it is and returns the id.
   */
  async importInstance(document: unknown, options: ImportOptions = {}): Promise<string> {
    const store = this.travelStore("importInstance");
    const plan = planImport(document, options, this.options.registry);
    const targets = await Promise.all(plan.members.map((m) => importTarget(store, m)));
    const write = new Set(membersToWrite(plan, targets));
    if (write.size === 0) return plan.instanceId;
    const now = this.clock.now();
    const snapshots = plan.members.flatMap((m, i) => (write.has(m) ? [importSnapshot(m, now, targets[i])] : []));
    const create = { overwritableStatuses: plan.onConflict === "replace" ? TERMINAL_STATUSES : [] };
    if (snapshots.length === 1) await store.importInstance!(snapshots[0]!, create);
    else if (store.importInstances) await store.importInstances(snapshots, create);
    else for (const s of snapshots) await store.importInstance!(s, create); // parents first
    for (const s of snapshots) this.changed(s.instance.instanceId);
    this.options.onWrite?.();
    return plan.instanceId;
  }

  /**
   * Time travel: the instance as it was right after each event of its current execution (pending
   * tasks, custom status, replay-safe logs, status, the decision it took next), computed by
   * running this host's orchestrator code over its history (`timeTravel`). Commits nothing.
   * Needs the client to know the orchestrators (the runtime's and the hosts' clients do).
   */
  async timeTravel(instanceId: string): Promise<TimeTravel> {
    const row = await this.require(instanceId);
    const registry = this.options.registry;
    if (!registry) throw new DurableError("InvalidState", "This client does not know the orchestrators (no registry), so it cannot replay them.");
    if (!registry.orchestrator(row.name)) throw new DurableError("UnknownOrchestrator", `No orchestrator named '${row.name}' is registered here, so instance '${instanceId}' cannot be replayed.`);
    const history = await this.store.getHistory(instanceId);
    return timeTravel(registry, { instanceId, name: row.name, history });
  }

  /** The id and the eight management URLs of an instance (Durable Functions' `HttpManagementPayload`). */
  createHttpManagementPayload(instanceId: string, options: ManagementUrlOptions): HttpManagementPayload {
    return createHttpManagementPayload(instanceId, options);
  }

  /** The 202 answer of an HTTP starter: `Location`, `Retry-After: 10` and the management payload. */
  createCheckStatusResponse(instanceId: string, options: ManagementUrlOptions): CheckStatusResponse {
    return createCheckStatusResponse(instanceId, options);
  }

  // --- internals ---

  /** Tells this client's watches of `instanceId` that it changed (a write of this client's, not a commit the runtime announces). */
  private changed(instanceId: string): void {
    const local = this.watchers.get(instanceId);
    if (local) for (const changed of [...local]) changed();
  }

  private travelStore(method: "exportInstance" | "importInstance"): Store {
    if (typeof this.store.exportInstance !== "function" || typeof this.store.importInstance !== "function") {
      throw new DurableError("InvalidState", `This store cannot ${method === "exportInstance" ? "export" : "import"} instances (it has no ${method}); the memory, IndexedDB and Durable Object stores can.`);
    }
    return this.store;
  }

  private async require(instanceId: string): Promise<InstanceRecord> {
    if (typeof instanceId !== "string" || instanceId === "") {
      throw new DurableError("InvalidInstanceId", "An instance ID is required.");
    }
    refuseEntity(instanceId);
    const row = await this.store.getInstance(instanceId);
    if (!row) throw new DurableError("InstanceNotFound", `No instance with ID '${instanceId}' found.`);
    return row;
  }

  private async requireRunning(instanceId: string, action: string): Promise<InstanceRecord> {
    const row = await this.require(instanceId);
    if (isTerminal(row.runtimeStatus)) {
      const moved = movedInfo(row);
      if (moved) {
        throw new DurableError("InstanceGone", `Cannot ${action} instance '${instanceId}' here: it was moved to ${moved.to} at ${new Date(moved.at).toISOString()}. Send it there.`);
      }
      throw new DurableError("InstanceGone", `Cannot ${action} instance '${instanceId}': it is ${row.runtimeStatus}.`);
    }
    return row;
  }

  private async send(row: InstanceRecord, event: InboxMessage["event"]): Promise<void> {
    await this.store.appendMessages([
      { id: `${row.instanceId}|client|${newInstanceId()}`, instanceId: row.instanceId, executionId: null, visibleAt: event.Timestamp, event },
    ]);
    this.options.onWrite?.();
  }
}

/** Orchestration operations on an entity's instance id are refused, saying what to use instead. */
function refuseEntity(instanceId: string): void {
  if (typeof instanceId === "string" && isEntityInstanceId(instanceId)) {
    throw new DurableError(
      "InvalidInstanceId",
      `'${instanceId}' is an entity's ID, not an orchestration's: use signalEntity, readEntityState or getEntity (HTTP: …/entities/{name}/{key}).`,
    );
  }
}
