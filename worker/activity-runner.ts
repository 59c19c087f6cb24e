/**
 * @module worker/activity-runner — the stateless side of activities. An instance object hands a
 * batch of claimed activities to this entrypoint (a loopback binding of the Worker to itself); each
 * batch is a separate Worker invocation, open until its results are reported, so a large fan-out
 * spreads over invocations instead of queueing behind the orchestrating object. Results go back to the instance object, grouped per
 * object and tick; a result whose lease was lost is dropped there (the activity has been handed out again).
 * The answer to a report may hand the instance's next activities back to the same invocation.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { executeActivity, httpActivity, Registry, systemClock, type ClaimedActivity } from "../src/index.ts";
import { createBatcher } from "./batcher.ts";
import type { Env } from "./env.ts";
import type { ActivityCompletion } from "./instance-object.ts";
import { orchestrations } from "./orchestrations.ts";
import { instanceObjectName, instancePartitionCount, instanceStub } from "./routing.ts";
import { DISPATCH_BATCH, RUNNER_BUDGET_MS, RUNNER_MAX_HAND_BACKS } from "./limits.ts";

const registry = new Registry(orchestrations.orchestrators, [...orchestrations.activities, httpActivity(undefined)]);

export class ActivityRunner extends WorkerEntrypoint<Env> {
  /**
   * Runs the batch (and what the instance hands back) and answers once every result is reported.
   * The instance object awaits the answer without blocking on it, so the activities run while
   * this call is open, not in a `waitUntil` that the platform would cut 30 s after an early answer.
   */
  async run(items: ClaimedActivity[]): Promise<void> {
    await runActivities(this.env, items);
  }
}

/**
 * Runs the items, reports each result (grouped per object and tick), and runs whatever the
 * instance hands back with its answer, until it hands back nothing or this invocation's budget
 * (`RUNNER_MAX_HAND_BACKS`, `RUNNER_BUDGET_MS`) is spent; after that, results are reported
 * without taking more, and the instance dispatches its next activities to a new invocation.
 */
export async function runActivities(env: Env, items: readonly ClaimedActivity[]): Promise<void> {
  const deadline = Date.now() + RUNNER_BUDGET_MS;
  let handBacks = RUNNER_MAX_HAND_BACKS;
  const running = new Set<Promise<void>>();
  const track = (work: Promise<void>) => {
    running.add(work);
    void work.finally(() => running.delete(work));
  };
  const partitions = instancePartitionCount(env);
  const report = createBatcher<ActivityCompletion>(async (batch) => {
    // One report per object: with partitions, results of several instances travel together.
    const byObject = new Map<string, ActivityCompletion[]>();
    for (const c of batch) {
      const name = instanceObjectName(c.item.instanceId, partitions);
      const list = byObject.get(name);
      if (list) list.push(c);
      else byObject.set(name, [c]);
    }
    await Promise.all(
      [...byObject.values()].map(async (list) => {
        const capacity = handBacks > 0 && Date.now() < deadline ? DISPATCH_BATCH : 0;
        if (capacity > 0) handBacks--;
        const { next } = await instanceStub(env, list[0]!.item.instanceId).completeActivities(list, capacity);
        if (next.length > 0) track(runAll(next));
      }),
    );
  }, 1000);
  const runAll = async (batch: readonly ClaimedActivity[]): Promise<void> => {
    await Promise.all(
      batch.map(async (item) => {
        const result = await executeActivity(item, registry, systemClock);
        try {
          await report({ item, result });
        } catch (error) {
          console.error(`durable-edge: could not report activity '${item.name}' (${item.id}); it runs again when its lease expires.`, error);
        }
      }),
    );
  };
  track(runAll(items));
  while (running.size > 0) await Promise.all([...running]);
}
