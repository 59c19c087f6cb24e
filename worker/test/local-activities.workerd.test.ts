/**
 * Local activities on Durable Objects: a chain of local activities runs inside the steps of the
 * object that owns the instance, committing once per many activities; and an object aborted in
 * the middle of the run completes it, each recorded activity once.
 */
import { describe, expect, it } from "vitest";
import { abortWhileRunning, finished, placement, pollUntil, startOrchestration, type Status } from "./helpers.ts";
import { instanceStub } from "../routing.ts";

/** The inputs of the completed activities, as the status renders them (each step of the chain has its own). */
const completedIds = (s: Status) => (s.historyEvents ?? []).filter((e) => e.EventType === "TaskCompleted").map((e) => (e as { Input?: unknown }).Input);

describe("local activities on Durable Objects", () => {
  it("a chain of 500 local activities completes in far fewer commits than activities", async () => {
    const id = `local-${crypto.randomUUID()}`;
    const stub = instanceStub(placement, id);
    const before = await stub.storeStats();
    const started = await startOrchestration("LocalChain", { count: 500 }, id);
    const done = await pollUntil(`${started.statusQueryGetUri}&showHistory=true`, finished);
    expect(done.runtimeStatus).toBe("Completed");
    expect(done.output).toBe(500);
    expect(completedIds(done)).toHaveLength(500);
    const after = await stub.storeStats();
    // The partition may step other instances too; this chain alone would need 500 with remote activities.
    expect(after.transactions - before.transactions).toBeLessThan(500 / 10);
  });

  it("an object aborted mid-run completes the chain; each recorded activity once", async () => {
    const id = `local-abort-${crypto.randomUUID()}`;
    const started = await startOrchestration("LocalChain", { count: 3000 }, id);
    const aborts = await abortWhileRunning(started.statusQueryGetUri, 3, 30);
    const done = await pollUntil(`${started.statusQueryGetUri}&showHistory=true`, finished, 60_000);
    expect(done.runtimeStatus).toBe("Completed");
    expect(done.output).toBe(3000);
    const ids = completedIds(done);
    expect(ids).toHaveLength(3000);
    expect(new Set(ids).size).toBe(3000);
    expect(aborts).toBeGreaterThan(0);
  });
});
