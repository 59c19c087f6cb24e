/**
 * Histories that travel: an instance exported from one store (moved: it stops there) and imported
 * into another goes on with its history, pending timers, buffered events and queued work intact,
 * and never runs again where it was. The document is validated field by field, and nothing is
 * stored on refusal.
 */
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../adapters/memory/index.ts";
import { helloSequence, humanInteraction, samples, sayHello } from "../examples/index.ts";
import { createTestRuntime } from "../testing/index.ts";
import {
  activity,
  createRuntime,
  DurableClient,
  DurableError,
  importedFrom,
  INSTANCE_DOCUMENT_VERSION,
  LIMITS,
  MAX_DOCUMENT_BYTES,
  movedInfo,
  orchestrator,
  replayHistory,
  systemClock,
  validateInstanceDocument,
  ManualClock,
  Task,
  replayHistories,
  type InstanceDocument,
  documentMembers,
  type Store,
} from "./index.ts";
import { refusal } from "../test/support/refusal.ts";

/** Waits for an `Approval` event, but only after a first timer: an event raised meanwhile is buffered. */
const lateWaiter = orchestrator("LateWaiter", function* (ctx) {
  yield* ctx.createTimer(ctx.currentUtcDateTime.getTime() + 60_000);
  const approval = yield* ctx.waitForExternalEvent<{ by: string }>("Approval");
  return { approvedBy: approval.by, at: ctx.currentUtcDateTime.toISOString() };
});

const hosts = () => {
  const options = { orchestrators: [...samples.orchestrators, lateWaiter], activities: samples.activities };
  return { tab: createTestRuntime(options), worker: createTestRuntime(options) };
};

