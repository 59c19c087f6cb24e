/**
 * @module worker/activity-runner — the stateless side of activities. An instance object hands a
 * batch of claimed activities to this entrypoint (a service binding of the Worker to itself); each
 * batch is a separate Worker invocation, so a large fan-out spreads over invocations instead of
 * queueing behind the orchestrating object. Results go back to the instance object, grouped per
 * tick; a result whose lease was lost is dropped there (the activity has been handed out again).
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { executeActivity, httpActivity, Registry, systemClock, type ClaimedActivity } from "../src/index.ts";
import { createBatcher } from "./batcher.ts";
import type { Env } from "./env.ts";
import type { ActivityCompletion } from "./instance-object.ts";
import { orchestrations } from "./orchestrations.ts";
import { instanceStub } from "./routing.ts";

const registry = new Registry(orchestrations.orchestrators, [...orchestrations.activities, httpActivity(undefined)]);

export class ActivityRunner extends WorkerEntrypoint<Env> {
  /** Accepts the batch and returns at once; the activities run in this invocation's `waitUntil`. */
  async run(items: ClaimedActivity[]): Promise<void> {
    this.ctx.waitUntil(runActivities(this.env, items));
  }
}

export async function runActivities(env: Env, items: readonly ClaimedActivity[]): Promise<void> {
  const complete = createBatcher<ActivityCompletion>(async (batch) => {
    const byInstance = new Map<string, ActivityCompletion[]>();
    for (const c of batch) {
      const list = byInstance.get(c.item.instanceId);
      if (list) list.push(c);
      else byInstance.set(c.item.instanceId, [c]);
    }
    await Promise.all([...byInstance].map(([id, list]) => instanceStub(env, id).completeActivities(id, list)));
  }, 1000);
  await Promise.all(
    items.map(async (item) => {
      const result = await executeActivity(item, registry, systemClock);
      try {
        await complete({ item, result });
      } catch (error) {
        console.error(`durable-edge: could not report activity '${item.name}' (${item.id}); it runs again when its lease expires.`, error);
      }
    }),
  );
}
