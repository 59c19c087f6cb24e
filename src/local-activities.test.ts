/**
 * Local activities on the memory store: they run inside the step, their TaskScheduled and
 * TaskCompleted are committed with it (one commit for many activities), the history is the
 * ordinary one (replays cleanly, renders as activities), a call can override the definition,
 * fan-outs run concurrently within the bound, failures, retries, timeouts and Task.any races work
 * mixed with remote activities, and a restart in the middle of a run completes with each recorded
 * activity once.
 */
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../adapters/memory/index.ts";
import { ManualClock } from "./clock.ts";
import { activity, orchestrator } from "./definitions.ts";
import { TaskFailedError } from "./errors.ts";
import type { HistoryEvent } from "./history.ts";
import { RetryOptions } from "./retry.ts";
import { createRuntime, type RuntimeOptions } from "./runtime.ts";
import { planStep } from "./step.ts";
import type { Store } from "./store.ts";
import { Task } from "./task.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {} };
let runs = 0;
const addOne = activity("AddOne", (n: number) => (runs++, n + 1), { local: true });
const remoteAddOne = activity("RemoteAddOne", (n: number) => n + 1);
let inFlight = 0;
let maxInFlight = 0;
const slowSquare = activity(
  "SlowSquare",
  async (n: number) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 5));
    inFlight--;
    return n * n;
  },
  { local: true },
);
let failuresLeft = 0;
const flaky = activity(
  "Flaky",
  (x: string) => {
    if (failuresLeft-- > 0) throw new Error(`flaky ${x}`);
    return `ok ${x}`;
  },
  { local: true },
);
const hangs = activity("Hangs", () => new Promise<string>(() => {}), { local: true });

const chain = orchestrator("LocalChain", function* (ctx) {
  let n = 0;
  for (let i = 0; i < ctx.getInput<number>(); i++) n = yield* ctx.callActivity(addOne, n);
  return n;
});
const mixed = orchestrator("Mixed", function* (ctx) {
  const a = yield* ctx.callActivity(addOne, 0); // local
  const b = yield* ctx.callActivity(remoteAddOne, a); // remote
  const c = yield* ctx.callActivity(remoteAddOne, b, { local: true }); // a call makes it local
  const d = yield* ctx.callActivity(addOne, c, { local: false }); // a call makes it remote
  return [a, b, c, d];
});
const fanOut = orchestrator("LocalFanOut", function* (ctx) {
  const results = yield* Task.all(Array.from({ length: ctx.getInput<number>() }, (_, i) => ctx.callActivity(slowSquare, i)));
  return results.reduce((x, y) => x + y, 0);
});
const retried = orchestrator("LocalRetry", function* (ctx) {
  const retry = new RetryOptions(1000, 3);
  return yield* ctx.callActivityWithRetry(flaky, retry, "x");
});
const caught = orchestrator("LocalCaught", function* (ctx) {
  try {
    return yield* ctx.callActivity(flaky, "y");
  } catch (error) {
    return error instanceof TaskFailedError ? `caught ${error.failureDetails.ErrorMessage}` : "other";
  }
});
const race = orchestrator("LocalRace", function* (ctx) {
  const local = ctx.callActivity(addOne, 41);
  const timer = ctx.createTimer(ctx.currentUtcDateTime.getTime() + 60_000);
  const winner = yield* Task.any([local, timer]);
  if (winner === local) timer.cancel();
  return winner === local ? local.result : "timer";
});
const timesOut = orchestrator("LocalTimeout", function* (ctx) {
  try {
    return yield* ctx.callActivity(hangs);
  } catch (error) {
    return (error as TaskFailedError).failureDetails.ErrorType;
  }
});

const orchestrators = [chain, mixed, fanOut, retried, caught, race, timesOut];
const activities = [addOne, remoteAddOne, slowSquare, flaky, hangs];

/** Counts commits (every commitSteps / runSteps call that wrote a commit). */
function countingStore(): { store: Store; commits: () => number } {
  const inner = createMemoryStore();
  let commits = 0;
  const store = Object.assign(Object.create(inner) as Store, {
    commitSteps: (c: Parameters<Store["commitSteps"]>[0]) => ((commits += c.length > 0 ? 1 : 0), inner.commitSteps(c)),
    runSteps: (r: Parameters<NonNullable<Store["runSteps"]>>[0], now: number, plan: Parameters<NonNullable<Store["runSteps"]>>[2]) =>
      inner.runSteps!(r, now, (inputs) => {
        const planned = plan(inputs);
        if (planned.some((c) => c !== null)) commits++;
        return planned;
      }),
  });
  return { store, commits: () => commits };
}

function setup(extra: Partial<RuntimeOptions> = {}) {
  const clock = new ManualClock();
  const counted = countingStore();
  const store = extra.store ?? counted.store;
  const runtime = createRuntime({ clock, logger: silent, orchestrators, activities, ...extra, store });
  return { clock, runtime, client: runtime.client, store, commits: counted.commits };
}

const types = (events: readonly HistoryEvent[]) => events.map((e) => e.EventType);

