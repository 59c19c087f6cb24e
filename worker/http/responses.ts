/**
 * @module worker/http/responses — the answers shared by several routes: the check-status 202, the
 * status answer (202/200/500 by runtime status), and start-then-maybe-wait.
 */
import type { Context } from "hono";
import { createCheckStatusResponse, DurableError, type OrchestrationStatus, type RuntimeStatus } from "../../src/index.ts";
import { HttpError } from "./errors.ts";
import type { Deps } from "./options.ts";
import { booleanParam, queryOf, secondsParam } from "./query.ts";

/** Smallest polling interval honoured while waiting (a 0 would spin on the store). */
export const MIN_POLL_MS = 100;

const STILL_RUNNING: readonly RuntimeStatus[] = ["Pending", "Running", "ContinuedAsNew", "Suspended"];

/** 202 + `Location` (the status URL) + `Retry-After: 10` + the check-status payload. */
export function checkStatusResponse(c: Context, deps: Deps, instanceId: string, returnInternalServerErrorOnFailure = false): Response {
  const { status, headers, body } = createCheckStatusResponse(instanceId, deps.urlOptions(c, { returnInternalServerErrorOnFailure }));
  return c.json(body, status, headers);
}

/**
 * `GET /instances/{id}`: 202 (+ `Location` = this URL, `Retry-After: 5`) while it runs; 200 once
 * Completed or Terminated; Failed → 200, or 500 with `returnInternalServerErrorOnFailure`.
 */
export function statusResponse(c: Context, status: OrchestrationStatus, returnInternalServerErrorOnFailure: boolean): Response {
  if (STILL_RUNNING.includes(status.runtimeStatus)) {
    return c.json(status, 202, { Location: c.req.url, "Retry-After": "5" });
  }
  if (status.runtimeStatus === "Failed" && returnInternalServerErrorOnFailure) return c.json(status, 500);
  return c.json(status, 200);
}

/** The wait a start or restart asks for; parsed before anything is started, so a bad value stores nothing. */
export interface WaitRequest {
  returnInternalServerErrorOnFailure: boolean;
  /** Both set only when both `timeout` and `pollingInterval` were given. */
  wait?: { timeoutMs: number; pollMs: number };
}

export function parseWaitRequest(c: Context): WaitRequest {
  const q = queryOf(c);
  const returnInternalServerErrorOnFailure = booleanParam(q, "returnInternalServerErrorOnFailure", false);
  const timeoutMs = secondsParam(q, "timeout");
  const pollMs = secondsParam(q, "pollingInterval");
  if (timeoutMs === undefined || pollMs === undefined) return { returnInternalServerErrorOnFailure };
  if (pollMs > timeoutMs) {
    throw new HttpError(400, "InvalidArgument", `Total timeout ${timeoutMs / 1000} should be bigger than retry timeout ${pollMs / 1000}.`);
  }
  return { returnInternalServerErrorOnFailure, wait: { timeoutMs, pollMs } };
}

/**
 * After a start (or restart): the check-status 202, or, when both `timeout` and `pollingInterval`
 * were given (seconds), wait like `WaitForCompletionOrCreateCheckStatusResponse`: Completed in time →
 * 200 with the output; Failed/Terminated → the status answer; still running → the check-status 202.
 * The wait is capped at `maxWaitSeconds` and polls at most every 100 ms.
 */
export async function startedResponse(c: Context, deps: Deps, instanceId: string, request: WaitRequest): Promise<Response> {
  const returnISE = request.returnInternalServerErrorOnFailure;
  if (!request.wait) return checkStatusResponse(c, deps, instanceId, returnISE);
  const client = await deps.client(c);
  let final: OrchestrationStatus;
  try {
    final = await client.waitForCompletion(instanceId, {
      timeoutMs: Math.min(request.wait.timeoutMs, deps.maxWaitMs),
      pollIntervalMs: Math.max(request.wait.pollMs, MIN_POLL_MS),
    });
  } catch (error) {
    if (DurableError.is(error, "Timeout")) return checkStatusResponse(c, deps, instanceId, returnISE);
    throw error;
  }
  if (final.runtimeStatus === "Completed") return c.json(final.output ?? null, 200);
  return statusResponse(c, final, returnISE);
}
