/**
 * Histories that travel, on Durable Objects: an instance moved from the Worker to a memory store,
 * from a memory store (a tab, say) onto the Worker, and from one object to another, each goes on
 * where it arrives with its history intact and never runs again where it was. And trees: a parent
 * moved while its sub-orchestrations (each in its own object) run, sealed object by object, parents
 * first, and imported object by object, every id checked first.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../adapters/memory/index.ts";
import { humanInteraction, samples } from "../../examples/index.ts";
import { createRuntime, DurableError, replayHistory, type InstanceDocument, type InstanceTravel, type OrchestrationClient } from "../../src/index.ts";
import { edge } from "./test-worker.ts";
import { testOrchestrations } from "./test-orchestrations.ts";

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

    // The same document again (its answer lost, say): what it imported is left as it is.
    const before = await history(copy);
    expect(await client.importInstance(doc, { instanceId: copy })).toBe(copy);
    expect(await history(copy)).toEqual(before);
    const other = await client.importInstance({ ...doc, exportedAt: new Date().toISOString() }, { instanceId: copy }).catch((e: unknown) => e);
    expect(DurableError.is(other, "InstanceAlreadyExists")).toBe(true);
    const snapshot = await client.exportInstance(copy);
    expect(snapshot.moved).toBe(false);
    const bad = await client.importInstance({ ...snapshot, version: 7 }).catch((e: unknown) => e);
    expect(DurableError.is(bad, "InvalidArgument")).toBe(true);
    expect((await client.exportInstance(id).catch((e: unknown) => e)) as Error).toMatchObject({ code: "InstanceGone" });
  });
});

describe("moving a tree: a parent with running sub-orchestrations, each in its own object", () => {
  /** The ids of a running ApprovalTree's instances on the Worker: root, its three children, the grandchild. */
  async function runningTree(client: OrchestrationClient & InstanceTravel, id: string): Promise<string[]> {
    await client.startNew("ApprovalTree", { instanceId: id, input: { approvers: 2 } });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const doc = await client.exportInstance(id);
      const children = doc.children.map((c) => c.instanceId);
      const grandchild = `${children[2]}:approval`;
      const statuses = children.length === 3 ? await Promise.all([...children, grandchild].map((c) => client.getStatus(c))) : [];
      if (statuses.length === 4 && statuses.every((s) => s?.runtimeStatus === "Running")) return [id, ...children, grandchild];
      if (Date.now() > deadline) throw new Error(`the tree of ${id} did not start: ${JSON.stringify(statuses.map((s) => s?.runtimeStatus))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  /** The leaves: the two approvers and the grandchild (each a HumanInteraction waiting for its Approval). */
  const leaves = (doc: InstanceDocument) => (doc.descendants ?? []).filter((d) => d.instance.name === "HumanInteraction").map((d) => d.instance.instanceId);

  it("Worker → memory: sealed object by object; the children complete where it arrives, the parent with their results; the Worker runs nothing more of it", async () => {
    const client = worker();
    const id = `tree-w2m-${crypto.randomUUID()}`;
    const ids = await runningTree(client, id);
    const doc = await client.exportInstance(id, { move: true, to: "memory" });
    expect(doc.version).toBe(2);
    expect([doc.instance.instanceId, ...(doc.descendants ?? []).map((d) => d.instance.instanceId)]).toEqual(ids);
    for (const member of ids) {
      const status = (await client.getStatus(member))!;
      expect(status).toMatchObject({ runtimeStatus: "Terminated", output: { movedTo: "memory" } });
    }
    const refused = await client.raiseEvent(ids[1]!, "Approval", "late").catch((e: unknown) => e);
    expect(DurableError.is(refused, "InstanceGone")).toBe(true);
    expect((refused as Error).message).toContain("moved to memory");
    const lengths = await Promise.all(ids.map(async (m) => (await history(m)).length));

    const memory = createRuntime({ store: createMemoryStore(), ...testOrchestrations });
    expect(await memory.client.importInstance(JSON.parse(JSON.stringify(doc)))).toBe(id);
    await memory.drain();
    for (const leaf of leaves(doc)) await memory.client.raiseEvent(leaf, "Approval", `ok ${leaf}`);
    await memory.drain();
    const done = (await memory.client.getStatus(id))!;
    expect(done.runtimeStatus).toBe("Completed");
    expect(done.output).toEqual([
      { approved: true, approval: `ok ${ids[1]}` },
      { approved: true, approval: `ok ${ids[2]}` },
      { approved: true, approval: `ok ${ids[4]}` },
    ]);
    for (const member of ids) expect(replayHistory(testOrchestrations.orchestrators, await memory.client.getHistory(member)).ok).toBe(true);
    // Nothing more happened on the Worker meanwhile.
    expect(await Promise.all(ids.map(async (m) => (await history(m)).length))).toEqual(lengths);
    for (const member of ids) expect((await client.getStatus(member))!.runtimeStatus).toBe("Terminated");
  });

  it("memory → Worker: each instance written to its own object, parents first; approved there, the parent completes there", async () => {
    const tab = createRuntime({ store: createMemoryStore({ name: "tab" }), ...testOrchestrations });
    const id = `tree-m2w-${crypto.randomUUID()}`;
    await tab.client.startNew("ApprovalTree", { instanceId: id, input: { approvers: 2 } });
    await tab.drain();
    const doc = await tab.client.exportInstance(id, { move: true, to: "https://worker.example", source: "browser:tab" });
    expect(doc.descendants).toHaveLength(4);

    const client = worker();
    expect(await client.importInstance(doc)).toBe(id);
    for (const leaf of leaves(doc)) {
      await waitFor(client, leaf, "Running");
      await client.raiseEvent(leaf, "Approval", "yes");
    }
    const done = await client.waitForCompletion(id, { timeoutMs: 20_000, pollIntervalMs: 20 });
    expect(done.runtimeStatus).toBe("Completed");
    expect((done.output as { approved: boolean }[]).map((o) => o.approved)).toEqual([true, true, true]);
    for (const d of doc.descendants ?? []) {
      const events = await history(d.instance.instanceId);
      expect(events.find((e) => e.EventType === "GenericEvent")).toMatchObject({ Data: expect.stringContaining('"importedFrom":"browser:tab"') });
    }
    await tab.drain();
    expect((await tab.client.getStatus(id))!.runtimeStatus).toBe("Terminated");
  });

  it("object → object under a new root id: refused while an id is in use (nothing written), then over the tombstones with replace; again, idempotent", async () => {
    const client = worker();
    const id = `tree-o2o-${crypto.randomUUID()}`;
    const ids = await runningTree(client, id);
    const doc = await client.exportInstance(id, { move: true });
    const renamed = `${id}-2`;
    // The sub-orchestrations keep their ids, and their tombstones are here: every id is checked first.
    const taken = await client.importInstance(doc, { instanceId: renamed }).catch((e: unknown) => e);
    expect(DurableError.is(taken, "InstanceAlreadyExists")).toBe(true);
    expect((taken as Error).message).toContain(`'${ids[1]}' (Terminated)`);
    expect(await client.getStatus(renamed)).toBeUndefined();

    expect(await client.importInstance(doc, { instanceId: renamed, onConflict: "replace" })).toBe(renamed);
    expect(await client.importInstance(doc, { instanceId: renamed, onConflict: "replace" })).toBe(renamed); // the same document again: nothing written
    expect((await history(renamed)).filter((e) => e.EventType === "GenericEvent")).toHaveLength(1);
    for (const leaf of leaves(doc)) {
      await waitFor(client, leaf, "Running");
      await client.raiseEvent(leaf, "Approval", "yes");
    }
    const done = await client.waitForCompletion(renamed, { timeoutMs: 20_000, pollIntervalMs: 20 });
    expect(done.runtimeStatus).toBe("Completed");
    expect((await client.getStatus(id))!.output).toMatchObject({ movedTo: "another host" }); // the old root stays a tombstone
    expect((await client.exportInstance(ids[3]!)).instance.parentInstanceId).toBe(renamed);
  });
});
