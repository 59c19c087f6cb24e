/**
 * Instances that share a partition object (`INSTANCE_PARTITIONS`, as `wrangler.toml` sets it): a
 * parent and its sub-orchestration stepped by one object, with no outbox between them.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { finished, objectNameOf, placement, pollUntil, startOrchestration } from "./helpers.ts";
import { instancePartitionCount, instanceStub } from "../routing.ts";

describe("instance partitions", () => {
  it("the Worker is configured with partitions", () => {
    expect(instancePartitionCount(env)).toBe(32);
  });

  it("runs a sub-orchestration in its parent's partition: one object steps both", async () => {
    let parentId: string;
    do parentId = `parent-${crypto.randomUUID()}`;
    while (objectNameOf(parentId) !== objectNameOf(`${parentId}:child`));
    const started = await startOrchestration("HelloSubOrchestration", null, parentId);
    const done = await pollUntil(started.statusQueryGetUri, finished);
    expect(done.runtimeStatus).toBe("Completed");
    expect(done.output).toEqual({ childId: `${parentId}:child`, greetings: ["Hello Tokyo!", "Hello Seattle!", "Hello London!"] });
    const rows = await runInDurableObject(instanceStub(placement, parentId), (_o, state) =>
      state.storage.sql
        .exec<{ instance_id: string }>(`SELECT instance_id FROM instances WHERE instance_id IN (?, ?) ORDER BY instance_id`, parentId, `${parentId}:child`)
        .toArray()
        .map((r) => r.instance_id),
    );
    expect(rows).toEqual([parentId, `${parentId}:child`]);
  });
});
