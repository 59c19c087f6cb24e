/**
 * @module simulator/runner — seeds in, verdicts out. A seed decides everything: the fault profile
 * (which kinds, how often, the runtime's settings), the scenario, every fault and every choice of
 * the driver. `runSeed` runs the scenario without faults on the memory store (the reference, also
 * checked against a simple model where the program allows), then with the seed's faults on the
 * store under test, and checks the invariants. `runCrashPoints` fails every write of a fault-free
 * run in turn, before and after it commits, restarting the runtime each time.
 */
import { createMemoryStore } from "../../adapters/memory/index.ts";
import type { ExecutorEnvironment } from "../../src/executor.ts";
import { Registry } from "../../src/definitions.ts";
import { FAULT_KINDS, zeroCounts, type FaultCounts, type FaultKind, type FaultPlan } from "./faulty-store.ts";
import { checkRun } from "./invariants.ts";
import { checkModel } from "./model.ts";
import { createDefinitions, Ledger } from "./orchestrations.ts";
import { Rng } from "./prng.ts";
import { describeScenario, generateScenario, type Leaf, type Scenario } from "./program.ts";
import { runScenario, type HarnessFactory, type Profile, type RunResult, type StoreHarness, type StoreKind } from "./simulation.ts";

export interface SeedReport {
  seed: number;
  store: StoreKind;
  ok: boolean;
  problems: string[];
  counts: FaultCounts;
  /** Milliseconds, for the fault run and the reference together. */
  ms: number;
  /** One line that replays this seed exactly. */
  replay: string;
  /** The scenario and the profile, for a failing seed. */
  details: string;
}

/** The command line that replays `seed` on `store`. */
export function replayCommand(store: StoreKind, seed: number): string {
  if (store === "durable-object") return `npx vitest run --project workerd worker/test/simulator.workerd.test.ts -t "durable-object seed ${seed}$"`;
  return `npm run simulate -- --store ${store} --seed ${seed}`;
}

/** The fault profile a seed encodes. */
export function profileOf(seed: number): Profile {
  const rng = Rng.fork(seed, "profile");
  const enabled = new Set<FaultKind>();
  // A few seeds run with no faults at all: the stores must agree with the reference by themselves.
  if (!rng.chance(0.04)) {
    for (const kind of FAULT_KINDS) if (rng.chance(kind === "sizeLimit" ? 0.2 : 0.5)) enabled.add(kind);
  }
  const mode = rng.chance(0.7) ? "dispatch" : "inline";
  return {
    mode,
    plan: { enabled, rate: rng.pick([0.05, 0.1, 0.2, 0.3]) },
    perRest: rng.range(1, 4),
    leaseMs: rng.pick([5_000, 10_000]),
    cacheSize: rng.pick([1, 2, 10_000]),
    maxBatchSize: rng.pick([1, 2, 200]),
    completions: rng.chance(0.5) ? "write-behind" : "durable",
    twoPhase: rng.chance(0.3),
    signalled: rng.chance(0.5),
  };
}

const REFERENCE_PROFILE: Profile = {
  mode: "inline",
  plan: { enabled: new Set(), rate: 0 },
  perRest: 0,
  leaseMs: 10_000,
  cacheSize: 10_000,
  maxBatchSize: 200,
  completions: "durable",
  twoPhase: false,
  signalled: false,
};

export const memoryHarness: HarnessFactory = () => {
  const store = createMemoryStore({ name: "simulated" });
  return { kind: "memory", open: () => store } satisfies StoreHarness;
};

/** The environment a fresh executor replays in (the same orchestrator as the runs). */
export function replayEnvironment(): ExecutorEnvironment {
  const defs = createDefinitions(new Ledger());
  const registry = new Registry(defs.orchestrators, defs.activities);
  return { orchestrator: (name) => registry.orchestrator(name), logger: { debug() {}, info() {}, warn() {}, error() {} } };
}

/** Runs one seed on `store`: the reference, the model check, the fault run and the invariants. */
export async function runSeed(seed: number, store: StoreKind, harness: HarnessFactory, options: { trace?: string } = {}): Promise<SeedReport> {
  const started = Date.now();
  const profile = profileOf(seed);
  const scenario = generateScenario(seed, { sizes: profile.plan.enabled.has("sizeLimit") });
  const env = replayEnvironment();
  const problems: string[] = [];
  const reference = await runScenario(scenario, REFERENCE_PROFILE, await memoryHarness({ label: "reference", profile: REFERENCE_PROFILE }), seed, "reference", options.trace);
  for (const p of checkRun(reference, null, env)) problems.push(`reference run: ${p}`);
  for (const p of checkModel(scenario, reference)) problems.push(`model: ${p}`);
  const faulted = await runScenario(scenario, profile, await harness({ label: `seed ${seed}`, profile }), seed, "faults", options.trace);
  problems.push(...checkRun(faulted, reference, env));
  const counts = { ...faulted.counts };
  counts.sizeLimit += sizePayloads(scenario);
  return {
    seed,
    store,
    ok: problems.length === 0,
    problems,
    counts,
    ms: Date.now() - started,
    replay: replayCommand(store, seed),
    details: `profile ${describeProfile(profile)}\n${describeScenario(scenario)}`,
  };
}

