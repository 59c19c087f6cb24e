/** The runner entrypoint: a dispatch call stays open until its activities are reported. */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ClaimedActivity } from "../../src/index.ts";
import type { InstanceObject as InstanceObjectType } from "../instance-object.ts";
import { InstanceObject } from "./test-worker.ts";

describe("ActivityRunner", () => {
  it("answers a dispatch only once its activities ran and their results reached the instance's object", async () => {
    const instanceId = `runner-${crypto.randomUUID()}`;
    const item: ClaimedActivity = {
      id: `${instanceId}|e|0`,
      instanceId,
      executionId: "e",
      taskId: 0,
      name: "AddOne",
      input: "1",
      enqueuedAt: Date.now(),
      leaseToken: "not-a-lease-of-that-object",
      lockedUntil: Date.now() + 60_000,
      dequeueCount: 1,
    };
    const reported: unknown[] = [];
    const prototype = InstanceObject.prototype as InstanceObjectType;
    const original = prototype.completeActivities;
    prototype.completeActivities = function (this: InstanceObjectType, completions, capacity) {
      reported.push(...completions.map((c) => [c.item.id, c.result.event]));
      return original.call(this, completions, capacity);
    };
    try {
      const runner = (exports as unknown as { ActivityRunner: { run(items: ClaimedActivity[]): Promise<void> } }).ActivityRunner;
      await runner.run([item]);
      // Reported before the answer (the result itself is dropped there: no such lease).
      expect(reported).toEqual([[item.id, expect.objectContaining({ EventType: "TaskCompleted", Result: "2" })]]);
    } finally {
      prototype.completeActivities = original;
    }
  });
});
