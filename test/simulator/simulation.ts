/**
 * @module simulator/simulation — one run of a scenario over one store: the runtime on a manual
 * clock, driven step by step by the simulator, which plays the scenario's client operations at
 * their times, runs dispatched activities as its own workers (so it decides when their results
 * arrive, in what order, and how often), and injects the seed's faults through `FaultyStore`.
 *
 * The run has two phases. Safety: the timeline of operations with faults; before each operation
 * the system is brought to rest (nothing due, nothing held, no worker busy), faults allowed for a
 * small budget per rest. Liveness: no more faults; the clock jumps from wake-up to wake-up until
 * nothing is left, within a bound. What the store holds at the end is the run's `Snapshot`.
 */
import { executeActivity } from "../../src/activity-runner.ts";
import { ManualClock } from "../../src/clock.ts";
import { Registry } from "../../src/definitions.ts";
import { DurableError } from "../../src/errors.ts";
import { createRuntime, type Runtime } from "../../src/runtime.ts";
import type { ClaimedActivity, InboxMessage, Store } from "../../src/store.ts";
import { FaultController, FaultyStore, isSimulated, type FaultCounts, type FaultPlan } from "./faulty-store.ts";
import { createDefinitions, Ledger, type Definitions } from "./orchestrations.ts";
import { Rng, withDeterministicUuids } from "./prng.ts";
import { DAY, DRIFT_BUDGET_MS, OP_SPACING, ORCHESTRATOR, T0, type Op, type Scenario } from "./program.ts";
import { takeSnapshot, type Snapshot } from "./snapshot.ts";

export type StoreKind = "memory" | "indexeddb" | "durable-object";

/** Durable state and a way to open a store over it, as a restarted process would. */
export interface StoreHarness {
  readonly kind: StoreKind;
  /** A store over the durable state: a new object each call where the store has one (memory: the same store, which is the state). */
  open(): Store | Promise<Store>;
  /** Releases everything at the end of the run. */
  dispose?(): Promise<void>;
  /** Whether two store objects may write at once (a zombie runtime beside its successor); default true. */
  readonly concurrentWriters?: boolean;
  /** Called at every round of the driver: deliver what the stores tell each other (another tab's wake message). */
  tick?(): void;
}

/** Creates fresh durable state for one run. */
export type HarnessFactory = (run: { label: string; profile: Profile }) => StoreHarness | Promise<StoreHarness>;

export interface Profile {
  /** "dispatch": the simulator runs activities as remote workers; "inline": the runtime runs them itself. */
  mode: "dispatch" | "inline";
  plan: FaultPlan;
  /** The most faults one rest of the system may see. */
  perRest: number;
  leaseMs: number;
  cacheSize: number;
  maxBatchSize: number;
  /** The Durable Object store's completion mode. */
  completions: "durable" | "write-behind";
  /** Load and commit steps in two calls instead of the store's one-transaction `runSteps`. */
  twoPhase: boolean;
  /** IndexedDB: every write is announced to the other store objects (`externalWritesSignalled`, as the browser host does between tabs). */
  signalled: boolean;
}

export interface RunResult {
  snapshot: Snapshot;
  /** Per client operation: "ok" or the error code it was refused with. */
  opResults: string[];
  counts: FaultCounts;
  writes: string[];
  /** Problems found while running (the invariants on the snapshot are checked elsewhere). */
  failures: string[];
  ledgerReruns: number;
  definitions: Definitions;
  ms: number;
}

const MAX_ITERATIONS_PER_REST = 400;
const FAULTY_ROUNDS = 12;
const MAX_WAKEUPS = 2_000;
const LIVENESS_HORIZON = T0 + 400 * DAY;

class Aborted extends Error {}

interface PoolItem {
  item: ClaimedActivity;
  result?: InboxMessage;
}


/** Runs `scenario` once over fresh state from `harness`. */
export function runScenario(scenario: Scenario, profile: Profile, harness: StoreHarness, seed: number, label: string, trace?: string): Promise<RunResult> {
  const sim = new Simulation(scenario, profile, harness, seed, label);
  if (trace !== undefined) sim.trace(trace);
  return withDeterministicUuids(Rng.fork(seed, `${label}/uuids`), () => sim.run());
}

