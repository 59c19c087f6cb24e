/**
 * @module entities/entity-client — entities from outside an orchestration: signal one, read its
 * state, list them, clean up empty ones and orphaned locks. Over one store (`DurableClient`);
 * the Worker implements the same `EntityClient` over its Durable Objects.
 */
import type { Clock } from "../clock.ts";
import { DurableError } from "../errors.ts";
import { newInstanceId } from "../guid.ts";
import { fromJson, toJson } from "../json.ts";
import { decodeContinuationToken, encodeContinuationToken, MAX_PAGE_SIZE } from "../list-query.ts";
import { isTerminal } from "../status.ts";
import type { InboxMessage, InstanceQuery, InstanceRecord, Store } from "../store.ts";
import type { EntityOperations, OperationArgs, OperationName, SignalOptions, UntypedOperations } from "./entity-definition.ts";
import { entityInstanceId, parseEntityInstanceId, toEntityId, type EntityId, type EntityIdLike } from "./entity-id.ts";
import { RELEASE_EVENT, requestMessage, type EntityRelease } from "./entity-messages.ts";
import { isIdleEntity, readEntityRecord } from "./entity-state.ts";
import type { EntityRef } from "../context.ts";

export interface EntityStateResponse<T = unknown> {
  entityExists: boolean;
  /** The state, when the entity exists. */
  entityState?: T | undefined;
}

/** What a listing or `getEntity` says about one entity. */
export interface EntityMetadata<T = unknown> {
  entityId: { name: string; key: string };
  /** ISO 8601, or null before the first operation. */
  lastOperationTime: string | null;
  lastOperation: string | null;
  entityExists: boolean;
  /** The orchestration holding its lock, if any. */
  lockedBy: string | null;
  /** Requests waiting behind the lock. */
  backlogQueueSize: number;
  /** With `fetchState` / `includeState`. */
  state?: T | undefined;
}

export interface EntityQuery {
  /** Only entities of this name (case-insensitive). */
  entityName?: string | undefined;
  lastOperationFrom?: Date | number | undefined;
  lastOperationTo?: Date | number | undefined;
  /** Default 100, at most 1,000. Fewer may come back even when more follow. */
  pageSize?: number | undefined;
  continuationToken?: string | null | undefined;
  /** Include each entity's state (default false). */
  fetchState?: boolean | undefined;
  /** Include entities that hold no state (deleted, or never given any; default false). */
  includeDeleted?: boolean | undefined;
}

export interface EntityPage {
  entities: EntityMetadata[];
  continuationToken: string | null;
}

export interface CleanEntityStorageOptions {
  /** Remove entities that hold no state, no lock and nothing queued (default true). */
  removeEmptyEntities?: boolean | undefined;
  /** Release locks held by orchestrations that are gone or finished (default true). */
  releaseOrphanedLocks?: boolean | undefined;
}

export interface CleanEntityStorageResult {
  emptyEntitiesRemoved: number;
  orphanedLocksReleased: number;
}

export interface SignalEntityOptions extends SignalOptions {}

/** Entities from outside: `DurableClient` and the Worker's client implement it. */
export interface EntityClient {
  signalEntity<Ops extends EntityOperations = UntypedOperations, K extends OperationName<Ops> = OperationName<Ops>>(
    entity: EntityRef<Ops>,
    operation: K,
    ...args: [...OperationArgs<Ops, K>, options?: SignalEntityOptions]
  ): Promise<void>;
  readEntityState<T = unknown>(entity: EntityIdLike): Promise<EntityStateResponse<T>>;
  getEntity<T = unknown>(entity: EntityIdLike, options?: { includeState?: boolean | undefined }): Promise<EntityMetadata<T> | undefined>;
  listEntities(query?: EntityQuery): Promise<EntityPage>;
  cleanEntityStorage(options?: CleanEntityStorageOptions): Promise<CleanEntityStorageResult>;
  /**
   * The names of the entities registered where signals run, or undefined when this client cannot
   * tell. Lets callers (the HTTP API: 404) refuse a signal no entity would take.
   */
  entityNames?(): readonly string[] | undefined;
}

