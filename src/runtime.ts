/**
 * @module runtime — the imperative shell around the pure core: claims work from a store, runs
 * activities, steps orchestrations in group commits, keeps live executors in a bounded cache, and
 * sleeps until the next timer or lease is due.
 */
import { DurableClient } from "./client.ts";
import { systemClock, type Clock } from "./clock.ts";
import type { DurableHttpRequest, DurableHttpResponse, ReplaySafeLogger } from "./context.ts";
import { activity, Registry, type ActivityDefinition, type OrchestratorDefinition } from "./definitions.ts";
import { activityFailed, executeActivity, runActivityNow, type ExecuteActivityOptions } from "./activity-runner.ts";
import { CoalescedDeadlines } from "./deadlines.ts";
import { DurableError } from "./errors.ts";
import { HTTP_ACTIVITY, type ExecutorEnvironment, type OrchestrationExecutor } from "./executor.ts";
import { isTerminal } from "./status.ts";
import { planFailure, planStep, type CommitPlan, type LocalActivityCall, type LocalPlan, type StepPlan } from "./step.ts";
import type { HistoryEvent } from "./history.ts";
import type { ActivityResult, ClaimedActivity, CommitOutcome, InboxMessage, InstanceRecord, StepCommit, StepInput, Store } from "./store.ts";
import type { EntityDefinition } from "./entities/entity-definition.ts";
import { isEntityInstanceId } from "./entities/entity-id.ts";
import { failEntityBatch, runEntityBatch, type EntityEnvironment } from "./entities/entity-batch.ts";

/** The subset of `fetch` that `callHttp` needs; every host's global `fetch` fits. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<{ status: number; text(): Promise<string>; headers: { forEach(cb: (value: string, key: string) => void): void } }>;

export interface RuntimeOptions {
  store: Store;
  orchestrators?: readonly OrchestratorDefinition[] | undefined;
  activities?: readonly ActivityDefinition[] | undefined;
  /** Durable entities (`entity(name, handler)`), addressed as `@name@key`. */
  entities?: readonly EntityDefinition<any>[] | undefined;
  /** How entity batches run: requests per step (default 1,000) and the time an async operation may take (default 30,000 ms). */
  entityOperations?: { maxBatchSize?: number | undefined; timeoutMs?: number | undefined } | undefined;
  /** Default: the system clock. Tests pass a `ManualClock` and call `drain()`. */
  clock?: Clock | undefined;
  /** Default: `console`. */
  logger?: ReplaySafeLogger | undefined;
  /**
   * How long a claimed activity is leased (default 5 minutes). An activity this runtime runs itself
   * must end within its lease: a little before the lease runs out it fails with a `Timeout` error
   * (the orchestrator sees a `TaskFailedError`), so that its failure is recorded while the lease is
   * still its own. Otherwise it would lose its lease, run again, lose it again, and never complete.
   * If this runtime dies, its activities run again once their leases run out.
   */
  leaseMs?: number | undefined;
  /** Activities running at once in this runtime (default 1,000). */
  maxConcurrentActivities?: number | undefined;
  /** Instances stepped in one group commit (default 200). */
  maxBatchSize?: number | undefined;
  /** Live orchestrations kept in memory so a step replays only new events (default 10,000). */
  cacheSize?: number | undefined;
  /** Used by `callHttp`; default `globalThis.fetch`. */
  fetch?: FetchLike | undefined;
  /** Local activities: how many and how long one step may run in place, and how they run. */
  localActivities?: LocalActivityOptions | undefined;
  /**
   * Run claimed activities somewhere else instead of in this runtime (the Worker runs them in
   * stateless invocations). Whoever runs one calls `executeActivity` and then
   * `store.completeActivity(item, result)`. Resolve once handed off, or once done (until then the
   * item counts against `maxConcurrentActivities`); a rejection leaves the item to be retried when
   * its lease expires.
   */
  dispatchActivity?: ((item: ClaimedActivity) => Promise<void>) | undefined;
}

export interface LocalActivityOptions {
  /** Local activities one step runs before it commits (default 200); the rest run in the next step. */
  maxPerStep?: number | undefined;
  /** How long one step may keep running local activities before it commits (default 1,000 ms). */
  maxStepMs?: number | undefined;
  /** Local activities of one step running at once, e.g. in a fan-out (default 32). */
  concurrency?: number | undefined;
  /** One local activity running longer fails with a `Timeout` error (default 30,000 ms). */
  timeoutMs?: number | undefined;
}