describe("moving an instance between stores", () => {
  it("an instance waiting for an event continues on the other host with its history intact, and never runs again where it was", async () => {
    const { tab, worker } = hosts();
    const id = await tab.start(humanInteraction, { instanceId: "order-1", input: { timeoutSeconds: 3600 } });
    const before = await tab.client.getHistory(id);

    const doc = await tab.client.exportInstance(id, { move: true, to: "https://worker.example", source: "browser:my-app" });
    expect(doc).toMatchObject({ format: "durable-edge/instance", version: 1, moved: true, source: "browser:my-app" }); // one instance: still version 1
    expect(doc.descendants).toBeUndefined();
    expect(doc.history).toEqual(before);
    expect(doc.inbox.map((m) => m.event.EventType)).toEqual(["TimerFired"]); // the pending timeout
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc); // plain JSON

    // Stopped where it was: Terminated (DF-compatible), output says where it went; messages refused.
    const left = (await tab.client.getStatus(id))!;
    expect(left).toMatchObject({ runtimeStatus: "Terminated", output: { movedTo: "https://worker.example" } });
    expect(left.failureDetails).toBeUndefined();
    expect(movedInfo((await tab.store.getInstance(id))!)).toMatchObject({ to: "https://worker.example" });
    const refused = await refusal(tab.client.raiseEvent(id, "Approval", { by: "ada" }));
    expect(refused.code).toBe("InstanceGone");
    expect(refused.message).toContain("moved to https://worker.example");
    expect((await refusal(tab.client.exportInstance(id))).message).toContain("was moved to https://worker.example");
    expect(await tab.store.nextWakeAt()).toBeNull(); // no timer, no work left in the tab

    expect(await worker.client.importInstance(JSON.parse(JSON.stringify(doc)))).toBe(id);
    expect((await worker.status(id)).runtimeStatus).toBe("Running");
    await worker.raiseEvent(id, "Approval", { by: "ada" });
    const done = await worker.status(id);
    expect(done).toMatchObject({ runtimeStatus: "Completed", output: { approved: true, approval: { by: "ada" } } });
    const history = await worker.client.getHistory(id);
    expect(history.slice(0, before.length)).toEqual(before);
    expect(importedFrom(history)).toMatchObject({ importedFrom: "browser:my-app", exportedAt: doc.exportedAt });
    expect(replayHistory(samples.orchestrators, history).ok).toBe(true);

    // Nothing more happens in the tab, however long it runs.
    await tab.advanceTime({ hours: 2 });
    expect((await tab.client.getHistory(id)).length).toBe(before.length + 4);
    expect((await tab.status(id)).runtimeStatus).toBe("Terminated");
  });

  it("pending timers fire on the new host at their own time", async () => {
    const { tab, worker } = hosts();
    const id = await tab.start(humanInteraction, { instanceId: "t-1", input: { timeoutSeconds: 600 } });
    await tab.advanceTime({ minutes: 4 });
    const doc = await tab.client.exportInstance(id, { move: true });
    await worker.advanceTimeTo(tab.now()); // the worker's clock where the tab's was
    await worker.client.importInstance(doc);
    await worker.advanceTime({ minutes: 5, seconds: 59 });
    expect((await worker.status(id)).runtimeStatus).toBe("Running");
    await worker.advanceTime({ seconds: 1 });
    expect(await worker.status(id)).toMatchObject({ runtimeStatus: "Completed", output: { approved: false, timedOut: true } });
  });

  it("events raised before the instance waited for them travel buffered", async () => {
    const { tab, worker } = hosts();
    const id = await tab.start(lateWaiter, { instanceId: "late-1" });
    await tab.raiseEvent(id, "Approval", { by: "grace" }); // buffered: the instance is still on its timer
    const doc = await tab.client.exportInstance(id, { move: true });
    expect(doc.history.some((e) => e.EventType === "EventRaised")).toBe(true);
    await worker.client.importInstance(doc);
    const done = await worker.runToCompletion(id);
    expect(done).toMatchObject({ runtimeStatus: "Completed", output: { approvedBy: "grace" } });
  });

  it("an activity running where it was is queued again on import (at-least-once); its late completion there is dropped", async () => {
    let release!: () => void;
    const runs: string[] = [];
    const slow = activity("Slow", async (who: string) => {
      runs.push(who);
      if (runs.length === 1) await new Promise<void>((r) => (release = r)); // the first run, in the tab, hangs until released
      return `done by ${who}`;
    });
    const flow = orchestrator("SlowFlow", function* (ctx) {
      return yield* ctx.callActivity(slow, ctx.getInput());
    });
    const tab = createRuntime({ store: createMemoryStore({ name: "tab" }), orchestrators: [flow], activities: [slow] });
    const worker = createRuntime({ store: createMemoryStore({ name: "worker" }), orchestrators: [flow], activities: [slow] });
    tab.start();
    await tab.client.startNew(flow, { instanceId: "slow-1", input: "tab" });
    while (runs.length === 0) await new Promise((r) => setTimeout(r, 5));
    const doc = await tab.client.exportInstance("slow-1", { move: true });
    expect(doc.activities).toHaveLength(1);
    release();
    await tab.stop();
    expect((await tab.client.getStatus("slow-1"))!.runtimeStatus).toBe("Terminated");
    expect((await tab.client.getHistory("slow-1")).some((e) => e.EventType === "TaskCompleted")).toBe(false);

    // The document's activity input is "tab"; the worker runs it again (it does not know it ran).
    worker.start();
    await worker.client.importInstance(doc);
    const status = await worker.client.waitForCompletion("slow-1", { timeoutMs: 5000, pollIntervalMs: 10 });
    expect(status.output).toBe("done by tab");
    expect(runs).toEqual(["tab", "tab"]);
    await worker.stop();
  });

  it("round trip: back onto the first host, replacing the moved tombstone with onConflict replace", async () => {
    const { tab, worker } = hosts();
    const id = await tab.start(humanInteraction, { instanceId: "rt-1" });
    await worker.client.importInstance(await tab.client.exportInstance(id, { move: true, to: "worker" }));
    const back = await worker.client.exportInstance(id, { move: true, to: "tab" });
    expect((await refusal(tab.client.importInstance(back))).code).toBe("InstanceAlreadyExists");
    await tab.client.importInstance(back, { onConflict: "replace" });
    await tab.raiseEvent(id, "Approval", "yes");
    expect((await tab.status(id)).output).toEqual({ approved: true, approval: "yes" });
    expect((await worker.status(id)).output).toMatchObject({ movedTo: "tab" });
    const marks = (await tab.client.getHistory(id)).filter((e) => e.EventType === "GenericEvent");
    expect(marks).toHaveLength(2);
  });

  it("imports under another id when asked", async () => {
    const { tab, worker } = hosts();
    const id = await tab.start(humanInteraction, { instanceId: "a-1" });
    const doc = await tab.client.exportInstance(id, { move: true });
    expect(await worker.client.importInstance(doc, { instanceId: "b-1" })).toBe("b-1");
    await worker.advanceTime({ hours: 1 });
    expect(await worker.status("b-1")).toMatchObject({ runtimeStatus: "Completed", output: { timedOut: true } });
    expect((await worker.client.getHistory("b-1"))[1]).toMatchObject({ EventType: "ExecutionStarted", OrchestrationInstance: { InstanceId: "b-1" } });
  });

  it("a Pending instance (its start message still in the inbox) starts where it arrives", async () => {
    const tab = createRuntime({ store: createMemoryStore({ name: "tab" }), ...samples });
    const worker = createRuntime({ store: createMemoryStore({ name: "worker" }), ...samples });
    await tab.client.startNew(helloSequence, { instanceId: "pending-1" });
    const doc = await tab.client.exportInstance("pending-1", { move: true });
    expect(doc).toMatchObject({ instance: { runtimeStatus: "Pending" }, history: [] });
    expect(doc.inbox.map((m) => m.event.EventType)).toEqual(["ExecutionStarted"]);
    await worker.client.importInstance(doc);
    await worker.drain();
    await tab.drain();
    expect(await worker.client.getStatus("pending-1")).toMatchObject({ runtimeStatus: "Completed", output: ["Hello Tokyo!", "Hello Seattle!", "Hello London!"] });
    expect((await tab.client.getStatus("pending-1"))!.runtimeStatus).toBe("Terminated");
    expect(replayHistory(samples.orchestrators, await worker.client.getHistory("pending-1")).ok).toBe(true);
  });

  it("a suspended instance arrives suspended, and resumes there", async () => {
    const { tab, worker } = hosts();
    const id = await tab.start(humanInteraction, { instanceId: "sus-1" });
    await tab.client.suspend(id, "travelling");
    await tab.runUntilIdle();
    await tab.client.raiseEvent(id, "Approval", "held"); // held while suspended
    await tab.runUntilIdle();
    await worker.client.importInstance(await tab.client.exportInstance(id, { move: true }));
    await worker.runUntilIdle();
    expect((await worker.status(id)).runtimeStatus).toBe("Suspended");
    await worker.client.resume(id);
    await worker.runUntilIdle();
    expect(await worker.status(id)).toMatchObject({ runtimeStatus: "Completed", output: { approved: true, approval: "held" } });
  });

  it("a finished instance is exported as it is, and left as it is", async () => {
    const { tab, worker } = hosts();
    await tab.run(helloSequence, { instanceId: "done-1" });
    const doc = await tab.client.exportInstance("done-1", { move: true });
    expect((await tab.status("done-1")).runtimeStatus).toBe("Completed");
    await worker.client.importInstance(doc);
    expect(await worker.status("done-1")).toMatchObject({ runtimeStatus: "Completed", output: ["Hello Tokyo!", "Hello Seattle!", "Hello London!"] });
  });
});

