/**
 * Activity leases on Durable Objects, with leases of 3 s and an activity timeout of 6 s (the
 * per-instance project's bindings): an activity that outlasts its lease keeps it through its
 * runner's heartbeat and completes on its first attempt; one that outlasts the timeout fails.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { activityLeaseMs, activityTimeoutMs } from "../limits.ts";
import { finished, pollUntil, startOrchestration } from "./helpers.ts";

describe("activity leases", () => {
  it("runs with short leases and timeouts here", () => {
    expect(activityLeaseMs(env)).toBe(3000);
    expect(activityTimeoutMs(env)).toBe(6000);
  });

  it("an activity that outlasts its lease keeps it through the runner's heartbeat, and completes on its first attempt", async () => {
    const started = await startOrchestration("SlowActivity", { ms: 4500 });
    const done = await pollUntil(started.statusQueryGetUri, finished);
    expect(done.runtimeStatus).toBe("Completed");
    expect(done.output).toBe(1); // without renewal every attempt loses its lease before it ends, and none completes
  });

  it("an activity that outlasts the timeout fails with a Timeout the orchestrator sees, instead of running again and again", async () => {
    const started = await startOrchestration("SlowActivity", { ms: 60_000 });
    const done = await pollUntil(started.statusQueryGetUri, finished);
    expect(done.runtimeStatus).toBe("Failed");
    expect(JSON.stringify(done.output)).toMatch(/Activity 'SlowStep' ran longer than 6000 ms/);
  });
});