/** The message a client's signal is (a fresh id: each call is its own operation). */
export function signalMessage(entity: EntityIdLike, operation: string, input: unknown, options: SignalEntityOptions | undefined, now: number): InboxMessage {
  const id = toEntityId(entity);
  if (typeof operation !== "string" || operation === "") throw new DurableError("InvalidArgument", "signalEntity needs a non-empty operation name.");
  const target = entityInstanceId(id);
  let at = now;
  if (options?.at !== undefined) {
    at = typeof options.at === "number" ? options.at : options.at instanceof Date ? options.at.getTime() : NaN;
    if (!Number.isFinite(at)) throw new DurableError("InvalidArgument", `signalEntity: options.at must be a valid date, got ${String(options.at)}.`);
  }
  const requestId = newInstanceId();
  const json = toJson(input, `The input of signal '${operation}' to entity '${target}'`);
  return requestMessage(`${target}|signal|${requestId}`, target, { id: requestId, op: operation, signal: true, input: json, timestamp: now }, at);
}

/** Splits `signalEntity`'s rest arguments: the input, then the options. */
export function signalArgs(args: readonly unknown[]): { input: unknown; options: SignalEntityOptions | undefined } {
  return { input: args[0], options: args[1] as SignalEntityOptions | undefined };
}

export function entityMetadata(row: InstanceRecord, includeState: boolean): EntityMetadata {
  const id = parseEntityInstanceId(row.instanceId);
  const doc = readEntityRecord(row);
  const metadata: EntityMetadata = {
    entityId: { name: id?.name ?? row.name, key: id?.key ?? "" },
    lastOperationTime: doc.lastOperationAt === null ? null : new Date(doc.lastOperationAt).toISOString(),
    lastOperation: doc.lastOperation,
    entityExists: doc.exists,
    lockedBy: doc.lock?.instanceId ?? null,
    backlogQueueSize: doc.queue.length,
  };
  if (includeState && doc.exists) metadata.state = fromJson(doc.state);
  return metadata;
}

export function entityStateOf<T>(row: InstanceRecord | undefined): EntityStateResponse<T> {
  const doc = readEntityRecord(row);
  return doc.exists ? { entityExists: true, entityState: fromJson<T>(doc.state) } : { entityExists: false };
}

/** Validates an entity query and makes the store query of one page. */
export function toEntityStoreQuery(query: EntityQuery): InstanceQuery {
  const pageSize = query.pageSize ?? 100;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new DurableError("InvalidArgument", `pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${String(pageSize)}.`);
  }
  const name = query.entityName;
  if (name !== undefined && (typeof name !== "string" || name === "" || name.includes("@"))) {
    throw new DurableError("InvalidArgument", `entityName must be a non-empty name without '@', got ${JSON.stringify(name)}.`);
  }
  return {
    instanceIdPrefix: name ? `@${name.toLowerCase()}@` : "@",
    limit: pageSize,
    after: query.continuationToken ? decodeContinuationToken(query.continuationToken) : undefined,
  };
}

/** Whether a listed entity passes the query's filters (its last-operation window; deleted ones only when asked). */
export function entityMatches(metadata: EntityMetadata, query: EntityQuery): boolean {
  if (!metadata.entityExists && query.includeDeleted !== true) return false;
  const from = msOf(query.lastOperationFrom, "lastOperationFrom");
  const to = msOf(query.lastOperationTo, "lastOperationTo");
  if (from === undefined && to === undefined) return true;
  const at = metadata.lastOperationTime === null ? NaN : Date.parse(metadata.lastOperationTime);
  if (!Number.isFinite(at)) return false;
  return (from === undefined || at >= from) && (to === undefined || at <= to);
}

function msOf(value: Date | number | undefined, what: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === "number" ? value : value instanceof Date ? value.getTime() : NaN;
  if (!Number.isFinite(ms)) throw new DurableError("InvalidArgument", `${what} is not a valid date.`);
  return ms;
}

/** At most this many queued signals go to the store in one append. */
const SIGNALS_PER_APPEND = 1000;

interface QueuedSignal {
  message: InboxMessage;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** `EntityClient` over one store. */
export class StoreEntityClient implements EntityClient {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly onWrite: (() => void) | undefined;
  private readonly queuedSignals: QueuedSignal[] = [];
  constructor(store: Store, clock: Clock, onWrite?: () => void) {
    this.store = store;
    this.clock = clock;
    this.onWrite = onWrite;
  }

  async signalEntity(entity: EntityIdLike, operation: string, ...args: unknown[]): Promise<void> {
    const { input, options } = signalArgs(args);
    await this.queueSignal(signalMessage(entity, operation, input, options, this.clock.now()));
  }

