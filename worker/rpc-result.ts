/**
 * @module worker/rpc-result — typed errors across RPC. Workers RPC keeps an error's message but not
 * its `code`, so objects answer `{ ok, value }` or `{ ok: false, code, message }` and the caller
 * turns the latter back into the same `DurableError`.
 */
import { DurableError, ERROR_CODES, type ErrorCode } from "../src/index.ts";

export type RpcResult<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; message: string };

/** Runs `fn`; a `DurableError` becomes a failed result, anything else propagates. */
export async function capture<T>(fn: () => T | Promise<T>): Promise<RpcResult<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    if (DurableError.is(error)) return { ok: false, code: error.code, message: error.message };
    throw error;
  }
}

export function unwrap<T>(result: RpcResult<T>): T {
  if (result.ok) return result.value;
  const code = (ERROR_CODES as readonly string[]).includes(result.code) ? result.code : "StoreUnavailable";
  throw new DurableError(code, result.message);
}
