/**
 * The runtime and client end to end on the memory store with a manual clock: management
 * operations, sub-orchestrations, leases, the live-executor cache, callHttp, and typed errors.
 */
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../adapters/memory/index.ts";
import { ManualClock } from "./clock.ts";
import { activity, orchestrator } from "./definitions.ts";
import { DurableError, type ErrorCode } from "./errors.ts";
import type { HistoryEvent } from "./history.ts";
import { createRuntime, type FetchLike, type RuntimeOptions } from "./runtime.ts";
import type { ClaimedActivity, Store } from "./store.ts";
import { Task } from "./task.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const sayHello = activity("SayHello", (city: string) => `Hello ${city}!`);

let flakyFailuresLeft = 0;
const flaky = activity("Flaky", (x: string) => {
  if (flakyFailuresLeft > 0) {
    flakyFailuresLeft--;
    throw new Error(`flaky failure for ${x}`);
  }
  return `ok ${x}`;
});

const helloCities = orchestrator("HelloCities", function* (ctx) {
  const out: string[] = [];
  for (const city of ["Tokyo", "Seattle", "London"]) out.push(yield* ctx.callActivity(sayHello, city));
  return out;
});
const waiter = orchestrator("Waiter", function* (ctx) {
  const a = yield* ctx.waitForExternalEvent<number>("Add");
  const b = yield* ctx.waitForExternalEvent<number>("Add");
  return a + b;
});
const child = orchestrator("Child", function* (ctx) {
  const n = ctx.getInput() as number;
  if (n < 0) throw new Error("negative");
  yield* ctx.waitForExternalEvent("Go");
  return n * 10;
});
const parent = orchestrator("Parent", function* (ctx) {
  const ids = ctx.getInput() as string[];
  return yield* Task.all(ids.map((id, i) => ctx.callSubOrchestrator<number>("Child", i + 1, id)));
});
const usesFlaky = orchestrator("UsesFlaky", function* (ctx) {
  const a = yield* ctx.callActivity(flaky, "a");
  const b = yield* ctx.callActivity(flaky, "b");
  return [a, b];
});
const delegating = orchestrator("Delegating", function* (ctx) {
  return yield* ctx.callSubOrchestrator<number>("Child", -1, "failing-child");
});
const sleeper = orchestrator("Sleeper", function* (ctx) {
  yield* ctx.createTimer(ctx.currentUtcDateTime.getTime() + 60_000);
  return "rested";
});
const rounds = orchestrator("Rounds", function* (ctx) {
  const round = (ctx.getInput() as number) ?? 0;
  if (round === 0) {
    yield* ctx.createTimer(ctx.currentUtcDateTime.getTime() + 1000); // events arriving now stay unconsumed
    ctx.continueAsNew(1, { preserveUnprocessedEvents: true });
    return undefined;
  }
  return yield* ctx.waitForExternalEvent<string>("Note");
});
const poller = orchestrator("Poller", function* (ctx) {
  const r = yield* ctx.callHttp({ method: "POST", url: "https://api.example/jobs", body: { job: 1 }, pollingIntervalMs: 2000 });
  return { status: r.statusCode, content: r.content };
});

function setup(extra: Partial<RuntimeOptions> = {}) {
  const clock = new ManualClock();
  const store = extra.store ?? createMemoryStore();
  const runtime = createRuntime({
    store,
    clock,
    logger: silent,
    orchestrators: [helloCities, waiter, child, parent, usesFlaky, delegating, sleeper, poller, rounds],
    activities: [sayHello, flaky],
    ...extra,
  });
  return { clock, runtime, client: runtime.client, store };
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<DurableError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(DurableError.is(error), `expected a DurableError ${code}, got ${String(error)}`).toBe(true);
  expect((error as DurableError).code).toBe(code);
  return error as DurableError;
}

const shape = (history: HistoryEvent[]) =>
  history.map((e) => [e.EventType, e.EventId, "Name" in e ? e.Name : "TaskScheduledId" in e ? e.TaskScheduledId : null]);

