/** The runtime with the tutorial samples on the IndexedDB store (fake-indexeddb in Node). */
import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { beforeEach, describe, expect, it } from "vitest";
import { samples } from "../../examples/index.ts";
import { ManualClock } from "../../src/clock.ts";
import { createRuntime } from "../../src/runtime.ts";
import { createIndexedDbStore } from "./index.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {} };

let externalWritesSignalled = false;

function setup() {
  const clock = new ManualClock();
  const store = createIndexedDbStore({ indexedDB: new IDBFactory(), externalWritesSignalled });
  const runtime = createRuntime({ store, clock, ...samples, logger: silent });
  return { clock, store, runtime, client: runtime.client };
}

// With signalled writes (as the browser host runs it), claims are answered from memory between looks.
describe.each([false, true])("the runtime on IndexedDB (claims from memory: %s)", (signalled) => {
  beforeEach(() => {
    externalWritesSignalled = signalled;
  });

  it("runs the tutorial's orchestration to completion", async () => {
    const { runtime, client, store, clock } = setup();
    const id = await client.startNew("OrchestratorFunction");
    await runtime.drain();
    const status = await client.getStatus(id, { showHistory: true, showHistoryOutput: true });
    expect(status?.runtimeStatus).toBe("Completed");
    expect(status?.output).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
    expect(status!.historyEvents!.filter((e) => e.EventType === "TaskCompleted").map((e) => e.Result)).toEqual([
      "Hello Tokyo!",
      "Hello Seattle!",
      "Hello London!",
    ]);
    // Memory may name an early wake-up (the end of a lease since consumed); IndexedDB holds nothing due.
    expect((await store.nextWakeAt()) ?? Infinity).toBeGreaterThan(clock.now());
    store.invalidate();
    expect(await store.nextWakeAt()).toBeNull();
    await store.close();
  });

  it("steps many instances per transaction (group commit) and batches activity completions", async () => {
    const { runtime, client, store } = setup();
    const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => client.startNew("OrchestratorFunction", { instanceId: `hello-${i}` })));
    await runtime.drain();
    for (const id of ids) expect((await client.getStatus(id))?.output).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
    // 50 instances × 4 steps each; far fewer transactions than steps.
    expect(store.stats.commits).toBe(200);
    expect(store.stats.commitTransactions).toBeLessThanOrEqual(20);
    expect(store.stats.completions).toBe(150);
    // Write-behind: results wait in memory for the step that consumes them; none is stored alone.
    expect(store.stats.heldCompletions).toBe(150);
    expect(store.stats.completionTransactions).toBe(0);
    await store.close();
  });

  it("fan-out/fan-in of 300", async () => {
    const { runtime, client, store } = setup();
    const id = await client.startNew("FanOutFanIn", { input: { count: 300 } });
    await runtime.drain();
    const status = await client.getStatus(id, { showHistory: true });
    expect(status?.output).toEqual({ count: 300, sum: (300 * 301 * 601) / 6 });
    expect(status!.historyEvents!.filter((e) => e.EventType === "TaskCompleted")).toHaveLength(300);
    await store.close();
  });

  it("durable timers: human interaction times out; monitor continues as new", async () => {
    const { runtime, client, clock, store } = setup();
    const waiting = await client.startNew("HumanInteraction", { input: { timeoutSeconds: 60 } });
    const approved = await client.startNew("HumanInteraction", { input: { timeoutSeconds: 60 } });
    const monitor = await client.startNew("Monitor", { input: { intervalSeconds: 10, checksLeft: 2 } });
    await runtime.drain();
    expect(await store.nextWakeAt()).toBe(clock.now() + 10_000);
    await client.raiseEvent(approved, "Approval", { by: "ada" });
    for (let i = 0; i < 6; i++) {
      clock.advance(10_000);
      await runtime.drain();
    }
    expect((await client.getStatus(waiting))?.output).toEqual({ approved: false, timedOut: true });
    expect((await client.getStatus(approved))?.output).toEqual({ approved: true, approval: { by: "ada" } });
    expect((await client.getStatus(monitor, { showHistory: true }))?.historyEvents?.map((e) => e.EventType)).toEqual(["ExecutionStarted", "ExecutionCompleted"]);
    // Memory may name an early wake-up (the end of a lease since consumed); IndexedDB holds nothing due.
    expect((await store.nextWakeAt()) ?? Infinity).toBeGreaterThan(clock.now());
    store.invalidate();
    expect(await store.nextWakeAt()).toBeNull();
    await store.close();
  });

  it("runs on the system clock with start(), and a second store on the same database sees it all", async () => {
    const factory = new IDBFactory();
    const store = createIndexedDbStore({ name: "shared", indexedDB: factory });
    const runtime = createRuntime({ store, ...samples, logger: silent });
    runtime.start();
    try {
      const id = await runtime.client.startNew("OrchestratorFunction_Parallel");
      const status = await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
      expect(status.output).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
      const other = createIndexedDbStore({ name: "shared", indexedDB: factory });
      expect((await other.getInstance(id))?.runtimeStatus).toBe("Completed");
      await other.close();
    } finally {
      await runtime.stop();
      await store.close();
    }
  });
});
