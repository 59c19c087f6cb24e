/** @module retry — retry policies for activities and sub-orchestrations, computed in the orchestrator. */
import type { TaskFailedError } from "./errors.ts";

export interface RetryPolicy {
  /** Delay before the first retry; must be > 0. */
  firstRetryIntervalInMilliseconds: number;
  /** Total attempts, the first one included; must be ≥ 1. */
  maxNumberOfAttempts: number;
  /** Each further delay is multiplied by this (default 1). */
  backoffCoefficient?: number | undefined;
  /** Delays are capped here (default: no cap). */
  maxRetryIntervalInMilliseconds?: number | undefined;
  /**
   * No retry starts after this much time since the first attempt (default: no limit). When the
   * next retry would start later than that, the task fails at once with the last error: it never
   * waits (Durable Functions' JS SDK hangs here).
   */
  retryTimeoutInMilliseconds?: number | undefined;
  /** Return false to stop retrying for this failure. */
  handle?: ((error: TaskFailedError) => boolean) | undefined;
  /** Error types (`failureDetails.ErrorType`) that are never retried. */
  nonRetriableErrors?: readonly string[] | undefined;
}

/** The Durable Functions `RetryOptions` class: `new RetryOptions(firstRetryIntervalMs, maxAttempts)`. */
export class RetryOptions implements RetryPolicy {
  backoffCoefficient = 1;
  maxRetryIntervalInMilliseconds = Infinity;
  retryTimeoutInMilliseconds = Infinity;
  handle?: (error: TaskFailedError) => boolean;
  nonRetriableErrors?: readonly string[];

  readonly firstRetryIntervalInMilliseconds: number;
  readonly maxNumberOfAttempts: number;
  constructor(
    firstRetryIntervalInMilliseconds: number,
    maxNumberOfAttempts: number,
  ) {
    this.firstRetryIntervalInMilliseconds = firstRetryIntervalInMilliseconds;
    this.maxNumberOfAttempts = maxNumberOfAttempts;
    validateRetryPolicy({ firstRetryIntervalInMilliseconds, maxNumberOfAttempts });
  }
}

export function validateRetryPolicy(policy: RetryPolicy): void {
  const { firstRetryIntervalInMilliseconds: first, maxNumberOfAttempts: attempts } = policy;
  if (typeof first !== "number" || !(first > 0)) {
    throw new RangeError(`firstRetryIntervalInMilliseconds must be a number > 0, got ${String(first)}.`);
  }
  if (typeof attempts !== "number" || !Number.isInteger(attempts) || attempts < 1) {
    throw new RangeError(`maxNumberOfAttempts must be an integer ≥ 1, got ${String(attempts)}.`);
  }
  const coefficient = policy.backoffCoefficient ?? 1;
  if (!(coefficient >= 1)) throw new RangeError(`backoffCoefficient must be ≥ 1, got ${String(coefficient)}.`);
}

/**
 * Decides what happens after attempt `attempt` (1-based) failed at `now`: the delay before the next
 * attempt, or null to give up.
 */
export function nextRetryDelay(
  policy: RetryPolicy,
  attempt: number,
  firstAttemptAt: number,
  now: number,
  error: TaskFailedError,
  onHandleError: (handleError: unknown) => void = () => {},
): number | null {
  if (attempt >= policy.maxNumberOfAttempts) return null;
  if (error.failureDetails.IsNonRetriable) return null;
  if (policy.nonRetriableErrors?.some((type) => error.isCausedBy(type))) return null;
  if (policy.handle && !handles(policy.handle, error, onHandleError)) return null;
  const raw = policy.firstRetryIntervalInMilliseconds * Math.pow(policy.backoffCoefficient ?? 1, attempt - 1);
  const delay = Math.min(raw, policy.maxRetryIntervalInMilliseconds ?? Infinity);
  const deadline = firstAttemptAt + (policy.retryTimeoutInMilliseconds ?? Infinity);
  if (now + delay > deadline) return null;
  return delay;
}

/**
 * Asks the policy's `handle` predicate. One that throws counts as "do not retry": the task then
 * fails with its own error, which the orchestrator can catch, and `onHandleError` is told why.
 */
function handles(handle: (error: TaskFailedError) => boolean, error: TaskFailedError, onHandleError: (handleError: unknown) => void): boolean {
  try {
    return Boolean(handle(error));
  } catch (handleError) {
    onHandleError(handleError);
    return false;
  }
}