describe("local activities", () => {
  it("a chain of 1,000 runs in a handful of commits, and its history is the ordinary one", async () => {
    const { runtime, client, commits, store } = setup({ localActivities: { maxPerStep: 200 } });
    runs = 0;
    const id = await client.startNew(chain, { input: 1000 });
    await runtime.drain();
    const status = await client.getStatus(id);
    expect(status?.output).toBe(1000);
    expect(runs).toBe(1000);
    // 1,000 activities, 200 per step: 5 steps that run them (+ the start); far below one commit per activity.
    expect(commits()).toBeLessThanOrEqual(1000 / 50);
    const history = await store.getHistory(id);
    expect(types(history).filter((t) => t === "TaskScheduled")).toHaveLength(1000);
    expect(types(history).filter((t) => t === "TaskCompleted")).toHaveLength(1000);
    // Each TaskScheduled is followed by its completion before the next is scheduled (a chain).
    const scheduled = history.filter((e) => e.EventType === "TaskScheduled").map((e) => e.EventId);
    expect(scheduled).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    // Replaying the stored history from scratch completes the same way (no nondeterminism).
    const row = (await store.getInstance(id))!;
    const replay = planStep({ instanceId: id, instance: { ...row, runtimeStatus: "Running" }, history, historyFrom: 0, messages: [] }, undefined, { orchestrator: () => chain, logger: silent }, Date.now());
    expect(replay.commit.instance?.runtimeStatus).not.toBe("Failed");
    // Status rendering sees ordinary activities.
    const rendered = (await client.getStatus(id, { showHistory: true }))?.historyEvents ?? [];
    expect(rendered.filter((e) => e["EventType"] === "TaskCompleted")).toHaveLength(1000);
  });

  it("without a budget (maxPerStep 0) local activities run as ordinary remote ones", async () => {
    const { runtime, client, commits } = setup({ localActivities: { maxPerStep: 0 } });
    const id = await client.startNew(chain, { input: 20 });
    await runtime.drain();
    expect((await client.getStatus(id))?.output).toBe(20);
    expect(commits()).toBeGreaterThanOrEqual(20);
  });

  it("local and remote mixed, and a call overrides the definition", async () => {
    const { runtime, client, store } = setup();
    const id = await client.startNew(mixed);
    await runtime.drain();
    expect((await client.getStatus(id))?.output).toEqual([1, 2, 3, 4]);
    expect(types(await store.getHistory(id)).filter((t) => t === "TaskCompleted")).toHaveLength(4);
  });

  it("a fan-out runs concurrently, bounded by localActivities.concurrency", async () => {
    const { runtime, client } = setup({ localActivities: { concurrency: 4 } });
    maxInFlight = 0;
    const id = await client.startNew(fanOut, { input: 20 });
    await runtime.drain();
    expect((await client.getStatus(id))?.output).toBe(Array.from({ length: 20 }, (_, i) => i * i).reduce((a, b) => a + b, 0));
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(4);
  });

  it("a failure reaches the orchestrator; retries wait on durable timers", async () => {
    const { clock, runtime, client } = setup();
    failuresLeft = 1;
    const caughtId = await client.startNew(caught);
    await runtime.drain();
    expect((await client.getStatus(caughtId))?.output).toBe("caught flaky y");
    failuresLeft = 2;
    const retryId = await client.startNew(retried);
    await runtime.drain();
    expect((await client.getStatus(retryId))?.runtimeStatus).toBe("Running"); // waiting on the retry timer
    clock.advance(1000);
    await runtime.drain();
    clock.advance(1000);
    await runtime.drain();
    expect((await client.getStatus(retryId))?.output).toBe("ok x");
  });

  it("races in Task.any, and a local activity that hangs times out", async () => {
    const { runtime, client } = setup({ localActivities: { timeoutMs: 20 } });
    const raceId = await client.startNew(race);
    const timeoutId = await client.startNew(timesOut);
    await runtime.drain();
    expect((await client.getStatus(raceId))?.output).toBe(42);
    expect((await client.getStatus(timeoutId))?.output).toBe("Timeout");
  });

  it("a restart in the middle of a run completes, each recorded activity once, replaying cleanly", async () => {
    const store = createMemoryStore();
    const first = setup({ store, localActivities: { maxPerStep: 10 } });
    const id = await first.client.startNew(chain, { input: 35 });
    // Step until part of the chain is committed, then drop the runtime (and everything in its memory).
    for (let i = 0; i < 3; i++) await first.runtime.runDue();
    const partial = await store.getHistory(id);
    expect(types(partial).filter((t) => t === "TaskCompleted").length).toBeLessThan(35);
    await first.runtime.stop();
    const second = setup({ store, localActivities: { maxPerStep: 10 } });
    await second.runtime.drain();
    expect((await second.client.getStatus(id))?.output).toBe(35);
    const history = await store.getHistory(id);
    const completed = history.filter((e) => e.EventType === "TaskCompleted").map((e) => (e as { TaskScheduledId: number }).TaskScheduledId);
    expect(new Set(completed).size).toBe(completed.length);
    expect(completed).toHaveLength(35);
  });
});
