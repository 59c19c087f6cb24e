/**
 * Orchestrations for the Chromium tests: a chain and a fan-out of slow steps (so a page can be
 * reloaded mid-way), a sleeper (a durable timer), and activities that use the page's own APIs
 * (fetch, Web Crypto). Every run of `Step` is counted in localStorage, shared by the tabs of the
 * origin, so a test can check that each step ran once.
 *
 * Entities: the examples' (`Counter`, `Account`, with `CounterAggregation` and `TransferFunds`),
 * and `Ledger`, whose operation takes time (async), so that a page can be reloaded while a batch
 * of them runs; each attempt is counted in localStorage too.
 */
import { account, counter, counterAggregation, transferFunds } from "../../../examples/entities.ts";
import { activity, entity, orchestrator, Task, TaskFailedError, type EntityContext } from "../../../src/index.ts";

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

/** Fetches a JSON route of the page's own server; a status other than 2xx fails the activity. */
export const fetchJson = activity("FetchJson", async (path: string) => {
  const response = await fetch(new URL(path, location.href));
  if (!response.ok) throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as unknown;
});

/** The SHA-256 of a string, hex, through Web Crypto. */
export const sha256 = activity("Sha256", async (text: string) => {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
});

/**
 * Greets through the page's server, hashes the greeting, and reports how a failing request
 * reached the orchestrator (as a TaskFailedError carrying the activity's message).
 */
export const browserApis = orchestrator("BrowserApis", function* (ctx) {
  const { name } = ctx.getInput() as { name: string };
  const greeting = (yield* ctx.callActivity(fetchJson, `/api/greeting?name=${encodeURIComponent(name)}`)) as { greeting: string };
  const digest = yield* ctx.callActivity(sha256, greeting.greeting);
  let failure: string | null = null;
  try {
    yield* ctx.callActivity(fetchJson, "/api/broken");
  } catch (error) {
    failure = error instanceof TaskFailedError ? error.failureDetails.ErrorMessage : `unexpected: ${String(error)}`;
  }
  return { greeting: greeting.greeting, digest, failure };
});

/** One `Step` of `{ delayMs }`; reports how a failure reached it instead of failing. */
export const patient = orchestrator("Patient", function* (ctx) {
  const { delayMs } = ctx.getInput() as { delayMs: number };
  try {
    return `completed with ${yield* ctx.callActivity(step, { i: 1, delayMs })}`;
  } catch (error) {
    return error instanceof TaskFailedError ? `failed: ${error.failureDetails.ErrorMessage}` : `unexpected: ${String(error)}`;
  }
});

/** `Step` as a local activity: it runs inside the leading tab's step, committed with it. */
export const localStep = activity("LocalStep", (input: StepInput, ctx) => step.fn(input, ctx), { local: true });

/** A chain of local steps; long enough to outlast one step's time budget, so it commits on the way. */
export const localChain = orchestrator("LocalChain", function* (ctx) {
  const { count, delayMs } = ctx.getInput<SeriesInput>();
  let sum = 0;
  for (let i = 0; i < count; i++) sum += yield* ctx.callActivity(localStep, { i, delayMs });
  return sum;
});

export const attemptKey = (entityKey: string, n: number) => `attempts|${entityKey}|${n}`;

export interface LedgerOperations {
  /** Waits `delayMs`, then appends `n`; returns how many entries there are now. */
  append(input: { n: number; delayMs: number }): Promise<number>;
  get(): number[];
}

/** An append-only list whose `append` is async (it waits before it writes), counting every attempt. */
export const ledger = entity<LedgerOperations, number[]>("Ledger", async (ctx: EntityContext<number[]>) => {
  const entries = ctx.getState(() => [])!;
  switch (ctx.operationName) {
    case "append": {
      const { n, delayMs } = ctx.getInput<{ n: number; delayMs: number }>()!;
      const key = attemptKey(ctx.entityKey, n);
      localStorage.setItem(key, String(Number(localStorage.getItem(key) ?? "0") + 1));
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      ctx.setState([...entries, n]);
      return entries.length + 1;
    }
    case "get":
      return entries;
    default:
      throw new TypeError(`Ledger has no operation '${ctx.operationName}'; it has append and get.`);
  }
});

export const testOrchestrators = [chain, fanOutSteps, sleeper, browserApis, patient, localChain, counterAggregation, transferFunds];
export const testActivities = [step, fetchJson, sha256, localStep];
export const testEntities = [counter, account, ledger];
