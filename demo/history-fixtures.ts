/**
 * Orchestrations the history views' tests (timeline, Gantt) run on the real core: an activity that
 * fails twice under a retry policy, and one that hangs until the test releases it (a running task).
 */
import { activity, orchestrator, RetryOptions } from "../src/index.ts";

let attempts = 0;
let releaseHanging: () => void = () => {};

/** Fails its first two attempts (per test: `resetAttempts`). */
export const flaky = activity("Flaky", () => {
  if (++attempts < 3) throw new Error(`boom ${attempts}`);
  return "ok";
});
export const retrying = orchestrator("Retrying", function* (ctx) {
  return yield* ctx.callActivityWithRetry(flaky, new RetryOptions(1000, 5));
});
const hanging = activity("Hanging", () => new Promise<string>((resolve) => (releaseHanging = () => resolve("done"))));
export const waiting = orchestrator("Waiting", function* (ctx) {
  return yield* ctx.callActivity(hanging, "x");
});

export const fixtureActivities = [flaky, hanging];

/** Lets the `Waiting` orchestration's activity finish. */
export function release(): void {
  releaseHanging();
}

/** Starts the flaky activity's attempts again (call between tests). */
export function resetAttempts(): void {
  attempts = 0;
}
