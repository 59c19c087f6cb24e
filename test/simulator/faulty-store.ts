/**
 * @module simulator/faulty-store — a `Store` that wraps any store and injects the faults of a
 * seed: writes that fail before they commit (the inner store is never called) or after (called,
 * then the caller is told it failed), deliveries held back and released later and out of order,
 * messages and activity results delivered twice, reads that fail. Every injected failure is a
 * transient-typed `DurableError("StoreUnavailable")`, marked `simulated`, and says whether the
 * write behind it committed.
 *
 * One `FaultyStore` is one life of a runtime (its "connection"): a crash severs it, settling its
 * held calls (each applied or dropped) and refusing every later call, while the controller — the
 * seed's fault stream, counters, holds and the log of committed writes — carries on.
 */
import { DurableError } from "../../src/errors.ts";
import type { HistoryEvent } from "../../src/history.ts";
import type { RuntimeStatus } from "../../src/status.ts";
import type {
  ClaimOptions,
  ClaimedActivity,
  ClaimedWork,
  CommitOutcome,
  CreateOptions,
  InboxMessage,
  InstancePage,
  InstanceQuery,
  InstanceRecord,
  StepCommit,
  StepInput,
  StepRequest,
  Store,
} from "../../src/store.ts";
import type { Rng } from "./prng.ts";

