/**
 * @module tab-samples — samples only this tab runs (the Worker registers the shared samples
 * alone): a step that fails a given number of times, called with a retry policy (failures and
 * retries in the timeline, and, once out of attempts, a Failed instance to rewind); and a parent
 * that runs the tutorial as sub-orchestrations, so the page links parent and children.
 */
import { activity, orchestrator, RetryOptions } from "../../src/index.ts";

export interface FlakyInput {
  /** How many times the step fails before it succeeds (default 2). */
  failures?: number;
  /** Attempts the retry policy allows (default 3). */
  maxAttempts?: number;
}

/** Attempts so far, per instance, in the tab that runs the activities. */
const attempts = new Map<string, number>();

export const flakyStep = activity("Demo_FlakyStep", (failures: number, context) => {
  const attempt = (attempts.get(context.instanceId) ?? 0) + 1;
  attempts.set(context.instanceId, attempt);
  if (attempt <= failures) throw new Error(`Attempt ${attempt} failed on purpose (${failures} planned failure${failures === 1 ? "" : "s"}).`);
  return `Succeeded on attempt ${attempt}.`;
});

export const retryDemo = orchestrator("RetryDemo", function* (ctx) {
  const input = (ctx.getInput() ?? {}) as FlakyInput;
  const failures = Math.max(0, Number(input.failures ?? 2));
  const maxAttempts = Math.max(1, Number(input.maxAttempts ?? 3));
  ctx.setCustomStatus({ failures, maxAttempts });
  return yield* ctx.callActivityWithRetry(flakyStep, new RetryOptions(1000, maxAttempts), failures);
});

/** Runs the tutorial's sequence once per child, as sub-orchestrations, and collects their greetings. */
export const parentDemo = orchestrator("ParentOfChildren", function* (ctx) {
  const children = Math.min(5, Math.max(1, Number((ctx.getInput() as { children?: number } | null)?.children ?? 2)));
  const results: unknown[] = [];
  for (let i = 0; i < children; i++) results.push(yield* ctx.callSubOrchestrator("OrchestratorFunction"));
  return results;
});
