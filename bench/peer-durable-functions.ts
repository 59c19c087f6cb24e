/**
 * The Durable Functions peer of `npm run bench`: the `durable-functions` package's own replay
 * engine (v3, Node programming model v4; a dev dependency) beside ours (the memory store) on a
 * remote fan-out of 1,000 and 5,000 activities.
 *
 * No Azure Functions host is needed to run it: the orchestration's handler is the function the
 * package registers with the host (`createOrchestrator(fn)`, what `df.app.orchestration` wraps),
 * and it takes the orchestration trigger (the history, the input, the instance id) and an
 * invocation context (`DummyOrchestrationContext`, the package's own). A simulated host with no
 * storage plays the host's part: each episode it hands the handler the whole history as JSON
 * text, as the host does, and appends what the episode decided (`TaskScheduled` for each action,
 * the results that arrived since). Timed: what the Node worker does per episode, parsing the
 * trigger and replaying it; not timed: the host's side (building the history, serialising it).
 * Durable Functions replays the whole history every episode, so its cost depends on how many
 * results each episode brings: all of them in one (its best case, the strictest comparison), or
 * 32 (Azure Storage's default control-queue batch).
 */
import { createRequire } from "node:module";
import { fanOutMs } from "./memory.ts";
import type { BenchResult } from "./report.ts";

interface Action {
  functionName?: string;
  input?: unknown;
  compoundActions?: Action[];
}
interface OrchestratorState {
  isDone: boolean;
  actions: Action[][];
  output: unknown;
}
interface Generator {
  next(value?: unknown): unknown;
}
interface DfContext {
  df: { getInput(): unknown; callActivity(name: string, input: unknown): unknown; Task: { all(tasks: unknown[]): unknown } };
}
type Handler = (trigger: unknown, context: unknown) => Promise<OrchestratorState>;

interface DurableFunctions {
  handler: Handler;
  newContext: () => unknown;
  type: Record<"ExecutionStarted" | "TaskScheduled" | "TaskCompleted" | "OrchestratorStarted" | "OrchestratorCompleted", number>;
  schema: number;
  version: string;
}

/** The package's replay engine, or why it cannot be loaded. */
function loadDurableFunctions(): DurableFunctions | string {
  const require = createRequire(import.meta.url);
  try {
    const df = require("durable-functions") as { DummyOrchestrationContext: new (name: string, invocationId: string, log: () => void) => unknown };
    const { createOrchestrator } = require("durable-functions/lib/src/util/testingUtils") as { createOrchestrator: (fn: (context: DfContext) => Generator) => Handler };
    const { HistoryEventType } = require("durable-functions/lib/src/history/HistoryEventType") as { HistoryEventType: Record<string, number> };
    const { LatestReplaySchema } = require("durable-functions/lib/src/orchestrations/ReplaySchema") as { LatestReplaySchema: number };
    const { version } = require("durable-functions/package.json") as { version: string };
    const handler = createOrchestrator(function* (context) {
      const n = context.df.getInput() as number;
      const tasks = [];
      for (let i = 0; i < n; i++) tasks.push(context.df.callActivity("Noop", i));
      const results = (yield context.df.Task.all(tasks)) as unknown[];
      return results.length;
    } as (context: DfContext) => Generator);
    const type = Object.fromEntries(
      (["ExecutionStarted", "TaskScheduled", "TaskCompleted", "OrchestratorStarted", "OrchestratorCompleted"] as const).map((k) => [k, HistoryEventType[k]!]),
    ) as DurableFunctions["type"];
    return { handler, newContext: () => new df.DummyOrchestrationContext("FanOut", "bench", () => undefined), type, schema: LatestReplaySchema, version };
  } catch (error) {
    return `durable-functions could not be loaded (${error instanceof Error ? error.message.split("\n")[0] : String(error)}); npm install runs it as a dev dependency.`;
  }
}

/** The activity calls of an episode, in order (the newer replay schemas nest a Task.all's calls in one action). */
function callsOf(actions: readonly Action[]): Action[] {
  return actions.flatMap((a) => (a.compoundActions ? callsOf(a.compoundActions) : [a]));
}

/**
 * One fan-out of `n` run to completion by the simulated host, `perEpisode` results per episode;
 * returns the worker's time (parse and replay, summed over the episodes) in ms.
 */
async function fanOut(dfx: DurableFunctions, n: number, perEpisode: number): Promise<number> {
  const { type } = dfx;
  let clock = Date.UTC(2026, 0, 1);
  const at = () => new Date(clock++).toISOString();
  const history: Record<string, unknown>[] = [];
  const event = (EventType: number, fields: Record<string, unknown> = {}) => history.push({ EventType, EventId: -1, IsPlayed: false, Timestamp: at(), ...fields });
  let workerMs = 0;
  const episode = async (): Promise<OrchestratorState> => {
    const text = JSON.stringify({ history, input: n, instanceId: "fan-out", isReplaying: false, parentInstanceId: "", upperSchemaVersion: dfx.schema });
    for (const e of history) e.IsPlayed = true;
    const t0 = performance.now();
    const state = await dfx.handler(JSON.parse(text), dfx.newContext());
    workerMs += performance.now() - t0;
    return state;
  };
  event(type.OrchestratorStarted);
  event(type.ExecutionStarted, { Name: "FanOut", Input: JSON.stringify(n) });
  let state = await episode();
  const calls = callsOf(state.actions.flat());
  if (calls.length !== n) throw new Error(`Durable Functions scheduled ${calls.length} activities, not ${n}.`);
  calls.forEach((call, i) => event(type.TaskScheduled, { EventId: i, Name: call.functionName, Input: JSON.stringify(call.input) }));
  event(type.OrchestratorCompleted);
  for (let done = 0; done < n; ) {
    event(type.OrchestratorStarted);
    for (const end = Math.min(n, done + perEpisode); done < end; done++) event(type.TaskCompleted, { TaskScheduledId: done, Result: JSON.stringify(done) });
    state = await episode();
    if (done < n) event(type.OrchestratorCompleted);
  }
  if (!state.isDone || state.output !== n) throw new Error(`Durable Functions' fan-out of ${n} did not complete: ${JSON.stringify(state).slice(0, 200)}`);
  return workerMs;
}