  /**
   * Signals sent in the same turn go to the store together, in order, in one append (one
   * transaction in IndexedDB, instead of one each: 10,000 signals sent at once took 10 s in a tab).
   * Each call still resolves once its signal is stored, and fails only for its own signal: a
   * group the store refuses is appended again one signal at a time.
   */
  private queueSignal(message: InboxMessage): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.queuedSignals.length === 0) queueMicrotask(() => void this.appendQueuedSignals());
      this.queuedSignals.push({ message, resolve, reject });
    });
  }

  private async appendQueuedSignals(): Promise<void> {
    const queued = this.queuedSignals.splice(0);
    for (let i = 0; i < queued.length; i += SIGNALS_PER_APPEND) {
      const group = queued.slice(i, i + SIGNALS_PER_APPEND);
      if (group.length > 1) {
        try {
          await this.store.appendMessages(group.map((q) => q.message));
        } catch {
          for (const q of group) await this.append([q]); // one refused signal must not fail the others
          continue;
        }
        this.settle(group);
      } else {
        await this.append(group);
      }
    }
  }

  /** Appends the group's signals, then settles each caller: stored and the runtime told, or the error. */
  private async append(group: readonly QueuedSignal[]): Promise<void> {
    try {
      await this.store.appendMessages(group.map((q) => q.message));
    } catch (error) {
      group.forEach((q) => q.reject(error));
      return;
    }
    this.settle(group);
  }

  private settle(group: readonly QueuedSignal[]): void {
    try {
      this.onWrite?.();
    } catch (error) {
      group.forEach((q) => q.reject(error));
      return;
    }
    group.forEach((q) => q.resolve());
  }

  async readEntityState<T = unknown>(entity: EntityIdLike): Promise<EntityStateResponse<T>> {
    return entityStateOf<T>(await this.store.getInstance(entityInstanceId(toEntityId(entity))));
  }

  async getEntity<T = unknown>(entity: EntityIdLike, options: { includeState?: boolean | undefined } = {}): Promise<EntityMetadata<T> | undefined> {
    const row = await this.store.getInstance(entityInstanceId(toEntityId(entity)));
    return row ? (entityMetadata(row, options.includeState !== false) as EntityMetadata<T>) : undefined;
  }

  async listEntities(query: EntityQuery = {}): Promise<EntityPage> {
    const page = await this.store.listInstances(toEntityStoreQuery(query));
    const entities = page.items.map((row) => entityMetadata(row, query.fetchState === true)).filter((m) => entityMatches(m, query));
    return { entities, continuationToken: page.next ? encodeContinuationToken(page.next) : null };
  }

  async cleanEntityStorage(options: CleanEntityStorageOptions = {}): Promise<CleanEntityStorageResult> {
    const removeEmpty = options.removeEmptyEntities !== false;
    const releaseOrphans = options.releaseOrphanedLocks !== false;
    const result: CleanEntityStorageResult = { emptyEntitiesRemoved: 0, orphanedLocksReleased: 0 };
    const query: InstanceQuery = { instanceIdPrefix: "@", limit: 500 };
    const releases: InboxMessage[] = [];
    for (;;) {
      const page = await this.store.listInstances(query);
      for (const row of page.items) {
        const doc = readEntityRecord(row);
        if (releaseOrphans && doc.lock) {
          const owner = await this.store.getInstance(doc.lock.instanceId);
          const gone = !owner || isTerminal(owner.runtimeStatus) || (doc.lock.executionId !== null && owner.executionId !== doc.lock.executionId);
          if (gone) {
            releases.push(orphanRelease(row.instanceId, doc.lock.instanceId, doc.lock.requestId, this.clock.now()));
            result.orphanedLocksReleased++;
          }
        } else if (removeEmpty && isIdleEntity(doc) && (await this.store.purgeInstance(row.instanceId, ["Completed"], { ifInboxEmpty: true }))) {
          result.emptyEntitiesRemoved++;
        }
      }
      if (!page.next) break;
      query.after = page.next;
    }
    if (releases.length > 0) {
      await this.store.appendMessages(releases);
      this.onWrite?.();
    }
    return result;
  }
}

/** A release sent on behalf of an orchestration that can no longer send it. */
export function orphanRelease(entityInstance: string, owner: string, requestId: string, now: number): InboxMessage {
  const release: EntityRelease = { parent: owner, id: requestId };
  return {
    id: `${entityInstance}|orphan-release|${requestId}`,
    instanceId: entityInstance,
    executionId: null,
    visibleAt: now,
    event: { EventType: "EventRaised", EventId: -1, Timestamp: now, Name: RELEASE_EVENT, Input: JSON.stringify(release) },
  };
}

export type { EntityId };
