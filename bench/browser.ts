/**
 * `npm run bench:browser` — the IndexedDB store and the browser runtime in headless Chromium
 * (Debian's /usr/bin/chromium). Raw IndexedDB first, as the floor; then a chain of 1,000
 * activities, a fan-out of 1,000, and 1,000 instances of a 5-activity chain, then the chains again
 * with local activities (run inside the step); then entities: 10,000 client signals to one Counter
 * and 10 each to 1,000 Counters (all sent at once from the tab's client), and an orchestration
 * making 1,000 sequential `callEntity` round trips, beside the chain; each the median of
 * three trials on fresh databases. `--json` prints one
 * JSON object per line and nothing else on stdout. `rssMb` is the page's JS heap where Chromium
 * reports it (performance.memory).
 */
import { bundlePage, chromiumAvailable, CHROMIUM_PATH, launchChromium, servePage } from "../adapters/indexeddb/browser-tests/harness.ts";
import type { RunResult, SignalRunResult } from "./browser-page.ts";
import { printResults, type BenchResult } from "./report.ts";

const json = process.argv.includes("--json");
const N = 1000;
/** Each workload runs this many times; the median is reported (the machine is shared and noisy). */
const TRIALS = 3;

if (!chromiumAvailable()) {
  console.error(`No Chromium at ${CHROMIUM_PATH}: apt-get install chromium (or set CHROMIUM_PATH).`);
  process.exit(1);
}

const server = await servePage(await bundlePage(new URL("./browser-page.ts", import.meta.url).pathname));
const browser = await launchChromium();
const results: BenchResult[] = [];
const notes: string[] = [];
try {
  const page = await (await browser.newContext()).newPage();
  page.on("pageerror", (error) => console.error("page error:", error));
  await page.goto(server.url);
  await page.waitForFunction(() => window.bench !== undefined);

  const record = async (workload: string, n: number, steps: number, perSecond: number, ms: number) => {
    const heap = await page.evaluate(() => window.bench.heapMb());
    results.push({ suite: "browser", workload, n, ms, usPerStep: (ms * 1000) / steps, opsPerSec: (perSecond * 1000) / ms, rssMb: heap });
  };
  const groupCommit = (workload: string, r: RunResult) =>
    notes.push(
      `${workload}: started in ${Math.round(r.startMs)} ms of ${Math.round(r.ms)}; ${r.commits} steps in ${r.commitTransactions} transactions (${(r.commits / r.commitTransactions).toFixed(1)} per transaction); ` +
        `${r.completions} activity results, ${r.heldCompletions} held in memory until their step, ${r.completions - r.heldCompletions} stored in ${r.completionTransactions} transactions; ` +
        `${r.transactions} IndexedDB transactions in all (${(r.transactions / r.commits).toFixed(2)} per step), ${r.claimLooks} of them claims; ` +
        `${r.stepsFromMemory} steps planned from memory with no read, ${r.staleMemorySteps} found stale`,
    );

  /** Runs a workload `TRIALS` times (each on a fresh database) and keeps the median trial. */
  const median = async <T>(trial: () => Promise<T>, ms: (t: T) => number): Promise<T> => {
    const trials: T[] = [];
    for (let i = 0; i < TRIALS; i++) trials.push(await trial());
    return trials.sort((a, b) => ms(a) - ms(b))[Math.floor(TRIALS / 2)]!;
  };
  const same = (ms: number) => ms;

  await page.evaluate(() => window.bench.chain(50)); // warm up: JIT, IndexedDB backend
  const rawPerTx = await median(() => page.evaluate((n) => window.bench.rawTransactionPerWrite(n), N), same);
  await record("raw-tx-per-write", N, N, N, rawPerTx);
  const rawOneTx = await median(() => page.evaluate((n) => window.bench.rawWritesInOneTransaction(n), N), same);
  await record("raw-one-tx", N, N, N, rawOneTx);
  const chain = await median(() => page.evaluate((n) => window.bench.chain(n), N), (r) => r.ms);
  await record("chain", N, N, N, chain.ms);
  groupCommit("chain", chain);
  const fanOut = await median(() => page.evaluate((n) => window.bench.fanOut(n), N), (r) => r.ms);
  await record("fan-out", N, N, N, fanOut.ms);
  groupCommit("fan-out", fanOut);
  const many = await median(() => page.evaluate((n) => window.bench.manyChains(n, 5), N), (r) => r.ms);
  await record("many-chains-5", N, N * 5, N, many.ms);
  groupCommit("many-chains-5", many);
  await page.evaluate(() => window.bench.localChain(50));
  const localChain = await median(() => page.evaluate((n) => window.bench.localChain(n), N), (r) => r.ms);
  await record("local-chain", N, N, N, localChain.ms);
  groupCommit("local-chain", localChain);
  const manyLocal = await median(() => page.evaluate((n) => window.bench.manyLocalChains(n, 5), N), (r) => r.ms);
  await record("many-local-chains-5", N, N * 5, N, manyLocal.ms);
  groupCommit("many-local-chains-5", manyLocal);
  // Entities.
  await page.evaluate(() => window.bench.entityCalls(50));
  await page.evaluate(() => window.bench.signals(10, 10));
  for (const [workload, entities, each] of [
    ["signals-one", 1, 10_000],
    ["signals-1000", 1000, 10],
  ] as const) {
    const r: SignalRunResult = await median(() => page.evaluate(([e, k]) => window.bench.signals(e, k), [entities, each] as const), (x) => x.ms);
    const n = entities * each;
    await record(workload, n, n, n, r.ms);
    results[results.length - 1]!.extra = { batches: r.batches, signalsPerBatch: Math.round((n / r.batches) * 10) / 10, transactions: r.transactions };
    notes.push(`${workload}: sent in ${Math.round(r.startMs)} ms of ${Math.round(r.ms)}; ${r.batches} batches (${(n / r.batches).toFixed(1)} signals each) in ${r.commitTransactions} step transactions; ${r.transactions} IndexedDB transactions in all`);
  }
  const calls = await median(() => page.evaluate((n) => window.bench.entityCalls(n), N), (r) => r.ms);
  await record("call-entity", N, N, N, calls.ms);
  results[results.length - 1]!.extra = { transactionsPerCall: Math.round((calls.transactions / N) * 100) / 100, commitTransactionsPerCall: Math.round((calls.commitTransactions / N) * 100) / 100 };
  groupCommit("call-entity", calls);
} finally {
  await browser.close();
  await server.close();
}