const rssMb = () => Math.round((process.memoryUsage().rss / 1048576) * 10) / 10;

/** Episodes measured: every result at once (Durable Functions' best case, `df-fan-out`), and 32 (`df-fan-out-32`). */
const PEER_SIZES = [1000, 5000] as const;

const workloadOf = (perEpisode: number) => (perEpisode === Infinity ? "df-fan-out" : `df-fan-out-${perEpisode}`);
const AFTER_GC = "-after-gc";

/** The `durable-functions` version measured (set by `runPeerSuite`). */
let measuredVersion = "";

const gc = () => (globalThis as { gc?: () => void }).gc?.();
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!;

/**
 * Ours and Durable Functions' µs per activity on fan-outs of 1,000 and 5,000, both engines timed
 * the same two ways; empty (with a note on stderr) without the package.
 * - Steady (the target's comparison): runs back to back in a warm process, no collection forced
 *   between them; the median of at least 15 runs (and 2 s). What a host that keeps running
 *   orchestrations sees.
 * - After a full collection: `gc()` before each run, the best of 7. Besides the garbage, a forced
 *   full collection drops the optimised code whose hidden classes died with the previous run (V8's
 *   `--trace-deopt` names them "weak objects" deoptimisations: our executor's and tasks' code
 *   when every instance of the last run is gone), so each run partly optimises again: the first
 *   run after an idle spell, not throughput. Printed beside the steady figures.
 * Ours first: once the replay engine has run (the episodes of 32 build histories of 15,000
 * events), the same process runs our fan-out several times slower, which would flatter it.
 */
export async function runPeerSuite(): Promise<BenchResult[]> {
  const dfx = loadDurableFunctions();
  if (typeof dfx === "string") {
    console.error(dfx);
    return [];
  }
  measuredVersion = dfx.version;
  const results: BenchResult[] = [];
  const record = (workload: string, n: number, ms: number) => results.push({ suite: "peer", workload, n, ms, usPerStep: (ms * 1000) / n, opsPerSec: (n / ms) * 1000, rssMb: rssMb() });
  const steady = async (workload: string, n: number, once: () => Promise<number>) => {
    for (let i = 0; i < 5; i++) await once();
    const times: number[] = [];
    const t0 = performance.now();
    while (times.length < 15 || performance.now() - t0 < 2000) times.push(await once());
    record(workload, n, median(times));
  };
  const afterGc = async (workload: string, n: number, rounds: number, once: () => Promise<number>) => {
    let ms = Infinity;
    for (let i = 0; i < rounds; i++) {
      gc();
      ms = Math.min(ms, await once());
    }
    record(workload, n, ms);
  };
  for (const n of PEER_SIZES) {
    await steady("fan-out", n, () => fanOutMs(n, false));
    await afterGc(`fan-out${AFTER_GC}`, n, 7, () => fanOutMs(n));
  }
  for (const n of PEER_SIZES) {
    await steady(workloadOf(Infinity), n, () => fanOut(dfx, n, Infinity));
    await afterGc(`${workloadOf(Infinity)}${AFTER_GC}`, n, 7, () => fanOut(dfx, n, Infinity));
  }
  // Episodes of 32 replay a history that grows to 3n events n/32 times: seconds at 5,000.
  for (const n of PEER_SIZES) await afterGc(workloadOf(32), n, n > 1000 ? 1 : 3, () => fanOut(dfx, n, 32));
  return results;
}

/** Lines comparing our fan-out (memory store) with Durable Functions', both measured in this run. */
export function peerSummary(results: readonly BenchResult[]): string[] {
  const find = (workload: string, n: number) => results.find((r) => r.suite === "peer" && r.workload === workload && r.n === n);
  const lines: string[] = [];
  for (const n of PEER_SIZES) {
    const [ours, best, oursCold, bestCold, batched] = ["fan-out", workloadOf(Infinity), `fan-out${AFTER_GC}`, `${workloadOf(Infinity)}${AFTER_GC}`, workloadOf(32)].map((w) => find(w, n));
    if (!ours || !best || !oursCold || !bestCold || !batched) continue;
    const us = (r: BenchResult) => r.usPerStep.toFixed(2);
    const ratio = (a: BenchResult, b: BenchResult) => (a.usPerStep / b.usPerStep).toFixed(2);
    lines.push(
      `fan-out ${n.toLocaleString("en-US")} vs Durable Functions' replay engine (durable-functions ${measuredVersion}, simulated host, no storage), µs per activity: ` +
        `steady (median, back to back) ours ${us(ours)}, DF ${us(best)} with every result in one episode (ours / DF = ${ratio(ours, best)}, target ≤ 0.5); ` +
        `after a forced full GC (best of 7) ours ${us(oursCold)}, DF ${us(bestCold)} (${ratio(oursCold, bestCold)}); ` +
        `DF in episodes of 32 results ${us(batched)} (ours steady / DF = ${ratio(ours, batched)})`,
    );
  }
  return lines;
}
