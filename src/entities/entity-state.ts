/**
 * @module entities/entity-state — what an entity's instance row holds. An entity is an instance
 * row `@name@key` (see `store.ts`) whose `input` is this document, as JSON: the entity's state,
 * who holds its lock, the requests queued behind the lock. No history is kept: each batch of
 * operations replaces the document in one fenced commit.
 */
import type { Json } from "../json.ts";
import type { InstanceRecord } from "../store.ts";
import type { EntityRequest } from "./entity-messages.ts";

export const ENTITY_STATE_VERSION = 1;
/** The `executionId` of every entity row (entities have no executions). */
export const ENTITY_EXECUTION_ID = "entity";

export interface EntityLockHolder {
  /** The orchestration instance that holds the lock. */
  instanceId: string;
  executionId: string | null;
  /** The id of its lock request. */
  requestId: string;
  /** Every entity of its critical section. */
  lockset: string[];
}

export interface EntityRecordState {
  v: typeof ENTITY_STATE_VERSION;
  exists: boolean;
  /** The state as JSON text (null when there is none). */
  state: Json;
  lock: EntityLockHolder | null;
  /** Requests from others that arrived while the lock was held, in arrival order. */
  queue: EntityRequest[];
  /** Releases that arrived before their lock request (so that the late request does not lock). */
  released: { id: string; at: number }[];
  /** The last operation run, and when (epoch ms). */
  lastOperation: string | null;
  lastOperationAt: number | null;
}

export function emptyEntityState(): EntityRecordState {
  return { v: ENTITY_STATE_VERSION, exists: false, state: null, lock: null, queue: [], released: [], lastOperation: null, lastOperationAt: null };
}

/** The entity document of an entity's row (an empty one for no row, or one that cannot be read). */
export function readEntityRecord(row: InstanceRecord | undefined): EntityRecordState {
  if (!row || typeof row.input !== "string") return emptyEntityState();
  try {
    const value = JSON.parse(row.input) as Partial<EntityRecordState> | null;
    if (!value || value.v !== ENTITY_STATE_VERSION) return emptyEntityState();
    return {
      v: ENTITY_STATE_VERSION,
      exists: value.exists === true,
      state: typeof value.state === "string" ? value.state : null,
      lock: value.lock ?? null,
      queue: Array.isArray(value.queue) ? value.queue : [],
      released: Array.isArray(value.released) ? value.released : [],
      lastOperation: typeof value.lastOperation === "string" ? value.lastOperation : null,
      lastOperationAt: typeof value.lastOperationAt === "number" ? value.lastOperationAt : null,
    };
  } catch {
    return emptyEntityState();
  }
}

/** Whether the entity holds nothing: no state, no lock, nothing queued (`cleanEntityStorage` may remove it). */
export function isIdleEntity(state: EntityRecordState): boolean {
  return !state.exists && state.lock === null && state.queue.length === 0;
}