export const FAULT_KINDS = [
  "failBefore",
  "failAfter",
  "crash",
  "delay",
  "reorder",
  "duplicateMessage",
  "duplicateResult",
  "leaseExpiry",
  "clockJump",
  "sizeLimit",
  "readFail",
  /** A crashed runtime that goes on for a while beside the new one (two runtimes over one store: the etag fence must hold). */
  "zombie",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export type FaultCounts = Record<FaultKind, number>;

export function zeroCounts(): FaultCounts {
  return Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as FaultCounts;
}

export function addCounts(into: FaultCounts, from: FaultCounts): void {
  for (const k of FAULT_KINDS) into[k] += from[k];
}

/** An injected failure. `committed`: whether the write it interrupted took effect. */
export class SimulatedFault extends DurableError {
  readonly simulated = true;
  readonly committed: boolean;
  constructor(message: string, committed: boolean) {
    super("StoreUnavailable", `simulated: ${message}`);
    this.committed = committed;
  }
}

export function isSimulated(error: unknown): error is SimulatedFault {
  return typeof error === "object" && error !== null && (error as { simulated?: unknown }).simulated === true && DurableError.is(error, "StoreUnavailable");
}

/** The write methods, in the order the crash-point enumeration counts them. */
export type WriteMethod = "createInstance" | "commitSteps" | "runSteps" | "appendMessages" | "completeActivity";

export interface FaultPlan {
  enabled: ReadonlySet<FaultKind>;
  /** The chance that an opportunity for an enabled kind takes it, while budget lasts. */
  rate: number;
  /** Crash-point mode: fail exactly this write (counted from 0 over the whole run), then restart. */
  failWrite?: { index: number; when: "before" | "after" } | undefined;
}

interface Held {
  life: number;
  label: string;
  apply: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface LoggedExecution {
  executionId: string;
  history: HistoryEvent[];
}

export interface LoggedInstance {
  etag: number;
  deleted: boolean;
  /** Every execution the instance had, in order; the last one is current. */
  executions: LoggedExecution[];
}

/**
 * What was committed, as the wrapper saw it go through: per instance its etags and the history of
 * each execution. Checked on the fly (fencing, monotonic etags, history lengths) and at the end
 * against what the store holds.
 */
export class CommitLog {
  readonly instances = new Map<string, LoggedInstance>();
  readonly violations: string[] = [];
  /** Executions whose queued work a commit dropped (finished, continued as new), until a commit queues work for them again (rewind). */
  private readonly dropped = new Set<string>();

  /** An activity was handed out, or its result accepted: it must not belong to an execution whose work was dropped. */
  claimed(a: ClaimedActivity, what = "handed out"): void {
    if (this.dropped.has(`${a.instanceId}\u0000${a.executionId}`)) {
      this.violations.push(`${a.instanceId}: activity ${a.id} was ${what} after a commit dropped the work of its execution`);
    }
  }

  created(row: InstanceRecord): void {
    const entry = this.instances.get(row.instanceId);
    const execution = { executionId: row.executionId, history: [] };
    if (!entry) this.instances.set(row.instanceId, { etag: row.etag, deleted: false, executions: [execution] });
    else {
      entry.etag = row.etag;
      entry.deleted = false;
      entry.executions.push(execution);
    }
  }

  /** Debugging: called with every committed commit of this instance (`npm run simulate -- --seed S --trace ID`). */
  trace: { instanceId: string; print: (line: string) => void } | null = null;

  committed(c: StepCommit): void {
    if (this.trace?.instanceId === c.instanceId) this.trace.print(describeCommit(c));
    const cur = this.instances.get(c.instanceId);
    const live = cur && !cur.deleted ? cur : undefined;
    if (c.expectedEtag === null) {
      if (live) this.violations.push(`${c.instanceId}: a commit expecting no row was committed over a row at etag ${live.etag} (fencing)`);
    } else if (!live) {
      this.violations.push(`${c.instanceId}: a commit expecting etag ${c.expectedEtag} was committed where the log knows no row (fencing)`);
    } else if (live.etag !== c.expectedEtag) {
      this.violations.push(`${c.instanceId}: a commit expecting etag ${c.expectedEtag} was committed over etag ${live.etag} (fencing)`);
    }
    if (c.dropExecution !== null) this.dropped.add(`${c.instanceId}\u0000${c.dropExecution}`);
    for (const a of c.activities) if (a.executionId !== c.dropExecution) this.dropped.delete(`${a.instanceId}\u0000${a.executionId}`);
    if (!c.instance) {
      if (cur) cur.deleted = true;
      return;
    }
    if (live && c.instance.etag <= live.etag) this.violations.push(`${c.instanceId}: etag went from ${live.etag} to ${c.instance.etag}`);
    let entry = cur;
    if (!entry) {
      entry = { etag: c.instance.etag, deleted: false, executions: [] };
      this.instances.set(c.instanceId, entry);
    }
    const last = entry.executions[entry.executions.length - 1];
    let execution: LoggedExecution;
    if (c.history.mode === "replace") {
      if (last && last.executionId === c.instance.executionId && !entry.deleted) {
        last.history = c.history.events.slice();
        execution = last;
      } else {
        execution = { executionId: c.instance.executionId, history: c.history.events.slice() };
        entry.executions.push(execution);
      }
    } else {
      if (!last || entry.deleted) {
        execution = { executionId: c.instance.executionId, history: c.history.events.slice() };
        entry.executions.push(execution);
      } else {
        if (last.executionId !== c.instance.executionId) {
          this.violations.push(`${c.instanceId}: a commit appended history of execution ${c.instance.executionId} to execution ${last.executionId}`);
        }
        for (const e of c.history.events) last.history.push(e);
        execution = last;
      }
    }
    if (c.instance.runtimeStatus === "Pending" && execution.history.some((e) => e.EventType === "ExecutionStarted")) {
      this.violations.push(`${c.instanceId}: a commit set it Pending although its execution had started (the step did not replay its whole history)`);
    }
    if (c.instance.historyLength !== execution.history.length) {
      this.violations.push(`${c.instanceId}: a commit set historyLength ${c.instance.historyLength}, but the history it leaves has ${execution.history.length} events`);
    }
    entry.etag = c.instance.etag;
    entry.deleted = false;
  }
}

function describeCommit(c: StepCommit): string {
  const events = c.history.events
    .filter((e) => e.EventType !== "OrchestratorStarted" && e.EventType !== "OrchestratorCompleted")
    .map((e) => e.EventType + ("TimerId" in e ? ` t${e.TimerId}` : "TaskScheduledId" in e ? ` #${e.TaskScheduledId}` : e.EventId >= 0 ? ` ${e.EventId}` : "") + ("Name" in e ? ` ${e.Name}` : ""));
  const at = c.history.events.find((e) => e.EventType === "OrchestratorStarted")?.Timestamp;
  return `commit ${c.instanceId} etag ${c.expectedEtag} -> ${c.instance?.etag ?? "(deleted)"} ${c.instance?.runtimeStatus ?? ""} at ${at ?? "?"} ${c.history.mode} [${events.join(", ")}] sends ${c.messages.length}, queues ${c.activities.length}, consumes ${c.deleteMessageIds.length}${c.dropExecution ? ", drops its execution" : ""}`;
}

/** The seed's faults: its stream, budget, counters, holds and commit log, shared by every life. */
export class FaultController {
  readonly counts = zeroCounts();
  readonly log = new CommitLog();
  readonly holds: Held[] = [];
  /** The names of the writes, in order (the crash-point enumeration replays them by index). */
  readonly writes: WriteMethod[] = [];
  /** Faults may be injected while this is set and budget lasts. */
  active = false;
  budget = 0;
  /** Set by an injected failure that should also crash the runtime; the driver acts on it. */
  crashRequested = false;
  /** While false, no call is held (the driver is waiting for callers to finish). */
  holdsAllowed = true;
  /** Store calls so far, and the most one run may make (a runtime that loops forever fails the seed instead of hanging it). */
  calls = 0;
  maxCalls = 250_000;
  /** Contract violations seen by the wrapper itself (a duplicate accepted twice…). */
  readonly violations: string[] = [];

  readonly rng: Rng;
  readonly plan: FaultPlan;
  constructor(rng: Rng, plan: FaultPlan) {
    this.rng = rng;
    this.plan = plan;
  }

  /** Whether to inject a fault of `kind` at this opportunity (counts it if so). */
  want(kind: FaultKind): boolean {
    if (!this.active || this.budget <= 0 || !this.plan.enabled.has(kind)) return false;
    if (!this.rng.chance(this.plan.rate)) return false;
    this.budget--;
    this.counts[kind]++;
    return true;
  }

  /** Decides the fate of one write: fail it before, after, or not at all. */
  writeFault(method: WriteMethod): "before" | "after" | null {
    const index = this.writes.length;
    this.writes.push(method);
    const target = this.plan.failWrite;
    if (target) {
      if (index !== target.index) return null;
      this.counts[target.when === "before" ? "failBefore" : "failAfter"]++;
      this.counts.crash++;
      this.crashRequested = true;
      return target.when;
    }
    const when = this.want("failBefore") ? "before" : this.want("failAfter") ? "after" : null;
    if (when && this.want("crash")) this.crashRequested = true;
    return when;
  }

  hold(life: number, label: string, apply: () => Promise<unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => this.holds.push({ life, label, apply, resolve, reject }));
  }

  /** Releases held calls: all in order, or (faulting) a random subset in random order. */
  release(faulting: boolean): Promise<unknown>[] {
    if (this.holds.length === 0) return [];
    let chosen = this.holds.splice(0);
    if (faulting) {
      const kept: Held[] = [];
      const go: Held[] = [];
      for (const h of chosen) (this.rng.chance(0.5) ? go : kept).push(h);
      if (go.length > 1 && this.want("reorder")) go.reverse();
      this.holds.push(...kept);
      chosen = go;
    }
    return chosen.map((h) => h.apply().then(h.resolve, h.reject));
  }

  /** A crash: the held calls of `life` are applied or dropped, and their callers told they failed. */
  async sever(life: number): Promise<void> {
    const mine = this.holds.filter((h) => h.life === life);
    this.holds.splice(0, this.holds.length, ...this.holds.filter((h) => h.life !== life));
    for (const h of mine) {
      if (this.rng.chance(0.5)) {
        try {
          await h.apply();
          h.reject(new SimulatedFault(`the runtime crashed after ${h.label} was applied`, true));
        } catch (error) {
          h.reject(error);
        }
      } else {
        h.reject(new SimulatedFault(`the runtime crashed before ${h.label} was applied`, false));
      }
    }
  }
}

export interface FaultyStoreOptions {
  /** Whether `completeActivity` calls may be held (only when the caller does not wait on them: the simulator's own workers). */
  holdCompletions: boolean;
  /** Hide the store's `runSteps`, so the runtime loads and commits in two calls (where the etag fence does the work). */
  twoPhase: boolean;
}

/** One life of the runtime's view of the store, with the seed's faults. */
export class FaultyStore implements Store {
  runSteps?: (requests: readonly StepRequest[], now: number, plan: (inputs: StepInput[]) => (StepCommit | null)[]) => Promise<CommitOutcome[]>;
  private severed = false;

  private readonly inner: Store;
  private readonly ctl: FaultController;
  private readonly life: number;
  private readonly options: FaultyStoreOptions;
  constructor(inner: Store, ctl: FaultController, life: number, options: FaultyStoreOptions) {
    this.inner = inner;
    this.ctl = ctl;
    this.life = life;
    this.options = options;
    if (inner.runSteps && !options.twoPhase) {
      const run = inner.runSteps.bind(inner);
      this.runSteps = async (requests, now, plan) => {
        this.guard("runSteps");
        const fault = this.ctl.writeFault("runSteps");
        if (fault === "before") throw new SimulatedFault("runSteps failed before committing", false);
        let planned: (StepCommit | null)[] = [];
        const outcomes = await run(requests, now, (inputs) => (planned = plan(inputs)));
        this.logged(planned, outcomes);
        await this.duplicateMessages(planned, outcomes);
        if (fault === "after") throw new SimulatedFault("runSteps failed after committing", true);
        return outcomes;
      };
    }
  }

  /** The runtime of this life crashed: refuse everything from now on. */
  sever(): void {
    this.severed = true;
  }

  private guard(what: string): void {
    if (this.severed) throw new SimulatedFault(`${what} on the store of a crashed runtime`, false);
    if (++this.ctl.calls > this.ctl.maxCalls) throw new Error(`runaway: over ${this.ctl.maxCalls} store calls in one run (the last: ${what})`);
  }

  private read<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.guard(what);
    if (this.ctl.want("readFail")) return Promise.reject(new SimulatedFault(`${what} failed`, false));
    return fn();
  }

  private logged(commits: readonly (StepCommit | null)[], outcomes: readonly CommitOutcome[]): void {
    if (outcomes.length !== commits.length) {
      this.ctl.violations.push(`a store returned ${outcomes.length} outcomes for ${commits.length} commits`);
    }
    commits.forEach((c, i) => {
      if (c === null) {
        if (outcomes[i] !== "skipped") this.ctl.violations.push(`a store reported ${outcomes[i]} for a step planned as null (skipped)`);
      } else if (outcomes[i] === "committed") this.ctl.log.committed(c);
    });
  }

  /** Appends what a committed step sent once more: the store must drop the copies (same ids). */
  private async duplicateMessages(commits: readonly (StepCommit | null)[], outcomes: readonly CommitOutcome[]): Promise<void> {
    const sent = commits.flatMap((c, i) => (c !== null && outcomes[i] === "committed" ? c.messages : []));
    if (sent.length > 0 && this.ctl.want("duplicateMessage")) await this.inner.appendMessages(sent);
  }

  async createInstance(instance: InstanceRecord, start: InboxMessage, options: CreateOptions): Promise<void> {
    this.guard("createInstance");
    const fault = this.ctl.writeFault("createInstance");
    if (fault === "before") throw new SimulatedFault("createInstance failed before committing", false);
    await this.inner.createInstance(instance, start, options);
    this.ctl.log.created(instance);
    if (fault === "after") throw new SimulatedFault("createInstance failed after committing", true);
  }

  getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    return this.read("getInstance", () => this.inner.getInstance(instanceId));
  }

  getHistory(instanceId: string): Promise<HistoryEvent[]> {
    return this.read("getHistory", () => this.inner.getHistory(instanceId));
  }

  loadSteps(requests: readonly StepRequest[], now: number): Promise<StepInput[]> {
    return this.read("loadSteps", () => this.inner.loadSteps(requests, now));
  }

  async commitSteps(commits: readonly StepCommit[]): Promise<CommitOutcome[]> {
    this.guard("commitSteps");
    const fault = this.ctl.writeFault("commitSteps");
    if (fault === "before") throw new SimulatedFault("commitSteps failed before committing", false);
    const outcomes = await this.inner.commitSteps(commits);
    this.logged(commits, outcomes);
    await this.duplicateMessages(commits, outcomes);
    if (fault === "after") throw new SimulatedFault("commitSteps failed after committing", true);
    return outcomes;
  }

  appendMessages(messages: readonly InboxMessage[]): Promise<void> {
    try {
      this.guard("appendMessages");
    } catch (error) {
      return Promise.reject(error);
    }
    const fault = this.ctl.writeFault("appendMessages");
    if (fault === "before") return Promise.reject(new SimulatedFault("appendMessages failed before committing", false));
    const apply = async () => {
      await this.inner.appendMessages(messages);
      if (this.ctl.want("duplicateMessage")) await this.inner.appendMessages(messages);
      if (fault === "after") throw new SimulatedFault("appendMessages failed after committing", true);
    };
    if (this.ctl.holdsAllowed && this.ctl.want("delay")) return this.ctl.hold(this.life, "appendMessages", apply) as Promise<void>;
    return apply();
  }

  claimWork(now: number, options: ClaimOptions): Promise<ClaimedWork> {
    return this.read("claimWork", async () => {
      const work = await this.inner.claimWork(now, options);
      for (const a of work.activities) this.ctl.log.claimed(a);
      // The claim leased its activities, but the caller never hears of them: they run once their leases run out.
      if (work.activities.length > 0 && this.ctl.want("failAfter")) throw new SimulatedFault("claimWork failed after leasing", true);
      return work;
    });
  }

  completeActivity(activity: ClaimedActivity, result: InboxMessage): Promise<boolean> {
    try {
      this.guard("completeActivity");
    } catch (error) {
      return Promise.reject(error);
    }
    const fault = this.ctl.writeFault("completeActivity");
    if (fault === "before") return Promise.reject(new SimulatedFault("completeActivity failed before committing", false));
    const apply = async () => {
      const accepted = await this.inner.completeActivity(activity, result);
      if (accepted) this.ctl.log.claimed(activity, "completed (its result accepted)");
      if (this.ctl.want("duplicateResult")) {
        const again = await this.inner.completeActivity(activity, result);
        if (again) this.ctl.violations.push(`completeActivity accepted the same result of ${activity.id} (lease ${activity.leaseToken}) twice`);
      }
      if (fault === "after") throw new SimulatedFault("completeActivity failed after committing", accepted);
      return accepted;
    };
    if (this.options.holdCompletions && this.ctl.holdsAllowed && this.ctl.want("delay")) {
      return this.ctl.hold(this.life, "completeActivity", apply) as Promise<boolean>;
    }
    return apply();
  }

  nextWakeAt(): Promise<number | null> {
    return this.read("nextWakeAt", () => this.inner.nextWakeAt());
  }

  listInstances(query: InstanceQuery): Promise<InstancePage> {
    return this.read("listInstances", () => this.inner.listInstances(query));
  }

  purgeInstance(instanceId: string, onlyIfStatus: readonly RuntimeStatus[]): Promise<boolean> {
    this.guard("purgeInstance");
    return this.inner.purgeInstance(instanceId, onlyIfStatus);
  }

  /** The durable store outlives this life: closing one life closes nothing. */
  async close(): Promise<void> {
    this.severed = true;
  }
}
