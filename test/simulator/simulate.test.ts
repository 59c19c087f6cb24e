/**
 * The fault simulator in CI (Node): a fixed set of seeds on the memory store and on IndexedDB
 * (fake-indexeddb), the crash at every commit point of a fixed scenario, exact replay, and the
 * seeds of defects it found. The Durable Object store runs in worker/test/simulator.workerd.test.ts.
 * A failing seed prints the one line that replays it (`npm run simulate -- --store … --seed …`).
 */
import { afterAll, describe, expect, it } from "vitest";
import { FAULT_KINDS } from "./faulty-store.ts";
import { nodeHarnesses } from "./node-harnesses.ts";
import { formatCounts, formatFailure, replayDifferences, runCrashPoints, runSeed, totalCounts, type SeedReport } from "./runner.ts";

type NodeStore = keyof typeof nodeHarnesses;

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

/** The CI set. Each seed also encodes its fault profile; see `profileOf`. */
const SETS: Record<NodeStore, number[]> = {
  memory: range(1, 1000),
  indexeddb: range(10_001, 400),
};

/** Seeds of defects the simulator found and that are fixed: they must pass. */
const REGRESSIONS: { store: NodeStore; seed: number; why: string }[] = [
  // Defect A (fixed in src/step.ts): the last activities of an execution were queued beside the drop of its work.
  { store: "memory", seed: 46, why: "A: an activity scheduled in the step that completes its execution was still queued, ran, and had its result accepted" },
  { store: "memory", seed: 723, why: "A: a remote activity scheduled in a local-activity round, then continue-as-new: it was queued beside the drop of its execution" },
  { store: "indexeddb", seed: 10_046, why: "A: the same, on IndexedDB" },
  // Defect B (fixed in src/executor.ts, accepts): a result for a task no longer open was recorded;
  // a sub-orchestration rewound by itself answered its parent a second time.
  { store: "memory", seed: 5581, why: "B: a sub-orchestration rewound by itself fails again, and its parent recorded a second result for the same task" },
  { store: "memory", seed: 7127, why: "B: the same, while the parent is suspended (both results were held, then both recorded)" },
  { store: "indexeddb", seed: 13_126, why: "B: the same, on IndexedDB" },
  // Defect C (fixed in src/runtime.ts, stepGroup): planning looked the executor cache up again after
  // the store's await; a local-activity commit meanwhile evicted the entry the request was built
  // on, so a fresh executor replayed a partial history: the instance went Pending and stalled.
  { store: "indexeddb", seed: 10_243, why: "C: a step replayed a partial history after its cached executor was evicted (the instance recovered when the next message woke it)" },
  { store: "indexeddb", seed: 10_397, why: "C: the same: a sub-orchestration went Pending and never ended" },
  { store: "indexeddb", seed: 13_152, why: "C: the same: the instance stalled, and an event that should have timed out won" },
  { store: "indexeddb", seed: 10_587, why: "C: the same: a sub-orchestration stalled for days" },
];

/**
 * Seeds of defects found and not fixed yet. Each must still fail with its symptom; once one
 * passes, its defect is fixed: move it to REGRESSIONS. (None at the moment.)
 */
const KNOWN_DEFECTS: { store: NodeStore; seed: number; defect: string; symptom: RegExp }[] = [];

const known = new Set(KNOWN_DEFECTS.map((k) => `${k.store}/${k.seed}`));
const reports: SeedReport[] = [];

describe("fault simulator (memory, IndexedDB on fake-indexeddb)", () => {
  afterAll(() => {
    const counts = totalCounts(reports);
    if (reports.length > 0) console.log(`fault simulator, Node: ${reports.length} seeds; faults: ${formatCounts(counts)}`);
  });

  for (const store of Object.keys(SETS) as NodeStore[]) {
    const seeds = SETS[store].filter((s) => !known.has(`${store}/${s}`));
    it(`${store}: ${seeds.length} seeds`, { timeout: 300_000 }, async () => {
      const started = Date.now();
      const mine: SeedReport[] = [];
      for (const seed of seeds) mine.push(await runSeed(seed, store, nodeHarnesses[store]));
      reports.push(...mine);
      const failed = mine.filter((r) => !r.ok);
      console.log(`${store}: ${mine.length} seeds, ${failed.length} failed, ${((Date.now() - started) / 1000).toFixed(1)} s; faults: ${formatCounts(totalCounts(mine))}`);
      expect(failed.map(formatFailure).join("\n\n")).toBe("");
    });
  }

  it("every fault kind fired at least once in the CI set", () => {
    if (reports.length === 0) return; // the seed sets were filtered out (-t)
    const counts = totalCounts(reports);
    expect(FAULT_KINDS.filter((k) => counts[k] === 0), formatCounts(counts)).toEqual([]);
  });

  for (const store of Object.keys(SETS) as NodeStore[]) {
    for (const config of ["inline", "dispatch"] as const) {
      it(`${store}: crash at every commit point (${config})`, { timeout: 120_000 }, async () => {
        const r = await runCrashPoints(store, nodeHarnesses[store], config);
        console.log(`${store} crash points (${config}): ${r.writes} writes, ${r.runs} runs, ${(r.ms / 1000).toFixed(1)} s`);
        expect(r.writes).toBeGreaterThan(20);
        expect(r.problems.slice(0, 20).join("\n")).toBe("");
      });
    }
  }

  it("a seed replays exactly (the same writes, faults, answers and rows)", { timeout: 60_000 }, async () => {
    for (const store of Object.keys(SETS) as NodeStore[]) {
      for (const seed of SETS[store].slice(0, 8)) expect(await replayDifferences(seed, nodeHarnesses[store]), `${store} seed ${seed}`).toEqual([]);
    }
  });

  for (const { store, seed, why } of REGRESSIONS) {
    it(`regression: ${store} seed ${seed}: ${why}`, async () => {
      const r = await runSeed(seed, store, nodeHarnesses[store]);
      expect(r.ok, formatFailure(r)).toBe(true);
    });
  }

  for (const { store, seed, defect, symptom } of KNOWN_DEFECTS) {
    it(`known defect, not fixed yet: ${store} seed ${seed}: ${defect}`, async () => {
      const r = await runSeed(seed, store, nodeHarnesses[store]);
      if (r.ok) throw new Error(`${store} seed ${seed} passes now: the defect looks fixed. Move it from KNOWN_DEFECTS to REGRESSIONS.`);
      expect(r.problems.some((p) => symptom.test(p)), formatFailure(r)).toBe(true);
    });
  }
});