describe("what is not moved, and what an import refuses", () => {
  const parent = orchestrator("Parent", function* (ctx) {
    return yield* ctx.callSubOrchestrator(humanInteraction, null, "child-1");
  });
  const grandparent = orchestrator("Grandparent", function* (ctx) {
    return yield* ctx.callSubOrchestrator(parent, null, "parent-1");
  });

  it("a running sub-orchestration alone is refused (InvalidState), naming its tree's root, and nothing changes", async () => {
    const t = createTestRuntime({ orchestrators: [grandparent, parent, humanInteraction] });
    await t.start(grandparent, { instanceId: "root-1" });
    const child = await refusal(t.client.exportInstance("child-1", { move: true }));
    expect(child.code).toBe("InvalidState");
    expect(child.message).toContain("is a sub-orchestration of 'parent-1'");
    expect(child.message).toContain("Move the root of its tree instead, 'root-1'");
    expect((await refusal(t.client.exportInstance("parent-1", { move: true }))).message).toContain("'root-1'");
    for (const id of ["root-1", "parent-1", "child-1"]) expect((await t.status(id)).runtimeStatus).toBe("Running");
    // A snapshot is fine, and lists the child.
    expect((await t.client.exportInstance("parent-1")).children).toEqual([{ instanceId: "child-1", name: "HumanInteraction", taskScheduledId: 0, state: "running" }]);
    // One whose parent has finished is not waited for by anyone: it says so.
    await t.client.terminate("root-1", "stop", { recursive: false });
    await t.runUntilIdle();
    expect((await refusal(t.client.exportInstance("parent-1", { move: true }))).message).toContain("Its parent 'root-1' is Terminated and no longer waits for it");
  });

  it("a snapshot (not moved) leaves the instance running and is refused on import unless allowCopy", async () => {
    const { tab, worker } = hosts();
    const id = await tab.start(humanInteraction, { instanceId: "snap-1" });
    const snapshot = await tab.client.exportInstance(id);
    expect(snapshot.moved).toBe(false);
    expect((await tab.status(id)).runtimeStatus).toBe("Running");
    const error = await refusal(worker.client.importInstance(snapshot));
    expect(error.code).toBe("InvalidState");
    expect(error.message).toContain("snapshot");
    expect(await worker.store.getInstance(id)).toBeUndefined();
    await worker.client.importInstance(snapshot, { allowCopy: true });
    expect((await worker.status(id)).runtimeStatus).toBe("Running");
  });

  it("an instance the target cannot run is refused: unknown orchestrator, or a history its code does not replay", async () => {
    const { tab } = hosts();
    const id = await tab.start(humanInteraction, { instanceId: "code-1" });
    const doc = await tab.client.exportInstance(id, { move: true });
    const bare = createTestRuntime({ orchestrators: [helloSequence], activities: [sayHello] });
    expect((await refusal(bare.client.importInstance(doc))).code).toBe("UnknownOrchestrator");
    const changed = orchestrator("HumanInteraction", function* (ctx) {
      return yield* ctx.callActivity(sayHello, "changed");
    });
    const other = createTestRuntime({ orchestrators: [changed], activities: [sayHello] });
    const error = await refusal(other.client.importInstance(doc));
    expect(error.code).toBe("InvalidState");
    expect(error.message).toContain("does not replay against this host's orchestrators");
    expect(error.message).toContain("Event #");
    expect(await other.store.getInstance(id)).toBeUndefined();
  });

  it("a running instance is never replaced, even with onConflict replace", async () => {
    const { tab, worker } = hosts();
    const id = await tab.start(humanInteraction, { instanceId: "busy-1" });
    await worker.start(humanInteraction, { instanceId: "busy-1" });
    const doc = await tab.client.exportInstance(id, { move: true });
    expect((await refusal(worker.client.importInstance(doc, { onConflict: "replace" }))).code).toBe("InstanceAlreadyExists");
  });

  it("a store without the hand-over methods says so", async () => {
    const plain = new DurableClient({ store: { getInstance: async () => undefined } as never, clock: systemClock });
    const error = await refusal(plain.exportInstance("x"));
    expect(error.code).toBe("InvalidState");
    expect(error.message).toContain("cannot export instances");
  });
});