class Simulation {
  private readonly clock = new ManualClock(T0);
  private readonly ledger = new Ledger();
  private readonly definitions: Definitions;
  private readonly registry: Registry;
  private readonly ctl: FaultController;
  /** Decisions of the driver itself (which worker runs, what survives a crash). */
  private readonly rng: Rng;
  private durable!: Store;
  private faulty!: FaultyStore;
  private runtime!: Runtime;
  private life = 0;
  private readonly pool: PoolItem[] = [];
  /** A crashed runtime still running (see `crash`). */
  private zombie: { runtime: Runtime; faulty: FaultyStore; life: number; rounds: number } | null = null;
  /** Callers the driver does not wait on at once: client operations, workers' completions, released holds. */
  private readonly actors = new Set<Promise<unknown>>();
  private readonly failures: string[] = [];
  private readonly opResults: string[] = [];
  private drift = 0;
  /** The runtime's error log, quietly kept: the last lines go into a failure's report. */
  private readonly errorLog: string[] = [];
  private readonly logger = {
    debug() {},
    info() {},
    warn() {},
    error: (...args: unknown[]) => {
      this.errorLog.push(args.map((a) => (a instanceof Error ? errorText(a) : String(a))).join(" "));
      if (this.errorLog.length > 20) this.errorLog.shift();
    },
  };
  /** Faults may not move the clock past this (the next operation, minus a margin). */
  private horizon = Infinity;

  private readonly scenario: Scenario;
  private readonly profile: Profile;
  private readonly harness: StoreHarness;
  private readonly label: string;
  constructor(scenario: Scenario, profile: Profile, harness: StoreHarness, seed: number, label: string) {
    this.scenario = scenario;
    this.profile = profile;
    this.harness = harness;
    this.label = label;
    this.definitions = createDefinitions(this.ledger);
    this.registry = new Registry(this.definitions.orchestrators, this.definitions.activities);
    this.ctl = new FaultController(Rng.fork(seed, `${label}/faults`), profile.plan);
    this.rng = Rng.fork(seed, `${label}/driver`);
  }

  /** Prints every commit of `instanceId` (debugging). */
  trace(instanceId: string): void {
    this.ctl.log.trace = { instanceId, print: (line) => console.log(`[${this.label}] ${line}`) };
  }

  async run(): Promise<RunResult> {
    const started = Date.now();
    let snapshot: Snapshot | null = null;
    try {
      this.durable = await this.harness.open();
      this.startLife();
      try {
        const ops = this.scenario.ops;
        this.horizon = (ops[0]?.at ?? Infinity) - OP_SPACING / 2;
        for (const s of this.scenario.starts) this.perform(s);
        await this.rest(true);
        for (let i = 0; i < ops.length; i++) {
          const op = ops[i]!;
          await this.advanceTo(op.at - 1, true);
          this.clock.set(Math.max(this.clock.now(), op.at));
          this.horizon = (ops[i + 1]?.at ?? Infinity) - OP_SPACING / 2;
          await this.performAtRest(op);
          await this.rest(true);
        }
        // Liveness: no more faults; everything must come to an end.
        this.ctl.active = false;
        this.horizon = Infinity;
        await this.rest(false);
        await this.advanceTo(Infinity, false);
      } catch (error) {
        if (!(error instanceof Aborted)) this.failures.push(`the simulation itself failed: ${errorText(error)}`);
      }
      await this.settleActors();
      snapshot = await takeSnapshot(this.durable, this.ctl.log);
    } finally {
      await this.harness.dispose?.();
    }
    for (const v of this.ctl.violations) this.failures.push(v);
    return {
      snapshot,
      opResults: this.opResults,
      counts: this.ctl.counts,
      writes: this.ctl.writes,
      failures: this.failures,
      ledgerReruns: this.ledger.reruns(),
      definitions: this.definitions,
      ms: Date.now() - started,
    };
  }

  // --- lives ---

  private startLife(): void {
    this.life++;
    this.faulty = new FaultyStore(this.durable, this.ctl, this.life, { holdCompletions: this.profile.mode === "dispatch", twoPhase: this.profile.twoPhase });
    this.runtime = createRuntime({
      store: this.faulty,
      orchestrators: this.definitions.orchestrators,
      activities: this.definitions.activities,
      entities: this.definitions.entities,
      clock: this.clock,
      logger: this.logger,
      leaseMs: this.profile.leaseMs,
      cacheSize: this.profile.cacheSize,
      maxBatchSize: this.profile.maxBatchSize,
      ...(this.profile.mode === "dispatch"
        ? {
            dispatchActivity: (item: ClaimedActivity) => {
              this.pool.push({ item });
              return Promise.resolve();
            },
          }
        : {}),
    });
  }

