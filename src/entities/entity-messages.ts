/**
 * @module entities/entity-messages — what orchestrations, clients and entities send each other, in
 * Durable Functions' shapes: a request is an `EventRaised` named "op" whose input is the request
 * message (JSON), a release is one named "release", and the answer to a call or a lock is an
 * `EventRaised` named by the request's id, sent to the caller's execution. Orchestrations record
 * what they send as `EventSent`, so their histories read as Durable Functions' do.
 */
import type { FailureDetails } from "../errors.ts";
import type { HistoryEvent } from "../history.ts";
import type { Json } from "../json.ts";
import type { InboxMessage } from "../store.ts";

export const OPERATION_EVENT = "op";
export const RELEASE_EVENT = "release";

/** An operation, a signal, or a lock request, as the entity receives it. */
export interface EntityRequest {
  /** Unique per request: answers are matched to it, and an entity never applies one id twice. */
  id: string;
  /** The operation; null for a lock request. */
  op: string | null;
  /** One-way: nobody waits for an answer. */
  signal?: boolean | undefined;
  /** The operation's input, as JSON text (absent: no input). */
  input?: Json | undefined;
  /** The calling orchestration (calls and lock requests). */
  parent?: string | undefined;
  parentExecution?: string | undefined;
  /** Lock requests: every entity of the critical section, as instance ids in lock order. */
  lockset?: string[] | undefined;
  /** Lock requests: the position in `lockset` of the entity this request is for. */
  pos?: number | undefined;
  /** Epoch ms when it was sent. */
  timestamp: number;
}

/** A lock's release, sent by the orchestration that held it to each of its entities. */
export interface EntityRelease {
  /** The orchestration. */
  parent: string;
  /** The id of the lock request. */
  id: string;
}

/** The answer to a call (or to a lock request: `result` null). */
export interface EntityResponse {
  /** The operation's result, as JSON text. */
  result: Json;
  /** Present when the operation failed: the error's type, as Durable Functions sends it. */
  exceptionType?: string | undefined;
  failureDetails?: FailureDetails | undefined;
}

export const entityMessageIds = {
  /** Zero-padded, so that ids sort in send order (a Durable Object's outbox delivers in id order). */
  fromOrchestration: (instanceId: string, executionId: string, sequence: number) => `${instanceId}|${executionId}|send|${String(sequence).padStart(6, "0")}`,
  fromEntity: (entityInstanceId: string, requestId: string, index: number) => `${entityInstanceId}|${requestId}|out|${index}`,
  response: (requestId: string) => `${requestId}|response`,
  lockForward: (target: string, requestId: string) => `${target}|lock|${requestId}`,
};

/** The message that carries a request to an entity. */
export function requestMessage(id: string, entityInstanceId: string, request: EntityRequest, visibleAt: number): InboxMessage {
  return { id, instanceId: entityInstanceId, executionId: null, visibleAt, event: requestEvent(request, visibleAt) };
}

export function requestEvent(request: EntityRequest, timestamp: number): HistoryEvent {
  return { EventType: "EventRaised", EventId: -1, Timestamp: timestamp, Name: OPERATION_EVENT, Input: JSON.stringify(request) };
}

/** The message that answers `request` (a call or a lock request) in its caller's inbox. */
export function responseMessage(request: EntityRequest, response: EntityResponse, now: number): InboxMessage {
  return {
    id: entityMessageIds.response(request.id),
    instanceId: request.parent!,
    executionId: request.parentExecution ?? null,
    visibleAt: now,
    event: { EventType: "EventRaised", EventId: -1, Timestamp: now, Name: request.id, Input: JSON.stringify(response) },
  };
}

/** Reads a request out of an entity's inbox message; null when it is not one (or is malformed). */
export function readRequest(event: HistoryEvent): EntityRequest | null {
  if (event.EventType !== "EventRaised" || event.Name !== OPERATION_EVENT || typeof event.Input !== "string") return null;
  const value = parseObject(event.Input);
  if (!value || typeof value.id !== "string" || (value.op !== null && typeof value.op !== "string")) return null;
  if (value.input !== undefined && value.input !== null && typeof value.input !== "string") return null;
  if (value.op === null && (!Array.isArray(value.lockset) || typeof value.pos !== "number" || typeof value.parent !== "string")) return null;
  return value as unknown as EntityRequest;
}

export function readRelease(event: HistoryEvent): EntityRelease | null {
  if (event.EventType !== "EventRaised" || event.Name !== RELEASE_EVENT || typeof event.Input !== "string") return null;
  const value = parseObject(event.Input);
  if (!value || typeof value.parent !== "string" || typeof value.id !== "string") return null;
  return { parent: value.parent, id: value.id };
}

export function readResponse(input: Json): EntityResponse | null {
  if (typeof input !== "string") return null;
  const value = parseObject(input);
  if (!value || (value.result !== null && value.result !== undefined && typeof value.result !== "string")) return null;
  return value as unknown as EntityResponse;
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
