/**
 * The entity workloads of `npm run bench` (memory store), in the same run as the rest:
 * - signals to one entity: 10,000 client signals to one `Counter`, sent at once to a started
 *   runtime, until drained (the entity runs them in batches of up to 1,000 per step); then the
 *   same 10,000 sent one after the other, each awaited, while the runtime runs beside them (the
 *   batches are then whatever arrived while the previous one ran);
 * - signals to 1,000 entities: 10 signals each, sent at once;
 * - `callEntity` round trips: one orchestration calling one `Counter` 1,000 times in sequence,
 *   beside the same orchestration calling 1,000 activities in sequence (remote, then local), the
 *   three interleaved round by round so that they see the same machine.
 * Each figure is the best of a few rounds after a warm-up; the checks are that every signal
 * counted and every orchestration completed, never a time.
 */
import { activity, createRuntime, entityId, orchestrator, type Runtime } from "../src/index.ts";
import { createMemoryStore } from "../adapters/memory/index.ts";
import { counter } from "../examples/entities.ts";
import type { BenchResult } from "./report.ts";

const noop = activity("EntityBenchNoop", (n: number) => n);
const localNoop = activity("EntityBenchLocalNoop", (n: number) => n, { local: true });

/** `n` sequential `callEntity` round trips to the orchestration's own `Counter`. */
const entityCalls = orchestrator("EntityCalls", function* (ctx) {
  const n = ctx.getInput<number>();
  const id = entityId(counter, ctx.instanceId);
  for (let i = 0; i < n; i++) yield* ctx.callEntity(id, "add", 1);
  return n;
});

/** The same orchestration with an activity where the call was. */
const activityCalls = orchestrator("ActivityCalls", function* (ctx) {
  const n = ctx.getInput<number>();
  for (let i = 0; i < n; i++) yield* ctx.callActivity(noop, i);
  return n;
});

const localActivityCalls = orchestrator("LocalActivityCalls", function* (ctx) {
  const n = ctx.getInput<number>();
  for (let i = 0; i < n; i++) yield* ctx.callActivity(localNoop, i);
  return n;
});

const silent = { debug() {}, info() {}, warn() {}, error() {} };

function newRuntime(): Runtime {
  return createRuntime({
    store: createMemoryStore(),
    orchestrators: [entityCalls, activityCalls, localActivityCalls],
    activities: [noop, localNoop],
    entities: [counter],
    logger: silent,
  });
}

const rssMb = () => Math.round((process.memoryUsage().rss / 1048576) * 10) / 10;
const settleHeap = () => (globalThis as { gc?: () => void }).gc?.();

interface SignalRun {
  ms: number;
  /** Entity steps committed (each one batch of operations). */
  batches: number;
}

/** `entities × each` client signals to a started runtime (all at once, or each awaited); until every one is applied. */
async function signalRun(entities: number, each: number, oneByOne = false): Promise<SignalRun> {
  settleHeap();
  const runtime = newRuntime();
  let batches = 0;
  runtime.onChange((row) => {
    if (row.instanceId.startsWith("@")) batches++;
  });
  runtime.start();
  const ids = Array.from({ length: entities }, (_, k) => entityId(counter, `k${k}`));
  const t0 = performance.now();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < each; i++) {
    for (const id of ids) {
      if (oneByOne) await runtime.client.signalEntity(id, "add", 1);
      else sends.push(runtime.client.signalEntity(id, "add", 1));
    }
  }
  await Promise.all(sends);
  await runtime.drain();
  const ms = performance.now() - t0;
  await runtime.stop();
  for (const id of [ids[0]!, ids[ids.length - 1]!]) {
    const state = await runtime.client.readEntityState(id);
    if (state.entityState !== each) throw new Error(`signals: ${id.key} counted ${JSON.stringify(state.entityState)} of ${each}`);
  }
  return { ms, batches };
}

