/**
 * The page `bench/browser.ts` loads in headless Chromium: raw IndexedDB as the floor, then the
 * browser runtime on IndexedDB, then entities (client signals to Counters, and an orchestration's
 * sequential `callEntity` round trips). Each workload runs on a fresh database and returns its
 * wall time.
 */
import { activity, entityId, orchestrator, readEntityRecord, Task } from "../src/index.ts";
import { createBrowserRuntime } from "../adapters/indexeddb/browser.ts";
import { counter } from "../examples/entities.ts";

const noop = activity("Noop", (i: number) => i);
const localNoop = activity("LocalNoop", (i: number) => i, { local: true });

const chain = orchestrator("BenchChain", function* (ctx) {
  const n = ctx.getInput() as number;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += yield* ctx.callActivity(noop, i);
  return sum;
});

const localChain = orchestrator("BenchLocalChain", function* (ctx) {
  const n = ctx.getInput<number>();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += yield* ctx.callActivity(localNoop, i);
  return sum;
});

const fanOut = orchestrator("BenchFanOut", function* (ctx) {
  const n = ctx.getInput() as number;
  const results = yield* Task.all(Array.from({ length: n }, (_, i) => ctx.callActivity(noop, i)));
  return results.length;
});

/** `n` sequential `callEntity` round trips to the instance's own Counter (the chain with an entity where the activity was). */
const entityCalls = orchestrator("BenchEntityCalls", function* (ctx) {
  const n = ctx.getInput<number>();
  const id = entityId(counter, ctx.instanceId);
  for (let i = 0; i < n; i++) yield* ctx.callEntity(id, "add", 1);
  return n;
});

let databases = 0;
const freshName = (what: string) => `bench-${what}-${Date.now()}-${++databases}`;

/** Deletes a database once its workload is measured, so that the next one starts on a clean backend. */
function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
}

function openRaw(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () => request.result.createObjectStore("kv");
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function commitOf(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(tx.error);
  });
}

export interface RunResult {
  ms: number;
  /** Until every `startNew` had resolved (the instances created). */
  startMs: number;
  /** Steps committed, and the readwrite transactions they took (group commit). */
  commits: number;
  commitTransactions: number;
  completions: number;
  completionTransactions: number;
  /** Completions held in memory until their step consumed them (write-behind). */
  heldCompletions: number;
  /** Every IndexedDB transaction the store opened (readonly ones included), and the claims that read IndexedDB. */
  transactions: number;
  claimLooks: number;
  /** Steps planned from memory with no read, and those found stale and run again from IndexedDB. */
  stepsFromMemory: number;
  staleMemorySteps: number;
}

/** Runs `name` on `instances` instances with input `input`; resolves once all completed. */
async function runOrchestrations(name: string, input: number, instances: number): Promise<RunResult> {
  const dbName = freshName(name);
  const runtime = createBrowserRuntime({ dbName, orchestrators: [chain, localChain, fanOut, entityCalls], activities: [noop, localNoop], entities: [counter], maxBatchSize: 500 });
  try {
    await runtime.whenLeader();
    let left = instances;
    const done = new Promise<void>((resolve, reject) => {
      runtime.onChange((row) => {
        if (row.runtimeStatus === "Completed" && --left === 0) resolve();
        else if (row.runtimeStatus === "Failed") reject(new Error(JSON.stringify(row.output ?? row.failureDetails)));
      });
    });
    const started = performance.now();
    await Promise.all(Array.from({ length: instances }, (_, i) => runtime.client.startNew(name, { input, instanceId: `i${i}` })));
    const startMs = performance.now() - started;
    await done;
    const ms = performance.now() - started;
    const { commits, commitTransactions, completions, completionTransactions, heldCompletions, transactions, claimLooks, stepsFromMemory, staleMemorySteps } = runtime.store.stats;
    return { ms, startMs, commits, commitTransactions, completions, completionTransactions, heldCompletions, transactions, claimLooks, stepsFromMemory, staleMemorySteps };
  } finally {
    await runtime.close();
    await deleteDatabase(dbName);
  }
}

export interface SignalRunResult {
  ms: number;
  /** Until every `signalEntity` had resolved (the signals in IndexedDB). */
  startMs: number;
  /** Entity batches committed (changes of entity rows seen). */
  batches: number;
  /** Every IndexedDB transaction the store opened, and the readwrite ones that committed steps. */
  transactions: number;
  commitTransactions: number;
}

/** `each` client signals (`add 1`) to each of `entities` Counters, all sent at once; resolves once every Counter counted them. */
async function runSignals(entities: number, each: number): Promise<SignalRunResult> {
  const dbName = freshName("signals");
  const runtime = createBrowserRuntime({ dbName, orchestrators: [], entities: [counter] });
  try {
    await runtime.whenLeader();
    const ids = Array.from({ length: entities }, (_, k) => entityId(counter, `k${k}`));
    let left = entities;
    let batches = 0;
    const done = new Promise<void>((resolve) => {
      runtime.onChange((row) => {
        if (!row.instanceId.startsWith("@")) return;
        batches++;
        const doc = readEntityRecord(row);
        if (doc.state === String(each) && --left === 0) resolve();
      });
    });
    const started = performance.now();
    const sends: Promise<void>[] = [];
    for (let i = 0; i < each; i++) for (const id of ids) sends.push(runtime.client.signalEntity(id, "add", 1));
    await Promise.all(sends);
    const startMs = performance.now() - started;
    await done;
    const ms = performance.now() - started;
    const { transactions, commitTransactions } = runtime.store.stats;
    return { ms, startMs, batches, transactions, commitTransactions };
  } finally {
    await runtime.close();
    await deleteDatabase(dbName);
  }
}

const api = {
  heapMb(): number | null {
    const memory = (performance as { memory?: { usedJSHeapSize: number } }).memory;
    return memory ? Math.round(memory.usedJSHeapSize / 1e5) / 10 : null;
  },
  /** n sequential readwrite transactions, one small put each. */
  async rawTransactionPerWrite(n: number): Promise<number> {
    const name = freshName("raw");
    const db = await openRaw(name);
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      const tx = db.transaction("kv", "readwrite");
      tx.objectStore("kv").put({ i, text: "x" }, i);
      await commitOf(tx);
    }
    const ms = performance.now() - started;
    db.close();
    await deleteDatabase(name);
    return ms;
  },
  /** n small puts in one readwrite transaction. */
  async rawWritesInOneTransaction(n: number): Promise<number> {
    const name = freshName("raw");
    const db = await openRaw(name);
    const started = performance.now();
    const tx = db.transaction("kv", "readwrite");
    const store = tx.objectStore("kv");
    for (let i = 0; i < n; i++) store.put({ i, text: "x" }, i);
    await commitOf(tx);
    const ms = performance.now() - started;
    db.close();
    await deleteDatabase(name);
    return ms;
  },
  chain: (n: number) => runOrchestrations("BenchChain", n, 1),
  fanOut: (n: number) => runOrchestrations("BenchFanOut", n, 1),
  manyChains: (instances: number, steps: number) => runOrchestrations("BenchChain", steps, instances),
  localChain: (n: number) => runOrchestrations("BenchLocalChain", n, 1),
  manyLocalChains: (instances: number, steps: number) => runOrchestrations("BenchLocalChain", steps, instances),
  entityCalls: (n: number) => runOrchestrations("BenchEntityCalls", n, 1),
  signals: runSignals,
};

declare global {
  interface Window {
    bench: typeof api;
  }
}
window.bench = api;
