/**
 * @module worker/continuation-token — list positions as `x-ms-continuation-token` values, in the
 * same format as the core's `DurableClient` (`{createdAt base36}.{encoded instance id}`).
 */
import { DurableError } from "../src/index.ts";

export interface ListPosition {
  createdAt: number;
  instanceId: string;
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