/** One orchestration of `n` sequential calls, until drained. */
async function callRun(name: string, n: number): Promise<number> {
  settleHeap();
  const runtime = newRuntime();
  const t0 = performance.now();
  const id = await runtime.client.startNew(name, { input: n });
  await runtime.drain();
  const ms = performance.now() - t0;
  const status = await runtime.client.getStatus(id);
  if (status?.runtimeStatus !== "Completed") throw new Error(`${name}(${n}) ended ${status?.runtimeStatus}: ${JSON.stringify(status?.output)}`);
  if (name === entityCalls.name) {
    const state = await runtime.client.readEntityState(entityId(counter, id));
    if (state.entityState !== n) throw new Error(`${name}(${n}): the counter holds ${JSON.stringify(state.entityState)}`);
  }
  return ms;
}

const bestOf = <T>(runs: T[], ms: (t: T) => number): T => runs.reduce((a, b) => (ms(b) < ms(a) ? b : a));

export async function runEntitySuite(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const ROUNDS = 7;
  // Warm-up: every path, enough for V8's optimizing tier.
  for (let i = 0; i < 3; i++) {
    await signalRun(1, 10_000);
    await signalRun(1, 10_000, true);
    await signalRun(1000, 10);
    await callRun(entityCalls.name, 5000);
    await callRun(activityCalls.name, 5000);
    await callRun(localActivityCalls.name, 5000);
  }
  for (const [workload, entities, each, oneByOne] of [
    ["signals-one", 1, 10_000, false],
    ["signals-one-seq", 1, 10_000, true],
    ["signals-1000", 1000, 10, false],
  ] as const) {
    const runs: SignalRun[] = [];
    for (let r = 0; r < ROUNDS; r++) runs.push(await signalRun(entities, each, oneByOne));
    const best = bestOf(runs, (r) => r.ms);
    const n = entities * each;
    results.push({ suite: "memory", workload, n, ms: best.ms, usPerStep: (best.ms * 1000) / n, opsPerSec: (n / best.ms) * 1000, rssMb: rssMb(), extra: { entities, batches: best.batches, signalsPerBatch: Math.round((n / best.batches) * 10) / 10 } });
  }
  const N = 2000;
  const calls = [
    ["call-entity", entityCalls.name],
    ["call-activity", activityCalls.name],
    ["call-local", localActivityCalls.name],
  ] as const;
  const times = new Map<string, number[]>(calls.map(([w]) => [w, []]));
  for (let r = 0; r < ROUNDS; r++) for (const [workload, name] of calls) times.get(workload)!.push(await callRun(name, N));
  for (const [workload] of calls) {
    const ms = Math.min(...times.get(workload)!);
    results.push({ suite: "memory", workload, n: N, ms, usPerStep: (ms * 1000) / N, opsPerSec: (N / ms) * 1000, rssMb: rssMb() });
  }
  return results;
}

/** The lines `npm run bench` prints under the figures: the round trips side by side, and the batching. */
export function entitySummary(results: readonly BenchResult[]): string[] {
  const get = (w: string) => results.find((r) => r.workload === w);
  const [entity, remote, local, one, seq, many] = ["call-entity", "call-activity", "call-local", "signals-one", "signals-one-seq", "signals-1000"].map(get);
  const lines: string[] = [];
  if (entity && remote && local) {
    lines.push(
      `round trips (n=${entity.n}, µs each): callEntity ${entity.usPerStep.toFixed(1)}   activity ${remote.usPerStep.toFixed(1)}   local activity ${local.usPerStep.toFixed(1)}` +
        `   → callEntity = ${(entity.usPerStep / remote.usPerStep).toFixed(2)}× an activity, ${(entity.usPerStep / local.usPerStep).toFixed(1)}× a local one`,
    );
  }
  for (const s of [one, seq, many]) {
    if (!s) continue;
    const to = s.extra?.entities === 1 ? "one entity" : `${s.extra?.entities} entities`;
    const how = s === seq ? "each awaited" : "sent at once";
    lines.push(`${s.workload}: ${Math.round(s.opsPerSec).toLocaleString("en")} signals/s to ${to} (${how}), ${s.extra?.signalsPerBatch} signals per batch (${s.extra?.batches} batches)`);
  }
  return lines;
}