describe("moving a tree: a parent with the sub-orchestrations it waits for", () => {
  /** Two HumanInteraction children under default ids (`{executionId}:{n}`), or under `ids`. */
  const fan = orchestrator("Fan", function* (ctx) {
    const ids = ctx.getInput<{ ids?: string[] } | null>()?.ids;
    return yield* Task.all([0, 1].map((i) => ctx.callSubOrchestrator(humanInteraction, { timeoutSeconds: 3600 }, ids?.[i])));
  });
  /** A child that finishes in its first step. */
  const quick = orchestrator("Quick", function* () {
    return 42;
  });
  const waitsForQuick = orchestrator("WaitsForQuick", function* (ctx) {
    return yield* ctx.callSubOrchestrator(quick, null, "quick-1");
  });
  /** Names its child after itself, as `approvalParent` in the Worker's tests does. */
  const namesChild = orchestrator("NamesChild", function* (ctx) {
    return yield* ctx.callSubOrchestrator(humanInteraction, null, `${ctx.instanceId}:approval`);
  });
  const orchestrators = [fan, quick, waitsForQuick, namesChild, humanInteraction];
  const silent = { debug() {}, info() {}, warn() {}, error() {} };

  /** A memory store whose runtime leaves the instances in `held` alone (their messages wait). */
  const holding = (held: Set<string>): Store => {
    const inner = createMemoryStore({ name: "tab" });
    return new Proxy(inner, {
      get(target, prop) {
        if (prop === "claimWork") {
          return async (...args: Parameters<Store["claimWork"]>) => {
            const work = await target.claimWork(...args);
            return { ...work, instanceIds: work.instanceIds.filter((id) => !held.has(id)) };
          };
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
  const memoryHost = (store: Store = createMemoryStore(), clock = new ManualClock(Date.UTC(2026, 0, 1))) => createRuntime({ store, clock, logger: silent, orchestrators });

  it("a sub-orchestration that had not started travels Pending; where it was, a moved tombstone refuses its late start", async () => {
    const held = new Set(["u-1", "u-2"]);
    const store = holding(held);
    const tab = memoryHost(store);
    await tab.client.startNew(fan, { instanceId: "fan-1", input: { ids: ["u-1", "u-2"] } });
    await tab.runDue();
    expect(await store.getInstance("u-1")).toBeUndefined(); // its start message waits in its inbox
    const doc = await tab.client.exportInstance("fan-1", { move: true, to: "worker" });
    expect(doc.descendants!.map((d) => [d.instance.instanceId, d.instance.runtimeStatus, d.inbox.map((m) => m.event.EventType)])).toEqual([
      ["u-1", "Pending", ["ExecutionStarted"]],
      ["u-2", "Pending", ["ExecutionStarted"]],
    ]);
    for (const id of ["u-1", "u-2"]) expect(movedInfo((await store.getInstance(id))!)).toMatchObject({ to: "worker" });
    held.clear();
    await tab.runDue(); // the start messages reach the tombstones: refused, and the refusals reach a moved parent
    expect(await store.getHistory("u-1")).toEqual([]);
    expect(movedInfo((await store.getInstance("u-1"))!)).not.toBeNull();
    expect((await store.getHistory("fan-1")).at(-2)).toMatchObject({ EventType: "ExecutionCompleted", OrchestrationStatus: "Terminated" });

    const worker = memoryHost();
    await worker.client.importInstance(doc);
    await worker.drain();
    for (const id of ["u-1", "u-2"]) await worker.client.raiseEvent(id, "Approval", id);
    await worker.drain();
    expect(await worker.client.getStatus("fan-1")).toMatchObject({ runtimeStatus: "Completed", output: [{ approval: "u-1" }, { approval: "u-2" }] });
  });

  it("a sub-orchestration whose result waits unread in its parent's inbox is not moved: the result travels, the document stays version 1", async () => {
    const held = new Set(["quick-1"]);
    const store = holding(held);
    const tab = memoryHost(store);
    await tab.client.startNew(waitsForQuick, { instanceId: "wq-1" });
    await tab.runDue();
    held.clear();
    held.add("wq-1");
    await tab.runDue(); // the child completes; its parent has not read the result yet
    expect((await store.getInstance("quick-1"))!.runtimeStatus).toBe("Completed");
    const doc = await tab.client.exportInstance("wq-1", { move: true });
    expect(doc.version).toBe(1);
    expect(doc.descendants).toBeUndefined();
    expect(doc.children).toEqual([{ instanceId: "quick-1", name: "Quick", taskScheduledId: 0, state: "running" }]);
    expect(doc.inbox.map((m) => m.event.EventType)).toEqual(["SubOrchestrationInstanceCompleted"]);
    expect(movedInfo((await store.getInstance("quick-1"))!)).toBeNull();
    const worker = memoryHost();
    await worker.client.importInstance(doc);
    await worker.drain();
    expect(await worker.client.getStatus("wq-1")).toMatchObject({ runtimeStatus: "Completed", output: 42 });
  });

  it("importing the same tree again leaves what it imported as it is; a retry after a write that failed part-way writes the rest", async () => {
    const tab = memoryHost();
    await tab.client.startNew(fan, { instanceId: "fan-2" });
    await tab.drain();
    const doc = await tab.client.exportInstance("fan-2", { move: true });
    expect(doc.descendants).toHaveLength(2);

    // A store that takes instances one at a time, and fails the second write once.
    let writes = 0;
    const flaky = new Proxy(createMemoryStore({ name: "worker" }), {
      get(target, prop) {
        if (prop === "importInstances") return undefined;
        if (prop === "importInstance") {
          return async (...args: Parameters<NonNullable<Store["importInstance"]>>) => {
            if (++writes === 2) throw new DurableError("StoreUnavailable", "the disk hiccupped");
            return target.importInstance!(...args);
          };
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const worker = memoryHost(flaky);
    expect((await refusal(worker.client.importInstance(doc))).message).toBe("the disk hiccupped");
    const [first, second] = doc.descendants!.map((d) => d.instance.instanceId);
    expect((await flaky.getInstance("fan-2"))!.runtimeStatus).toBe("Running"); // written, parents first
    expect(await flaky.getInstance(second!)).toBeUndefined();
    expect(await worker.client.importInstance(doc)).toBe("fan-2");
    const lengths = await Promise.all(["fan-2", first!, second!].map(async (id) => (await flaky.getHistory(id)).length));
    expect(await worker.client.importInstance(doc)).toBe("fan-2"); // again: nothing written
    expect(await Promise.all(["fan-2", first!, second!].map(async (id) => (await flaky.getHistory(id)).length))).toEqual(lengths);
    expect((await flaky.getHistory("fan-2")).filter((e) => e.EventType === "GenericEvent")).toHaveLength(1);
    await worker.drain();
    for (const id of [first!, second!]) await worker.client.raiseEvent(id, "Approval", "yes");
    await worker.drain();
    expect((await worker.client.getStatus("fan-2"))!.runtimeStatus).toBe("Completed");
  });

  it("moved out and imported back into the same runtime (over its tombstones, under a new root id), a tree goes on there", async () => {
    // The runtime still holds the executors it ran them with before the move: the imported rows must not pass for them.
    const host = memoryHost();
    await host.client.startNew(fan, { instanceId: "fan-6" });
    await host.drain();
    const doc = await host.client.exportInstance("fan-6", { move: true });
    expect(await host.client.importInstance(doc, { instanceId: "fan-7", onConflict: "replace" })).toBe("fan-7");
    await host.drain();
    for (const d of doc.descendants!) await host.client.raiseEvent(d.instance.instanceId, "Approval", "back");
    await host.drain();
    expect(await host.client.getStatus("fan-7")).toMatchObject({ runtimeStatus: "Completed", output: [{ approval: "back" }, { approval: "back" }] });
    expect(movedInfo((await host.store.getInstance("fan-6"))!)).not.toBeNull();
  });

  it("an import of a tree this host cannot run all of stores nothing", async () => {
    const tab = memoryHost();
    await tab.client.startNew(fan, { instanceId: "fan-3" });
    await tab.drain();
    const doc = await tab.client.exportInstance("fan-3", { move: true });
    const bare = createRuntime({ store: createMemoryStore(), logger: silent, orchestrators: [fan] });
    const error = await refusal(bare.client.importInstance(doc));
    expect(error.code).toBe("UnknownOrchestrator");
    expect(error.message).toContain("No orchestrator named 'HumanInteraction'");
    expect((await bare.store.listInstances({ limit: 10 })).items).toEqual([]);
  });

  it("renaming a root whose code names its sub-orchestrations after itself is refused; under its own id it imports", async () => {
    const tab = memoryHost();
    await tab.client.startNew(namesChild, { instanceId: "nc-1" });
    await tab.drain();
    const doc = await tab.client.exportInstance("nc-1", { move: true });
    expect(doc.descendants!.map((d) => d.instance.instanceId)).toEqual(["nc-1:approval"]);
    const worker = memoryHost();
    const error = await refusal(worker.client.importInstance(doc, { instanceId: "nc-2" }));
    expect(error.code).toBe("InvalidState");
    expect(error.message).toContain("no longer names its running sub-orchestration 'nc-1:approval'");
    expect((await worker.store.listInstances({ limit: 10 })).items).toEqual([]);
    expect(await worker.client.importInstance(doc)).toBe("nc-1");
  });

  it("a tree document is checked as a whole: every instance it moves is accounted for, each sub-orchestration names its parent, none is imported alone", async () => {
    const tab = memoryHost();
    await tab.client.startNew(fan, { instanceId: "fan-4" });
    await tab.drain();
    const doc = await tab.client.exportInstance("fan-4", { move: true });
    const worker = memoryHost();
    const cases: [string, (d: any) => unknown, RegExp][] = [
      ["a descendant left out", (d) => d.descendants.pop(), /'fan-4' waits for '[^']+'\. Imported, they would wait forever/],
      ["a descendant with another parent", (d) => (d.descendants[0].instance.parentInstanceId = "someone"), /descendants\[0\]\.instance\.parentInstanceId is "someone", not the ID of an instance listed before it/],
      ["a descendant of another execution", (d) => (d.descendants[1].history.find((e: any) => e.EventType === "ExecutionStarted").ParentInstance.OrchestrationInstance.ExecutionId = "x"), /descendants\[1\]: ExecutionStarted\.ParentInstance must name its parent 'fan-4'/],
      ["a descendant twice", (d) => d.descendants.push(d.descendants[0]), /descendants\[2\]\.instance\.instanceId "[^"]+" appears twice in the tree/],
      ["nested descendants", (d) => (d.descendants[0].descendants = []), /descendants\[0\]\.descendants must be absent/],
      ["a finished descendant", (d) => (d.descendants[0].instance.runtimeStatus = "Completed"), /descendants\[0\]\.instance\.runtimeStatus is Completed: a finished sub-orchestration is not moved/],
      ["a version 1 tree", (d) => (d.version = 1), /descendants belong to a tree's document, format version 2; this one says version 1/],
      ["a descendant's field", (d) => (d.descendants[1].inbox = "none"), /descendants\[1\]\.inbox must be an array of inbox messages/],
    ];
    for (const [what, change, message] of cases) {
      const bad = structuredClone(doc);
      change(bad);
      const error = await refusal(worker.client.importInstance(bad));
      expect([what, error.code]).toEqual([what, "InvalidArgument"]);
      expect(error.message, what).toMatch(message);
    }
    const alone = await refusal(worker.client.importInstance(doc.descendants![0]));
    expect(alone.message).toContain("is a sub-orchestration of 'fan-4', moved with its tree: import the document of the tree's root");
    expect((await worker.store.listInstances({ limit: 10 })).items).toEqual([]);
  });

  it("a tree whose document would be over the limit is refused before anything is sealed", async () => {
    const big = orchestrator("Big", function* (ctx) {
      const pad = "x".repeat(LIMITS.payloadBytes - 1000);
      return yield* Task.all(Array.from({ length: 24 }, (_, i) => ctx.callSubOrchestrator(humanInteraction, { timeoutSeconds: 3600, pad, i })));
    });
    const t = createTestRuntime({ orchestrators: [big, humanInteraction] });
    await t.start(big, { instanceId: "big-1" });
    const error = await refusal(t.client.exportInstance("big-1", { move: true }));
    expect(error.code).toBe("PayloadTooLarge");
    expect(error.message).toMatch(/'big-1' and the 24 running sub-orchestrations it waits for would be \d+(\.\d)? MiB of JSON together; a document holds at most 16 MiB\. Nothing was moved/);
    const rows = (await t.store.listInstances({ limit: 100 })).items;
    expect(rows).toHaveLength(25);
    expect(rows.every((r) => r.runtimeStatus === "Running")).toBe(true);
  });

  it("each instance of a tree document replays against the code (replayHistories, the CLI)", async () => {
    const tab = memoryHost();
    await tab.client.startNew(fan, { instanceId: "fan-5" });
    await tab.drain();
    const doc = await tab.client.exportInstance("fan-5", { move: true });
    const members = documentMembers(doc);
    expect(members.map((m) => m.instance.name)).toEqual(["Fan", "HumanInteraction", "HumanInteraction"]);
    expect(replayHistories(orchestrators, members).map((r) => r.ok)).toEqual([true, true, true]);
  });
});

describe("document validation: a clear error for every malformed or incompatible field, nothing stored", () => {
  let good: InstanceDocument;
  const fresh = async () => {
    const { tab } = hosts();
    const id = await tab.start(humanInteraction, { instanceId: "v-1" });
    await tab.advanceTime({ seconds: 1 });
    return tab.client.exportInstance(id, { move: true });
  };

  const cases: [string, (d: any) => void, RegExp][] = [
    ["not an object", (d) => Object.assign(d, { format: 1 }), /not a durable-edge instance document: format must be "durable-edge\/instance", got number 1/],
    ["a newer version", (d) => (d.version = INSTANCE_DOCUMENT_VERSION + 1), /format version 3, written by a newer durable-edge; this one reads version 2/],
    ["descendants in a version 1 document", (d) => (d.descendants = []), /descendants belong to a tree's document, format version 2; this one says version 1/],
    ["a bad version", (d) => (d.version = "1"), /version must be a positive integer/],
    ["exportedAt", (d) => (d.exportedAt = "yesterday"), /exportedAt must be an ISO time/],
    ["moved", (d) => (d.moved = "yes"), /moved must be true or false/],
    ["instance id", (d) => (d.instance.instanceId = "a/b"), /instance\.instanceId is not a valid instance ID/],
    ["runtime status", (d) => (d.instance.runtimeStatus = "Sleeping"), /instance\.runtimeStatus must be one of Pending, Running/],
    ["input JSON", (d) => (d.instance.input = "{not json"), /instance\.input must be JSON text/],
    ["historyLength", (d) => (d.instance.historyLength = 99), /instance\.historyLength is 99, but the history holds/],
    ["an event type", (d) => (d.history[1].EventType = "TaskExploded"), /history\[1\]\.EventType must be one of ExecutionStarted/],
    ["an event field", (d) => (d.history[1].Name = 42), /history\[1\]\.Name must be a non-empty string, got number 42/],
    ["a timestamp", (d) => (d.history[0].Timestamp = "noon"), /history\[0\]\.Timestamp must be a time in epoch milliseconds/],
    ["an inbox message of another instance", (d) => (d.inbox[0].instanceId = "other"), /inbox\[0\]\.instanceId must be the document's instance \("v-1"\)/],
    ["a duplicate message", (d) => d.inbox.push(d.inbox[0]), /inbox\[1\]\.id "[^"]+" appears twice/],
    ["an activity", (d) => d.activities.push({ id: "x" }), /activities\[0\]\.instanceId must be the document's instance; activities\[0\]\.executionId must be a non-empty string/],
    ["children", (d) => (d.children = null), /children must be an array/],
    ["the execution id", (d) => (d.instance.executionId = "elsewhere"), /ExecutionStarted\.OrchestrationInstance\.ExecutionId is "[^"]+", not the row's executionId "elsewhere"/],
  ];

  it.each(cases.map(([what, change, message]) => [what, change, message] as const))("%s", async (_what, change, message) => {
    good ??= await fresh();
    const doc = structuredClone(good);
    change(doc);
    const { worker } = hosts();
    const error = await refusal(worker.client.importInstance(doc));
    expect(error.code).toBe("InvalidArgument");
    expect(error.message.replace(/activities\[0\]\.instanceId must be the document's instance \("v-1"\), got missing/, "activities[0].instanceId must be the document's instance")).toMatch(message);
    expect(await worker.store.getInstance("v-1")).toBeUndefined();
  });

  it("lists every problem at once", () => {
    const doc = structuredClone(good) as any;
    doc.instance.name = "";
    doc.history[1].Input = 3;
    doc.inbox[0].visibleAt = null;
    const error = (() => {
      try {
        validateInstanceDocument(doc);
      } catch (e) {
        return e as DurableError;
      }
      throw new Error("accepted");
    })();
    expect(error.message).toContain("instance.name must be a non-empty string");
    expect(error.message).toContain("history[1].Input must be JSON text (a string) or null, got number 3");
    expect(error.message).toContain("inbox[0].visibleAt must be a time in epoch milliseconds");
  });

  it("values over the limits are PayloadTooLarge (413), and so is a document over MAX_DOCUMENT_BYTES", async () => {
    const { worker } = hosts();
    const big = structuredClone(good) as any;
    big.instance.customStatus = JSON.stringify("x".repeat(LIMITS.customStatusBytes + 10));
    let error = await refusal(worker.client.importInstance(big));
    expect(error.code).toBe("PayloadTooLarge");
    expect(error.message).toContain("instance.customStatus is 16 KiB of JSON; the limit is 16 KiB");
    const huge = structuredClone(good) as any;
    const pad = JSON.stringify("y".repeat(LIMITS.payloadBytes - 100));
    for (let i = 0; i < 70; i++) huge.history.push({ EventType: "GenericEvent", EventId: -1, Timestamp: 0, Data: pad });
    huge.instance.historyLength = huge.history.length;
    expect(JSON.stringify(huge).length).toBeGreaterThan(MAX_DOCUMENT_BYTES);
    error = await refusal(worker.client.importInstance(huge));
    expect(error.code).toBe("PayloadTooLarge");
    expect(error.message).toContain("the limit is 16 MiB");
    expect(await worker.store.getInstance("v-1")).toBeUndefined();
  });
});
