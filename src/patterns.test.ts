/** The Durable Functions application patterns, end to end on the memory store with a manual clock. */
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../adapters/memory/index.ts";
import { samples } from "../examples/index.ts";
import { ManualClock } from "./clock.ts";
import { createRuntime } from "./runtime.ts";

function setup() {
  const clock = new ManualClock();
  const runtime = createRuntime({ store: createMemoryStore(), clock, ...samples, logger: silent });
  return { clock, runtime, client: runtime.client };
}
const silent = { debug() {}, info() {}, warn() {}, error() {} };

describe("the tutorial's orchestration", () => {
  it("says hello to Tokyo, Seattle and London in sequence", async () => {
    const { runtime, client } = setup();
    const id = await client.startNew("OrchestratorFunction");
    await runtime.drain();
    const status = await client.getStatus(id, { showHistory: true, showHistoryOutput: true });
    expect(status?.runtimeStatus).toBe("Completed");
    expect(status?.output).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
    const completions = status!.historyEvents!.filter((e) => e.EventType === "TaskCompleted");
    expect(completions.map((e) => [e.FunctionName, e.Result])).toEqual([
      ["OrchestratorFunction_Hello", "Hello Tokyo!"],
      ["OrchestratorFunction_Hello", "Hello Seattle!"],
      ["OrchestratorFunction_Hello", "Hello London!"],
    ]);
  });

  it("says hello in parallel", async () => {
    const { runtime, client } = setup();
    const id = await client.startNew("OrchestratorFunction_Parallel");
    await runtime.drain();
    expect((await client.getStatus(id))?.output).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
  });
});

describe("patterns", () => {
  it("fan-out/fan-in", async () => {
    const { runtime, client } = setup();
    const id = await client.startNew("FanOutFanIn", { input: { count: 100 } });
    await runtime.drain();
    expect((await client.getStatus(id))?.output).toEqual({ count: 100, sum: 338350 });
  });

  it("human interaction: approved before the timeout", async () => {
    const { runtime, client, clock } = setup();
    const id = await client.startNew("HumanInteraction", { input: { timeoutSeconds: 60 } });
    await runtime.drain();
    expect((await client.getStatus(id))?.runtimeStatus).toBe("Running");
    clock.advance(30_000);
    await client.raiseEvent(id, "Approval", { by: "ada" });
    await runtime.drain();
    const status = await client.getStatus(id);
    expect(status?.runtimeStatus).toBe("Completed");
    expect(status?.output).toEqual({ approved: true, approval: { by: "ada" } });
    expect(await runtime.store.nextWakeAt()).toBeNull(); // the losing timer was cancelled
  });

  it("human interaction: times out", async () => {
    const { runtime, client, clock } = setup();
    const id = await client.startNew("HumanInteraction", { input: { timeoutSeconds: 60 } });
    await runtime.drain();
    clock.advance(59_999);
    await runtime.drain();
    expect((await client.getStatus(id))?.runtimeStatus).toBe("Running");
    clock.advance(1);
    await runtime.drain();
    expect((await client.getStatus(id))?.output).toEqual({ approved: false, timedOut: true });
  });

  it("monitor with timers and continueAsNew keeps history short", async () => {
    const { runtime, client, clock } = setup();
    const id = await client.startNew("Monitor", { input: { intervalSeconds: 10, checksLeft: 3 } });
    await runtime.drain();
    for (let i = 0; i < 3; i++) {
      const status = await client.getStatus(id);
      expect(status?.runtimeStatus).toBe("Running");
      clock.advance(10_000);
      await runtime.drain();
    }
    const status = await client.getStatus(id, { showHistory: true });
    expect(status?.runtimeStatus).toBe("Completed");
    expect(status?.output).toEqual({ checks: 3 });
    expect(status?.historyEvents?.map((e) => e.EventType)).toEqual(["ExecutionStarted", "ExecutionCompleted"]);
  });
});