describe("client and runtime", () => {
  it("runs an instance from Pending to Completed and reports DF-shaped status", async () => {
    const { runtime, client } = setup();
    const id = await client.startNew("HelloCities", { instanceId: "hello-1", input: { from: "test" } });
    expect(id).toBe("hello-1");
    const pending = await client.getStatus(id);
    expect(pending).toEqual({
      name: "HelloCities",
      instanceId: "hello-1",
      runtimeStatus: "Pending",
      input: { from: "test" },
      customStatus: null,
      output: null,
      createdTime: "2026-01-01T00:00:00Z",
      lastUpdatedTime: "2026-01-01T00:00:00Z",
    });
    await runtime.drain();
    const done = await client.getStatus(id, { showHistory: true, showHistoryOutput: true, showInput: false });
    expect(done?.runtimeStatus).toBe("Completed");
    expect(done?.input).toBeNull();
    expect(done?.historyEvents?.map((e) => e.EventType)).toEqual(["ExecutionStarted", "TaskCompleted", "TaskCompleted", "TaskCompleted", "ExecutionCompleted"]);
    expect(done?.historyEvents?.[4]).toEqual({ EventType: "ExecutionCompleted", OrchestrationStatus: "Completed", Result: ["Hello Tokyo!", "Hello Seattle!", "Hello London!"], Timestamp: "2026-01-01T00:00:00Z" });
    expect(await client.getStatus("nope")).toBeUndefined();
  });

  it("generates 32-hex instance ids like Durable Functions", async () => {
    const { client } = setup();
    expect(await client.startNew("HelloCities")).toMatch(/^[0-9a-f]{32}$/);
  });

  it("delivers events raised before and after the orchestrator waits", async () => {
    const { runtime, client } = setup();
    const id = await client.startNew("Waiter");
    await client.raiseEvent(id, "add", 2); // before the first step: buffered, and names are case-insensitive
    await runtime.drain();
    expect((await client.getStatus(id))?.runtimeStatus).toBe("Running");
    await client.raiseEvent(id, "Add", 40);
    await runtime.drain();
    expect((await client.getStatus(id))?.output).toBe(42);
  });

  it("waitForCompletion resolves on completion and times out otherwise", async () => {
    const { runtime, client } = setup();
    runtime.start();
    const id = await client.startNew("HelloCities");
    expect((await client.waitForCompletion(id, { timeoutMs: 5000 })).output).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
    const stuck = await client.startNew("Waiter");
    await expectCode(client.waitForCompletion(stuck, { timeoutMs: 50, pollIntervalMs: 10 }), "Timeout");
    await runtime.stop();
  });

  it("suspends and resumes: results that arrive meanwhile are held, not lost", async () => {
    const { runtime, client } = setup();
    const id = await client.startNew("Waiter");
    await runtime.drain();
    await client.suspend(id, "maintenance");
    await runtime.drain();
    expect((await client.getStatus(id))?.runtimeStatus).toBe("Suspended");
    await expectCode(client.suspend(id), "InvalidState");
    await client.raiseEvent(id, "Add", 1);
    await client.raiseEvent(id, "Add", 2);
    await runtime.drain();
    expect((await client.getStatus(id))?.runtimeStatus).toBe("Suspended");
    await client.resume(id, "done");
    await runtime.drain();
    const status = await client.getStatus(id, { showHistory: true });
    expect(status?.output).toBe(3);
    expect(status?.historyEvents?.filter((e) => String(e.EventType).startsWith("Execution")).map((e) => [e.EventType, e.Reason ?? null])).toEqual([
      ["ExecutionStarted", null],
      ["ExecutionSuspended", "maintenance"],
      ["ExecutionResumed", "done"],
      ["ExecutionCompleted", null],
    ]);
    await expectCode(client.resume(id), "InstanceGone");
  });

  it("terminates an instance and cascades to its running sub-orchestrations", async () => {
    const { runtime, client } = setup();
    const id = await client.startNew("Parent", { input: ["kid-a", "kid-b"] });
    await runtime.drain();
    expect((await client.getStatus("kid-a"))?.runtimeStatus).toBe("Running");
    expect((await client.getStatus("kid-a"))?.customStatus).toBeNull();
    await client.terminate(id, "stop everything");
    await runtime.drain();
    const status = await client.getStatus(id);
    expect(status?.runtimeStatus).toBe("Terminated");
    expect(status?.output).toBe("stop everything");
    expect((await client.getStatus("kid-a"))?.runtimeStatus).toBe("Terminated");
    expect((await client.getStatus("kid-b"))?.runtimeStatus).toBe("Terminated");
    await expectCode(client.terminate(id), "InstanceGone");
    await expectCode(client.raiseEvent(id, "Go"), "InstanceGone");
  });

  it("runs sub-orchestrations and hands their results to the parent", async () => {
    const { runtime, client } = setup();
    const id = await client.startNew("Parent", { input: ["c1", "c2"] });
    await runtime.drain();
    await client.raiseEvent("c1", "Go");
    await client.raiseEvent("c2", "Go");
    await runtime.drain();
    expect((await client.getStatus(id))?.output).toEqual([10, 20]);
    const childHistory = await client.getHistory("c1");
    const started = childHistory.find((e) => e.EventType === "ExecutionStarted");
    expect(started?.EventType === "ExecutionStarted" && started.ParentInstance?.OrchestrationInstance.InstanceId).toBe(id);
  });

  it("refuses a sub-orchestration whose instance id is in use by a running instance", async () => {
    const { runtime, client } = setup();
    await client.startNew("Waiter", { instanceId: "taken" });
    const id = await client.startNew("Parent", { input: ["taken"] });
    await runtime.drain();
    const status = await client.getStatus(id);
    expect(status?.runtimeStatus).toBe("Failed");
    expect(String(status?.output)).toContain("already Running");
    expect((await client.getStatus("taken"))?.runtimeStatus).toBe("Running");
  });

  it("rewinds a failed instance: only what failed runs again", async () => {
    const { runtime, client } = setup();
    flakyFailuresLeft = 1;
    const id = await client.startNew("UsesFlaky");
    await runtime.drain();
    const failed = await client.getStatus(id);
    expect(failed?.runtimeStatus).toBe("Failed");
    expect(failed?.failureDetails?.ErrorMessage).toContain("flaky failure for a");
    await expectCode(client.rewind("nope"), "InstanceNotFound");
    await client.rewind(id, "fixed the dependency");
    await runtime.drain();
    const status = await client.getStatus(id, { showHistory: true });
    expect(status?.runtimeStatus).toBe("Completed");
    expect(status?.output).toEqual(["ok a", "ok b"]);
    expect(status?.historyEvents?.map((e) => e.EventType)).toEqual(["ExecutionStarted", "ExecutionRewound", "TaskCompleted", "TaskCompleted", "ExecutionCompleted"]);
    await expectCode(client.rewind(id), "InstanceGone");
  });

  it("rewinds through failed sub-orchestrations", async () => {
    const { runtime, client } = setup();
    const id = await client.startNew("Delegating");
    await runtime.drain();
    expect((await client.getStatus(id))?.runtimeStatus).toBe("Failed");
    expect((await client.getStatus("failing-child"))?.runtimeStatus).toBe("Failed");
    await client.rewind(id);
    await runtime.drain();
    // The child fails again (its input is still negative), and so does the parent: nothing hangs.
    expect((await client.getStatus("failing-child"))?.runtimeStatus).toBe("Failed");
    expect((await client.getStatus(id))?.runtimeStatus).toBe("Failed");
  });

  it("refuses to rewind an instance that has not failed", async () => {
    const { runtime, client } = setup();
    const id = await client.startNew("Waiter");
    await runtime.drain();
    await expectCode(client.rewind(id), "InvalidState");
  });

  it("restarts with a new id, or the same id once finished", async () => {
    const { runtime, client } = setup();
    const id = await client.startNew("HelloCities", { instanceId: "r1", input: 7 });
    await expectCode(client.restart(id, { restartWithNewInstanceId: false }), "InstanceStillRunning");
    await runtime.drain();
    const newId = await client.restart(id);
    expect(newId).not.toBe(id);
    expect((await client.getStatus(newId))?.input).toBe(7);
    const same = await client.restart(id, { restartWithNewInstanceId: false });
    expect(same).toBe(id);
    expect((await client.getStatus(id))?.runtimeStatus).toBe("Pending");
    await runtime.drain();
    expect((await client.getStatus(id))?.runtimeStatus).toBe("Completed");
  });

  it("purges one instance, or all finished ones matching a filter", async () => {
    const { runtime, client, clock } = setup();
    const a = await client.startNew("HelloCities", { instanceId: "p-a" });
    clock.advance(1000);
    await client.startNew("HelloCities", { instanceId: "p-b" });
    await client.startNew("Waiter", { instanceId: "p-running" });
    await runtime.drain();
    await expectCode(client.purge("p-running"), "InstanceStillRunning");
    expect(await client.purge(a)).toEqual({ instancesDeleted: 1 });
    expect(await client.purge(a)).toEqual({ instancesDeleted: 0 });
    expect(await client.getStatus(a)).toBeUndefined();
    expect(await client.purgeBy({ createdTimeFrom: 0 })).toEqual({ instancesDeleted: 1 });
    expect((await client.listInstances()).instances.map((s) => s.instanceId)).toEqual(["p-running"]);
  });

  it("lists instances with filters and continuation tokens", async () => {
    const { runtime, client, clock } = setup();
    for (let i = 0; i < 5; i++) {
      await client.startNew(i % 2 ? "Waiter" : "HelloCities", { instanceId: `job-${i}` });
      clock.advance(1000);
    }
    await client.startNew("HelloCities", { instanceId: "other" });
    await runtime.drain();
    const running = await client.listInstances({ runtimeStatus: ["Running"] });
    expect(running.instances.map((s) => s.instanceId)).toEqual(["job-1", "job-3"]);
    const page1 = await client.listInstances({ instanceIdPrefix: "job-", pageSize: 2 });
    expect(page1.instances.map((s) => s.instanceId)).toEqual(["job-0", "job-1"]);
    const page2 = await client.listInstances({ instanceIdPrefix: "job-", pageSize: 2, continuationToken: page1.continuationToken });
    const page3 = await client.listInstances({ instanceIdPrefix: "job-", pageSize: 2, continuationToken: page2.continuationToken });
    expect([...page2.instances, ...page3.instances].map((s) => s.instanceId)).toEqual(["job-2", "job-3", "job-4"]);
    expect(page3.continuationToken).toBeNull();
    const window = await client.listInstances({ createdTimeFrom: new Date(Date.UTC(2026, 0, 1, 0, 0, 1)), createdTimeTo: new Date(Date.UTC(2026, 0, 1, 0, 0, 2)) });
    expect(window.instances.map((s) => s.instanceId)).toEqual(["job-1", "job-2"]);
    await expectCode(client.listInstances({ continuationToken: "garbage" }), "InvalidArgument");
    await expectCode(client.listInstances({ pageSize: 0 }), "InvalidArgument");
    await expectCode(client.listInstances({ runtimeStatus: ["Sleeping" as never] }), "InvalidArgument");
  });

  it("fires durable timers when the clock reaches them", async () => {
    const { runtime, client, clock, store } = setup();
    const id = await client.startNew("Sleeper");
    await runtime.drain();
    expect(await store.nextWakeAt()).toBe(clock.now() + 60_000);
    clock.advance(59_000);
    await runtime.drain();
    expect((await client.getStatus(id))?.runtimeStatus).toBe("Running");
    clock.advance(1000);
    await runtime.drain();
    expect((await client.getStatus(id))?.output).toBe("rested");
  });

  it("continueAsNew carries unprocessed events over when asked", async () => {
    const { runtime, client, clock } = setup();
    const id = await client.startNew("Rounds", { input: 0 });
    await runtime.drain();
    await client.raiseEvent(id, "Note", "kept");
    await runtime.drain();
    clock.advance(1000);
    await runtime.drain();
    const status = await client.getStatus(id, { showHistory: true });
    expect(status?.output).toBe("kept");
    expect(status?.historyEvents?.map((e) => e.EventType)).toEqual(["ExecutionStarted", "EventRaised", "ExecutionCompleted"]);
  });

  it("keeps running after the store fails for a moment", async () => {
    const store = createMemoryStore();
    let failures = 1;
    const flakyStore: Store = {
      ...bind(store),
      async commitSteps(commits) {
        if (failures-- > 0) throw new DurableError("StoreUnavailable", "the disk hiccuped");
        return store.commitSteps(commits);
      },
    };
    const errors: unknown[] = [];
    const runtime = createRuntime({ store: flakyStore, orchestrators: [helloCities], activities: [sayHello], logger: { ...silent, error: (...args: unknown[]) => errors.push(args) } });
    runtime.start();
    const id = await runtime.client.startNew("HelloCities");
    const status = await runtime.client.waitForCompletion(id, { timeoutMs: 10_000, pollIntervalMs: 50 });
    await runtime.stop();
    expect(status.runtimeStatus).toBe("Completed");
    expect(errors).toHaveLength(1);
  });

  it("callHttp follows 202 + Location polling on durable timers", async () => {
    const requests: { method: string; url: string; body?: string }[] = [];
    let polls = 0;
    const fetch: FetchLike = async (url, init) => {
      requests.push({ method: init.method, url, ...(init.body ? { body: init.body } : {}) });
      const headers = (h: Record<string, string>) => ({ forEach: (cb: (v: string, k: string) => void) => Object.entries(h).forEach(([k, v]) => cb(v, k)) });
      if (url.endsWith("/jobs")) return { status: 202, text: async () => "", headers: headers({ location: "/jobs/1", "retry-after": "5" }) };
      polls++;
      if (polls < 2) return { status: 202, text: async () => "", headers: headers({ location: "/jobs/1" }) };
      return { status: 200, text: async () => "done", headers: headers({ "content-type": "text/plain" }) };
    };
    const { runtime, client, clock } = setup({ fetch });
    const id = await client.startNew("Poller");
    await runtime.drain();
    expect(requests).toEqual([{ method: "POST", url: "https://api.example/jobs", body: '{"job":1}' }]);
    clock.advance(5000); // Retry-After: 5
    await runtime.drain();
    expect(requests[1]).toEqual({ method: "GET", url: "https://api.example/jobs/1" });
    clock.advance(2000); // no Retry-After: the polling interval
    await runtime.drain();
    expect((await client.getStatus(id))?.output).toEqual({ status: 200, content: "done" });
  });
});

