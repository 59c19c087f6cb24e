/**
 * @module worker/activity-runner — the stateless side of activities. An instance object hands a
 * batch of claimed activities to this entrypoint (a loopback binding of the Worker to itself); each
 * batch is a separate Worker invocation, open until its results are reported, so a large fan-out
 * spreads over invocations instead of queueing behind the orchestrating object. Results go back to the instance object, grouped per
 * object and tick; a result whose lease was lost is dropped there (the activity has been handed out again).
 * The answer to a report may hand the instance's next activities back to the same invocation.
 *
 * `defineActivityRunner(config)` builds the entrypoint a Worker exports as `ActivityRunner`: it
 * closes over the user's activities and options (`createDurableWorker` calls it).
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { CoalescedDeadlines, executeActivity, httpActivity, Registry, systemClock, type ClaimedActivity } from "../src/index.ts";
import { createBatcher } from "./batcher.ts";
import type { Settings, WorkerConfig } from "./config.ts";
import type { ActivityCompletion } from "./instance-object.ts";
import { instanceObjectName, instanceStub } from "./routing.ts";
import { startLeaseHeartbeat } from "./lease-heartbeat.ts";
import { DISPATCH_BATCH, RUNNER_BUDGET_MS, RUNNER_MAX_HAND_BACKS } from "./limits.ts";

/** An activity runner, as the loopback binding `ctx.exports.ActivityRunner` sees it. */
export abstract class ActivityRunner extends WorkerEntrypoint {
  /**
   * Runs the batch (and what the instance hands back) and answers once every result is reported.
   * The instance object awaits the answer without blocking on it, so the activities run while
   * this call is open, not in a `waitUntil` that the platform would cut 30 s after an early answer.
   */
  abstract run(items: ClaimedActivity[]): Promise<void>;
}

/** The class a Worker exports as `ActivityRunner`. */
export type ActivityRunnerClass = new (ctx: ExecutionContext, env: Cloudflare.Env) => ActivityRunner;

/** The `ActivityRunner` entrypoint of one Worker: runs `config`'s activities (and `callHttp`'s). */
export function defineActivityRunner(config: WorkerConfig): ActivityRunnerClass {
  const registry = new Registry(config.orchestrators, [...config.activities, httpActivity(undefined)]);
  return class DurableActivityRunner extends ActivityRunner {
    async run(items: ClaimedActivity[]): Promise<void> {
      await runActivities(config.settings(this.env), registry, items);
    }
  };
}

/**
 * Runs the items, reports each result (grouped per object and tick), and runs whatever the
 * instance hands back with its answer, until it hands back nothing or this invocation's budget
 * (`RUNNER_MAX_HAND_BACKS`, `RUNNER_BUDGET_MS`) is spent; after that, results are reported
 * without taking more, and the instance dispatches its next activities to a new invocation.
 */
export async function runActivities(settings: Settings, registry: Registry, items: readonly ClaimedActivity[]): Promise<void> {
  const deadline = Date.now() + RUNNER_BUDGET_MS;
  let handBacks = RUNNER_MAX_HAND_BACKS;
  const running = new Set<Promise<void>>();
  const track = (work: Promise<void>) => {
    running.add(work);
    void work.finally(() => running.delete(work));
  };
  const partitions = settings.partitions;
  /** One call per object: with partitions, several instances' activities travel together. */
  const byObject = <T>(things: readonly T[], instanceOf: (t: T) => string): T[][] => {
    const groups = new Map<string, T[]>();
    for (const t of things) {
      const name = instanceObjectName(instanceOf(t), partitions);
      const list = groups.get(name);
      if (list) list.push(t);
      else groups.set(name, [t]);
    }
    return [...groups.values()];
  };
  /** The stub of each object this invocation talks to, looked up once (not per report). */
  const stubs = new Map<string, ReturnType<typeof instanceStub>>();
  const stubOf = (instanceId: string) => {
    const name = instanceObjectName(instanceId, partitions);
    let stub = stubs.get(name);
    if (!stub) stubs.set(name, (stub = instanceStub(settings, instanceId)));
    return stub;
  };
  const timeoutMs = settings.timeoutMs;
  const deadlines = new CoalescedDeadlines();
  const heartbeat = startLeaseHeartbeat(settings.leaseMs / 3, async (running) => {
    await Promise.all(
      byObject(running, (item) => item.instanceId).map((list) =>
        stubOf(list[0]!.instanceId).renewLeases(list.map(({ id, instanceId, leaseToken }) => ({ id, instanceId, leaseToken }))),
      ),
    );
  });
  const report = createBatcher<ActivityCompletion>(async (batch) => {
    await Promise.all(
      byObject(batch, (c) => c.item.instanceId).map(async (list) => {
        const capacity = handBacks > 0 && Date.now() < deadline ? DISPATCH_BATCH : 0;
        if (capacity > 0) handBacks--;
        const { next } = await stubOf(list[0]!.item.instanceId).completeActivities(list, capacity);
        if (next.length > 0) track(runAll(next));
      }),
    );
  }, 1000);
  const runAll = async (batch: readonly ClaimedActivity[]): Promise<void> => {
    await Promise.all(
      batch.map(async (item) => {
        const result = await heartbeat.track(item, () => executeActivity(item, registry, systemClock, { timeoutMs, allowLonger: "ACTIVITY_TIMEOUT_SECONDS", deadlines }));
        try {
          await report({ item, result });
        } catch (error) {
          console.error(`durable-edge: could not report activity '${item.name}' (${item.id}); it runs again when its lease expires.`, error);
        }
      }),
    );
  };
  track(runAll(items));
  try {
    while (running.size > 0) await Promise.all([...running]);
  } finally {
    heartbeat.stop();
    deadlines.clear();
  }
}
