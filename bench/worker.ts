/**
 * `npm run bench:worker [-- --json]`: the Worker on local Miniflare (offline), in one run:
 * - raw floor: one SQLite write per step in one Durable Object, each made durable before the next;
 * - raw round-trip floor: the same, each step one RPC from the Worker (what a remote chain step needs at least);
 * - chain: one orchestration calling 1,000 activities in sequence;
 * - local-chain: the same with local activities (run inside the orchestrating object's steps);
 * - fan-out: one orchestration calling 1,000 activities in parallel;
 * - instances: 200 orchestrations of a 5-activity chain started at once;
 * - entities: 10,000 client signals to one Counter and 10 each to 1,000 Counters (the Worker's
 *   client, 50 in flight), and one orchestration making 1,000 sequential `callEntity` round trips,
 *   printed beside this run's chain (an activity round trip) and local chain;
 * plus SQLite rows written and transactions per activity (the instance object's own counters), and
 * the same workloads as Cloudflare Workflows in the same Miniflare, for comparison.
 *
 * Each workload runs inside the Worker (`POST /bench/run`: start, then poll every 5 ms), the same
 * way for both suites; times are wall clock around that one request.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

Object.assign(process.env, { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true" });

const JSON_OUT = process.argv.includes("--json");
const ROOT = resolve(import.meta.dirname, "..");
const WORKLOAD_TIMEOUT_MS = 120_000;
/** No request may hang the bench: each gives up this long after it was sent. */
const REQUEST_TIMEOUT_MS = WORKLOAD_TIMEOUT_MS + 30_000;
interface Line {
  suite: "worker" | "workflows";
  workload: string;
  n: number;
  ms: number;
  usPerStep: number;
  opsPerSec: number;
  rssMb: number;
  [extra: string]: unknown;
}

const lines: Line[] = [];

function emit(line: Line): void {
  lines.push(line);
  if (JSON_OUT) {
    process.stdout.write(JSON.stringify(line) + "\n");
    return;
  }
  const extra = Object.entries(line)
    .filter(([k]) => !["suite", "workload", "n", "ms", "usPerStep", "opsPerSec", "rssMb"].includes(k))
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  console.log(
    `${line.suite.padEnd(9)} ${line.workload.padEnd(10)} n=${String(line.n).padEnd(5)} ${line.ms.toFixed(0).padStart(7)} ms ` +
      `${line.usPerStep.toFixed(1).padStart(9)} µs/step ${line.opsPerSec.toFixed(0).padStart(7)} ops/s  rss ${line.rssMb.toFixed(0)} MB${extra ? `  ${extra}` : ""}`,
  );
}

function log(message: string): void {
  if (!JSON_OUT) console.log(message);
  else process.stderr.write(message + "\n");
}

/** Resident memory of this process and the workerd processes it started, in MB. */
function rssMb(): number {
  let kb = 0;
  const me = String(process.pid);
  const children = new Map<string, string>();
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      children.set(pid, stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]!);
    } catch {
      // gone
    }
  }
  const mine = new Set([me]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of children) if (mine.has(ppid) && !mine.has(pid)) (mine.add(pid), (grew = true));
  }
  for (const pid of mine) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (m) kb += Number(m[1]);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

/**
 * Bundles the bench Worker once into a temporary folder with a copy of its wrangler.toml
 * (`no_bundle`), so edits in the working tree during the run cannot rebuild and restart it.
 */
