/**
 * @module list-query — how a client's list and purge filters become a store query, and list
 * positions become continuation tokens. Shared by every client (one store, or many Durable Objects).
 */
import { DurableError } from "./errors.ts";
import { isRuntimeStatus, isTerminal, RUNTIME_STATUSES, TERMINAL_STATUSES, type RuntimeStatus } from "./status.ts";
import type { InstanceQuery } from "./store.ts";

export const MAX_PAGE_SIZE = 1000;

export interface ListFilter {
  runtimeStatus?: readonly RuntimeStatus[] | undefined;
  createdTimeFrom?: Date | number | undefined;
  createdTimeTo?: Date | number | undefined;
  instanceIdPrefix?: string | undefined;
  /** Default 100, at most 1,000. */
  pageSize?: number | undefined;
  continuationToken?: string | null | undefined;
}

export interface ListPosition {
  createdAt: number;
  instanceId: string;
}

/** Validates a list filter and turns it into a store query (`InvalidArgument` when it is off). */
export function toInstanceQuery(filter: ListFilter): InstanceQuery {
  const pageSize = filter.pageSize ?? 100;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new DurableError("InvalidArgument", `pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${String(pageSize)}.`);
  }
  for (const s of filter.runtimeStatus ?? []) {
    if (!isRuntimeStatus(s)) throw new DurableError("InvalidArgument", `Unknown runtime status '${s}'. Use one of ${RUNTIME_STATUSES.join(", ")}.`);
  }
  if (filter.instanceIdPrefix?.startsWith("@")) {
    throw new DurableError("InvalidArgument", `Instance IDs starting with '@' are entities'; list them with listEntities (GET …/entities), not as orchestrations.`);
  }
  return {
    runtimeStatus: filter.runtimeStatus && filter.runtimeStatus.length > 0 ? filter.runtimeStatus : undefined,
    createdFrom: toMs(filter.createdTimeFrom, "createdTimeFrom"),
    createdTo: toMs(filter.createdTimeTo, "createdTimeTo"),
    instanceIdPrefix: filter.instanceIdPrefix || undefined,
    limit: pageSize,
    after: filter.continuationToken ? decodeContinuationToken(filter.continuationToken) : undefined,
  };
}

/** The store query of a purge-by-filter: finished instances only (running ones are never purged). */
export function toPurgeQuery(filter: { createdTimeFrom?: Date | number | undefined; createdTimeTo?: Date | number | undefined; runtimeStatus?: readonly RuntimeStatus[] | undefined }, limit: number): InstanceQuery {
  return {
    runtimeStatus: (filter.runtimeStatus ?? TERMINAL_STATUSES).filter(isTerminal),
    createdFrom: toMs(filter.createdTimeFrom, "createdTimeFrom"),
    createdTo: toMs(filter.createdTimeTo, "createdTimeTo"),
    limit,
  };
}

export function encodeContinuationToken(position: ListPosition): string {
  return `${position.createdAt.toString(36)}.${encodeURIComponent(position.instanceId)}`;
}

export function decodeContinuationToken(token: string): ListPosition {
  const dot = token.indexOf(".");
  const createdAt = dot > 0 ? parseInt(token.slice(0, dot), 36) : NaN;
  let instanceId = "";
  try {
    instanceId = decodeURIComponent(token.slice(dot + 1));
  } catch {
    instanceId = "";
  }
  if (!Number.isFinite(createdAt) || instanceId === "") {
    throw new DurableError("InvalidArgument", "The continuation token is not valid; pass back the token a previous page returned.");
  }
  return { createdAt, instanceId };
}

function toMs(value: Date | number | undefined, what: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === "number" ? value : value.getTime();
  if (!Number.isFinite(ms)) throw new DurableError("InvalidArgument", `${what} is not a valid date.`);
  return ms;
}
