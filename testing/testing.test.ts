/** durable-edge/testing: the test runtime skips time, runs to completion, explains stuck instances, reads history. */
import { describe, expect, it } from "vitest";
import { activity, DurableError, orchestrator, RetryOptions, TaskFailedError, type OrchestrationContext } from "../src/index.ts";
import { humanInteraction } from "../examples/human-interaction.ts";
import { checkStatus, monitor } from "../examples/monitor.ts";
import { createTestRuntime, InstanceBlockedError, mockActivity, TimeSkipLimitError, type TypedStatus } from "./index.ts";

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1);
const silent = { debug() {}, info() {}, warn() {}, error() {} };

const sendReminder = activity("SendReminder", (to: string) => `reminded ${to}`);

/** Waits 30 days, then sends a reminder. */
const reminder = orchestrator("Reminder", function* (ctx: OrchestrationContext<{ to: string; days: number }>) {
  const { to, days } = ctx.getInput();
  yield* ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + days * DAY));
  const sent = yield* ctx.callActivity(sendReminder, to);
  return { sent, at: ctx.currentUtcDateTime.toISOString() };
});

/** Three daily timers in a row, noting when each step ran. */
const daily = orchestrator("Daily", function* (ctx) {
  const seen: string[] = [];
  for (let i = 0; i < 3; i++) {
    yield* ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + DAY));
    seen.push(ctx.currentUtcDateTime.toISOString());
  }
  return seen;
});

/** Waits for `Approval` with no timeout. */
const waitsForever = orchestrator("WaitsForever", function* (ctx) {
  const approval = yield* ctx.waitForExternalEvent<{ by: string }>("Approval");
  return approval.by;
});

const parent = orchestrator("Parent", function* (ctx) {
  return yield* ctx.callSubOrchestrator(waitsForever, undefined, "child-1");
});

/** Checks forever, every minute. */
const eternal = orchestrator("Eternal", function* (ctx) {
  yield* ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 60_000));
  ctx.continueAsNew(null);
  return undefined;
});

const fetchWeather = activity("FetchWeather", async (city: string): Promise<{ city: string; temp: number }> => {
  throw new Error(`the real FetchWeather ran for ${city}; tests must not reach the network`);
});
const flaky = activity("Flaky", (n: number) => {
  if (n < 0) throw new Error("negative");
  return n * 2;
});

const pipeline = orchestrator("Pipeline", function* (ctx) {
  const weather = yield* ctx.callActivity(fetchWeather, "Oslo");
  const doubled = yield* ctx.callActivity(flaky, weather.temp);
  let failed = "";
  try {
    yield* ctx.callActivity(flaky, -1);
  } catch (error) {
    failed = error instanceof TaskFailedError ? error.failureDetails.ErrorMessage : "not a TaskFailedError";
  }
  const approval = ctx.waitForExternalEvent("Go", { timeoutMs: 60_000, defaultValue: "late" });
  const go = yield* approval;
  yield* ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 2 * 3_600_000));
  const retried = yield* ctx.callActivityWithRetry(flaky, new RetryOptions(10 * 60_000, 2), 1);
  return { weather, doubled, failed, go, retried };
});

function setup(extra: Parameters<typeof createTestRuntime>[0] = {}) {
  return createTestRuntime({
    orchestrators: [reminder, daily, waitsForever, parent, eternal, pipeline, humanInteraction, monitor],
    activities: [sendReminder, fetchWeather, flaky, checkStatus],
    mocks: [mockActivity(fetchWeather, (city) => ({ city, temp: 21 }))],
    logger: silent,
    ...extra,
  });
}

