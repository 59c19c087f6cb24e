/**
 * Histories that travel, on Durable Objects: an instance moved from the Worker to a memory store,
 * from a memory store (a tab, say) onto the Worker, and from one object to another, each goes on
 * where it arrives with its history intact and never runs again where it was.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../adapters/memory/index.ts";
import { humanInteraction, samples } from "../../examples/index.ts";
import { createRuntime, DurableError, replayHistory, type InstanceTravel, type OrchestrationClient } from "../../src/index.ts";
import { edge } from "./test-worker.ts";

const worker = () => edge.client(env) as OrchestrationClient & InstanceTravel;

async function waitFor(client: OrchestrationClient, id: string, status: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const s = await client.getStatus(id);
    if (s?.runtimeStatus === status) return s;
    if (Date.now() > deadline) throw new Error(`${id} is ${s?.runtimeStatus}, not ${status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function history(id: string) {
  return (await worker().getStatus(id, { showHistory: true, showHistoryOutput: true }))!.historyEvents!;
}

describe("moving instances to and from Durable Objects", () => {
  it("Worker → memory: waiting for an event, moved out; completes there; the Worker refuses it from then on", async () => {
    const client = worker();
    const id = `w2m-${crypto.randomUUID()}`;
    await client.startNew(humanInteraction, { instanceId: id, input: { timeoutSeconds: 3600 } });
    await waitFor(client, id, "Running");
    const doc = await client.exportInstance(id, { move: true, to: "memory" });
    expect(doc).toMatchObject({ moved: true, instance: { instanceId: id, runtimeStatus: "Running" } });
    expect(doc.inbox.map((m) => m.event.EventType)).toEqual(["TimerFired"]);

    const moved = await client.getStatus(id);
    expect(moved).toMatchObject({ runtimeStatus: "Terminated", output: { movedTo: "memory" } });
    const refused = await client.raiseEvent(id, "Approval", {}).catch((e: unknown) => e);
    expect(DurableError.is(refused, "InstanceGone")).toBe(true);
    expect((refused as Error).message).toContain("moved to memory");
    const listed = await client.listInstances({ instanceIdPrefix: id });
    expect(listed.instances.map((s) => s.runtimeStatus)).toEqual(["Terminated"]);

    const memory = createRuntime({ store: createMemoryStore(), ...samples });
    await memory.client.importInstance(JSON.parse(JSON.stringify(doc)));
    await memory.client.raiseEvent(id, "Approval", { by: "ada" });
    await memory.drain();
    expect(await memory.client.getStatus(id)).toMatchObject({ runtimeStatus: "Completed", output: { approved: true, approval: { by: "ada" } } });
    const after = await memory.client.getHistory(id);
    expect(after.slice(0, doc.history.length)).toEqual(doc.history);
    expect(replayHistory(samples.orchestrators, after).ok).toBe(true);
  });

  it("memory (a tab) → Worker: the event is raised on the Worker and it completes there, its earlier history intact", async () => {
    const tab = createRuntime({ store: createMemoryStore({ name: "tab" }), ...samples });
    const id = `m2w-${crypto.randomUUID()}`;
    await tab.client.startNew(humanInteraction, { instanceId: id });
    await tab.drain();
    const earlier = await tab.client.getHistory(id);
    const doc = await tab.client.exportInstance(id, { move: true, to: "https://worker.example", source: "browser:tab" });

    const client = worker();
    expect(await client.importInstance(doc)).toBe(id);
    await waitFor(client, id, "Running");
    await client.raiseEvent(id, "Approval", "yes");
    const done = await client.waitForCompletion(id, { timeoutMs: 20_000, pollIntervalMs: 20 });
    expect(done).toMatchObject({ runtimeStatus: "Completed", output: { approved: true, approval: "yes" } });
    const events = await history(id);
    expect(events[0]).toMatchObject({ EventType: "ExecutionStarted", FunctionName: "HumanInteraction" });
    expect(events.find((e) => e.EventType === "GenericEvent")).toMatchObject({ Data: expect.stringContaining('"importedFrom":"browser:tab"') });
    expect((await client.listInstances({ instanceIdPrefix: id })).instances.map((s) => s.runtimeStatus)).toEqual(["Completed"]);
    // The tab never runs it again.
    await tab.drain();
    expect((await tab.client.getHistory(id)).length).toBe(earlier.length + 4);
    expect((await tab.client.getStatus(id))!.runtimeStatus).toBe("Terminated");
  });

  it("time travel on the Worker: replayed by the instance's object with the Worker's code, nothing committed", async () => {
    const client = worker();
    const id = `tt-${crypto.randomUUID()}`;
    await client.startNew(humanInteraction, { instanceId: id });
    await waitFor(client, id, "Running");
    const travel = await client.timeTravel(id);
    expect(travel.frames.map((f) => f.eventType)).toEqual(["OrchestratorStarted", "ExecutionStarted", "TimerCreated", "OrchestratorCompleted"]);
    expect(travel.frames[1]!.decision.scheduled).toEqual([expect.stringMatching(/^a timer for /)]);
    expect(travel.frames[3]!.pending.map((p) => p.kind)).toEqual(["event", "timer"]);
    expect((await client.getStatus(id))!.runtimeStatus).toBe("Running");
  });

  it("object → object: moved under another id (another partition), its pending timer intact; refusals answer typed errors", async () => {
    const client = worker();
    const id = `o2o-${crypto.randomUUID()}`;
    await client.startNew(humanInteraction, { instanceId: id, input: { timeoutSeconds: 2 } });
    await waitFor(client, id, "Running");
    const doc = await client.exportInstance(id, { move: true });
    const copy = `${id}-copy`;
    await client.importInstance(doc, { instanceId: copy });
    // The timeout fires on the new object at its original time.
    const done = await client.waitForCompletion(copy, { timeoutMs: 20_000, pollIntervalMs: 50 });
    expect(done.output).toEqual({ approved: false, timedOut: true });

    const again = await client.importInstance(doc, { instanceId: copy }).catch((e: unknown) => e);
    expect(DurableError.is(again, "InstanceAlreadyExists")).toBe(true);
    const snapshot = await client.exportInstance(copy);
    expect(snapshot.moved).toBe(false);
    const bad = await client.importInstance({ ...snapshot, version: 7 }).catch((e: unknown) => e);
    expect(DurableError.is(bad, "InvalidArgument")).toBe(true);
    expect((await client.exportInstance(id).catch((e: unknown) => e)) as Error).toMatchObject({ code: "InstanceGone" });
  });
});
