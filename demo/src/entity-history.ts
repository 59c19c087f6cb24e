/**
 * @module entity-history — what an orchestration's history says about entities: each request it
 * sent (an `EventSent` named "op" whose input is the request: a call, a one-way signal, or a lock
 * request with its lock set), the answer to it (the `EventRaised` named by the request's id), and
 * each release (an `EventSent` named "release"); from these, the critical section it holds or
 * waits for. Needs the detailed history (`detailed-history.ts` keeps the `EventSent` inputs, which
 * the status API's rendering leaves out). Pure, so it is tested in Node.
 */

type Row = Record<string, unknown>;

export type EntityRequestKind = "call" | "signal" | "lock";

export interface EntityRequestInfo {
  kind: EntityRequestKind;
  requestId: string;
  /** The entity it went to (`@name@key`); a lock request goes to the first of its lock set. */
  entity: string;
  /** The operation; null for a lock request. */
  op: string | null;
  /** The operation's input (undefined: none). */
  input?: unknown;
  /** Lock requests: every entity of the critical section, in lock order; otherwise `[entity]`. */
  lockset: string[];
  sentAt: number;
  /** Calls and lock requests: when the answer arrived (null while waiting). */
  answeredAt: number | null;
  /** A call's result. */
  result?: unknown;
  /** A failed call (or a lock request that could not be served): the error. */
  failure?: string;
  /** Lock requests: when the orchestration sent the release (null while held or waiting). */
  releasedAt: number | null;
  /** The history rows this request covers (sent, answer, releases), for the JSON viewer. */
  events: Row[];
}

export interface EntityHistory {
  requests: EntityRequestInfo[];
  /** The request of each `EventSent` row that sent one. */
  bySentRow: Map<Row, EntityRequestInfo>;
  /** Rows folded into a request (its answer, its releases): not shown on their own. */
  folded: Set<Row>;
}

export function readEntityHistory(rows: readonly Row[]): EntityHistory {
  const requests: EntityRequestInfo[] = [];
  const bySentRow = new Map<Row, EntityRequestInfo>();
  const byId = new Map<string, EntityRequestInfo>();
  const folded = new Set<Row>();
  for (const row of rows) {
    const type = row.EventType;
    if (type === "EventSent") {
      const input = asObject(row.Input);
      if (!input || typeof input.id !== "string") continue;
      if (row.Name === "release") {
        const lock = byId.get(input.id);
        if (lock && lock.kind === "lock") {
          lock.releasedAt ??= time(row.Timestamp);
          lock.events.push(row);
          folded.add(row);
        }
        continue;
      }
      if (row.Name !== "op" || (input.op !== null && typeof input.op !== "string")) continue;
      const target = typeof row.InstanceId === "string" ? row.InstanceId : "";
      const lockset = input.op === null && Array.isArray(input.lockset) ? input.lockset.filter((e): e is string => typeof e === "string") : [target];
      const request: EntityRequestInfo = {
        kind: input.op === null ? "lock" : input.signal === true ? "signal" : "call",
        requestId: input.id,
        entity: target,
        op: input.op as string | null,
        lockset,
        sentAt: time(row.Timestamp),
        answeredAt: null,
        releasedAt: null,
        events: [row],
      };
      if (typeof input.input === "string") request.input = parseJson(input.input);
      requests.push(request);
      bySentRow.set(row, request);
      if (request.kind !== "signal") byId.set(request.requestId, request);
    } else if (type === "EventRaised" && typeof row.Name === "string") {
      const request = byId.get(row.Name);
      if (!request || request.answeredAt !== null) continue;
      request.answeredAt = time(row.Timestamp);
      const response = asObject(row.Input) ?? {};
      const failure = asObject(response.failureDetails);
      if (failure || typeof response.exceptionType === "string") {
        const type = typeof failure?.ErrorType === "string" ? failure.ErrorType : typeof response.exceptionType === "string" ? response.exceptionType : "Error";
        request.failure = typeof failure?.ErrorMessage === "string" ? `${type}: ${failure.ErrorMessage}` : type;
      } else if (request.kind === "call") {
        request.result = typeof response.result === "string" ? parseJson(response.result) : null;
      }
      request.events.push(row);
      folded.add(row);
    }
  }
  return { requests, bySentRow, folded };
}

export interface CriticalSection {
  requestId: string;
  /** Its entities, in lock order (`@name@key`). */
  lockset: string[];
  /** "held": every lock granted; "waiting": the request is out, not all granted yet. */
  state: "held" | "waiting";
  /** When it was requested, and (held) granted. */
  requestedAt: number;
  acquiredAt: number | null;
}

/**
 * The critical section the orchestration is in or waiting for: its last lock request with no
 * release sent. None once it is finished (the runtime releases what an ending orchestration held)
 * or when the request failed.
 */
export function openCriticalSection(rows: readonly Row[], finished: boolean): CriticalSection | null {
  if (finished) return null;
  const locks = readEntityHistory(rows).requests.filter((r) => r.kind === "lock");
  const last = locks[locks.length - 1];
  if (!last || last.releasedAt !== null || last.failure !== undefined) return null;
  return {
    requestId: last.requestId,
    lockset: last.lockset,
    state: last.answeredAt === null ? "waiting" : "held",
    requestedAt: last.sentAt,
    acquiredAt: last.answeredAt,
  };
}

function asObject(value: unknown): Record<string, unknown> | null {
  if (typeof value === "string") value = parseJson(value);
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function time(value: unknown): number {
  const ms = typeof value === "number" ? value : Date.parse(String(value));
  return Number.isFinite(ms) ? ms : 0;
}
