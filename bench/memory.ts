/**
 * The memory-store suite: how fast the core itself goes, with no I/O in the way.
 * Workloads: chain of N sequential activities, the same with local activities (run inside the
 * step, one commit per many), fan-out/fan-in of N, many 5-step instances (remote and local), cold
 * replay of a long history. `peer-durable-functions.ts` runs the fan-out against Durable Functions.
 */
import { activity, createRuntime, orchestrator, Task, type Runtime } from "../src/index.ts";
import { OrchestrationExecutor } from "../src/executor.ts";
import { createMemoryStore } from "../adapters/memory/index.ts";
import type { BenchResult } from "./report.ts";

const noop = activity("Noop", (n: number) => n);
const localNoop = activity("LocalNoop", (n: number) => n, { local: true });

const chain = orchestrator("Chain", function* (ctx) {
  const n = ctx.getInput() as number;
  let x = 0;
  for (let i = 0; i < n; i++) x = yield* ctx.callActivity(noop, i);
  return x;
});

const localChain = orchestrator("LocalChain", function* (ctx) {
  const n = ctx.getInput<number>();
  let x = 0;
  for (let i = 0; i < n; i++) x = yield* ctx.callActivity(localNoop, i);
  return x;
});

const localFive = orchestrator("LocalFiveSteps", function* (ctx) {
  let x = 0;
  for (let i = 0; i < 5; i++) x = yield* ctx.callActivity(localNoop, i);
  return x;
});

const fanOut = orchestrator("FanOut", function* (ctx) {
  const n = ctx.getInput() as number;
  const results = yield* Task.all(Array.from({ length: n }, (_, i) => ctx.callActivity(noop, i)));
  return results.length;
});

const five = orchestrator("FiveSteps", function* (ctx) {
  let x = 0;
  for (let i = 0; i < 5; i++) x = yield* ctx.callActivity(noop, i);
  return x;
});

const silent = { debug() {}, info() {}, warn() {}, error() {} };

function newRuntime(): Runtime {
  return createRuntime({ store: createMemoryStore(), orchestrators: [chain, localChain, fanOut, five, localFive], activities: [noop, localNoop], logger: silent });
}

const rssMb = () => Math.round((process.memoryUsage().rss / 1048576) * 10) / 10;

/** Collects the previous run's garbage first, so one run does not pay for another (needs --expose-gc). */
function settleHeap(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function runOne(name: string, input: number, collectFirst = true): Promise<number> {
  if (collectFirst) settleHeap();
  const runtime = newRuntime();
  const t0 = performance.now();
  const id = await runtime.client.startNew(name, { input });
  await runtime.drain();
  const ms = performance.now() - t0;
  const status = await runtime.client.getStatus(id);
  if (status?.runtimeStatus !== "Completed") throw new Error(`${name}(${input}) ended ${status?.runtimeStatus}: ${JSON.stringify(status?.output)}`);
  return ms;
}

/**
 * One remote fan-out of `n` on a fresh memory runtime, to completion: its wall time in ms.
 * `collectFirst`: a full garbage collection before it (needs --expose-gc).
 */
export function fanOutMs(n: number, collectFirst = true): Promise<number> {
  return runOne("FanOut", n, collectFirst);
}

/** Best of `rounds` runs: the figure least disturbed by other processes on a shared machine. */
async function best(rounds: number, once: () => Promise<number>): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < rounds; i++) min = Math.min(min, await once());
  return min;
}

export async function runMemorySuite(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  // Warm the JIT on every path before measuring anything.
  // V8 needs tens of thousands of steps before the hot paths reach their optimized tier.
  for (let i = 0; i < 3; i++) await runOne("Chain", 10_000);
  for (let i = 0; i < 3; i++) await runOne("FanOut", 10_000);
  for (const n of [100, 1000, 10_000]) {
    const ms = await best(n === 10_000 ? 3 : 5, () => runOne("Chain", n));
    results.push({ suite: "memory", workload: "chain", n, ms, usPerStep: (ms * 1000) / n, opsPerSec: (n / ms) * 1000, rssMb: rssMb() });
  }
  for (let i = 0; i < 3; i++) await runOne("LocalChain", 10_000);
  {
    const n = 10_000;
    const ms = await best(3, () => runOne("LocalChain", n));
    results.push({ suite: "memory", workload: "local-chain", n, ms, usPerStep: (ms * 1000) / n, opsPerSec: (n / ms) * 1000, rssMb: rssMb() });
  }
  for (const n of [100, 1000, 10_000]) {
    const ms = await best(n === 10_000 ? 3 : 5, () => runOne("FanOut", n));
    results.push({ suite: "memory", workload: "fan-out", n, ms, usPerStep: (ms * 1000) / n, opsPerSec: (n / ms) * 1000, rssMb: rssMb() });
  }
  {
    const n = 10_000;
    settleHeap();
    const runtime = newRuntime();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await runtime.client.startNew("FiveSteps", { instanceId: `five-${i}` });
    await runtime.drain();
    const ms = performance.now() - t0;
    const page = await runtime.client.listInstances({ runtimeStatus: ["Completed"], pageSize: 1000 });
    if (page.instances.length !== 1000) throw new Error("FiveSteps instances did not complete");
    results.push({ suite: "memory", workload: "many-instances", n, ms, usPerStep: (ms * 1000) / (n * 5), opsPerSec: (n / ms) * 1000, rssMb: rssMb() });
  }
  {
    const n = 10_000;
    settleHeap();
    const runtime = newRuntime();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await runtime.client.startNew("LocalFiveSteps", { instanceId: `local-five-${i}` });
    await runtime.drain();
    const ms = performance.now() - t0;
    const page = await runtime.client.listInstances({ runtimeStatus: ["Completed"], pageSize: 1000 });
    if (page.instances.length !== 1000) throw new Error("LocalFiveSteps instances did not complete");
    results.push({ suite: "memory", workload: "many-local-instances", n, ms, usPerStep: (ms * 1000) / (n * 5), opsPerSec: (n / ms) * 1000, rssMb: rssMb() });
  }
  {
    // Cold replay: a fresh executor replays a committed history of a 2,500-step chain (10,000+ events).
    const runtime = newRuntime();
    const id = await runtime.client.startNew("Chain", { input: 2500 });
    await runtime.drain();
    const history = await runtime.store.getHistory(id);
    const withoutEnd = history.slice(0, history.findIndex((e) => e.EventType === "ExecutionCompleted"));
    const env = { orchestrator: (name: string) => (name === "Chain" ? chain : undefined), logger: silent };
    const rounds = 20;
    new OrchestrationExecutor(id, env).applyAll(withoutEnd, true); // warm-up
    const t0 = performance.now();
    for (let r = 0; r < rounds; r++) {
      const executor = new OrchestrationExecutor(id, env);
      executor.applyAll(withoutEnd, true);
      if (executor.outcome?.kind !== "completed") throw new Error("cold replay did not reach the end");
    }
    const ms = (performance.now() - t0) / rounds;
    results.push({ suite: "memory", workload: "cold-replay", n: withoutEnd.length, ms, usPerStep: (ms * 1000) / withoutEnd.length, opsPerSec: (withoutEnd.length / ms) * 1000, rssMb: rssMb() });
  }
  return results;
}
