/**
 * @module tab-samples — samples only this tab runs (the Worker registers the shared samples
 * alone): a step that fails a given number of times, called with a retry policy (failures and
 * retries in the timeline, and, once out of attempts, a Failed instance to rewind); and a parent
 * that runs the tutorial as sub-orchestrations, so the page links parent and children; and a
 * critical section held until a person releases it, so the page shows a lock holder and the
 * transfers that wait behind it.
 */
import { activity, entityId, orchestrator, RetryOptions } from "../../src/index.ts";
import { account } from "../../examples/index.ts";

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

export interface HoldAccountsInput {
  /** The `Account` keys to lock (default ["bob"]). */
  accounts?: string[];
  /** How long it holds them at most (default 300 s), should nobody press Release. */
  timeoutSeconds?: number;
}

/**
 * Locks `Account` entities (a critical section, as `TransferFunds` takes one) and holds them until
 * the event `Release` arrives or the time is up: a `TransferFunds` touching one of them waits
 * meanwhile, its request in the account's backlog. Locking only the second account of a transfer
 * (in lock order) shows the transfer holding the first while it waits for the second.
 */
export const holdAccounts = orchestrator("HoldAccounts", function* (ctx) {
  const input = (ctx.getInput() ?? {}) as HoldAccountsInput;
  const keys = Array.isArray(input.accounts) && input.accounts.length > 0 ? input.accounts.map(String) : ["bob"];
  const timeoutSeconds = Math.min(86_400, Math.max(1, Number(input.timeoutSeconds ?? 300)));
  const lock = yield* ctx.lockEntities(...keys.map((k) => entityId(account, k)));
  const deadline = new Date(ctx.currentUtcDateTime.getTime() + timeoutSeconds * 1000);
  ctx.setCustomStatus({ holding: keys, waitingFor: "Release", deadline: deadline.toISOString() });
  const released = yield* ctx.waitForExternalEvent<unknown>("Release", { timeoutMs: timeoutSeconds * 1000, defaultValue: null });
  lock.release();
  ctx.setCustomStatus({ holding: [] });
  return { accounts: keys, releasedBy: released === null ? "the timeout" : "the Release event" };
});
