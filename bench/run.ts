/**
 * `npm run bench` — the memory suite (core speed), the entity workloads (bench/entities.ts), then
 * Durable Functions' replay engine beside our fan-out (bench/peer-durable-functions.ts).
 * `--json` prints one JSON object per line and nothing else on stdout. `npm run bench:browser` and
 * `npm run bench:worker` measure the other hosts.
 */
import { entitySummary, runEntitySuite } from "./entities.ts";
import { runMemorySuite } from "./memory.ts";
import { peerSummary, runPeerSuite } from "./peer-durable-functions.ts";
import { printResults } from "./report.ts";

const json = process.argv.includes("--json");
// The peer last: once Durable Functions' replay engine has run, this process runs ours slower.
const results = [...(await runMemorySuite()), ...(await runEntitySuite()), ...(await runPeerSuite())];
printResults(results, json);
if (!json) {
  const per = (n: number) => results.find((r) => r.workload === "chain" && r.n === n)!.usPerStep;
  const peakRss = Math.max(...results.map((r) => r.rssMb ?? 0));
  console.log(`chain per-step ratio (10,000 / 100): ${(per(10_000) / per(100)).toFixed(2)}   peak rss: ${peakRss} MB`);
  for (const line of peerSummary(results)) console.log(line);
  for (const line of entitySummary(results)) console.log(line);
}
