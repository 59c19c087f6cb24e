/**
 * The fault simulator (test/simulator/) on the SQLite store of a real Durable Object, inside
 * workerd. Each seed runs in a fresh object, wholly inside it (`runInDurableObject`); a crash of
 * the runtime opens a new store object over the same storage (leases and write-behind results,
 * which live in memory, are lost with the old one).
 *
 * Replay one seed with the line a failure prints:
 *   npx vitest run --project workerd worker/test/simulator.workerd.test.ts -t "durable-object seed 20001$"
 * or run any seeds: VITE_SIM_FROM=1 VITE_SIM_SEEDS=500 npx vitest run --project workerd worker/test/simulator.workerd.test.ts
 * (VITE_SIM_TRACE=p0 also prints every commit of instance p0).
 */
import { env, runInDurableObject } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { createDurableObjectStore } from "../../adapters/durable-object/index.ts";
import { FAULT_KINDS, type FaultCounts } from "../../test/simulator/faulty-store.ts";
import { formatCounts, formatFailure, replayDifferences, runCrashPoints, runSeed, totalCounts, type SeedReport } from "../../test/simulator/runner.ts";
import type { HarnessFactory, StoreHarness } from "../../test/simulator/simulation.ts";

const vars = (import.meta as unknown as { env?: Record<string, string | undefined> }).env ?? {};
/** The CI set: seeds 20001–20100, unless VITE_SIM_FROM / VITE_SIM_SEEDS ask for others. */
const CUSTOM = vars.VITE_SIM_FROM !== undefined || vars.VITE_SIM_SEEDS !== undefined;
const SEEDS = Array.from({ length: Number(vars.VITE_SIM_SEEDS ?? 100) }, (_, i) => Number(vars.VITE_SIM_FROM ?? 20_001) + i);


/** Seeds of defects the simulator found and that are fixed: they must pass. */
const REGRESSIONS: { seed: number; why: string }[] = [
  { seed: 46, why: "A: an activity scheduled in the step that completes its execution was still queued, ran, and had its result accepted" },
  { seed: 723, why: "A: a remote activity scheduled in a local-activity round, then continue-as-new: it was queued beside the drop of its execution" },
  { seed: 20_207, why: "B: a rewound sub-orchestration answered its parent twice" },
  { seed: 20_901, why: "C: a step replayed a partial history after its cached executor was evicted" },
];

/**
 * Seeds of defects found and not fixed yet (see test/simulator/simulate.test.ts for what they
 * are). Each must still fail with its symptom; once one passes, move it to REGRESSIONS. (None now.)
 */
const KNOWN_DEFECTS: { seed: number; defect: string; symptom: RegExp }[] = [];

/** Runs `run` inside a fresh Durable Object, with a harness over its storage. */
function inFreshObject<T>(run: (harness: HarnessFactory) => Promise<T>): Promise<T> {
  const stub = env.INSTANCES.get(env.INSTANCES.newUniqueId());
  return runInDurableObject(stub, (_instance, state) => {
    let runs = 0;
    const harness: HarnessFactory = ({ profile }) => {
      // Every run starts from empty storage (several runs share the object: crash points, replays).
      if (runs++ > 0) {
        const tables = state.storage.sql
          .exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf%' ESCAPE '\\' AND name NOT LIKE 'sqlite%' AND name <> 'schema_version'`)
          .toArray();
        for (const { name } of tables) state.storage.sql.exec(`DELETE FROM "${name}"`);
      }
      return {
        kind: "durable-object",
        // The store caches what it wrote: it must be its storage's only writer, as the platform makes it.
        concurrentWriters: false,
        open: () => createDurableObjectStore(state.storage, { name: "simulated", completions: profile.completions }),
      } satisfies StoreHarness;
    };
    return run(harness);
  });
}

const reports: SeedReport[] = [];

describe("fault simulator: Durable Object store (SQLite, workerd)", () => {
  afterAll(() => {
    if (reports.length === 0) return;
    console.log(`durable-object: ${reports.length} seeds, ${reports.filter((r) => !r.ok).length} failed; faults: ${formatCounts(totalCounts(reports))}`);
  });

  for (const seed of SEEDS) {
    it(`durable-object seed ${seed}`, async () => {
      const r = await inFreshObject((h) => runSeed(seed, "durable-object", h, vars.VITE_SIM_TRACE === undefined ? {} : { trace: vars.VITE_SIM_TRACE }));
      reports.push(r);
      expect(r.ok, formatFailure(r)).toBe(true);
    });
  }

  it("every fault kind fired in the durable-object set", () => {
    if (CUSTOM || reports.length < SEEDS.length) return; // other seeds, or a filtered run
    const counts: FaultCounts = totalCounts(reports);
    // A Durable Object has one store writer by construction: no zombie runtimes there.
    const missing = FAULT_KINDS.filter((k) => k !== "zombie" && counts[k] === 0);
    expect(missing, `fault kinds that never fired: ${formatCounts(counts)}`).toEqual([]);
  });

  for (const config of ["inline", "dispatch"] as const) {
    it(`durable-object: crash at every commit point (${config})`, async () => {
      const r = await inFreshObject((h) => runCrashPoints("durable-object", h, config));
      console.log(`durable-object crash points (${config}): ${r.writes} writes, ${r.runs} runs`);
      expect(r.writes).toBeGreaterThan(20);
      expect(r.problems.slice(0, 20).join("\n")).toBe("");
    });
  }

  it("a seed replays exactly on the durable-object store", async () => {
    for (const seed of SEEDS.slice(0, 5)) expect(await inFreshObject((h) => replayDifferences(seed, h)), `seed ${seed}`).toEqual([]);
  });

  for (const { seed, why } of REGRESSIONS) {
    it(`regression: durable-object seed ${seed}: ${why}`, async () => {
      const r = await inFreshObject((h) => runSeed(seed, "durable-object", h));
      expect(r.ok, formatFailure(r)).toBe(true);
    });
  }

  for (const { seed, defect, symptom } of KNOWN_DEFECTS) {
    it(`known defect, not fixed yet: durable-object seed ${seed}: ${defect}`, async () => {
      const r = await inFreshObject((h) => runSeed(seed, "durable-object", h));
      if (r.ok) throw new Error(`durable-object seed ${seed} passes now: the defect looks fixed. Move it from KNOWN_DEFECTS to REGRESSIONS.`);
      expect(r.problems.some((p) => symptom.test(p)), formatFailure(r)).toBe(true);
    });
  }
});
