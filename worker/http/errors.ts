/**
 * @module worker/http/errors — every failure leaves the router as JSON `{ code, message }` with a
 * 4xx/5xx status, mapped in one place (`managementErrorHandler`).
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { DurableError, type ErrorCode } from "../../src/index.ts";

/** An HTTP-level failure the router raises itself (bad query, wrong media type, 401, 405, 413…). */
export class HttpError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: ContentfulStatusCode, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** The JSON body of every error response. */
export interface ErrorBody {
  code: string;
  message: string;
}

/**
 * Where each core error code lands. A `Record` over `ErrorCode`, so a new code in the core fails
 * the type check here until someone decides its status.
 */
export const STATUS_BY_CODE: Record<ErrorCode, ContentfulStatusCode> = {
  InvalidInstanceId: 400,
  InvalidInput: 400,
  InvalidArgument: 400,
  UnknownOrchestrator: 400,
  UnknownEntity: 404,
  LockingRulesViolation: 409,
  PayloadTooLarge: 413,
  InstanceNotFound: 404,
  InstanceGone: 410,
  InstanceAlreadyExists: 409,
  InstanceStillRunning: 409,
  InvalidState: 409,
  Timeout: 504,
  StoreQuotaExceeded: 507,
  StoreUnavailable: 503,
  StoreClosed: 503,
  // Raised inside orchestrations, never by a management call: if one escapes, it is our bug.
  UnknownActivity: 500,
  Nondeterminism: 500,
  CustomStatusTooLarge: 500,
  StepTooLarge: 500,
  CommitFailed: 500,
};

/** 5xx answers that describe the store's state (and are safe to show); other 5xx are our bugs. */
const REPORTED_5XX = new Set<number>([503, 504, 507]);

export const INTERNAL_ERROR_MESSAGE = "Something went wrong while processing your request.";

export interface ErrorLogger {
  error(...args: unknown[]): void;
}

/** The app's single `onError`: typed errors become their status, anything else a logged, generic 500. */
export function managementErrorHandler(logger: ErrorLogger) {
  const failed = (c: Context, err: unknown) => {
    const id = (c.get as (key: string) => unknown)("requestId");
    logger.error(`durable-edge http: ${c.req.method} ${c.req.path} failed${typeof id === "string" ? ` (request ${id})` : ""}:`, err);
  };
  return function managementError(err: Error, c: Context): Response {
    if (err instanceof HttpError) return errorResponse(c, err.status, err.code, err.message, err.headers);
    if (DurableError.is(err)) {
      const status = STATUS_BY_CODE[err.code] ?? 500;
      if (status >= 500 && !REPORTED_5XX.has(status)) {
        failed(c, err);
        return errorResponse(c, 500, "InternalError", INTERNAL_ERROR_MESSAGE);
      }
      return errorResponse(c, status, err.code, err.message, status === 503 ? { "Retry-After": "5" } : {});
    }
    if (err instanceof HTTPException && err.status < 500) {
      return errorResponse(c, err.status as ContentfulStatusCode, "HttpError", err.message || "The request is not valid.");
    }
    failed(c, err);
    return errorResponse(c, 500, "InternalError", INTERNAL_ERROR_MESSAGE);
  };
}

/** Unknown routes: Durable Functions answers an empty 404; we add the JSON body every error has. */
export function jsonNotFound(c: Context): Response {
  const path = c.req.path.length > 200 ? `${c.req.path.slice(0, 200)}…` : c.req.path;
  return errorResponse(c, 404, "NotFound", `No route matches ${c.req.method} ${path}.`);
}

export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  const body: ErrorBody = { code, message };
  return c.json(body, status, headers);
}