  /** The runtime dies with everything in its memory; a new one starts over the same durable state. */
  private async crash(): Promise<void> {
    await this.endZombie();
    const life = this.life;
    // Sometimes the old runtime does not die at once: it keeps stepping beside the new one for a few rounds.
    // (Not where the store assumes it is the only writer: a Durable Object, which the platform guarantees.)
    if (this.harness.concurrentWriters !== false && this.ctl.plan.enabled.has("zombie") && this.rng.chance(0.5)) {
      this.ctl.counts.zombie++;
      this.zombie = { runtime: this.runtime, faulty: this.faulty, life, rounds: this.rng.range(1, 3) };
      this.durable = await this.harness.open();
      this.startLife();
      return;
    }
    this.faulty.sever();
    await this.ctl.sever(life);
    // Remote workers may outlive the runtime (their results then reach the new one) or die with it.
    const survivors = this.pool.filter(() => this.rng.chance(0.5));
    this.pool.splice(0, this.pool.length, ...survivors);
    this.durable = await this.harness.open();
    this.startLife();
  }

  private async endZombie(): Promise<void> {
    const z = this.zombie;
    if (!z) return;
    this.zombie = null;
    z.faulty.sever();
    await this.ctl.sever(z.life);
  }

  /** The zombie's turn: it drains too, racing the live runtime for the same instances. */
  private async zombieRound(): Promise<void> {
    const z = this.zombie;
    if (!z) return;
    try {
      await z.runtime.drain();
    } catch (error) {
      if (!isSimulated(error)) this.fail(`the zombie runtime's drain() failed with an error that was not injected: ${errorText(error)}`);
    }
    if (--z.rounds <= 0) await this.endZombie();
  }

  // --- the driver ---

  /** Brings the system to rest at the current time: nothing due, nothing held, nobody busy. */
  private async rest(faults: boolean): Promise<void> {
    this.ctl.active = faults && this.profile.plan.enabled.size > 0;
    this.ctl.budget = this.ctl.active ? this.rng.int(this.profile.perRest + 1) : 0;
    for (let i = 0; i < MAX_ITERATIONS_PER_REST; i++) {
      this.harness.tick?.();
      if (this.ctl.crashRequested) {
        this.ctl.crashRequested = false;
        await this.crash();
      }
      // With a zombie, both runtimes drain at once and race for the same instances.
      const [drained] = await Promise.all([this.drain(), this.zombieRound()]);
      // Faults come in the first rounds of a rest only: after them, the callers are waited for (a store
      // whose calls answer from memory would otherwise starve its own transactions of event-loop turns).
      const faulting = this.ctl.active && this.ctl.budget > 0 && i < FAULTY_ROUNDS;
      if (!faulting) this.ctl.active = false;
      if (faulting) await this.driverFaults();
      await this.runWorkers(faulting);
      for (const p of this.ctl.release(faulting)) this.track(p);
      if (!faulting) await this.settleActors();
      if (drained && !this.zombie && !this.ctl.crashRequested && this.pool.length === 0 && this.ctl.holds.length === 0 && this.actors.size === 0 && (await this.nothingDue())) {
        this.ctl.active = false;
        return;
      }
    }
    this.fail(`the system did not come to rest at ${at(this.clock.now())} within ${MAX_ITERATIONS_PER_REST} rounds (pool ${this.pool.length}, held ${this.ctl.holds.length}, callers ${this.actors.size})`);
  }

  /** Jumps from wake-up to wake-up up to `target`, resting at each. */
  private async advanceTo(target: number, faults: boolean): Promise<void> {
    for (let n = 0; n < MAX_WAKEUPS; n++) {
      const next = await this.durable.nextWakeAt();
      if (next === null || next > target) return;
      if (next > LIVENESS_HORIZON) this.fail(`a wake-up at ${at(next)} is past the simulation's horizon`);
      if (next > this.clock.now()) this.clock.set(next);
      await this.rest(faults);
    }
    this.fail(`still not done after ${MAX_WAKEUPS} wake-ups (now ${at(this.clock.now())})`);
  }

  private async nothingDue(): Promise<boolean> {
    const next = await this.durable.nextWakeAt();
    return next === null || next > this.clock.now();
  }

  /** One `drain` of the runtime; false if an injected failure interrupted it. */
  private async drain(): Promise<boolean> {
    try {
      await this.runtime.drain();
      return true;
    } catch (error) {
      if (isSimulated(error)) return false;
      this.fail(`runtime.drain() failed with an error that was not injected: ${errorText(error)}`);
    }
  }

  /** Faults the driver injects itself: crashes, leases that run out under a running activity, clock jumps. */
  private async driverFaults(): Promise<void> {
    if (this.ctl.want("crash")) {
      await this.crash();
      return;
    }
    const room = Math.min(DRIFT_BUDGET_MS - this.drift, this.horizon - this.clock.now());
    const running = this.pool.filter((p) => p.item.lockedUntil > this.clock.now() && p.item.lockedUntil - this.clock.now() + 1 <= room);
    if (running.length > 0 && this.ctl.want("leaseExpiry")) {
      // The worker is still busy with it when its lease runs out: the runtime hands it out again.
      const p = this.rng.pick(running);
      this.jump(p.item.lockedUntil - this.clock.now() + 1);
      if (!p.result) p.result = await executeActivity(p.item, this.registry, this.clock);
      return;
    }
    const by = this.rng.range(1, 30) * 1000;
    if (by <= room && this.ctl.want("clockJump")) this.jump(by);
  }

