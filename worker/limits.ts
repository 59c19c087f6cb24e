/** @module worker/limits — the knobs of activity dispatch, in one place. */

/** How long a dispatched activity may take before it is handed out again. */
export const ACTIVITY_LEASE_MS = 5 * 60_000;
/** Activities per `ActivityRunner` invocation (and per hand-back to a runner). */
export const DISPATCH_BATCH = 25;
/**
 * A runner that reports results may take the instance's next activities back with the answer
 * (one RPC per step instead of two). It stops taking more after this many hand-backs or this long,
 * so one invocation stays within the platform's subrequest limit and one dispatch call stays short.
 */
export const RUNNER_MAX_HAND_BACKS = 40;
export const RUNNER_BUDGET_MS = 20_000;