export type ChangeListener = (instance: InstanceRecord) => void;

export interface Runtime {
  readonly client: DurableClient;
  readonly store: Store;
  /** Starts processing: work is picked up as it arrives and timers fire on time. */
  start(): void;
  /** Stops picking up work and waits for what is running. */
  stop(): Promise<void>;
  /**
   * Processes everything that is due now, and everything that causes, until nothing is due and no
   * activity is running. With a `ManualClock`, advance the clock then drain.
   */
  drain(): Promise<void>;
  /**
   * Processes everything that is due now (steps, and claiming activities, which start running)
   * and returns, without waiting for running activities. For hosts that are told when results
   * arrive (the Worker's instance objects); `drain` is for tests and scripts.
   */
  runDue(): Promise<void>;
  /** Wakes the runtime (call after writing to the store from elsewhere, e.g. another tab). */
  wake(): void;
  /** Called after every committed change to an instance. Returns an unsubscribe function. */
  onChange(listener: ChangeListener): () => void;
}

interface CacheEntry {
  executor: OrchestrationExecutor;
  etag: number;
  historyLength: number;
}

const MAX_TIMER_DELAY = 2_147_483_647;
/** Attempts at committing one instance's step (with backoff) before the instance is failed. */
const MAX_COMMIT_ATTEMPTS = 5;

/**
 * Whether a step leaves a message due at `now`: one it did not consume (deferred past the step's
 * budget, or a commit that conflicted or was skipped), or one it sends that is due at once (a
 * sub-orchestration's start, a result to a parent, in this store or another).
 */
function leavesDueWork(input: StepInput, commit: StepCommit | null, now: number): boolean {
  if (commit === null) return false; // a step running local activities commits later, and wakes the runtime then
  for (const m of commit.messages) if (m.visibleAt <= now) return true;
  if (input.messages.length === 0) return false;
  // A step deletes what it consumed in the order it loaded it (then, maybe, cancelled timers):
  // compare in order first, and look ids up only when the step left some messages.
  const { messages } = input;
  const deletes = commit.deleteMessageIds;
  let i = 0;
  while (i < messages.length && i < deletes.length && deletes[i] === messages[i]!.id) i++;
  if (i === messages.length) return false;
  const deleted = new Set(deletes);
  for (; i < messages.length; i++) if (!deleted.has(messages[i]!.id)) return true;
  return false;
}

function localActivityOptions(options: LocalActivityOptions = {}): Required<{ [K in keyof LocalActivityOptions]: number }> {
  const pick = (key: keyof LocalActivityOptions, fallback: number, min: number): number => {
    const value = options[key] ?? fallback;
    if (typeof value !== "number" || !(value >= min) || (key !== "maxStepMs" && key !== "timeoutMs" && !Number.isInteger(value))) {
      throw new TypeError(`createRuntime: localActivities.${key} must be a number ≥ ${min}${key === "maxPerStep" || key === "concurrency" ? " (a whole number)" : ""}, got ${String(value)}.`);
    }
    return value;
  };
  return { maxPerStep: pick("maxPerStep", 200, 0), maxStepMs: pick("maxStepMs", 1000, 0), concurrency: pick("concurrency", 32, 1), timeoutMs: pick("timeoutMs", 30_000, 1) };
}

function backoffMs(attempt: number): number {
  return Math.min(60_000, 1000 * 2 ** (attempt - 1));
}

/** The store itself is unwell (closed, unavailable, full): no instance is to blame, so none is failed. */
function isStoreFailure(error: unknown): boolean {
  return DurableError.is(error, "StoreUnavailable") || DurableError.is(error, "StoreClosed") || DurableError.is(error, "StoreQuotaExceeded");
}