/**
 * Runs a seed's fault run twice and returns how the two differ (nothing, if the seed replays
 * exactly): the writes in order, the faults, the answers to the client, the final rows.
 */
export async function replayDifferences(seed: number, harness: HarnessFactory): Promise<string[]> {
  const profile = profileOf(seed);
  const scenario = generateScenario(seed, { sizes: profile.plan.enabled.has("sizeLimit") });
  const runs: RunResult[] = [];
  for (let i = 0; i < 2; i++) runs.push(await runScenario(scenario, profile, await harness({ label: `seed ${seed}`, profile }), seed, "faults"));
  const [a, b] = runs as [RunResult, RunResult];
  const rows = (r: RunResult) => JSON.stringify([...(r.snapshot?.instances.values() ?? [])].map((s) => s.row));
  const differences: string[] = [];
  if (a.writes.join() !== b.writes.join()) differences.push(`the writes differ: ${a.writes.length} vs ${b.writes.length}`);
  if (JSON.stringify(a.counts) !== JSON.stringify(b.counts)) differences.push(`the faults differ: ${formatCounts(a.counts)} vs ${formatCounts(b.counts)}`);
  if (a.opResults.join() !== b.opResults.join()) differences.push(`the client's answers differ: ${a.opResults.join()} vs ${b.opResults.join()}`);
  if (rows(a) !== rows(b)) differences.push("the final rows differ");
  return differences;
}

export interface CrashPointReport {
  store: StoreKind;
  /** Writes of the fault-free run, each failed once before and once after it commits. */
  writes: number;
  runs: number;
  problems: string[];
  ms: number;
}

/**
 * For a fixed scenario: enumerates every write of its fault-free run on `store`, then for each one
 * runs again failing that write once before it commits and once after, restarting the runtime
 * right after, and checks the invariants against the reference.
 */
export async function runCrashPoints(store: StoreKind, harness: HarnessFactory, config: "inline" | "dispatch" = "inline", scenario: Scenario = crashPointScenario()): Promise<CrashPointReport> {
  const started = Date.now();
  const seed = 7;
  const env = replayEnvironment();
  const problems: string[] = [];
  // "inline": the runtime runs activities and commits in groups; "dispatch": remote workers, one
  // instance per commit, load and commit in two calls, no executor cache (more writes, each alone).
  const base: Profile =
    config === "inline"
      ? { ...REFERENCE_PROFILE, completions: "write-behind" }
      : { ...REFERENCE_PROFILE, mode: "dispatch", maxBatchSize: 1, cacheSize: 1, twoPhase: true, completions: "write-behind" };
  const reference = await runScenario(scenario, REFERENCE_PROFILE, await memoryHarness({ label: "reference", profile: REFERENCE_PROFILE }), seed, "reference");
  for (const p of checkRun(reference, null, env)) problems.push(`reference run: ${p}`);
  const clean = await runScenario(scenario, base, await harness({ label: "crash points", profile: base }), seed, "crash-points");
  for (const p of checkRun(clean, reference, env)) problems.push(`fault-free run on ${store}: ${p}`);
  const writes = clean.writes.length;
  let runs = 0;
  for (let index = 0; index < writes; index++) {
    for (const when of ["before", "after"] as const) {
      const plan: FaultPlan = { enabled: new Set(), rate: 0, failWrite: { index, when } };
      const profile: Profile = { ...base, plan };
      const run: RunResult = await runScenario(scenario, profile, await harness({ label: `crash point ${index} ${when}`, profile }), seed, "crash-points");
      runs++;
      const hit = run.counts.failBefore + run.counts.failAfter;
      const found = checkRun(run, reference, env);
      if (hit !== 1) found.push(`the write #${index} (${clean.writes[index]}) was not reached (the run diverged before it)`);
      for (const p of found) problems.push(`write #${index} (${clean.writes[index]}) failing ${when} it commits: ${p}`);
    }
  }
  return { store, writes, runs, problems, ms: Date.now() - started };
}

