/**
 * The benchmark's Worker: a `createDurableWorker` Worker over the samples and `ActivityChain`, plus
 * - `RawFloor`: one SQLite write per step in one object, each made durable before the next (the floor);
 * - `ChainWorkflow` / `FanOutWorkflow`: the same workloads as Cloudflare Workflows (`step.do` per
 *   activity, `Promise.all` for the fan-out), for comparison;
 * - entities: the sample `Counter`, and `EntityCalls` (`{ count }` sequential `callEntity` round
 *   trips to its own Counter, the shape of `ActivityChain` with an entity where the activity was);
 * - `/bench/*` routes the bench driver (`bench/worker.ts`) calls: `POST /bench/run` starts a
 *   workload inside the Worker (no HTTP per instance, for both suites alike) and waits for it.
 */
import { DurableObject, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { createDurableWorker, type Env as WorkerEnv } from "../index.ts";
import { instanceObjectName, instancePartitionCount, partitionName } from "../routing.ts";
import { activityChain, addOne, addOneLocal, localChain } from "../test/test-orchestrations.ts";
import { counter, fanOut, samples, type CounterOperations } from "../../examples/index.ts";
import { entityId, entityInstanceId, isTerminal, orchestrator, type EntityId } from "../../src/index.ts";

/** `{ count }` sequential `callEntity` round trips to the instance's own Counter; returns `count`. */
const entityCalls = orchestrator("EntityCalls", function* (ctx) {
  const count = Number(ctx.getInput<{ count?: number } | null>()?.count ?? 10);
  const id = entityId(counter, ctx.instanceId);
  for (let i = 0; i < count; i++) yield* ctx.callEntity(id, "add", 1);
  return count;
});

/** The workloads: `ActivityChain` (chain, instances), the sample `FanOutFanIn` (fan-out), `EntityCalls` and signals to `Counter`. */
const edge = createDurableWorker<BenchEnv>({
  orchestrators: [...samples.orchestrators, activityChain, localChain, entityCalls],
  activities: [...samples.activities, addOne, addOneLocal],
  entities: samples.entities,
});

export const { InstanceObject, IndexShard, ActivityRunner } = edge;

interface Params {
  count: number;
}

export interface BenchEnv extends WorkerEnv {
  RAW: DurableObjectNamespace<RawFloor>;
  CHAIN_WORKFLOW: Workflow<Params>;
  FANOUT_WORKFLOW: Workflow<Params>;
}

export class RawFloor extends DurableObject<BenchEnv> {
  constructor(ctx: DurableObjectState, env: BenchEnv) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS steps (n INTEGER NOT NULL PRIMARY KEY, payload TEXT NOT NULL)`);
    });
  }

  /** One step of the round-trip floor: one row in one `transactionSync`, durable before it answers. */
  async step(i: number): Promise<number> {
    const written = this.ctx.storage.transactionSync(() => {
      const cursor = this.ctx.storage.sql.exec(`INSERT OR REPLACE INTO steps (n, payload) VALUES (?, ?)`, i, `{"value":${i}}`);
      cursor.toArray();
      return cursor.rowsWritten;
    });
    await this.ctx.storage.sync();
    return written;
  }

  /** `n` steps, each one `transactionSync` with one row, awaited to durability before the next. */
  async run(n: number): Promise<{ ms: number; rowsWritten: number }> {
    const start = Date.now();
    let rowsWritten = 0;
    const base = this.ctx.storage.sql.exec<{ m: number | null }>(`SELECT MAX(n) AS m FROM steps`).one().m ?? 0;
    for (let i = 1; i <= n; i++) {
      rowsWritten += this.ctx.storage.transactionSync(() => {
        const cursor = this.ctx.storage.sql.exec(`INSERT INTO steps (n, payload) VALUES (?, ?)`, base + i, `{"value":${i}}`);
        cursor.toArray();
        return cursor.rowsWritten;
      });
      await this.ctx.storage.sync();
    }
    return { ms: Date.now() - start, rowsWritten };
  }
}

export class ChainWorkflow extends WorkflowEntrypoint<BenchEnv, Params> {
  override async run(event: WorkflowEvent<Params>, step: WorkflowStep): Promise<number> {
    let value = 0;
    for (let i = 0; i < event.payload.count; i++) {
      const current = value;
      value = await step.do(`add-${i}`, async () => current + 1);
    }
    return value;
  }
}

export class FanOutWorkflow extends WorkflowEntrypoint<BenchEnv, Params> {
  override async run(event: WorkflowEvent<Params>, step: WorkflowStep): Promise<{ count: number; sum: number }> {
    const results = await Promise.all(Array.from({ length: event.payload.count }, (_, i) => step.do(`square-${i}`, async () => (i + 1) * (i + 1))));
    return { count: event.payload.count, sum: results.reduce((a, b) => a + b, 0) };
  }
}

function workflowOf(env: BenchEnv, kind: string): Workflow<Params> {
  if (kind === "chain" || kind === "local-chain") return env.CHAIN_WORKFLOW; // Workflows runs every step.do in its own object
  if (kind === "fan-out") return env.FANOUT_WORKFLOW;
  throw new RangeError(`Unknown workflow kind '${kind}'.`);
}

export interface RunRequest {
  suite: "worker" | "workflows";
  workload: "chain" | "fan-out" | "local-chain" | "call-entity" | "signals";
  /** Activities (or entity calls) per instance; signals: per entity. */
  count: number;
  /** Instances; signals: Counters, each signalled `count` times. */
  instances: number;
  /** Signals: how many the Worker has in flight at once. */
  concurrency?: number;
  timeoutMs: number;
}

export interface RunResult {
  /** Measured inside the Worker, from the first start to the poll that saw the last instance finish. */
  ms: number;
  /** Until every start (or signal) had returned. */
  startMs: number;
  /** The instances; signals: the entities' instance ids. */
  ids: string[];
}

interface ObjectStats {
  rowsWritten: number;
  transactions: number;
}

/**
 * The names of the objects a workload over `ids` uses: every partition (they are long-lived, and
 * warmed up before the timed runs), or with one object per instance, the instances' own (new).
 */
function objectNames(env: BenchEnv, ids: readonly string[]): string[] {
  const partitions = instancePartitionCount(env);
  if (partitions > 0) return Array.from({ length: partitions }, (_, k) => partitionName(k));
  return [...new Set(ids.map((id) => instanceObjectName(id, 0)))];
}

async function statsOf(env: BenchEnv, names: readonly string[]): Promise<ObjectStats & { objects: number }> {
  const all = await Promise.all(names.map((name) => env.INSTANCES.get(env.INSTANCES.idFromName(name)).storeStats()));
  const sum = all.reduce((acc, s) => ({ rowsWritten: acc.rowsWritten + s.rowsWritten, transactions: acc.transactions + s.transactions }), { rowsWritten: 0, transactions: 0 });
  return { ...sum, objects: names.length };
}

const POLL_MS = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts `instances` instances at once and polls them one after the other until all finished. */
async function run(env: BenchEnv, r: RunRequest): Promise<RunResult> {
  const deadline = Date.now() + r.timeoutMs;
  const t0 = Date.now();
  if (r.suite === "worker") {
    if (r.workload === "signals") return signals(env, r, t0, deadline);
    const client = edge.client(env);
    const names: Record<Exclude<RunRequest["workload"], "signals">, string> = { chain: activityChain.name, "local-chain": localChain.name, "fan-out": fanOut.name, "call-entity": entityCalls.name };
    const name = names[r.workload];
    const ids = await Promise.all(Array.from({ length: r.instances }, () => client.startNew(name, { input: { count: r.count } })));
    const startMs = Date.now() - t0;
    for (const id of ids) {
      for (;;) {
        const status = await client.getStatus(id);
        if (status?.runtimeStatus === "Completed") break;
        if (status && isTerminal(status.runtimeStatus)) throw new Error(`Instance ${id} ended ${status.runtimeStatus}: ${JSON.stringify(status.output)}`);
        if (Date.now() > deadline) throw new Error(`Instance ${id} still ${status?.runtimeStatus} after ${r.timeoutMs} ms.`);
        await sleep(POLL_MS);
      }
    }
    return { ms: Date.now() - t0, startMs, ids };
  }
  const workflow = workflowOf(env, r.workload);
  const instances = await Promise.all(Array.from({ length: r.instances }, () => workflow.create({ params: { count: r.count } })));
  const startMs = Date.now() - t0;
  for (const instance of instances) {
    for (;;) {
      const status = await instance.status();
      if (status.status === "complete") break;
      if (status.status === "errored" || status.status === "terminated") throw new Error(`Workflow ${instance.id} ended ${status.status}: ${JSON.stringify(status.error)}`);
      if (Date.now() > deadline) throw new Error(`Workflow ${instance.id} still ${status.status} after ${r.timeoutMs} ms.`);
      await sleep(POLL_MS);
    }
  }
  return { ms: Date.now() - t0, startMs, ids: instances.map((i) => i.id) };
}

/**
 * `count` client signals (`add 1`) to each of `instances` Counters, `concurrency` in flight at
 * once (round robin over the Counters), then reads the Counters (as many at once) until each has
 * counted them all.
 */
async function signals(env: BenchEnv, r: RunRequest, t0: number, deadline: number): Promise<RunResult> {
  const client = edge.client(env);
  const run = crypto.randomUUID().slice(0, 8);
  const ids: EntityId<CounterOperations>[] = Array.from({ length: r.instances }, (_, k) => entityId(counter, `${run}-${k}`));
  const total = r.count * r.instances;
  let next = 0;
  const sender = async () => {
    while (next < total) {
      const i = next++;
      await client.signalEntity(ids[i % ids.length]!, "add", 1);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(r.concurrency ?? 1, total)) }, sender));
  const startMs = Date.now() - t0;
  let unread = 0;
  const reader = async () => {
    while (unread < ids.length) {
      const id = ids[unread++]!;
      for (;;) {
        const state = await client.readEntityState<number>(id);
        if (state.entityExists && state.entityState === r.count) break;
        if (Date.now() > deadline) throw new Error(`Counter ${id.key} at ${JSON.stringify(state)} of ${r.count} after ${r.timeoutMs} ms.`);
        await sleep(POLL_MS);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(r.concurrency ?? 1, ids.length)) }, reader));
  return { ms: Date.now() - t0, startMs, ids: ids.map((id) => entityInstanceId(id)) };
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== "bench") return edge.fetch(request, env, ctx);
    try {
      if (parts[1] === "raw" && request.method === "POST") {
        const n = Number(url.searchParams.get("n") ?? 1000);
        const stub = env.RAW.get(env.RAW.idFromName(crypto.randomUUID()));
        return Response.json(await stub.run(n));
      }
      // The chain's own floor: per step one round trip from the Worker to the object and one durable write.
      if (parts[1] === "raw-rpc" && request.method === "POST") {
        const n = Number(url.searchParams.get("n") ?? 1000);
        const stub = env.RAW.get(env.RAW.idFromName(crypto.randomUUID()));
        const start = Date.now();
        let rowsWritten = 0;
        for (let i = 1; i <= n; i++) rowsWritten += await stub.step(i);
        return Response.json({ ms: Date.now() - start, rowsWritten });
      }
      // Counters summed over the objects a workload over `ids` uses (every partition, or the instances' own).
      if (parts[1] === "stats" && request.method === "POST") {
        const { ids } = (await request.json()) as { ids: string[] };
        return Response.json(await statsOf(env, objectNames(env, ids)));
      }
      if (parts[1] === "run" && request.method === "POST") return Response.json(await run(env, (await request.json()) as RunRequest));
    } catch (error) {
      return Response.json({ code: "BenchFailed", message: error instanceof Error ? error.message : String(error) }, { status: 500 });
    }
    return Response.json({ code: "NotFound", message: "No such bench route." }, { status: 404 });
  },
} satisfies ExportedHandler<BenchEnv>;