/** A commit that fails like this fails again every time: a value no store can hold. */
function isPermanentCommitFailure(error: unknown): boolean {
  if (DurableError.is(error)) return error.code === "PayloadTooLarge" || error.code === "StepTooLarge" || error.code === "InvalidInput";
  const name = typeof error === "object" && error !== null ? String((error as { name?: unknown }).name) : "";
  const message = error instanceof Error ? error.message : String(error);
  return name === "DataCloneError" || /SQLITE_TOOBIG|too big|Invalid string length/i.test(message);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
const RETRY_AFTER_ERROR_MS = 1000;
/** How long before its lease runs out an activity run in-process is given up on (at most a tenth of the lease). */
const LEASE_MARGIN_MS = 5_000;

/**
 * A step of an entity whose batch did not finish inside the store's transaction (an operation
 * was async): the runtime finishes and commits it afterwards (see `startEntityRun`).
 */
interface EntityPlan {
  commit: null;
  entity: StepInput;
  /** The batch, still running (null: run it afresh). */
  pending: Promise<StepCommit> | null;
}

function entityEnvironment(registry: Registry, logger: ReplaySafeLogger, options: RuntimeOptions["entityOperations"] = {}): EntityEnvironment {
  const check = (key: "maxBatchSize" | "timeoutMs", fallback: number): number => {
    const value = options[key] ?? fallback;
    if (typeof value !== "number" || !(value >= 1) || (key === "maxBatchSize" && !Number.isInteger(value))) {
      throw new TypeError(`createRuntime: entityOperations.${key} must be a number ≥ 1${key === "maxBatchSize" ? " (a whole number)" : ""}, got ${String(value)}.`);
    }
    return value;
  };
  return { entity: (name) => registry.entity(name), logger, maxBatchSize: check("maxBatchSize", 1000), operationTimeoutMs: check("timeoutMs", 30_000) };
}

export function createRuntime(options: RuntimeOptions): Runtime {
  return new DurableRuntime(options);
}

class DurableRuntime implements Runtime {
  readonly store: Store;
  readonly client: DurableClient;
  private readonly clock: Clock;
  private readonly registry: Registry;
  private readonly env: ExecutorEnvironment;
  private readonly logger: ReplaySafeLogger;
  private readonly leaseMs: number;
  private readonly maxActivities: number;
  private readonly maxBatch: number;
  private readonly cacheSize: number;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly listeners = new Set<ChangeListener>();
  private readonly running = new Set<Promise<void>>();
  private pumping: Promise<void> | null = null;
  private again = false;
  private started = false;
  private wakeTimer: ReturnType<typeof setTimeout> | null = null;
  /** The timeouts of the activities this runtime runs itself, on one timer. */
  private readonly deadlines = new CoalescedDeadlines();
  private wakeAt = Infinity;
  /** Instances whose step could not be committed: attempts so far, and when to try again. */
  private readonly troubled = new Map<string, { attempts: number; retryAt: number }>();
  /** Set by a round of steps whose commits left a message due now (see `pumpLoop`). */
  private stepsLeftDueWork = false;
  /** Instances and activities claimed so far (tells `drain` whether a round found anything). */
  private claimed = 0;
  private readonly local: Required<{ [K in keyof LocalActivityOptions]: number }>;
  private readonly localRunOptions: ExecuteActivityOptions;
  /** Commits of steps that ran local activities, waiting for this turn's group commit. */
  private readonly localCommits: { plan: CommitPlan; resolve: () => void; reject: (error: unknown) => void }[] = [];
  /** Instances whose step is running local activities, left out of claims until it commits. */
  private readonly localRuns = new Map<string, Promise<void>>();
  private readonly dispatch: ((item: ClaimedActivity) => Promise<void>) | undefined;
  private readonly entityEnv: EntityEnvironment;

  constructor(options: RuntimeOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? console;
    this.leaseMs = options.leaseMs ?? 5 * 60_000;
    this.maxActivities = options.maxConcurrentActivities ?? 1000;
    this.maxBatch = options.maxBatchSize ?? 200;
    this.cacheSize = options.cacheSize ?? 10_000;
    this.dispatch = options.dispatchActivity;
    this.registry = new Registry(options.orchestrators ?? [], options.activities ?? [], options.entities ?? []);
    this.registry.addActivity(httpActivity(options.fetch));
    this.env = { orchestrator: (name) => this.registry.orchestrator(name), activity: (name) => this.registry.activity(name), logger: this.logger };
    this.local = localActivityOptions(options.localActivities);
    this.entityEnv = entityEnvironment(this.registry, this.logger, options.entityOperations);
    this.localRunOptions = { timeoutMs: this.local.timeoutMs, allowLonger: "createRuntime({ localActivities: { timeoutMs } })", deadlines: this.deadlines };
    this.client = new DurableClient({
      store: this.store,
      clock: this.clock,
      registry: this.registry,
      onWrite: () => this.wake(),
      subscribe: (listener) => this.onChange(listener),
    });
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.wake();
  }

  async stop(): Promise<void> {
    this.started = false;
    this.clearWakeTimer();
    await this.pumping;
    await Promise.allSettled([...this.running]);
    this.deadlines.clear();
  }

  async drain(): Promise<void> {
    for (;;) {
      const claimedBefore = this.claimed;
      await this.pump();
      if (this.running.size > 0) {
        await Promise.race(this.running);
        continue;
      }
      const next = await this.store.nextWakeAt();
      // Due work that could not be claimed belongs to instances waiting out a failed commit's backoff.
      const stuck = this.claimed === claimedBefore && this.troubled.size > 0;
      if (next === null || next > this.clock.now() || stuck) {
        if (!this.again) return;
      }
    }
  }

  async runDue(): Promise<void> {
    await this.pump();
    // Steps running local activities are part of stepping: wait for them (and what they make due).
    while (this.localRuns.size > 0) {
      await Promise.all([...this.localRuns.values()]);
      await this.pump();
    }
  }

  wake(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    if (this.started) this.pump().catch((error: unknown) => this.recover(error));
  }

  /** A store failure (quota, a closed database, a network blip) must not kill the loop: retry later. */
  private recover(error: unknown): void {
    this.logger.error(`durable-edge: processing failed; retrying in ${RETRY_AFTER_ERROR_MS} ms.`, error);
    if (!this.started) return;
    this.clearWakeTimer();
    this.wakeAt = this.clock.now() + RETRY_AFTER_ERROR_MS;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.wakeAt = Infinity;
      this.wake();
    }, RETRY_AFTER_ERROR_MS);
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // --- the loop ---

  private pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return this.pumping;
    }
    let failed = false;
    const run = this.pumpLoop()
      .catch((error: unknown) => {
        failed = true;
        throw error;
      })
      .finally(() => {
        this.pumping = null;
        if (failed) return;
        if (this.again) this.wake();
        else if (this.started) void this.scheduleWake();
      });
    this.pumping = run;
    return run;
  }

  private async pumpLoop(): Promise<void> {
    do {
      this.again = false;
      // Whether an instance may have a due message: at first, and after steps that left one (or
      // when something else wrote: `wake` sets `again`). Otherwise a round only claims the
      // activities its steps queued, and the store need not look for ready instances again.
      let instancesMayBeDue = true;
      for (;;) {
        const now = this.clock.now();
        const exclude = this.backedOff(now);
        const work = await this.store.claimWork(now, {
          instanceLimit: instancesMayBeDue ? this.maxBatch : 0,
          activityLimit: Math.max(0, this.maxActivities - this.running.size),
          leaseMs: this.leaseMs,
          ...(exclude ? { exclude } : {}),
        });
        this.claimed += work.instanceIds.length + work.activities.length;
        if (work.activities.length > 0) this.startActivities(work.activities);
        // Activities wake the loop when they finish; only steps can make more work due at once.
        if (work.instanceIds.length === 0) break;
        this.stepsLeftDueWork = false;
        await this.stepInstances(work.instanceIds, now);
        instancesMayBeDue = this.stepsLeftDueWork || work.instanceIds.length >= this.maxBatch;
      }
    } while (this.again);
  }

  private async scheduleWake(): Promise<void> {
    let next: number | null;
    try {
      next = await this.store.nextWakeAt();
    } catch (error) {
      this.logger.error("durable-edge: could not read the next wake-up time:", error);
      return;
    }
    if (!this.started) return;
    // What is due now but was not claimed waits on a failed commit's backoff: wake when that ends.
    if (this.troubled.size > 0 && (next === null || next <= this.clock.now())) next = Math.min(next ?? Infinity, this.nextRetryAt());
    if (next === null || next === Infinity) return;
    if (next >= this.wakeAt && this.wakeTimer !== null) return;
    this.clearWakeTimer();
    const delay = Math.min(Math.max(0, next - this.clock.now()), MAX_TIMER_DELAY);
    this.wakeAt = next;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.wakeAt = Infinity;
      this.wake();
    }, delay);
  }

  private clearWakeTimer(): void {
    if (this.wakeTimer !== null) clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
    this.wakeAt = Infinity;
  }

  // --- orchestration steps ---

  /**
   * Steps the instances in one group commit. A group that fails is stepped again one instance at a
   * time, so that one bad commit never holds back its neighbours; an instance whose own commit keeps
   * failing is failed (see `commitFailed`). Only failures of the store itself propagate.
   */
  private async stepInstances(ids: string[], now: number): Promise<void> {
    try {
      await this.stepGroup(ids, now);
    } catch (error) {
      if (isStoreFailure(error)) throw error;
      if (ids.length === 1) return this.commitFailed(ids[0]!, now, error);
      for (const id of ids) {
        try {
          await this.stepGroup([id], now);
        } catch (alone) {
          if (isStoreFailure(alone)) throw alone;
          await this.commitFailed(id, now, alone);
        }
      }
    }
  }

  /**
   * The commit of one instance's step failed, alone. An error that will recur (a value no store can
   * hold) fails the instance at once; any other is retried with backoff, and fails the instance
   * after `MAX_COMMIT_ATTEMPTS`. Failing it is a small commit of its own (the failure, the consumed
   * messages deleted, the parent told); if even that fails, it is tried again later. In the
   * meantime the instance is left out of claims, so nothing waits on it.
   */
  private async commitFailed(instanceId: string, now: number, error: unknown): Promise<void> {
    const trouble = this.troubled.get(instanceId) ?? { attempts: 0, retryAt: 0 };
    trouble.attempts++;
    const permanent = isPermanentCommitFailure(error);
    if (!permanent && trouble.attempts < MAX_COMMIT_ATTEMPTS) {
      trouble.retryAt = now + backoffMs(trouble.attempts);
      this.troubled.set(instanceId, trouble);
      this.logger.error(
        `durable-edge: the step of '${instanceId}' could not be committed (attempt ${trouble.attempts} of ${MAX_COMMIT_ATTEMPTS}); retrying it alone in ${backoffMs(trouble.attempts)} ms.`,
        error,
      );
      return;
    }
    const failure = new DurableError(
      permanent && DurableError.is(error) && (error.code === "PayloadTooLarge" || error.code === "StepTooLarge") ? error.code : "CommitFailed",
      `The step of instance '${instanceId}' could not be stored${permanent ? "" : ` after ${trouble.attempts} attempts`}: ${errorText(error)}. ` +
        `The instance was failed so that the others in its store keep running; the messages of that step were dropped. Rewind it to retry, or purge it.`,
      { cause: error },
    );
    try {
      await this.stepGroup([instanceId], now, failure);
      this.troubled.delete(instanceId);
      this.logger.error(`durable-edge: failed instance '${instanceId}': its step could not be stored.`, error);
    } catch (failError) {
      if (isStoreFailure(failError)) throw failError;
      trouble.retryAt = now + backoffMs(trouble.attempts);
      this.troubled.set(instanceId, trouble);
      this.logger.error(`durable-edge: could not even fail instance '${instanceId}'; trying again in ${backoffMs(trouble.attempts)} ms.`, failError);
    }
  }

  /** Instances left out of claims at `now`: failed commits waiting out their backoff, steps running local activities. */
  private backedOff(now: number): ReadonlySet<string> | undefined {
    if (this.troubled.size === 0 && this.localRuns.size === 0) return undefined;
    const out = new Set<string>(this.localRuns.keys());
    for (const [id, t] of this.troubled) if (t.retryAt > now) out.add(id);
    return out.size > 0 ? out : undefined;
  }

  /** The earliest time a backed-off instance may be tried again (Infinity: none). */
  private nextRetryAt(): number {
    let at = Infinity;
    for (const t of this.troubled.values()) at = Math.min(at, t.retryAt);
    return at;
  }

  /** One group commit; with `failWith`, the (single) instance is failed with that error instead of stepped. */
  private async stepGroup(ids: string[], now: number, failWith?: DurableError): Promise<void> {
    // The cache entries the requests are built on: planning uses these, not whatever the cache
    // holds after the await (a local-activity commit in between may have evicted or replaced them).
    const taken = new Map<string, CacheEntry>();
    const requests = ids.map((instanceId) => {
      const hit = failWith ? undefined : this.cache.get(instanceId);
      if (hit) taken.set(instanceId, hit);
      return { instanceId, cached: hit && { etag: hit.etag, historyLength: hit.historyLength } };
    });
    let plans: (StepPlan | EntityPlan)[] = [];
    let leftDue = false;
    // Entity batches left running by an earlier call of `plan` (a store may call it again): not run twice.
    const running = new Map<string, EntityPlan>();
    const plan = (inputs: StepInput[]): (StepCommit | null)[] => {
      plans = inputs.map((input) =>
        isEntityInstanceId(input.instanceId)
          ? failWith
            ? { commit: failEntityBatch(input, failWith, this.entityEnv, now), executor: null }
            : this.planEntity(input, now, running)
          : failWith
            ? this.planFailed(input, failWith, now)
            : this.planOne(input, now, taken.get(input.instanceId)),
      );
      leftDue = inputs.some((input, i) => leavesDueWork(input, plans[i]!.commit, now));
      return plans.map((p) => p.commit);
    };
    let outcomes: CommitOutcome[];
    if (this.store.runSteps) {
      outcomes = await this.store.runSteps(requests, now, plan);
    } else {
      const planned = plan(await this.store.loadSteps(requests, now));
      const commits = planned.filter((c): c is StepCommit => c !== null);
      const committed = commits.length > 0 ? await this.store.commitSteps(commits) : [];
      let k = 0;
      outcomes = planned.map((c) => (c === null ? "skipped" : committed[k++]!));
    }
    if (leftDue) this.stepsLeftDueWork = true;
    outcomes.forEach((outcome, i) => {
      const p = plans[i]!;
      if ("entity" in p) return this.startEntityRun(p, now);
      if (p.local) return this.startLocalRun(p);
      this.afterCommit(p, outcome);
    });
  }

  private afterCommit({ commit, executor }: CommitPlan, outcome: CommitOutcome): void {
    if (outcome === "conflict") this.stepsLeftDueWork = true; // its messages are still there: step it again
    if (outcome === "committed") this.troubled.delete(commit.instanceId);
    if (outcome !== "committed" || !commit.instance) return;
    if (executor && !isTerminal(commit.instance.runtimeStatus)) this.remember(commit, executor);
    this.emit(commit.instance);
  }

  // --- local activities ---

  /**
   * Runs a step's local activities in this host, feeding their results back, until the
   * orchestrator waits on something else or the step's budget (`localActivities.maxPerStep`,
   * `maxStepMs`) is spent; then commits the step once. In the background: other instances keep
   * stepping (this one is left out of claims meanwhile), and `drain` / `runDue` wait for it.
   */
  private startLocalRun(plan: LocalPlan): void {
    const instanceId = plan.local.calls[0]!.instanceId;
    this.runInBackground(instanceId, this.completeLocalRun(plan), "the local activities of");
  }

  /** Runs work for one instance outside the step that found it (left out of claims meanwhile; `drain` / `runDue` wait for it). */
  private runInBackground(instanceId: string, work: Promise<void>, what: string): void {
    const run = work
      .catch((error: unknown) => this.logger.error(`durable-edge: ${what} '${instanceId}' failed unexpectedly; its step runs again.`, error))
      .finally(() => {
        this.localRuns.delete(instanceId);
        this.running.delete(run);
        this.wake();
      });
    this.localRuns.set(instanceId, run);
    this.running.add(run);
  }

  // --- entities ---

  /**
   * Runs a batch of an entity's requests (the inbox the step read) inside the step's transaction,
   * where a batch of synchronous operations commits with the steps around it, in one transaction
   * (as an orchestrator's code runs inside it). An async operation cannot run there: the batch
   * goes on after the transaction (`startEntityRun`) and commits on its own, fenced by the row's
   * etag like a step.
   */
  private planEntity(input: StepInput, now: number, running: Map<string, EntityPlan>): CommitPlan | EntityPlan {
    const earlier = running.get(input.instanceId);
    if (earlier) return earlier; // its async operation already started; its commit is fenced
    if (input.messages.length === 0) return { commit: null, entity: input, pending: null }; // nothing to run
    let batch: StepCommit | Promise<StepCommit>;
    try {
      batch = runEntityBatch(input, this.entityEnv, now);
    } catch (error) {
      this.logger.error(`durable-edge: the entity batch of '${input.instanceId}' failed unexpectedly; it runs again after the step.`, error);
      return { commit: null, entity: input, pending: null };
    }
    if (!(batch instanceof Promise)) return { commit: batch, executor: null };
    // If the store's transaction then fails, nobody awaits this batch; its requests run again.
    batch.catch(() => {});
    const plan: EntityPlan = { commit: null, entity: input, pending: batch };
    running.set(input.instanceId, plan);
    return plan;
  }

  /** Finishes an entity batch that an async operation kept from committing inside the step, and commits it. */
  private startEntityRun(plan: EntityPlan, now: number): void {
    this.runInBackground(plan.entity.instanceId, this.completeEntityRun(plan, now), "the entity batch of");
  }

  private async completeEntityRun({ entity: input, pending }: EntityPlan, now: number): Promise<void> {
    if (input.messages.length === 0) return;
    const batch = pending ?? runEntityBatch(input, this.entityEnv, now);
    const commit = batch instanceof Promise ? await batch : batch;
    await this.commitLocal({ commit, executor: null });
  }

  private async completeLocalRun(first: LocalPlan): Promise<void> {
    const deadline = this.clock.now() + this.local.maxStepMs;
    let plan: StepPlan = first;
    while (plan.local) {
      if (this.clock.now() >= deadline) {
        plan = plan.local.defer(); // out of time: the rest is queued like any activity
        break;
      }
      const results = this.runLocalCalls(plan.local.calls);
      plan = plan.local.resume(results instanceof Promise ? await results : results);
    }
    await this.commitLocal(plan as CommitPlan); // the loop ends on a plan without local work
  }

  /**
   * Queues the commit of a step that ran local activities; the commits queued in one turn go to
   * the store together (group commit), as the steps they came from would have. A group that fails
   * is committed again one instance at a time, as in `stepInstances`.
   */
  private commitLocal(plan: CommitPlan): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.localCommits.push({ plan, resolve, reject });
      if (this.localCommits.length === 1) queueMicrotask(() => void this.flushLocalCommits());
    });
  }

  private async flushLocalCommits(): Promise<void> {
    const batch = this.localCommits.splice(0);
    const commitAlone = async ({ plan, resolve, reject }: (typeof batch)[number]) => {
      try {
        const [outcome] = await this.store.commitSteps([plan.commit]);
        this.afterCommit(plan, outcome!);
        resolve();
      } catch (error) {
        if (isStoreFailure(error)) return reject(error);
        await this.commitFailed(plan.commit.instanceId, this.clock.now(), error).then(resolve, reject);
      }
    };
    if (batch.length === 1) return commitAlone(batch[0]!);
    let outcomes: CommitOutcome[];
    try {
      outcomes = await this.store.commitSteps(batch.map((b) => b.plan.commit));
    } catch (error) {
      if (isStoreFailure(error)) return batch.forEach((b) => b.reject(error));
      for (const b of batch) await commitAlone(b);
      return;
    }
    batch.forEach((b, i) => {
      this.afterCommit(b.plan, outcomes[i]!);
      b.resolve();
    });
  }

  /** Runs the calls, at most `localActivities.concurrency` at once; their results in the calls' order. */
  private runLocalCalls(calls: readonly LocalActivityCall[]): HistoryEvent[] | Promise<HistoryEvent[]> {
    const options = this.localRunOptions;
    if (calls.length === 1) {
      // A chain: one call at a time; a synchronous activity's result comes back without a promise.
      const result = runActivityNow(calls[0]!, this.registry, this.clock, options);
      return result instanceof Promise ? result.then((m) => [m.event]) : [result.event];
    }
    return this.runLocalFanOut(calls, options);
  }

  private async runLocalFanOut(calls: readonly LocalActivityCall[], options: ExecuteActivityOptions): Promise<HistoryEvent[]> {
    const results: HistoryEvent[] = new Array(calls.length);
    let nextIndex = 0;
    const worker = async () => {
      while (nextIndex < calls.length) {
        const i = nextIndex++;
        const call = calls[i]!;
        const message = await executeActivity(call, this.registry, this.clock, options);
        results[i] = message.event;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.local.concurrency, calls.length) }, worker));
    return results;
  }

  /** Plans one instance's step; never throws (a step that cannot be planned fails its instance). */
  private planOne(input: StepInput, now: number, hit: CacheEntry | undefined): StepPlan {
    const usable = hit && input.instance && input.instance.etag === hit.etag && input.historyFrom === hit.historyLength ? hit.executor : undefined;
    this.cache.delete(input.instanceId); // an executor is reused at most once; re-added on commit
    try {
      return planStep(input, usable, this.env, now, { remaining: this.local.maxPerStep });
    } catch (error) {
      this.logger.error(`durable-edge: step of '${input.instanceId}' failed unexpectedly; failing the instance.`, error);
      return { commit: planFailure(input, error, now, usable), executor: null };
    }
  }

  private planFailed(input: StepInput, error: DurableError, now: number): StepPlan {
    this.cache.delete(input.instanceId);
    return { commit: planFailure(input, error, now), executor: null };
  }

  private remember(commit: StepCommit, executor: OrchestrationExecutor): void {
    const row = commit.instance!;
    this.cache.set(row.instanceId, { executor, etag: row.etag, historyLength: row.historyLength });
    if (this.cache.size > this.cacheSize) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }

  private emit(row: InstanceRecord): void {
    for (const l of this.listeners) {
      try {
        l(row);
      } catch (error) {
        this.logger.error("durable-edge: a change listener threw:", error);
      }
    }
  }

  // --- activities ---

  /**
   * Runs claimed activities. Each starts at once; those that return synchronously (most short
   * activities) have their results recorded together, in one store call when the store takes a
   * batch (`completeActivities`), rather than one promise chain and one store call each.
   */
  private startActivities(items: readonly ClaimedActivity[]): void {
    if (this.dispatch) {
      for (const item of items) this.track(this.dispatchActivity(item));
      return;
    }
    const done: ActivityResult[] = [];
    for (const item of items) {
      const result = this.executeWithinLease(item);
      if (result instanceof Promise) this.track(result.then((r) => this.recordResult(item, r)));
      else done.push({ activity: item, result });
    }
    if (done.length > 0) this.track(this.recordResults(done));
  }

  private track(run: Promise<void>): void {
    const tracked = run
      .catch((error: unknown) => this.logger.error("durable-edge: activity runner failed:", error))
      .finally(() => {
        this.running.delete(tracked);
        this.wake();
      });
    this.running.add(tracked);
  }

  private async dispatchActivity(item: ClaimedActivity): Promise<void> {
    try {
      await this.dispatch!(item);
    } catch (error) {
      this.logger.error(`durable-edge: could not dispatch activity '${item.name}' (${item.id}); it runs again when its lease expires.`, error);
    }
  }

  /**
   * Records many results in one store call; without one, or if the batch fails, each on its own
   * (one bad result never loses the others), all at once: a store that groups concurrent
   * completions into one transaction (IndexedDB's) still can.
   */
  private async recordResults(done: readonly ActivityResult[]): Promise<void> {
    if (done.length > 1 && this.store.completeActivities) {
      try {
        await this.store.completeActivities(done);
        return;
      } catch (error) {
        if (isStoreFailure(error)) throw error;
      }
    }
    await Promise.all(done.map(({ activity, result }) => this.recordResult(activity, result)));
  }

  private async recordResult(item: ClaimedActivity, result: InboxMessage): Promise<void> {
    try {
      await this.store.completeActivity(item, result);
    } catch (error) {
      if (!isStoreFailure(error) && isPermanentCommitFailure(error)) return this.recordUnstorableResult(item, error);
      // The lease will expire and the activity will run again: at-least-once.
      this.logger.error(`durable-edge: could not record the result of activity '${item.name}' (${item.id}); it will be retried.`, error);
    }
  }

  /**
   * A result no store can hold would be refused on every run: record the activity as failed
   * instead (the orchestrator sees a `TaskFailedError` it can catch), rather than run it forever.
   */
  private async recordUnstorableResult(item: ClaimedActivity, error: unknown): Promise<void> {
    const failure = new DurableError(
      DurableError.is(error, "PayloadTooLarge") ? "PayloadTooLarge" : "CommitFailed",
      `The result of activity '${item.name}' could not be stored: ${errorText(error)}. Return less data (a reference to it instead).`,
      { cause: error },
    );
    try {
      await this.store.completeActivity(item, activityFailed(item, this.clock, failure));
    } catch (again) {
      this.logger.error(`durable-edge: could not record the failure of activity '${item.name}' (${item.id}); it will be retried.`, again);
    }
  }

  /**
   * Runs the activity, or gives up on it a little before its lease runs out (a `Timeout` failure),
   * so the outcome is recorded while the lease is still this runtime's.
   */
  private executeWithinLease(item: ClaimedActivity): InboxMessage | Promise<InboxMessage> {
    const margin = Math.min(LEASE_MARGIN_MS, this.leaseMs / 10);
    return runActivityNow(item, this.registry, this.clock, { timeoutAt: item.lockedUntil - margin, allowLonger: "a longer leaseMs", deadlines: this.deadlines });
  }
}

/** The built-in activity behind `ctx.callHttp`. */
export function httpActivity(fetchImpl: FetchLike | undefined): ActivityDefinition<DurableHttpRequest, DurableHttpResponse> {
  return activity(HTTP_ACTIVITY, async (request: DurableHttpRequest): Promise<DurableHttpResponse> => {
    const f = fetchImpl ?? (globalThis as { fetch?: FetchLike }).fetch;
    if (!f) throw new DurableError("InvalidState", "callHttp needs fetch; pass createRuntime({ fetch }) on hosts without a global fetch.");
    const response = await f(request.url, { method: request.method, headers: request.headers, ...(request.body === null ? {} : { body: request.body }) });
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => (headers[key] = value));
    return { statusCode: response.status, content: await response.text(), headers };
  });
}
