/**
 * Orchestrations for the Chromium tests: a chain and a fan-out of slow steps (so a page can be
 * reloaded mid-way) and a sleeper (a durable timer). Every run of `Step` is counted in
 * localStorage, shared by the tabs of the origin, so a test can check that each step ran once.
 */
import { activity, orchestrator, Task } from "../../../src/index.ts";

export interface StepInput {
  i: number;
  delayMs: number;
}

export const runCountKey = (idempotencyKey: string) => `runs|${idempotencyKey}`;

export const step = activity("Step", async (input: StepInput, ctx) => {
  const key = runCountKey(ctx.idempotencyKey);
  localStorage.setItem(key, String(Number(localStorage.getItem(key) ?? "0") + 1));
  await new Promise((resolve) => setTimeout(resolve, input.delayMs));
  return input.i * 10;
});

export interface SeriesInput {
  count: number;
  delayMs: number;
  /** Extra delay per step index, to spread a fan-out's completions over time. */
  stagger?: number;
}

export const chain = orchestrator("Chain", function* (ctx) {
  const { count, delayMs, stagger = 0 } = ctx.getInput() as SeriesInput;
  let sum = 0;
  for (let i = 0; i < count; i++) sum += yield* ctx.callActivity(step, { i, delayMs: delayMs + i * stagger });
  return sum;
});

export const fanOutSteps = orchestrator("FanOutSteps", function* (ctx) {
  const { count, delayMs, stagger = 0 } = ctx.getInput() as SeriesInput;
  const results = yield* Task.all(Array.from({ length: count }, (_, i) => ctx.callActivity(step, { i, delayMs: delayMs + i * stagger })));
  return results.reduce((a, b) => a + b, 0);
});

export const sleeper = orchestrator("Sleeper", function* (ctx) {
  const { seconds } = ctx.getInput() as { seconds: number };
  const fireAt = ctx.currentUtcDateTime.getTime() + seconds * 1000;
  yield* ctx.createTimer(new Date(fireAt));
  return { fireAt, wokeAt: ctx.currentUtcDateTime.getTime() };
});

export const testOrchestrators = [chain, fanOutSteps, sleeper];
export const testActivities = [step];