/** The fixed scenario of the crash-point enumeration: a chain, a fan-out, retries, local activities, a sub-orchestration with a timer, events (one raced), continue-as-new, a termination. */
export function crashPointScenario(): Scenario {
  const DAY = 86_400_000;
  const T0 = Date.UTC(2026, 0, 1);
  const spacing = 45 * 60_000;
  return {
    sizes: false,
    starts: [
      {
        op: "start",
        at: T0,
        target: "p0",
        input: {
          g: 0,
          carry: [],
          p: {
            preserve: true,
            gens: [
              [
                { s: "one", leaf: { t: "act", key: "a", v: 1 }, catch: false },
                {
                  s: "all",
                  catch: true,
                  leaves: [
                    { t: "act", key: "b", v: 2 },
                    { t: "act", key: "b2", v: 5, local: true },
                    { t: "retry", key: "c", failFirst: 1, attempts: 3, firstMs: 5_000 },
                    { t: "sub", id: "p0.c1", prog: { preserve: false, gens: [[{ s: "one", leaf: { t: "act", key: "d", v: 3 }, catch: false }, { s: "one", leaf: { t: "timer", days: 1 }, catch: false }]] } },
                  ],
                },
                { s: "one", leaf: { t: "wait", name: "ev0", timeoutDays: 2 }, catch: true },
                { s: "any", leaves: [{ t: "timer", days: 1 }, { t: "wait", name: "evA" }] },
              ],
              [
                { s: "one", leaf: { t: "act", key: "e", v: 4 }, catch: false },
                { s: "one", leaf: { t: "retry", key: "e2", failFirst: 1, attempts: 2, firstMs: 5_000, local: true }, catch: false },
                { s: "status", bytes: 10, catch: true },
              ],
            ],
          },
        },
      },
      {
        op: "start",
        at: T0,
        target: "p1",
        input: { g: 0, carry: [], p: { preserve: false, gens: [[{ s: "one", leaf: { t: "fail", key: "f", nonRetriable: false }, catch: true }, { s: "one", leaf: { t: "timer", days: 3 }, catch: false }]] } },
      },
    ],
    ops: [
      { op: "raise", at: T0 + spacing, target: "p0", name: "ev0", payload: { token: "t0" } },
      { op: "terminate", at: T0 + DAY + 2 * spacing, target: "p1" },
      { op: "raise", at: T0 + DAY + 3 * spacing, target: "p0", name: "evA", payload: { token: "t1" } },
    ],
  };
}

/** How many near-limit or over-limit payloads a scenario plays (the `sizeLimit` fault kind). */
function sizePayloads(scenario: Scenario): number {
  if (!scenario.sizes) return 0;
  let n = 0;
  const leaf = (l: Leaf) => {
    if (l.t === "big") n++;
    if (l.t === "sub") prog(l.prog);
  };
  const prog = (p: { gens: Scenario["starts"][number]["input"]["p"]["gens"] }) => {
    for (const body of p.gens)
      for (const st of body) {
        if (st.s === "one") leaf(st.leaf);
        else if (st.s === "all" || st.s === "any") st.leaves.forEach(leaf);
        else if (st.s === "status" && st.bytes > 1000) n++;
      }
  };
  for (const s of scenario.starts) {
    if (s.input.pad) n++;
    prog(s.input.p);
  }
  for (const o of scenario.ops) if (o.op === "raise" && o.payload.pad) n++;
  return n;
}

export function describeProfile(p: Profile): string {
  return `${p.mode}, faults [${[...p.plan.enabled].join(", ") || "none"}] at ${p.plan.rate}, ≤${p.perRest}/rest, lease ${p.leaseMs} ms, cache ${p.cacheSize}, batch ${p.maxBatchSize}, DO completions ${p.completions}${p.twoPhase ? ", two-phase steps" : ""}${p.signalled ? ", IndexedDB writes signalled" : ""}`;
}

export function totalCounts(reports: readonly { counts: FaultCounts }[]): FaultCounts {
  const total = zeroCounts();
  for (const r of reports) for (const k of FAULT_KINDS) total[k] += r.counts[k];
  return total;
}

/** The kinds that never fired. */
export function missingKinds(counts: FaultCounts): FaultKind[] {
  return FAULT_KINDS.filter((k) => counts[k] === 0);
}

export function formatCounts(counts: FaultCounts): string {
  return FAULT_KINDS.map((k) => `${k} ${counts[k]}`).join(", ");
}

/** A report of failing seeds: the problems, then the replay line. */
export function formatFailure(r: SeedReport): string {
  return [`${r.store} seed ${r.seed} FAILED:`, ...r.problems.slice(0, 12).map((p) => `  - ${p}`), `  ${r.details.replace(/\n/g, "\n  ")}`, `  replay: ${r.replay}`].join("\n");
}
