/** @module errors — the few typed errors the library throws, each with a stable `code`. */
import { LIMITS } from "./limits.ts";

/** Every code a {@link DurableError} can carry. Stable: hosts map them to HTTP statuses. */
export const ERROR_CODES = [
  "InvalidInstanceId",
  "InvalidInput",
  "InvalidArgument",
  "InstanceAlreadyExists",
  "InstanceNotFound",
  "InstanceGone",
  "InstanceStillRunning",
  "InvalidState",
  "UnknownOrchestrator",
  "UnknownActivity",
  "UnknownEntity",
  "LockingRulesViolation",
  "Nondeterminism",
  "CustomStatusTooLarge",
  "PayloadTooLarge",
  "StepTooLarge",
  "CommitFailed",
  "Timeout",
  "StoreUnavailable",
  "StoreQuotaExceeded",
  "StoreClosed",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const BRAND = Symbol.for("durable-edge.error");

/**
 * The base of every error the library raises on purpose. Branch on `code`, never on the message.
 * `DurableError.is(x)` works across realms and bundles (it checks a brand, not the prototype).
 */
export class DurableError extends Error {
  readonly code: ErrorCode;
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DurableError";
    this.code = code;
  }

  static is(value: unknown, code?: ErrorCode): value is DurableError {
    return (
      typeof value === "object" &&
      value !== null &&
      (value as Record<symbol, unknown>)[BRAND] === true &&
      (code === undefined || (value as DurableError).code === code)
    );
  }
}

/** Failure details as Durable Functions stores them in history (`TaskFailed.FailureDetails`). */
export interface FailureDetails {
  ErrorType: string;
  ErrorMessage: string;
  StackTrace: string | null;
  IsNonRetriable: boolean;
  InnerFailure: FailureDetails | null;
}

/** Turns anything thrown into the failure details that are stored in history. */
export function toFailureDetails(error: unknown, depth = 0): FailureDetails {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return {
      // A DurableError is recorded by its code (`StepTooLarge`, `Timeout`…), what `isCausedBy` and retry policies match on.
      ErrorType: cut(DurableError.is(error) ? error.code : error.name === "Error" && error.constructor?.name ? error.constructor.name : error.name, 256),
      ErrorMessage: cut(String(error.message), LIMITS.failureMessageChars),
      StackTrace: error.stack ? cut(error.stack, LIMITS.failureStackChars) : null,
      IsNonRetriable: (error as { nonRetriable?: unknown }).nonRetriable === true,
      InnerFailure: cause === undefined || cause === error || depth + 1 >= LIMITS.failureDepth ? null : toFailureDetails(cause, depth + 1),
    };
  }
  return {
    ErrorType: typeof error === "object" && error !== null ? "Object" : typeof error,
    ErrorMessage: cut(typeof error === "string" ? error : safeString(error), LIMITS.failureMessageChars),
    StackTrace: null,
    IsNonRetriable: false,
    InnerFailure: null,
  };
}

/** Long messages and stacks are recorded cut, so that a failure never outgrows what a store holds. */
function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Thrown inside an orchestrator when an activity or sub-orchestration it awaited failed.
 * Mirrors the Durable Functions `TaskFailedError`.
 */
export class TaskFailedError extends Error {
  readonly failureDetails: FailureDetails;
  readonly taskName: string;
  readonly taskId: number;

  constructor(taskName: string, taskId: number, failureDetails: FailureDetails) {
    super(`Task '${taskName}' (#${taskId}) failed: ${failureDetails.ErrorMessage}`);
    this.name = "TaskFailedError";
    this.taskName = taskName;
    this.taskId = taskId;
    this.failureDetails = failureDetails;
  }

  /** True when the failure, or one it wraps, has the given error type. */
  isCausedBy(errorType: string): boolean {
    for (let f: FailureDetails | null = this.failureDetails; f; f = f.InnerFailure) {
      if (f.ErrorType === errorType) return true;
    }
    return false;
  }
}

/** Thrown by `Task.all` when one or more of its tasks failed: every failure is in `errors`. */
export class TaskAggregateError extends Error {
  readonly errors: readonly Error[];

  constructor(errors: readonly Error[]) {
    super(
      `${errors.length} of the awaited tasks failed: ${errors.map((e) => e.message).join("; ")}`,
      { cause: errors[0] },
    );
    this.name = "TaskAggregateError";
    this.errors = errors;
  }
}

/** Thrown inside an orchestrator when `waitForExternalEvent(name, { timeoutMs })` timed out. */
export class EventTimeoutError extends Error {
  readonly eventName: string;
  constructor(eventName: string, timeoutMs: number) {
    super(`No '${eventName}' event arrived within ${timeoutMs} ms.`);
    this.name = "EventTimeoutError";
    this.eventName = eventName;
  }
}

/** Throw from an activity to tell retry policies not to retry this failure. */
export class NonRetriableError extends Error {
  readonly nonRetriable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "NonRetriableError";
  }
}

/** Raised inside an orchestrator that cancelled a task it then awaited. */
export class TaskCanceledError extends Error {
  constructor(what: string) {
    super(`${what} was cancelled.`);
    this.name = "TaskCanceledError";
  }
}
