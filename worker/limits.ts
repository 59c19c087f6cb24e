/** @module worker/limits — the knobs of activity dispatch, in one place. */

import type { DurableEdgeVars } from "./env.ts";

/** The shortest activity lease, in seconds: the heartbeat renews it every third of it. */
export const MIN_LEASE_SECONDS = 3;
export const MIN_TIMEOUT_SECONDS = 1;

/** How long a dispatched activity's lease lasts unless renewed (`ACTIVITY_LEASE_SECONDS`, default 5 min). */
export function activityLeaseMs(env: Pick<DurableEdgeVars, "ACTIVITY_LEASE_SECONDS">): number {
  return seconds(env.ACTIVITY_LEASE_SECONDS, "ACTIVITY_LEASE_SECONDS", 300, MIN_LEASE_SECONDS);
}

/** How long one activity may run before its runner fails it with a `Timeout` (`ACTIVITY_TIMEOUT_SECONDS`, default 30 min). */
export function activityTimeoutMs(env: Pick<DurableEdgeVars, "ACTIVITY_TIMEOUT_SECONDS">): number {
  return seconds(env.ACTIVITY_TIMEOUT_SECONDS, "ACTIVITY_TIMEOUT_SECONDS", 1800, MIN_TIMEOUT_SECONDS);
}

function seconds(raw: string | undefined, name: string, fallback: number, min: number): number {
  if (raw === undefined || raw === "") return fallback * 1000;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new RangeError(`${name} must be a number of seconds, at least ${min}; got '${raw}'.`);
  return n * 1000;
}
/** Activities per `ActivityRunner` invocation (and per hand-back to a runner). */
export const DISPATCH_BATCH = 25;
/**
 * A runner that reports results may take the instance's next activities back with the answer
 * (one RPC per step instead of two). It stops taking more after this many hand-backs or this long,
 * so one invocation stays within the platform's subrequest limit and one dispatch call stays short.
 */
export const RUNNER_MAX_HAND_BACKS = 40;
export const RUNNER_BUDGET_MS = 20_000;
