/**
 * @module worker/http/responses — the answers shared by several routes: the check-status 202 (its
 * URLs signed when a key is set), the status answer (202/200/500 by runtime status), and
 * start-then-maybe-wait.
 */
import type { Context } from "hono";
import { createCheckStatusResponse, DurableError, type HttpManagementPayload, type OrchestrationStatus, type RuntimeStatus } from "../../src/index.ts";
import { calledWithKey } from "./access.ts";
import { HttpError } from "./errors.ts";
import type { Deps } from "./options.ts";
import { EXPIRY_PARAM, SIGNATURE_PARAM, signatureQuery, type SignedOperation } from "./signing.ts";
import { valid } from "./validation.ts";

/** Smallest polling interval honoured while waiting (a 0 would spin on the store). */
export const MIN_POLL_MS = 100;

const STILL_RUNNING: readonly RuntimeStatus[] = ["Pending", "Running", "ContinuedAsNew", "Suspended"];

/** Which operation each URL of the payload is for. */
const URL_OPERATIONS: Record<Exclude<keyof HttpManagementPayload, "id">, SignedOperation> = {
  statusQueryGetUri: "status",
  sendEventPostUri: "raiseEvent",
  terminatePostUri: "terminate",
  rewindPostUri: "rewind",
  purgeHistoryDeleteUri: "purge",
  restartPostUri: "restart",
  suspendPostUri: "suspend",
  resumePostUri: "resume",
};

/** Seconds since the epoch at which a URL signed now expires. */
function expiry(c: Context, deps: Deps): number {
  return Math.floor(Date.now() / 1000) + deps.signedUrlTtlSeconds(c);
}

/**
 * The check-status payload: Durable Functions' URLs (same paths, `taskHub`, `connection`), each
 * carrying its own `exp` and `sig` when a key is set, never the key.
 */
export async function managementPayload(c: Context, deps: Deps, instanceId: string, returnInternalServerErrorOnFailure = false): Promise<HttpManagementPayload> {
  const { body } = createCheckStatusResponse(instanceId, deps.urlOptions(c, { returnInternalServerErrorOnFailure }));
  const key = deps.access.keys(c).key;
  if (key === undefined) return body;
  const expires = expiry(c, deps);
  const signed = { ...body };
  for (const [field, operation] of Object.entries(URL_OPERATIONS) as [keyof typeof URL_OPERATIONS, SignedOperation][]) {
    signed[field] = `${body[field]}&${await signatureQuery(key, instanceId, operation, expires)}`;
  }
  return signed;
}

/** 202 + `Location` (the status URL) + `Retry-After: 10` + the check-status payload. */
export async function checkStatusResponse(c: Context, deps: Deps, instanceId: string, returnInternalServerErrorOnFailure = false): Promise<Response> {
  const body = await managementPayload(c, deps, instanceId, returnInternalServerErrorOnFailure);
  return c.json(body, 202, { Location: body.statusQueryGetUri, "Retry-After": "10" });
}

/**
 * Where a running instance's status is polled: this request's URL, from the configured origin, without
 * `code=`; a caller that came with a key gets a freshly signed one (when a key is set).
 */
async function statusLocation(c: Context, deps: Deps, instanceId: string): Promise<string> {
  const url = new URL(c.req.url);
  const params = new URLSearchParams();
  const key = deps.access.keys(c).key;
  const resign = key !== undefined && calledWithKey(c);
  for (const [name, value] of url.searchParams) {
    const lower = name.toLowerCase();
    if (lower === "code" || (resign && (lower === EXPIRY_PARAM || lower === SIGNATURE_PARAM))) continue;
    params.append(name, value);
  }
  let search = params.toString();
  if (resign) search += `${search ? "&" : ""}${await signatureQuery(key, instanceId, "status", expiry(c, deps))}`;
  return `${deps.publicBase(c)}${url.pathname}${search ? `?${search}` : ""}`;
}

/**
 * `GET /instances/{id}`: 202 (+ `Location`, `Retry-After: 5`) while it runs; 200 once Completed or
 * Terminated; Failed → 200, or 500 with `returnInternalServerErrorOnFailure`.
 */
export async function statusResponse(c: Context, deps: Deps, status: OrchestrationStatus, returnInternalServerErrorOnFailure: boolean): Promise<Response> {
  if (STILL_RUNNING.includes(status.runtimeStatus)) {
    return c.json(status, 202, { Location: await statusLocation(c, deps, status.instanceId), "Retry-After": "5" });
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

/** From the validated query (`WAIT_QUERY`). */
export function waitRequest(c: Context): WaitRequest {
  const q = valid<{ timeout: number; pollingInterval: number; returnInternalServerErrorOnFailure: boolean }>(c, "query");
  const returnInternalServerErrorOnFailure = q.returnInternalServerErrorOnFailure ?? false;
  const timeoutMs = q.timeout;
  const pollMs = q.pollingInterval;
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
  return statusResponse(c, deps, final, returnISE);
}