  private jump(ms: number): void {
    this.drift += ms;
    this.clock.advance(ms);
  }

  /** The simulator's workers: run dispatched activities and report their results (some later, some out of order, some twice). */
  private async runWorkers(faulting: boolean): Promise<void> {
    if (this.pool.length === 0) return;
    let items = this.pool.splice(0);
    if (faulting && items.length > 1 && this.ctl.want("reorder")) items = this.rng.shuffle(items);
    const later: PoolItem[] = [];
    for (const p of items) {
      if (faulting && this.ctl.want("delay")) {
        later.push(p);
        continue;
      }
      const result = p.result ?? (await executeActivity(p.item, this.registry, this.clock));
      const holdsBefore = this.ctl.holds.length;
      const completion = this.faulty.completeActivity(p.item, result).then(
        () => undefined,
        (error: unknown) => {
          if (!isSimulated(error)) return this.fail(`completeActivity failed with an error that was not injected: ${errorText(error)}`);
          // A worker whose report failed tries again (with the same lease), or gives up (the lease runs out).
          if (!error.committed && this.rng.chance(0.5)) this.pool.push({ item: p.item, result });
          return undefined;
        },
      );
      if (this.ctl.holds.length > holdsBefore) this.track(completion);
      else await completion.catch(() => undefined);
    }
    this.pool.unshift(...later);
  }

  private track(p: Promise<unknown>): void {
    const tracked = p.catch((error: unknown) => {
      if (!(error instanceof Aborted)) this.failures.push(`a caller failed: ${errorText(error)}`);
    });
    this.actors.add(tracked);
    void tracked.finally(() => this.actors.delete(tracked));
  }

  /** Waits for every caller, holding nothing new meanwhile and releasing what is held. */
  private async settleActors(): Promise<void> {
    this.ctl.holdsAllowed = false;
    try {
      for (let i = 0; i < 100 && (this.actors.size > 0 || this.ctl.holds.length > 0); i++) {
        for (const p of this.ctl.release(false)) this.track(p);
        await Promise.allSettled([...this.actors]);
      }
    } finally {
      this.ctl.holdsAllowed = true;
    }
  }

  // --- client operations ---

  /** An operation at its time: the system is at rest, so what it finds is what the fault-free run found. */
  private async performAtRest(op: Op): Promise<void> {
    if (op.op === "rewind") {
      // The outside world learns of the rewind before the runtime can act on it (see Ledger).
      const row = await this.durable.getInstance(op.target);
      if (row?.runtimeStatus === "Failed") this.ledger.noteRewind(op.target);
    }
    this.perform(op);
  }

  private perform(op: Op): void {
    const index = this.opResults.length;
    this.opResults.push("pending");
    this.track(
      this.attempt(op).then((result) => {
        this.opResults[index] = result;
      }),
    );
  }

  /** A client that retries what failed before it took effect, and trusts what failed after. */
  private async attempt(op: Op): Promise<string> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const client = this.runtime.client;
      try {
        switch (op.op) {
          case "start":
            await client.startNew(ORCHESTRATOR, { instanceId: op.target, input: op.input });
            break;
          case "raise":
            await client.raiseEvent(op.target, op.name, op.payload);
            break;
          case "terminate":
            await client.terminate(op.target, "simulated terminate");
            break;
          case "suspend":
            await client.suspend(op.target, "simulated suspend");
            break;
          case "resume":
            await client.resume(op.target, "simulated resume");
            break;
          case "rewind":
            await client.rewind(op.target, "simulated rewind");
            break;
        }
        return "ok";
      } catch (error) {
        if (isSimulated(error)) {
          if (error.committed) return "ok";
          continue;
        }
        if (DurableError.is(error)) return error.code;
        return `error: ${errorText(error)}`;
      }
    }
    this.fail(`client operation ${op.op} on ${op.target} failed 200 times`);
  }

  private fail(message: string): never {
    // What the runtime logged last says what it was struggling with (injected faults are logged too).
    const logged = this.errorLog.filter((l) => !l.includes("simulated:")).slice(-3);
    this.failures.push(`[${this.label}] ${message}${logged.length > 0 ? `; the runtime last logged: ${logged.join(" | ")}` : ""}`);
    throw new Aborted(message);
  }
}

export function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}${(error as { code?: string }).code ? `(${(error as { code?: string }).code})` : ""}: ${error.message}`;
  return String(error);
}

function at(time: number): string {
  return `day ${((time - T0) / DAY).toFixed(3)}`;
}
