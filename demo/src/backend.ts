/**
 * @module backend — what the dashboard needs from "a place where orchestrations run": this tab's
 * runtime (a client plus change notifications) or the Worker's HTTP API. One interface, two
 * implementations (`local-backend.ts`, `http-backend.ts`).
 */
import type { OrchestrationStatus, RegisteredFunctions, RuntimeStatus, TimeTravel, TimeTravelFrame } from "../../src/index.ts";

export type { OrchestrationStatus, RegisteredFunctions, RuntimeStatus, TimeTravel, TimeTravelFrame };

export type Side = "tab" | "edge";

export interface InstanceFilter {
  runtimeStatus: RuntimeStatus[];
  instanceIdPrefix: string;
  /** Epoch ms, or null for no bound. */
  createdFrom: number | null;
  createdTo: number | null;
  pageSize: number;
}

export interface InstancePage {
  instances: OrchestrationStatus[];
  /** Pass back for the next page; null on the last one. */
  continuationToken: string | null;
}

/** Which entities to list: one name (the API's filter: case-insensitive, whole name) or every one. */
export interface EntityFilter {
  /** An entity name, or "" for every entity. */
  name: string;
  pageSize: number;
}

/** One entity, as the dashboard shows it (either side). */
export interface EntityInfo {
  /** The instance that holds it: `@name@key` (the name lower-cased). */
  instanceId: string;
  /** The name as listed (lower-cased by the store; `entityLabel` shows the registered spelling). */
  name: string;
  key: string;
  /** Whether it holds state (a deleted entity, or one only locked so far, does not). */
  exists: boolean;
  /** Its state, when it has one. */
  state?: unknown;
  lastOperation: string | null;
  /** ISO 8601, or null before the first operation. */
  lastOperationTime: string | null;
  /** The orchestration holding its lock (a critical section), if any. */
  lockedBy: string | null;
  /** Requests waiting behind the lock. */
  backlog: number;
}

export interface EntityListPage {
  entities: EntityInfo[];
  /** Pass back for the next page; null on the last one. */
  continuationToken: string | null;
}

/**
 * What a side runs, for the start form (every orchestrator) and the signal form (the entities):
 * the side's own answer (the tab's client `registered()`, the Worker's `GET {base}/functions`), or,
 * where the side cannot tell, the functions the page itself knows, with `fallback` saying why.
 */
export interface SideFunctions extends RegisteredFunctions {
  /** null: the side's own list; otherwise why the page's own copy is offered instead. */
  fallback: string | null;
}

export interface Backend {
  readonly side: Side;
  /** Starts an orchestration by name (as `instanceId` when given); resolves with the instance id. */
  start(name: string, input: unknown, instanceId?: string): Promise<string>;
  /** What this side registers (see `SideFunctions`). */
  registered(): Promise<SideFunctions>;
  list(filter: InstanceFilter, continuationToken: string | null): Promise<InstancePage>;
  /** Status with input, output, custom status and history (with results); undefined when unknown. */
  get(instanceId: string): Promise<OrchestrationStatus | undefined>;
  raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<void>;
  terminate(instanceId: string, reason: string): Promise<void>;
  suspend(instanceId: string, reason: string): Promise<void>;
  resume(instanceId: string, reason: string): Promise<void>;
  rewind(instanceId: string, reason: string): Promise<void>;
  /** Starts the instance's orchestration again with its input, under a new id (returned). */
  restart(instanceId: string): Promise<string>;
  /** Deletes a finished instance and its history; resolves with how many were deleted. */
  purge(instanceId: string): Promise<number>;
  /**
   * The instance right after each event of its history, computed where its code is by running the
   * real orchestrator over the history (the tab's client, or the Worker's `…/timetravel` route).
   */
  timeTravel(instanceId: string): Promise<TimeTravel>;
  /**
   * A page of entities, with their state. Lists those that hold state, a lock or a backlog
   * (an entity deleted and idle is left out).
   */
  listEntities(filter: EntityFilter, continuationToken: string | null): Promise<EntityListPage>;
  /** One entity with its state, lock holder, backlog and last operation; undefined when there is none. */
  getEntity(name: string, key: string): Promise<EntityInfo | undefined>;
  /** Signals an operation (one-way); `input` undefined sends none. The entity exists once signalled. */
  signalEntity(name: string, key: string, operation: string, input: unknown): Promise<void>;
  /** Deletes the entity's state (the operation `delete`, as Durable Functions' DELETE route signals it). */
  deleteEntity(name: string, key: string): Promise<void>;
  /**
   * Pushes one instance's status as it changes (the Worker's stream route), if this backend can;
   * `status` events replace polling it, `gone` means it was purged or never existed, `unavailable`
   * that there is no stream here (poll instead). Returns a stop function.
   */
  watch?(instanceId: string, listener: (event: WatchEvent) => void): () => void;
  /** Calls `listener` (coalesced) whenever something may have changed; returns an unsubscribe. */
  subscribe(listener: () => void): () => void;
  /** Releases what the backend holds (timers; the tab's runtime is shared and stays). */
  close(): void;
}

export type WatchEvent = { type: "status"; status: OrchestrationStatus } | { type: "gone" } | { type: "unavailable"; reason: string };

/** An error a person can cause or see, with the API's code (e.g. `InstanceGone`) when there is one. */
export class BackendError extends Error {
  readonly code: string;
  /** The HTTP status, for errors from the Worker's API. */
  readonly status: number | undefined;
  constructor(code: string, message: string, status?: number) {
    super(message);
    this.code = code;
    this.status = status;
    this.name = "BackendError";
  }
}

/** Turns anything thrown by a backend into a message fit for the page. */
export function describeError(error: unknown): { code: string; message: string; status?: number } {
  if (error instanceof BackendError) return { code: error.code, message: error.message, ...(error.status === undefined ? {} : { status: error.status }) };
  if (typeof error === "object" && error !== null && "code" in error && "message" in error) {
    const e = error as { code: unknown; message: unknown };
    if (typeof e.code === "string" && typeof e.message === "string") return { code: e.code, message: e.message };
  }
  if (error instanceof Error) return { code: error.name, message: error.message };
  return { code: "Error", message: String(error) };
}
