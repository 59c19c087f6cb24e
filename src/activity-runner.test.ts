/** `executeActivity`: an activity's outcome as the result message for its orchestration. */
import { describe, expect, it } from "vitest";
import { executeActivity } from "./activity-runner.ts";
import { ManualClock } from "./clock.ts";
import { activity, Registry } from "./definitions.ts";
import type { ClaimedActivity } from "./store.ts";

const clock = new ManualClock(Date.UTC(2026, 0, 1));
const claimed = (name: string, input: unknown = null): ClaimedActivity => ({
  id: `i|e|3`,
  instanceId: "i",
  executionId: "e",
  taskId: 3,
  name,
  input: JSON.stringify(input),
  enqueuedAt: clock.now(),
  leaseToken: "t",
  lockedUntil: clock.now() + 60_000,
  dequeueCount: 2,
});

const registry = new Registry(
  [],
  [
    activity("Double", (n: number, ctx) => ({ doubled: n * 2, attempt: ctx.dequeueCount, key: ctx.idempotencyKey })),
    activity("Fail", () => {
      throw new RangeError("out of range");
    }),
    activity("Hang", () => new Promise<never>(() => undefined)),
    activity("Quick", async () => "done"),
  ],
);

describe("executeActivity", () => {
  it("turns the output into TaskCompleted, with the activity's context", async () => {
    const result = await executeActivity(claimed("Double", 21), registry, clock);
    expect(result).toMatchObject({ id: "i|e|3|result", instanceId: "i", executionId: "e", visibleAt: clock.now() });
    expect(result.event).toMatchObject({ EventType: "TaskCompleted", TaskScheduledId: 3 });
    expect(JSON.parse((result.event as { Result: string }).Result)).toEqual({ doubled: 42, attempt: 2, key: "i|e|3" });
  });

  it("turns a throw, or an unknown activity, into TaskFailed with its details", async () => {
    const failed = await executeActivity(claimed("Fail"), registry, clock);
    expect(failed.event).toMatchObject({ EventType: "TaskFailed", TaskScheduledId: 3, Reason: "out of range", FailureDetails: { ErrorType: "RangeError" } });
    const unknown = await executeActivity(claimed("Nope"), registry, clock);
    expect((unknown.event as { Reason: string }).Reason).toMatch(/No activity named 'Nope'/);
  });

  it("with timeoutMs, gives up on an activity that runs longer: TaskFailed with a Timeout error, at once", async () => {
    const result = await executeActivity(claimed("Hang"), registry, clock, { timeoutMs: 50 }); // "Hang" never settles
    expect(result.event).toMatchObject({ EventType: "TaskFailed", TaskScheduledId: 3 });
    expect((result.event as { Reason: string }).Reason).toMatch(/Activity 'Hang' ran longer than 50 ms.*abandoned/);
    const quick = await executeActivity(claimed("Quick"), registry, clock, { timeoutMs: 60_000 });
    expect(quick.event).toMatchObject({ EventType: "TaskCompleted", Result: '"done"' });
  });
});