async function bundleOnce(dir: string): Promise<string> {
  const { build } = await import("esbuild");
  await build({
    entryPoints: [join(ROOT, "worker/bench/bench-worker.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker", "import"],
    external: ["cloudflare:*", "node:*"],
    outfile: join(dir, "bench-worker.js"),
    logLevel: "error",
  });
  const config = readFileSync(join(ROOT, "worker/bench/wrangler.toml"), "utf8").replace(/^main = .*$/m, 'main = "bench-worker.js"\nno_bundle = true');
  writeFileSync(join(dir, "wrangler.toml"), config);
  return join(dir, "wrangler.toml");
}

async function main(): Promise<void> {
  const { unstable_startWorker } = await import("wrangler");
  // Two folders: wrangler watches the folder of a no_bundle main module, so the SQLite files must
  // live elsewhere or every write would reload the Worker.
  const bundle = mkdtempSync(join(tmpdir(), "durable-edge-bench-worker-"));
  const state = mkdtempSync(join(tmpdir(), "durable-edge-bench-state-"));
  const worker = await unstable_startWorker({
    config: await bundleOnce(bundle),
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, persist: state, watch: false, logLevel: "error" },
  });
  try {
    await worker.ready;
    const origin = (await worker.url).origin;
    const http = async <T>(path: string, init?: RequestInit): Promise<{ status: number; body: T }> => {
      const response = await fetch(origin + path, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      const text = await response.text();
      try {
        return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
      } catch {
        throw new Error(`${init?.method ?? "GET"} ${path} answered ${response.status} with a non-JSON body: ${text.slice(0, 300)}`);
      }
    };
    const line = (suite: Line["suite"], workload: string, n: number, ms: number, extra: Record<string, unknown> = {}): Line => ({
      suite,
      workload,
      n,
      ms: Math.round(ms * 10) / 10,
      usPerStep: Math.round(((ms * 1000) / n) * 10) / 10,
      opsPerSec: Math.round((n / (ms / 1000)) * 10) / 10,
      rssMb: Math.round(rssMb()),
      ...extra,
    });
    type Counters = { rowsWritten: number; transactions: number; objects: number };
    /** The objects' counters: every partition (before a run too), or the instances' own objects (new). */
    const counters = async (ids: string[]) =>
      (await http<Counters>("/bench/stats", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ids }) })).body;
    const perActivity = (before: Counters, after: Counters, activities: number) => ({
      rowsPerActivity: Math.round(((after.rowsWritten - before.rowsWritten) / activities) * 100) / 100,
      commitsPerActivity: Math.round(((after.transactions - before.transactions) / activities) * 100) / 100,
      objects: after.objects,
    });
    /** Runs a workload inside the Worker; the time is measured here, around the one request. */
    const run = async (
      suite: Line["suite"],
      workload: "chain" | "fan-out" | "local-chain" | "call-entity" | "signals",
      count: number,
      instances: number,
      { timeoutMs = WORKLOAD_TIMEOUT_MS, concurrency }: { timeoutMs?: number; concurrency?: number } = {},
    ) => {
      const t = performance.now();
      const r = await http<{ ms: number; startMs: number; ids: string[] } & { message?: string }>("/bench/run", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ suite, workload, count, instances, timeoutMs, concurrency }),
      });
      const ms = performance.now() - t;
      if (r.status !== 200) throw new Error(`${suite} ${workload}: ${r.body.message ?? r.status}`);
      return { ms, inWorkerMs: r.body.ms, startMs: r.body.startMs, ids: r.body.ids };
    };

    log(`durable-edge worker bench on Miniflare (${origin}); state in ${state}`);
    // Warm up: compile, create the index shards, start the Workflows engine; each path once.
    await run("worker", "chain", 20, 2);
    await run("worker", "fan-out", 20, 1);
    await run("worker", "local-chain", 20, 1);
    await run("workflows", "chain", 5, 2);
    await run("workflows", "fan-out", 5, 1);
    await run("worker", "call-entity", 20, 2);
    await run("worker", "signals", 20, 20, { concurrency: 20 });
    // With partitions, every partition object exists before the timed runs, as on a deployment
    // that has been up for a while (with one object per instance, each run creates its own).
    await counters([]);

    let floor: Line;
    {
      const n = 1000;
      const t = performance.now();
      const r = (await http<{ ms: number; rowsWritten: number }>(`/bench/raw?n=${n}`, { method: "POST" })).body;
      floor = line("worker", "raw-floor", n, performance.now() - t, { inObjectMs: r.ms, rowsPerStep: r.rowsWritten / n, commitsPerStep: 1 });
      emit(floor);
    }
    let rpcFloor: Line;
    {
      const n = 1000;
      const t = performance.now();
      const r = (await http<{ ms: number; rowsWritten: number }>(`/bench/raw-rpc?n=${n}`, { method: "POST" })).body;
      rpcFloor = line("worker", "raw-rpc-floor", n, performance.now() - t, { inWorkerMs: r.ms, rowsPerStep: r.rowsWritten / n, commitsPerStep: 1 });
      emit(rpcFloor);
    }

    const workloads = [
      { name: "chain", workload: "chain" as const, count: 1000, instances: 1, target: 10 },
      // Local activities run inside the orchestrating object's step: Workflows' chain is the same code.
      { name: "local-chain", workload: "local-chain" as const, count: 1000, instances: 1, target: 10 },
      { name: "fan-out", workload: "fan-out" as const, count: 1000, instances: 1, target: 10 },
      { name: "instances", workload: "chain" as const, count: 5, instances: 200, target: 3 },
    ];
    const ratios: string[] = [];
    for (const w of workloads) {
      const before = await counters([]);
      const ours = await run("worker", w.workload, w.count, w.instances);
      const n = w.count * w.instances;
      const extra = w.instances > 1 ? { instances: w.instances, activitiesEach: w.count } : {};
      const mine = line("worker", w.name, n, ours.ms, { ...extra, inWorkerMs: ours.inWorkerMs, startMs: ours.startMs, ...perActivity(before, await counters(ours.ids), n) });
      emit(mine);
      let theirs: Line;
      try {
        const peer = await run("workflows", w.workload, w.count, w.instances);
        theirs = line("workflows", w.name, w.count * w.instances, peer.ms, { ...extra, inWorkerMs: peer.inWorkerMs, startMs: peer.startMs });
      } catch (error) {
        log(`workflows ${w.name} failed: ${(error as Error).message}`);
        theirs = line("workflows", w.name, w.count * w.instances, WORKLOAD_TIMEOUT_MS, { ...extra, failed: true });
      }
      emit(theirs);
      const ratio = mine.opsPerSec / theirs.opsPerSec;
      ratios.push(`${w.name}: ${ratio.toFixed(1)}× Workflows' throughput (target ≥ ${w.target}×)${theirs.failed ? " — Workflows did not finish; a lower bound" : ""}`);
      if (w.name === "chain" && !theirs.failed) {
        // A chain step must be durable before its next activity can leave the object (output gate):
        // no chain can beat one durable write per step.
        ratios.push(`chain ceiling: one durable write per step (the raw floor) is ${(theirs.usPerStep / floor.usPerStep).toFixed(1)}× Workflows' chain step`);
        ratios.push(`chain floor: one round trip and one durable write per step takes ${rpcFloor.usPerStep.toFixed(0)} µs; the chain step is ${(mine.usPerStep / rpcFloor.usPerStep).toFixed(2)}× that (target ≤ 1.3×)`);
      }
    }
    // Entities, in the same run: signals, and callEntity round trips beside the chains above.
    const SIGNAL_CONCURRENCY = 50;
    const entityWorkloads = [
      { name: "signals-one", workload: "signals" as const, count: 10_000, instances: 1, concurrency: SIGNAL_CONCURRENCY, per: "Signal" },
      { name: "signals-1000", workload: "signals" as const, count: 10, instances: 1000, concurrency: SIGNAL_CONCURRENCY, per: "Signal" },
      { name: "call-entity", workload: "call-entity" as const, count: 1000, instances: 1, per: "Call" },
    ];
    for (const w of entityWorkloads) {
      const before = await counters([]);
      const ours = await run("worker", w.workload, w.count, w.instances, w.concurrency ? { concurrency: w.concurrency } : {});
      const n = w.count * w.instances;
      const after = await counters(ours.ids);
      const extra = { ...(w.instances > 1 ? { entities: w.instances } : {}), ...(w.concurrency ? { inFlight: w.concurrency } : {}) };
      emit(
        line("worker", w.name, n, ours.ms, {
          ...extra,
          inWorkerMs: ours.inWorkerMs,
          startMs: ours.startMs,
          [`rowsPer${w.per}`]: Math.round(((after.rowsWritten - before.rowsWritten) / n) * 100) / 100,
          [`commitsPer${w.per}`]: Math.round(((after.transactions - before.transactions) / n) * 100) / 100,
          objects: after.objects,
        }),
      );
    }
    const mineOf = (workload: string) => lines.find((l) => l.suite === "worker" && l.workload === workload)!;
    const [chainLine, localLine, callLine] = ["chain", "local-chain", "call-entity"].map(mineOf) as [Line, Line, Line];
    ratios.push(
      `callEntity round trip: ${callLine.usPerStep.toFixed(0)} µs = ${(callLine.usPerStep / chainLine.usPerStep).toFixed(2)}× an activity round trip (the chain, ${chainLine.usPerStep.toFixed(0)} µs), ` +
        `${(callLine.usPerStep / localLine.usPerStep).toFixed(1)}× a local activity (${localLine.usPerStep.toFixed(0)} µs); ${callLine.commitsPerCall} commits and ${callLine.rowsPerCall} rows per call, ` +
        `the chain ${chainLine.commitsPerActivity} and ${chainLine.rowsPerActivity} per activity`,
    );
    for (const name of ["signals-one", "signals-1000"]) {
      const l = mineOf(name);
      ratios.push(`${name}: ${Math.round(l.opsPerSec).toLocaleString("en")} signals/s (${l.inFlight} in flight; all sent in ${Math.round(l.startMs as number)} ms of ${Math.round(l.ms)}), ${l.commitsPerSignal} commits and ${l.rowsPerSignal} rows per signal`);
    }
    for (const r of ratios) log(r);
  } finally {
    await worker.dispose();
    rmSync(state, { recursive: true, force: true });
    rmSync(bundle, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