printResults(results, json);
if (!json) {
  const get = (workload: string) => results.find((r) => r.workload === workload)!;
  const [txFloor, writeFloor, chain, fanOut, many] = ["raw-tx-per-write", "raw-one-tx", "chain", "fan-out", "many-chains-5"].map(get) as [BenchResult, BenchResult, BenchResult, BenchResult, BenchResult];
  const ms = (us: number) => `${(us / 1000).toFixed(3)} ms`;
  console.log(`chain: ${ms(chain.usPerStep)} per step (target ≤ 1 ms) = ${(chain.usPerStep / txFloor.usPerStep).toFixed(1)}× one raw readwrite transaction (${ms(txFloor.usPerStep)})`);
  console.log(`fan-out: ${ms(fanOut.usPerStep)} per activity = ${(fanOut.usPerStep / writeFloor.usPerStep).toFixed(1)}× one raw write in a shared transaction (${ms(writeFloor.usPerStep)})`);
  console.log(
    `5-step orchestrations: ${Math.round(many.opsPerSec)}/s (target ≥ 1,000); ${ms(many.usPerStep)} per activity step = ${(many.usPerStep / writeFloor.usPerStep).toFixed(1)}× one raw write in a shared transaction, ${(many.usPerStep / txFloor.usPerStep).toFixed(2)}× one raw readwrite transaction`,
  );
  const [localChain, manyLocal] = ["local-chain", "many-local-chains-5"].map(get) as [BenchResult, BenchResult];
  console.log(`local-chain: ${ms(localChain.usPerStep)} per step (target ≤ 0.1 ms) = ${(localChain.usPerStep / txFloor.usPerStep).toFixed(2)}× one raw readwrite transaction; ${(chain.usPerStep / localChain.usPerStep).toFixed(1)}× faster than the remote chain`);
  console.log(`5-step local orchestrations: ${Math.round(manyLocal.opsPerSec)}/s (target ≥ 5,000); ${(manyLocal.opsPerSec / many.opsPerSec).toFixed(1)}× the remote ones`);
  const [calls, one, many1000] = ["call-entity", "signals-one", "signals-1000"].map(get) as [BenchResult, BenchResult, BenchResult];
  console.log(
    `callEntity round trip: ${ms(calls.usPerStep)} = ${(calls.usPerStep / chain.usPerStep).toFixed(2)}× an activity round trip (the chain, ${ms(chain.usPerStep)}), ` +
      `${(calls.usPerStep / localChain.usPerStep).toFixed(1)}× a local activity; ${calls.extra?.transactionsPerCall} IndexedDB transactions per call (${calls.extra?.commitTransactionsPerCall} that commit steps)`,
  );
  for (const s of [one, many1000]) {
    console.log(`${s.workload}: ${Math.round(s.opsPerSec).toLocaleString("en")} signals/s, ${s.extra?.signalsPerBatch} signals per batch, ${s.extra?.transactions} IndexedDB transactions for ${s.n.toLocaleString("en")} signals`);
  }
  for (const note of notes) console.log(`group commit, ${note}`);
}
