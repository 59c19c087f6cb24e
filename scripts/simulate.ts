/**
 * The fault simulator from the command line (`npm run simulate -- …`):
 *
 *   npm run simulate -- --seeds 500                  500 seeds on memory and IndexedDB (fake-indexeddb)
 *   npm run simulate -- --store memory --seed 1234   replays one seed exactly, and prints its scenario
 *   npm run simulate -- --store indexeddb --seeds 100 --from 5000
 *   npm run simulate -- --crash-points [--store …]   fails every write of a fixed scenario in turn
 *   … --seed 1234 --trace p0                         also prints every commit of instance p0 (both runs)
 *
 * Durable Objects run only inside workerd: see worker/test/simulator.workerd.test.ts.
 */
import { formatCounts, formatFailure, missingKinds, runCrashPoints, runSeed, totalCounts, type SeedReport } from "../test/simulator/runner.ts";
import { nodeHarnesses } from "../test/simulator/node-harnesses.ts";
import { describeScenario } from "../test/simulator/program.ts";
import { crashPointScenario } from "../test/simulator/runner.ts";

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const has = (name: string) => args.includes(`--${name}`);

const storeArg = flag("store");
if (storeArg === "durable-object") {
  console.error("Durable Objects run inside workerd: npx vitest run --project workerd worker/test/simulator.workerd.test.ts");
  process.exit(2);
}
if (storeArg !== undefined && !(storeArg in nodeHarnesses)) {
  console.error(`--store must be memory or indexeddb, not '${storeArg}'.`);
  process.exit(2);
}
const stores = (storeArg ? [storeArg] : Object.keys(nodeHarnesses)) as (keyof typeof nodeHarnesses)[];

async function main(): Promise<number> {
  if (has("crash-points")) {
    let failed = 0;
    for (const store of stores) {
      for (const config of ["inline", "dispatch"] as const) {
        const r = await runCrashPoints(store, nodeHarnesses[store], config);
        console.log(`${store} (${config}): ${r.writes} writes, ${r.runs} runs, ${r.problems.length} problems, ${(r.ms / 1000).toFixed(1)} s`);
        for (const p of r.problems.slice(0, 40)) console.log(`  - ${p}`);
        if (r.problems.length > 0) failed++;
      }
    }
    if (has("verbose")) console.log(describeScenario(crashPointScenario()));
    return failed > 0 ? 1 : 0;
  }
  const single = flag("seed");
  const count = Number(flag("seeds") ?? (single === undefined ? 100 : 1));
  const from = Number(flag("from") ?? single ?? 1);
  const reports: SeedReport[] = [];
  for (const store of stores) {
    const started = Date.now();
    const mine: SeedReport[] = [];
    for (let seed = from; seed < from + count; seed++) {
      const trace = flag("trace");
      const r = await runSeed(seed, store, nodeHarnesses[store], trace === undefined ? {} : { trace });
      mine.push(r);
      if (!r.ok) console.log(formatFailure(r));
      else if (single !== undefined) console.log(`${store} seed ${seed} ok (${r.ms} ms)\n  ${r.details.replace(/\n/g, "\n  ")}\n  faults: ${formatCounts(r.counts)}`);
    }
    const failed = mine.filter((r) => !r.ok).length;
    console.log(`${store}: ${mine.length} seeds, ${failed} failed, ${((Date.now() - started) / 1000).toFixed(1)} s; faults: ${formatCounts(totalCounts(mine))}`);
    reports.push(...mine);
  }
  const missing = missingKinds(totalCounts(reports));
  if (missing.length > 0 && count >= 50) console.log(`fault kinds that never fired: ${missing.join(", ")}`);
  const failed = reports.filter((r) => !r.ok);
  if (failed.length > 0) {
    console.log(`\n${failed.length} failing seeds; replay with:`);
    for (const r of failed) console.log(`  ${r.replay}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