describe("skipping time", () => {
  it("fires a 30-day timer when the test advances 30 days, without waiting", async () => {
    const t = setup();
    const realStart = Date.now();
    const id = await t.start(reminder, { input: { to: "ada@example.com", days: 30 } });
    expect((await t.status(id)).runtimeStatus).toBe("Running");
    expect(await t.waitingFor(id)).toEqual([{ kind: "timer", fireAt: new Date(START + 30 * DAY) }]);

    await t.advanceTime({ days: 29, hours: 23, minutes: 59, seconds: 59 });
    expect((await t.status(id)).runtimeStatus).toBe("Running");
    expect((await t.getHistory(id)).activityNames()).toEqual([]);

    await t.advanceTime(1000);
    const status = await t.status(id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toEqual({ sent: "reminded ada@example.com", at: new Date(START + 30 * DAY).toISOString() });
    expect(t.now()).toEqual(new Date(START + 30 * DAY));
    expect(Date.now() - realStart).toBeLessThan(5000);
  });

  it("fires the timers that come due on the way one by one, each at its own time", async () => {
    const t = setup();
    const id = await t.start(daily);
    await t.advanceTime({ days: 3 });
    const status = await t.status(id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toEqual([1, 2, 3].map((d) => new Date(START + d * DAY).toISOString()));
    expect((await t.getHistory(id)).timers().map((timer) => timer.fireAt.getTime() - START)).toEqual([DAY, 2 * DAY, 3 * DAY]);
  });

  it("advanceTimeTo moves to a point in time; runUntilIdle runs only what is due", async () => {
    const t = setup({ start: new Date("2030-06-01T00:00:00Z") });
    const id = await t.client.startNew(reminder, { input: { to: "bob", days: 1 } });
    expect((await t.status(id)).runtimeStatus).toBe("Pending"); // nothing runs by itself
    await t.runUntilIdle();
    expect((await t.status(id)).runtimeStatus).toBe("Running");
    await t.advanceTimeTo(new Date("2030-06-02T00:00:00Z"));
    expect((await t.status(id)).runtimeStatus).toBe("Completed");
  });

  it("refuses to move the clock backwards, and misspelt durations", async () => {
    const t = setup();
    await t.advanceTime({ hours: 1 });
    await expect(t.advanceTime(-1)).rejects.toThrow(/negative \(-1 ms\): the test clock only moves forward/);
    await expect(t.advanceTimeTo(START)).rejects.toThrow(/2026-01-01T00:00:00.000Z is 1 h before the test clock \(2026-01-01T01:00:00.000Z\); the clock only moves forward/);
    await expect(t.advanceTime({ day: 1 } as never)).rejects.toThrow(/unknown part 'day'; use weeks, days, hours/);
    await expect(t.advanceTime(Number.NaN)).rejects.toThrow(RangeError);
    expect(t.now()).toEqual(new Date(START + 3_600_000));
  });

  it("stops advancing after maxWakeUps when something keeps scheduling timers", async () => {
    const t = setup({ maxWakeUps: 50 });
    const id = await t.start(eternal);
    const error = await t.advanceTime({ days: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeSkipLimitError);
    expect((error as TimeSkipLimitError).reason).toBe("maxWakeUps");
    expect((error as Error).message).toMatch(/stopped after 50 wake-ups at 2026-01-01T00:50:00.000Z/);
    expect((error as Error).message).toContain(`'${id}' (Eternal)`);
    await t.advanceTime({ minutes: 30 }, { maxWakeUps: 100 }); // a bound per call
    expect(t.now()).toEqual(new Date(START + 80 * 60_000));
  });
});

describe("a monitor with continueAsNew", () => {
  it("loops on its timer, a new execution each time, and completes", async () => {
    const t = setup();
    const id = await t.start(monitor, { input: { intervalSeconds: 10, checksLeft: 3 } });
    expect((await t.status(id)).customStatus).toEqual({ lastCheck: { check: 1, healthy: true }, checksLeft: 2 });
    await t.advanceTime({ seconds: 10 });
    expect((await t.status(id)).customStatus).toEqual({ lastCheck: { check: 2, healthy: true }, checksLeft: 1 });
    expect((await t.status(id)).input).toEqual({ intervalSeconds: 10, checksLeft: 2, checks: 1 });

    const done = await t.runToCompletion(id);
    expect(done.runtimeStatus).toBe("Completed");
    expect(done.output).toEqual({ checks: 3 });
    expect(t.now()).toEqual(new Date(START + 30_000));
    const transitions = t.transitions(id);
    expect(transitions.filter((s) => s.runtimeStatus === "ContinuedAsNew")).toHaveLength(3);
    expect(new Set(transitions.map((s) => s.executionId)).size).toBe(4);
    // The history is the last execution's alone: no activity, no timer.
    expect((await t.getHistory(id)).eventTypes()).toEqual(["ExecutionStarted", "ExecutionCompleted"]);
  });
});

describe("human interaction: an event raced against a timeout", () => {
  it("event path: the approval wins and the timer is cancelled", async () => {
    const t = setup();
    const id = await t.start(humanInteraction, { input: { timeoutSeconds: 3600 } });
    expect(await t.waitingFor(id)).toEqual([
      { kind: "event", name: "Approval" },
      { kind: "timer", fireAt: new Date(START + 3_600_000) },
    ]);
    await t.advanceTime({ minutes: 30 });
    await t.raiseEvent(id, "Approval", { by: "ada" });
    const status = await t.status(id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toEqual({ approved: true, approval: { by: "ada" } });
    expect(await t.store.nextWakeAt()).toBeNull(); // nothing left: the timer is gone
    const history = await t.getHistory(id);
    expect(history.raisedEvents()).toEqual([{ name: "Approval", input: { by: "ada" }, receivedAt: new Date(START + 30 * 60_000) }]);
    expect(history.timers()).toEqual([{ timerId: 0, createdAt: new Date(START), fireAt: new Date(START + 3_600_000), fired: false }]);
  });

  it("timeout path: with no approval, it times out after exactly the timeout", async () => {
    const t = setup();
    const id = await t.start(humanInteraction, { input: { timeoutSeconds: 3600 } });
    await t.advanceTime({ minutes: 59, seconds: 59 });
    expect((await t.status(id)).runtimeStatus).toBe("Running");
    const done = await t.runToCompletion(id);
    expect(done.output).toEqual({ approved: false, timedOut: true });
    expect(done.customStatus).toEqual({ approved: false, timedOut: true });
    expect(t.now()).toEqual(new Date(START + 3_600_000));
    expect((await t.getHistory(id)).timers()[0]?.fired).toBe(true);
    await expect(t.raiseEvent(id, "Approval", {})).rejects.toThrow(/it is Completed/);
  });
});

describe("running to completion", () => {
  it("skips time through activities, an event timeout, a timer and retries; typed output", async () => {
    const t = setup();
    const realStart = Date.now();
    const status = await t.run(pipeline);
    expect(status.runtimeStatus).toBe("Completed");
    if (status.runtimeStatus !== "Completed") return;
    const output: { weather: { city: string; temp: number }; doubled: number; failed: string; go: string; retried: number } = status.output;
    expect(output).toEqual({ weather: { city: "Oslo", temp: 21 }, doubled: 42, failed: "negative", go: "late", retried: 2 });
    expect(t.now()).toEqual(new Date(START + 60_000 + 2 * 3_600_000)); // the event timeout, then the two-hour timer
    expect(Date.now() - realStart).toBeLessThan(5000);
  });

  it("returns a Failed instance's status with its failure", async () => {
    const boom = orchestrator("Boom", function* (ctx) {
      yield* ctx.createTimer(ctx.currentUtcDateTime.getTime() + DAY);
      throw new TypeError("exploded after a day");
    });
    const t = createTestRuntime({ orchestrators: [boom], logger: silent });
    const status = await t.run(boom);
    expect(status.runtimeStatus).toBe("Failed");
    if (status.runtimeStatus === "Failed") expect(status.failureDetails).toMatchObject({ ErrorType: "TypeError", ErrorMessage: "exploded after a day" });
    const error = await t.waitForStatus(status.instanceId, "Completed").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InstanceBlockedError);
    expect((error as Error).message).toMatch(/never became Completed: it finished as Failed \(TypeError: exploded after a day\)/);
  });

  it("fails past `within`, and gives up on an eternal orchestration after maxWakeUps", async () => {
    const t = setup();
    const id = await t.start(reminder, { input: { to: "x", days: 30 } });
    const late = await t.runToCompletion(id, { within: { days: 7 } }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(TimeSkipLimitError);
    expect((late as TimeSkipLimitError).reason).toBe("within");
    expect((late as Error).message).toMatch(/did not finish within 7 d .*waits for a timer due at 2026-01-31T00:00:00.000Z/);
    expect(t.now()).toEqual(new Date(START + 7 * DAY));

    const loop = await t.start(eternal);
    const error = await t.runToCompletion(loop, { maxWakeUps: 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeSkipLimitError);
    expect((error as Error).message).toMatch(/gave up after 20 wake-ups/);
    expect((error as Error).message).toMatch(/still Running, waiting for a timer due at/);
  });

  it("waitForStatus waits for a status or a predicate, skipping time", async () => {
    const t = setup();
    const id = await t.start(monitor, { input: { intervalSeconds: 60, checksLeft: 5 } });
    const third = await t.waitForStatus(id, (s) => (s.input as { checks?: number } | null)?.checks === 3);
    expect(third.customStatus).toEqual({ lastCheck: { check: 4, healthy: true }, checksLeft: 1 });
    expect(t.now()).toEqual(new Date(START + 3 * 60_000));
    const completed: TypedStatus<unknown, unknown, "Completed"> = await t.waitForStatus(id, "Completed");
    expect(completed.output).toEqual({ checks: 5 });
    await expect(t.waitForStatus(id, "Running")).rejects.toThrow(/never became Running: it finished as Completed/);
    await expect(t.waitForStatus(id, "completed" as never)).rejects.toThrow(/unknown runtime status 'completed'/);
    await expect(t.waitForStatus(id, "ContinuedAsNew")).rejects.toThrow(/only inside one step/);
    await expect(t.status("nope")).rejects.toThrow(/No instance with ID 'nope' exists/);
  });
});

describe("an instance that waits forever", () => {
  it("runToCompletion throws InstanceBlockedError saying it waits for the event, and its status", async () => {
    const t = setup();
    const id = await t.start(waitsForever, { instanceId: "w1" });
    const error = await t.runToCompletion(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InstanceBlockedError);
    const blocked = error as InstanceBlockedError;
    expect(blocked.message).toBe(
      "Instance 'w1' (WaitsForever) did not finish: it is Running and nothing is left to run (no timer, activity or message will ever be due); " +
        "it waits for the external event 'Approval'. To go on, raise it first: t.raiseEvent('w1', 'Approval', data).",
    );
    expect(blocked.status.runtimeStatus).toBe("Running");
    expect(blocked.waitingFor).toEqual([{ kind: "event", name: "Approval" }]);
    expect(t.now()).toEqual(new Date(START)); // no time was skipped for nothing

    await t.raiseEvent(id, "approval", { by: "ada" }); // names match case-insensitively
    expect((await t.runToCompletion(id)).output).toBe("ada");
  });

  it("says what a sub-orchestration waits for, and when an instance is suspended", async () => {
    const t = setup();
    const id = await t.start(parent, { instanceId: "p1" });
    await expect(t.runToCompletion(id)).rejects.toThrow(
      "it waits for the sub-orchestration 'WaitsForever' (instance 'child-1'), which is Running and waits for the external event 'Approval'",
    );
    await t.client.suspend("child-1", "paused");
    await t.runUntilIdle();
    await t.raiseEvent("child-1", "Approval", { by: "bob" });
    const error = await t.waitForStatus("child-1", "Completed").catch((e: unknown) => e);
    expect((error as InstanceBlockedError).waitingFor).toEqual([{ kind: "resume" }]);
    expect((error as Error).message).toMatch(/never became Completed: it is Suspended .* it waits for being resumed \(it is suspended\)\. To go on, resume it first: t\.client\.resume\('child-1'\)/);
    await t.client.resume("child-1");
    expect((await t.runToCompletion(id)).output).toBe("bob");
  });
});

describe("history helpers", () => {
  it("lists the activities called in order, with inputs and outcomes, the timers, events and sub-orchestrations", async () => {
    const t = setup();
    const id = await t.start(pipeline);
    await t.raiseEvent(id, "Go", "now");
    await t.runToCompletion(id);
    const history = await t.getHistory(id);
    expect(history.activityNames()).toEqual(["FetchWeather", "Flaky", "Flaky", "Flaky"]);
    expect(history.activityCalls().map(({ name, input, outcome, result, failure }) => ({ name, input, outcome, result, error: failure?.ErrorMessage }))).toEqual([
      { name: "FetchWeather", input: "Oslo", outcome: "completed", result: { city: "Oslo", temp: 21 }, error: undefined },
      { name: "Flaky", input: 21, outcome: "completed", result: 42, error: undefined },
      { name: "Flaky", input: -1, outcome: "failed", result: undefined, error: "negative" },
      { name: "Flaky", input: 1, outcome: "completed", result: 2, error: undefined },
    ]);
    // The event's timeout timer (cancelled when Go came), then the two-hour timer.
    expect(history.timers().map((timer) => [timer.fireAt.getTime() - START, timer.fired])).toEqual([
      [60_000, false],
      [2 * 3_600_000, true],
    ]);
    expect(history.raisedEvents().map((e) => [e.name, e.input])).toEqual([["Go", "now"]]);
    expect(history.ofType("TaskFailed")[0]?.FailureDetails.ErrorMessage).toBe("negative");
    expect(history.find("TaskScheduled", (e) => e.Input === "-1")?.Name).toBe("Flaky");
    expect(history.completion()?.OrchestrationStatus).toBe("Completed");
    expect(history.eventTypes()[0]).toBe("ExecutionStarted");

    const p = await t.start(parent, { instanceId: "p2" });
    await t.raiseEvent("child-1", "Approval", { by: "eve" });
    await t.runToCompletion(p);
    expect((await t.getHistory(p)).subOrchestrations()).toEqual([
      { name: "WaitsForever", instanceId: "child-1", taskId: 0, input: null, outcome: "completed", result: "eve" },
    ]);
  });
});

describe("setup errors and mocks", () => {
  it("refuses an orchestrator that is not registered, saying what is", async () => {
    const t = createTestRuntime({ orchestrators: [reminder], activities: [sendReminder] });
    const error = await t.start(daily).catch((e: unknown) => e);
    expect(DurableError.is(error, "UnknownOrchestrator")).toBe(true);
    expect((error as Error).message).toBe(
      "No orchestrator named 'Daily' is registered with this test runtime; pass it in createTestRuntime({ orchestrators: [...] }). Registered: Reminder.",
    );
    await expect(t.start("reminder", { input: { to: "a", days: 0 } })).resolves.toBeTypeOf("string"); // names are case-insensitive
  });

  it("refuses a mock that replaces nothing (a misspelt mock would let the real activity run)", () => {
    expect(() => createTestRuntime({ activities: [fetchWeather], mocks: [mockActivity("FetchWether", () => null)] })).toThrow(
      /no activity named 'FetchWether' is registered, so there is nothing to replace\. .* Registered: FetchWeather\./,
    );
  });

  it("mockActivity swaps an activity in a running test and puts it back", async () => {
    const t = setup();
    const restore = t.mockActivity(sendReminder, (to) => `mocked ${to}`);
    expect((await t.run(reminder, { input: { to: "a", days: 1 } })).output).toMatchObject({ sent: "mocked a" });
    restore();
    expect((await t.run(reminder, { input: { to: "b", days: 1 } })).output).toMatchObject({ sent: "reminded b" });
    expect(() => t.mockActivity("Nope", () => 1)).toThrow(/no activity named 'Nope' is registered/);
  });
});

describe("entities in the test runtime", () => {
  it("runs entity calls and critical sections, and says what an instance waits for", async () => {
    const { account, counter, transferFunds } = await import("../examples/entities.ts");
    const { entityId } = await import("../src/index.ts");
    const waitsInLock = orchestrator("WaitsInLock", function* (ctx) {
      yield* ctx.lockEntities(entityId(counter, "held"));
      yield* ctx.callEntity(entityId(counter, "held"), "add", 1);
      return yield* ctx.waitForExternalEvent("done");
    });
    const t = createTestRuntime({ orchestrators: [transferFunds, waitsInLock], entities: [counter, account] });
    await t.client.signalEntity(entityId(account, "a"), "deposit", 10);
    const moved = await t.runToCompletion(await t.client.startNew(transferFunds, { input: { from: "a", to: "b", amount: 4 } }));
    expect(moved.output).toBe(true);
    expect((await t.client.readEntityState(entityId(account, "b"))).entityState).toEqual({ balance: 4 });
    const id = await t.client.startNew(waitsInLock);
    await t.runUntilIdle();
    expect(await t.waitingFor(id)).toEqual([{ kind: "event", name: "done" }]);
    expect((await t.client.getEntity(entityId(counter, "held")))?.lockedBy).toBe(id);
  });
});