describe("at-least-once work", () => {
  it("retries an activity whose worker died once its lease expires, and drops the late result", async () => {
    const clock = new ManualClock();
    const store = createMemoryStore();
    const lost: ClaimedActivity[] = [];
    // Runtime A claims activities and "crashes": it never completes them.
    const a = createRuntime({ store, clock, logger: silent, leaseMs: 10_000, orchestrators: [helloCities], activities: [sayHello], dispatchActivity: async (item) => void lost.push(item) });
    const id = await a.client.startNew("HelloCities");
    await a.drain();
    expect(lost).toHaveLength(1);
    const b = createRuntime({ store, clock, logger: silent, leaseMs: 10_000, orchestrators: [helloCities], activities: [sayHello] });
    await b.drain();
    expect((await b.client.getStatus(id))?.runtimeStatus).toBe("Running"); // still leased by A
    clock.advance(10_000);
    await b.drain();
    expect((await b.client.getStatus(id))?.output).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
    // A comes back and reports the first activity: its lease is gone, so the result is dropped.
    const late = { id: `${lost[0]!.id}|result`, instanceId: id, executionId: lost[0]!.executionId, visibleAt: clock.now(), event: { EventType: "TaskCompleted", EventId: -1, Timestamp: clock.now(), TaskScheduledId: 0, Result: '"stale"' } as HistoryEvent };
    expect(await store.completeActivity(lost[0]!, late)).toBe(false);
    const history = await store.getHistory(id);
    expect(history.filter((e) => e.EventType === "TaskCompleted")).toHaveLength(3);
  });

  it("an activity run in-process that would outlast its lease fails with a Timeout before the lease runs out, once, instead of running again and again", async () => {
    let runs = 0;
    const stuck = activity("Stuck", () => {
      runs++;
      return new Promise<never>(() => undefined);
    });
    const waitsOnStuck = orchestrator("WaitsOnStuck", function* (ctx) {
      return yield* ctx.callActivity(stuck, null);
    });
    const { runtime, client, store } = setup({ leaseMs: 200, orchestrators: [waitsOnStuck], activities: [stuck] });
    const id = await client.startNew("WaitsOnStuck");
    await runtime.drain(); // returns once the activity was given up on and its failure stepped
    const status = await client.getStatus(id);
    expect(status?.runtimeStatus).toBe("Failed");
    expect(JSON.stringify(status?.output)).toMatch(/Activity 'Stuck' ran longer than \d+ ms.*allow longer ones with a longer leaseMs/);
    expect(runs).toBe(1);
    const failed = (await store.getHistory(id)).filter((e) => e.EventType === "TaskFailed");
    expect(failed).toHaveLength(1);
  });

  it("records the results of activities that return at once together: one completeActivities call, else each at once, and a failing batch loses none", async () => {
    const fanOut = orchestrator("FanOutHello", function* (ctx) {
      return yield* Task.all(["Tokyo", "Seattle", "London", "Oslo"].map((city) => ctx.callActivity(sayHello, city)));
    });
    const hello = ["Hello Tokyo!", "Hello Seattle!", "Hello London!", "Hello Oslo!"];
    /** The memory store, counting calls, with completeActivities as given. */
    const counted = (completeActivities: "batch" | "none" | "fails") => {
      const inner = createMemoryStore();
      const calls = { batches: [] as number[], singles: 0 };
      const overrides: { [K in keyof Store]?: Store[K] | undefined } = {
        completeActivity: (activity, result) => {
          calls.singles++;
          return inner.completeActivity(activity, result);
        },
        completeActivities:
          completeActivities === "none"
            ? undefined
            : async (results) => {
                calls.batches.push(results.length);
                if (completeActivities === "fails") throw new DurableError("PayloadTooLarge", "one result is too large for this store");
                return inner.completeActivities!(results);
              },
      };
      const store = new Proxy(inner, {
        get: (target, key) => {
          if (key in overrides) return overrides[key as keyof Store];
          const value = Reflect.get(target, key) as unknown;
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      return { store, calls };
    };
    for (const mode of ["batch", "none", "fails"] as const) {
      const { store, calls } = counted(mode);
      const runtime = createRuntime({ store, logger: silent, orchestrators: [fanOut], activities: [sayHello] });
      const id = await runtime.client.startNew("FanOutHello");
      await runtime.drain();
      expect((await runtime.client.getStatus(id))?.output).toEqual(hello);
      expect((await store.getHistory(id)).filter((e) => e.EventType === "TaskCompleted")).toHaveLength(4);
      if (mode === "batch") expect(calls).toEqual({ batches: [4], singles: 0 });
      if (mode === "none") expect(calls).toEqual({ batches: [], singles: 4 });
      if (mode === "fails") expect(calls).toEqual({ batches: [4], singles: 4 }); // then each on its own
    }
  });

  it("runDue steps what is due and returns while dispatched activities still run; their results step on later", async () => {
    const dispatched: ClaimedActivity[] = [];
    const finish: (() => void)[] = [];
    // A host whose dispatch stays pending until the activity is done, as the Worker's does.
    const { runtime, client, store, clock } = setup({
      dispatchActivity: (item) => {
        dispatched.push(item);
        return new Promise<void>((resolve) => finish.push(resolve));
      },
    });
    const id = await client.startNew("HelloCities");
    await runtime.runDue();
    expect(dispatched.map((a) => a.name)).toEqual(["SayHello"]);
    expect((await client.getStatus(id))?.runtimeStatus).toBe("Running");
    // The result arrives on its own (the runner reports it), then the host asks for what is due.
    const a = dispatched[0]!;
    const result = { id: `${a.id}|result`, instanceId: id, executionId: a.executionId, visibleAt: clock.now(), event: { EventType: "TaskCompleted", EventId: -1, Timestamp: clock.now(), TaskScheduledId: a.taskId, Result: '"Hello Tokyo!"' } as HistoryEvent };
    expect(await store.completeActivity(a, result)).toBe(true);
    finish.shift()!();
    await runtime.runDue();
    expect(dispatched.map((x) => x.input)).toEqual(['"Tokyo"', '"Seattle"']);
    expect((await store.getHistory(id)).filter((e) => e.EventType === "TaskCompleted")).toHaveLength(1);
  });

  it("replays from cold exactly as the live cache runs (same history)", async () => {
    const run = async (cacheSize: number) => {
      const { runtime, client, clock } = setup({ cacheSize });
      const id = await client.startNew("Parent", { input: ["x", "y"] });
      await runtime.drain();
      await client.raiseEvent("x", "Go");
      await runtime.drain();
      clock.advance(1);
      await client.raiseEvent("y", "Go");
      await runtime.drain();
      return { status: await client.getStatus(id), history: await runtime.store.getHistory(id) };
    };
    const live = await run(100);
    const cold = await run(0);
    expect(cold.status?.output).toEqual([10, 20]);
    expect(shape(cold.history)).toEqual(shape(live.history));
  });

  it("a conflicting writer forces a reload and replay, never a lost or doubled event", async () => {
    const store = createMemoryStore();
    let interfere = true;
    // A store wrapper that lets another writer bump the row just before our commit, once.
    const racy: Store = {
      ...bind(store),
      async commitSteps(commits) {
        if (interfere && commits.some((c) => c.instanceId === "race")) {
          interfere = false;
          const row = (await store.getInstance("race"))!;
          await store.commitSteps([{ instanceId: "race", expectedEtag: row.etag, instance: { ...row, etag: row.etag + 1 }, history: { mode: "append", events: [] }, deleteMessageIds: [], dropExecution: null, messages: [], activities: [] }]);
        }
        return store.commitSteps(commits);
      },
    };
    const { runtime, client } = setup({ store: racy });
    await client.startNew("HelloCities", { instanceId: "race" });
    await runtime.drain();
    expect(interfere).toBe(false); // the other writer did get in
    const history = await store.getHistory("race");
    expect(history.filter((e) => e.EventType === "TaskScheduled")).toHaveLength(3);
    expect(history.filter((e) => e.EventType === "ExecutionStarted")).toHaveLength(1);
    expect((await client.getStatus("race"))?.output).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
  });
});

describe("refused calls are typed and change nothing", () => {
  it("bad instance ids", async () => {
    const { client, store } = setup();
    for (const bad of ["", "   ", "x".repeat(257), "@entity", "a/b", "a\\b", "a#b", "a?b", "tab\there", "nul\u0000"]) {
      const error = await expectCode(client.startNew("HelloCities", { instanceId: bad }), "InvalidInstanceId");
      expect(error.message).toContain("not valid");
    }
    await client.startNew("HelloCities", { instanceId: "x".repeat(256) }); // the limit itself is fine
    expect((await store.listInstances({ limit: 100 })).items).toHaveLength(1);
  });

  it("inputs that JSON cannot carry", async () => {
    const { client, store } = setup();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const input of [() => 1, 10n, cyclic, { n: NaN }, new Map(), { nested: [Symbol("s")] }]) {
      const error = await expectCode(client.startNew("HelloCities", { input }), "InvalidInput");
      expect(error.message).toMatch(/JSON-serializable/);
    }
    expect((await store.listInstances({ limit: 100 })).items).toHaveLength(0);
    const ok = await client.startNew("HelloCities", { input: { when: new Date(0), list: [1, "two", null] } });
    expect((await client.getStatus(ok))?.input).toEqual({ when: "1970-01-01T00:00:00.000Z", list: [1, "two", null] });
  });

  it("unknown orchestrators, duplicate running ids, unknown and finished instances", async () => {
    const { runtime, client } = setup();
    await expectCode(client.startNew("Nope"), "UnknownOrchestrator");
    const id = await client.startNew("Waiter", { instanceId: "dup" });
    const dupError = await expectCode(client.startNew("HelloCities", { instanceId: "dup" }), "InstanceAlreadyExists");
    expect(dupError.message).toContain("already exists");
    expect((await client.getStatus(id))?.name).toBe("Waiter");
    for (const call of [client.raiseEvent("ghost", "E"), client.terminate("ghost"), client.suspend("ghost"), client.resume("ghost"), client.rewind("ghost"), client.restart("ghost")]) {
      await expectCode(call, "InstanceNotFound");
    }
    await expectCode(client.raiseEvent(id, ""), "InvalidArgument");
    await expectCode(client.raiseEvent(id, "E", () => 1), "InvalidInput");
    await expectCode(client.resume(id), "InvalidState");
    await runtime.drain();
    expect(await client.getHistory(id)).toHaveLength(3); // OrchestratorStarted, ExecutionStarted, OrchestratorCompleted
  });

  it("an unregistered activity fails the instance instead of leaving it Running", async () => {
    const calls = orchestrator("CallsGhost", function* (ctx) {
      return yield* ctx.callActivity("GhostActivity", 1);
    });
    const { runtime, client } = setup({ orchestrators: [calls] });
    const id = await client.startNew("CallsGhost");
    await runtime.drain();
    const status = await client.getStatus(id);
    expect(status?.runtimeStatus).toBe("Failed");
    expect(status?.failureDetails?.ErrorMessage).toContain("No activity named 'GhostActivity'");
  });
});

function bind(store: Store): Store {
  return {
    createInstance: store.createInstance.bind(store),
    getInstance: store.getInstance.bind(store),
    getHistory: store.getHistory.bind(store),
    loadSteps: store.loadSteps.bind(store),
    commitSteps: store.commitSteps.bind(store),
    appendMessages: store.appendMessages.bind(store),
    claimWork: store.claimWork.bind(store),
    completeActivity: store.completeActivity.bind(store),
    nextWakeAt: store.nextWakeAt.bind(store),
    listInstances: store.listInstances.bind(store),
    purgeInstance: store.purgeInstance.bind(store),
    close: store.close.bind(store),
  };
}
