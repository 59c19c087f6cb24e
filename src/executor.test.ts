/**
 * History in, actions out: the replay engine driven by hand-written histories, as DTFx would
 * store them. Each case gives the orchestrator, the committed history and the new events, and
 * checks the actions and the outcome.
 */
import { describe, expect, it } from "vitest";
import { activity, orchestrator, type OrchestratorDefinition } from "./definitions.ts";
import { EventTimeoutError, NonRetriableError, TaskAggregateError, TaskFailedError, type FailureDetails } from "./errors.ts";
import { OrchestrationExecutor, type Action } from "./executor.ts";
import type { HistoryEvent } from "./history.ts";
import { RetryOptions } from "./retry.ts";
import { Task } from "./task.ts";

const T0 = Date.UTC(2026, 0, 1);
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const sayHello = activity("SayHello", (city: string) => `Hello ${city}!`);

// --- a small language for histories ---
const os = (t = T0): HistoryEvent => ({ EventType: "OrchestratorStarted", EventId: -1, Timestamp: t });
const oc = (t = T0): HistoryEvent => ({ EventType: "OrchestratorCompleted", EventId: -1, Timestamp: t });
const started = (name: string, input?: unknown, parent = false): HistoryEvent => ({
  EventType: "ExecutionStarted",
  EventId: -1,
  Timestamp: T0,
  Name: name,
  Version: null,
  Input: input === undefined ? null : JSON.stringify(input),
  OrchestrationInstance: { InstanceId: "inst", ExecutionId: "exec" },
  ParentInstance: parent ? { Name: "Parent", OrchestrationInstance: { InstanceId: "parent", ExecutionId: "pexec" }, TaskScheduleId: 4 } : null,
});
const scheduled = (id: number, name: string, input?: unknown): HistoryEvent => ({
  EventType: "TaskScheduled",
  EventId: id,
  Timestamp: T0,
  Name: name,
  Version: null,
  Input: input === undefined ? null : JSON.stringify(input),
});
const completed = (id: number, result: unknown, t = T0): HistoryEvent => ({
  EventType: "TaskCompleted",
  EventId: -1,
  Timestamp: t,
  TaskScheduledId: id,
  Result: JSON.stringify(result),
});
const failure = (message: string, type = "Error", nonRetriable = false): FailureDetails => ({
  ErrorType: type,
  ErrorMessage: message,
  StackTrace: null,
  IsNonRetriable: nonRetriable,
  InnerFailure: null,
});
const failed = (id: number, message: string, type = "Error", nonRetriable = false): HistoryEvent => ({
  EventType: "TaskFailed",
  EventId: -1,
  Timestamp: T0,
  TaskScheduledId: id,
  Reason: message,
  Details: null,
  FailureDetails: failure(message, type, nonRetriable),
});
const timerCreated = (id: number, fireAt: number): HistoryEvent => ({ EventType: "TimerCreated", EventId: id, Timestamp: T0, FireAt: fireAt });
const timerFired = (id: number, fireAt: number): HistoryEvent => ({ EventType: "TimerFired", EventId: -1, Timestamp: fireAt, TimerId: id, FireAt: fireAt });
const raised = (name: string, input: unknown): HistoryEvent => ({ EventType: "EventRaised", EventId: -1, Timestamp: T0, Name: name, Input: JSON.stringify(input) });
const subCreated = (id: number, name: string, instanceId: string, input?: unknown): HistoryEvent => ({
  EventType: "SubOrchestrationInstanceCreated",
  EventId: id,
  Timestamp: T0,
  Name: name,
  Version: null,
  InstanceId: instanceId,
  Input: input === undefined ? null : JSON.stringify(input),
});
const subCompleted = (id: number, result: unknown): HistoryEvent => ({
  EventType: "SubOrchestrationInstanceCompleted",
  EventId: -1,
  Timestamp: T0,
  TaskScheduledId: id,
  Result: JSON.stringify(result),
});

function run(definition: OrchestratorDefinition, past: HistoryEvent[], next: HistoryEvent[] = []) {
  const executor = new OrchestrationExecutor("inst", { orchestrator: (n) => (n.toLowerCase() === definition.name.toLowerCase() ? definition : undefined), logger: silent });
  executor.applyAll(past, true);
  executor.applyAll(next, false);
  return { executor, actions: executor.takeActions(), outcome: executor.outcome };
}

const act = (id: number, name: string, input?: unknown): Action => ({ kind: "ScheduleTask", id, name, input: input === undefined ? null : JSON.stringify(input), local: false });

const helloCities = orchestrator("HelloCities", function* (ctx) {
  const out: string[] = [];
  for (const city of ["Tokyo", "Seattle", "London"]) out.push(yield* ctx.callActivity(sayHello, city));
  return out;
});

describe("replay: chaining", () => {
  it("schedules the first activity on start", () => {
    const { actions, outcome } = run(helloCities, [], [os(), started("HelloCities")]);
    expect(actions).toEqual([act(0, "SayHello", "Tokyo")]);
    expect(outcome).toBeNull();
  });

  it("replays committed steps and schedules only what is new", () => {
    const past = [os(), started("HelloCities"), scheduled(0, "SayHello", "Tokyo"), oc(), os(), completed(0, "Hello Tokyo!"), scheduled(1, "SayHello", "Seattle"), oc()];
    const { actions } = run(helloCities, past, [os(), completed(1, "Hello Seattle!")]);
    expect(actions).toEqual([act(2, "SayHello", "London")]);
  });

  it("completes with the three greetings", () => {
    const past = [
      os(), started("HelloCities"), scheduled(0, "SayHello", "Tokyo"), oc(),
      os(), completed(0, "Hello Tokyo!"), scheduled(1, "SayHello", "Seattle"), oc(),
      os(), completed(1, "Hello Seattle!"), scheduled(2, "SayHello", "London"), oc(),
    ];
    const { actions, outcome } = run(helloCities, past, [os(), completed(2, "Hello London!")]);
    expect(actions).toEqual([]);
    expect(outcome).toEqual({ kind: "completed", output: JSON.stringify(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]) });
  });

  it("ignores a duplicate completion", () => {
    const past = [os(), started("HelloCities"), scheduled(0, "SayHello", "Tokyo"), oc(), os(), completed(0, "Hello Tokyo!"), scheduled(1, "SayHello", "Seattle"), oc()];
    const { actions, outcome } = run(helloCities, past, [os(), completed(0, "Hello again")]);
    expect(actions).toEqual([]);
    expect(outcome).toBeNull();
  });

  it("tracks isReplaying and the deterministic clock, and makes the same GUIDs on replay", () => {
    const seen: { replaying: boolean; now: number; guid: string }[] = [];
    const probe = orchestrator("Probe", function* (ctx) {
      seen.push({ replaying: ctx.isReplaying, now: ctx.currentUtcDateTime.getTime(), guid: ctx.newGuid() });
      yield* ctx.callActivity(sayHello, "x");
      seen.push({ replaying: ctx.isReplaying, now: ctx.currentUtcDateTime.getTime(), guid: ctx.newGuid() });
      return null;
    });
    run(probe, [os(T0), started("Probe"), scheduled(0, "SayHello", "x"), oc()], [os(T0 + 5000), completed(0, "ok")]);
    const firstRun = seen.splice(0);
    expect(firstRun.map((s) => [s.replaying, s.now])).toEqual([[true, T0], [false, T0 + 5000]]);
    expect(firstRun[0]!.guid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(firstRun[0]!.guid).not.toBe(firstRun[1]!.guid);
    run(probe, [os(T0), started("Probe"), scheduled(0, "SayHello", "x"), oc(), os(T0 + 5000), completed(0, "ok"), oc()]);
    expect(seen.map((s) => s.guid)).toEqual(firstRun.map((s) => s.guid));
  });
});

describe("replay: nondeterminism", () => {
  it("fails when history scheduled another activity name at that sequence id", () => {
    const { outcome } = run(helloCities, [os(), started("HelloCities"), scheduled(0, "Other", "Tokyo"), oc()], [os(), completed(0, "x")]);
    expect(outcome?.kind).toBe("failed");
    const message = outcome?.kind === "failed" ? outcome.failure.ErrorMessage : "";
    expect(message.startsWith("Non-Deterministic workflow detected:")).toBe(true);
    expect(message).toContain("sequence ID 0 and name 'Other'");
    expect(message).toContain("'SayHello'");
  });

  it("fails when history has a timer where the code schedules an activity", () => {
    const { outcome } = run(helloCities, [os(), started("HelloCities"), timerCreated(0, T0 + 1000), oc()]);
    expect(outcome?.kind === "failed" && outcome.failure.ErrorMessage).toMatch(/^Non-Deterministic workflow detected: .*scheduled a timer with sequence ID 0.*instead scheduled an activity task/);
  });

  it("fails when the activity input differs from history", () => {
    const { outcome } = run(helloCities, [os(), started("HelloCities"), scheduled(0, "SayHello", "Paris"), oc()]);
    expect(outcome?.kind === "failed" && outcome.failure.ErrorMessage).toMatch(/^Non-Deterministic workflow detected: .*input "Paris".*"Tokyo"/);
  });

  it("fails when history has an action the code never schedules", () => {
    const once = orchestrator("Once", function* (ctx) {
      return yield* ctx.callActivity(sayHello, "Tokyo");
    });
    const past = [os(), started("Once"), scheduled(0, "SayHello", "Tokyo"), oc(), os(), completed(0, "hi"), scheduled(1, "SayHello", "Seattle"), oc()];
    const { outcome } = run(once, past);
    expect(outcome?.kind === "failed" && outcome.failure.ErrorMessage).toMatch(/^Non-Deterministic workflow detected: .*sequence ID 1 and name 'SayHello', but the current replay execution hasn't \(yet\?\) scheduled this task/);
  });
});

describe("failures", () => {
  it("an orchestrator that throws fails with type, message and stack", () => {
    class OutOfStock extends Error {}
    const boom = orchestrator("Boom", function* () {
      throw new OutOfStock("no more widgets");
    });
    const { outcome } = run(boom, [], [os(), started("Boom")]);
    expect(outcome?.kind).toBe("failed");
    if (outcome?.kind !== "failed") return;
    expect(outcome.failure.ErrorType).toBe("OutOfStock");
    expect(outcome.failure.ErrorMessage).toBe("no more widgets");
    expect(outcome.failure.StackTrace).toContain("no more widgets");
    expect(JSON.parse(outcome.output!)).toBe("Orchestrator function 'Boom' failed: no more widgets");
  });

  it("an unregistered orchestrator fails the instance", () => {
    const { outcome } = run(helloCities, [], [os(), started("Nope")]);
    expect(outcome?.kind === "failed" && outcome.failure.ErrorMessage).toContain("No orchestrator named 'Nope' is registered");
  });

  it("an activity failure surfaces as TaskFailedError and can be caught", () => {
    const careful = orchestrator("Careful", function* (ctx) {
      try {
        yield* ctx.callActivity(sayHello, "Tokyo");
        return "no";
      } catch (e) {
        return e instanceof TaskFailedError ? `${e.taskName}#${e.taskId}: ${e.failureDetails.ErrorMessage}` : "wrong type";
      }
    });
    const { outcome } = run(careful, [os(), started("Careful"), scheduled(0, "SayHello", "Tokyo"), oc()], [os(), failed(0, "down")]);
    expect(outcome).toEqual({ kind: "completed", output: JSON.stringify("SayHello#0: down") });
  });

  it("yielding something that is not a task fails with a clear message", () => {
    const wrong = orchestrator("Wrong", function* () {
      yield Promise.resolve(1) as never;
    });
    const { outcome } = run(wrong, [], [os(), started("Wrong")]);
    expect(outcome?.kind === "failed" && outcome.failure.ErrorMessage).toContain("yielded a Promise");
  });

  it("failedTaskIds names the failures an orchestrator failure came from (for rewind)", () => {
    const { outcome } = run(helloCities, [os(), started("HelloCities"), scheduled(0, "SayHello", "Tokyo"), oc()], [os(), failed(0, "down")]);
    expect(outcome?.kind === "failed" && outcome.failedTaskIds).toEqual([0]);
  });
});

describe("Task.all and Task.any", () => {
  const parallel = orchestrator("Parallel", function* (ctx) {
    return yield* Task.all(["Tokyo", "Seattle", "London"].map((c) => ctx.callActivity(sayHello, c)));
  });

  it("fans out in one step and fans in with results in order", () => {
    const first = run(parallel, [], [os(), started("Parallel")]);
    expect(first.actions).toEqual([act(0, "SayHello", "Tokyo"), act(1, "SayHello", "Seattle"), act(2, "SayHello", "London")]);
    const past = [os(), started("Parallel"), scheduled(0, "SayHello", "Tokyo"), scheduled(1, "SayHello", "Seattle"), scheduled(2, "SayHello", "London"), oc()];
    const { outcome } = run(parallel, past, [os(), completed(2, "c"), completed(0, "a"), completed(1, "b")]);
    expect(outcome).toEqual({ kind: "completed", output: JSON.stringify(["a", "b", "c"]) });
  });

  it("waits for all and aggregates every failure", () => {
    let caught: unknown;
    const gather = orchestrator("Gather", function* (ctx) {
      try {
        yield* Task.all([ctx.callActivity(sayHello, "a"), ctx.callActivity(sayHello, "b"), ctx.callActivity(sayHello, "c")]);
      } catch (e) {
        caught = e;
      }
      return "done";
    });
    const past = [os(), started("Gather"), scheduled(0, "SayHello", "a"), scheduled(1, "SayHello", "b"), scheduled(2, "SayHello", "c"), oc()];
    const partial = run(gather, past, [os(), failed(0, "first")]);
    expect(partial.outcome).toBeNull(); // not fail-fast: b and c are still awaited
    const { outcome } = run(gather, past, [os(), failed(0, "first"), completed(1, "ok"), failed(2, "third")]);
    expect(outcome?.kind).toBe("completed");
    expect(caught).toBeInstanceOf(TaskAggregateError);
    expect((caught as TaskAggregateError).errors.map((e) => (e as TaskFailedError).failureDetails.ErrorMessage)).toEqual(["first", "third"]);
  });

  it("Task.all([]) is []", () => {
    const empty = orchestrator("Empty", function* () {
      return yield* Task.all([]);
    });
    expect(run(empty, [], [os(), started("Empty")]).outcome).toEqual({ kind: "completed", output: "[]" });
  });

  it("Task.any completes with the winning task", () => {
    const race = orchestrator("Race", function* (ctx) {
      const a = ctx.callActivity(sayHello, "a");
      const b = ctx.callActivity(sayHello, "b");
      const winner = yield* Task.any([a, b]);
      return winner === b ? `b:${winner.result}` : "a";
    });
    const past = [os(), started("Race"), scheduled(0, "SayHello", "a"), scheduled(1, "SayHello", "b"), oc()];
    expect(run(race, past, [os(), completed(1, "fast")]).outcome).toEqual({ kind: "completed", output: JSON.stringify("b:fast") });
  });
});

describe("timers", () => {
  const sleepy = orchestrator("Sleepy", function* (ctx) {
    yield* ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 60_000));
    return "woke";
  });

  it("creates a timer and continues when it fires", () => {
    expect(run(sleepy, [], [os(), started("Sleepy")]).actions).toEqual([{ kind: "CreateTimer", id: 0, fireAt: T0 + 60_000, canceled: false }]);
    const past = [os(), started("Sleepy"), timerCreated(0, T0 + 60_000), oc()];
    expect(run(sleepy, past, [os(T0 + 60_000), timerFired(0, T0 + 60_000)]).outcome).toEqual({ kind: "completed", output: '"woke"' });
  });

  it("cancels timers that lost a race, and those still pending when the orchestrator finishes", () => {
    const race = orchestrator("Race", function* (ctx) {
      const timeout = ctx.createTimer(T0 + 60_000);
      const forgotten = ctx.createTimer(T0 + 120_000);
      const work = ctx.callActivity(sayHello, "x");
      const winner = yield* Task.any([work, timeout]);
      if (winner === work) timeout.cancel();
      void forgotten;
      return "done";
    });
    const first = run(race, [], [os(), started("Race")]);
    expect(first.actions).toEqual([
      { kind: "CreateTimer", id: 0, fireAt: T0 + 60_000, canceled: false },
      { kind: "CreateTimer", id: 1, fireAt: T0 + 120_000, canceled: false },
      act(2, "SayHello", "x"),
    ]);
    const past = [os(), started("Race"), timerCreated(0, T0 + 60_000), timerCreated(1, T0 + 120_000), scheduled(2, "SayHello", "x"), oc()];
    const { executor, outcome } = run(race, past, [os(), completed(2, "ok")]);
    expect(outcome).toEqual({ kind: "completed", output: '"done"' });
    expect(executor.takeCancelledTimerIds()).toEqual([0]);
  });
});

describe("external events", () => {
  const approval = orchestrator("Approval", function* (ctx) {
    const a = yield* ctx.waitForExternalEvent<string>("Approval");
    const b = yield* ctx.waitForExternalEvent<string>("approval");
    return [a, b];
  });

  it("buffers events that arrive before the wait, delivers FIFO, matches names case-insensitively", () => {
    const { outcome } = run(approval, [], [os(), started("Approval"), raised("APPROVAL", "first"), raised("Approval", "second")]);
    expect(outcome).toEqual({ kind: "completed", output: JSON.stringify(["first", "second"]) });
  });

  it("waits when no event has arrived yet", () => {
    const { outcome, actions } = run(approval, [os(), started("Approval"), oc()], [os(), raised("Approval", "one")]);
    expect(outcome).toBeNull();
    expect(actions).toEqual([]);
  });

  it("times out with EventTimeoutError, or the default value", () => {
    let error: unknown;
    const strict = orchestrator("Strict", function* (ctx) {
      try {
        yield* ctx.waitForExternalEvent("Approval", { timeoutMs: 1000 });
      } catch (e) {
        error = e;
      }
      return yield* ctx.waitForExternalEvent("Other", { timeoutMs: 1000, defaultValue: "fallback" });
    });
    const first = run(strict, [], [os(), started("Strict")]);
    expect(first.actions).toEqual([{ kind: "CreateTimer", id: 0, fireAt: T0 + 1000, canceled: false }]);
    const past = [os(), started("Strict"), timerCreated(0, T0 + 1000), oc()];
    const second = run(strict, past, [os(T0 + 1000), timerFired(0, T0 + 1000)]);
    expect(error).toBeInstanceOf(EventTimeoutError);
    expect(second.actions).toEqual([{ kind: "CreateTimer", id: 1, fireAt: T0 + 2000, canceled: false }]);
    const done = run(strict, [...past, os(T0 + 1000), timerFired(0, T0 + 1000), timerCreated(1, T0 + 2000), oc()], [os(T0 + 2000), timerFired(1, T0 + 2000)]);
    expect(done.outcome).toEqual({ kind: "completed", output: '"fallback"' });
  });

  it("an event that beats its timeout cancels the timer", () => {
    const quick = orchestrator("Quick", function* (ctx) {
      return yield* ctx.waitForExternalEvent("Approval", { timeoutMs: 1000 });
    });
    const past = [os(), started("Quick"), timerCreated(0, T0 + 1000), oc()];
    const { outcome, executor } = run(quick, past, [os(), raised("Approval", { ok: true })]);
    expect(outcome).toEqual({ kind: "completed", output: '{"ok":true}' });
    expect(executor.takeCancelledTimerIds()).toEqual([0]);
  });
});

describe("retries", () => {
  const policy = () => Object.assign(new RetryOptions(1000, 3), { backoffCoefficient: 2 });
  const retrying = (p: RetryOptions) =>
    orchestrator("Retrying", function* (ctx) {
      return yield* ctx.callActivityWithRetry(sayHello, p, "Tokyo");
    });

  it("retries on durable timers with backoff, then succeeds", () => {
    const o = retrying(policy());
    const p1 = [os(), started("Retrying"), scheduled(0, "SayHello", "Tokyo"), oc()];
    expect(run(o, p1, [os(T0 + 10), failed(0, "flaky")]).actions).toEqual([{ kind: "CreateTimer", id: 1, fireAt: T0 + 10 + 1000, canceled: false }]);
    const p2 = [...p1, os(T0 + 10), failed(0, "flaky"), timerCreated(1, T0 + 1010), oc()];
    expect(run(o, p2, [os(T0 + 1010), timerFired(1, T0 + 1010)]).actions).toEqual([act(2, "SayHello", "Tokyo")]);
    const p3 = [...p2, os(T0 + 1010), timerFired(1, T0 + 1010), scheduled(2, "SayHello", "Tokyo"), oc()];
    expect(run(o, p3, [os(T0 + 1020), failed(2, "flaky")]).actions).toEqual([{ kind: "CreateTimer", id: 3, fireAt: T0 + 1020 + 2000, canceled: false }]);
    const p4 = [...p3, os(T0 + 1020), failed(2, "flaky"), timerCreated(3, T0 + 3020), oc(), os(T0 + 3020), timerFired(3, T0 + 3020), scheduled(4, "SayHello", "Tokyo"), oc()];
    expect(run(o, p4, [os(), completed(4, "Hello Tokyo!")]).outcome).toEqual({ kind: "completed", output: '"Hello Tokyo!"' });
  });

  it("gives up after the last attempt with the last error", () => {
    const o = retrying(new RetryOptions(1000, 1));
    const { outcome, actions } = run(o, [os(), started("Retrying"), scheduled(0, "SayHello", "Tokyo"), oc()], [os(), failed(0, "dead")]);
    expect(actions).toEqual([]);
    expect(outcome?.kind === "failed" && outcome.failure.ErrorMessage).toContain("dead");
  });

  it("never waits past the retry timeout: it fails at once instead of hanging", () => {
    const o = retrying(Object.assign(new RetryOptions(5000, 10), { retryTimeoutInMilliseconds: 3000 }));
    const { outcome, actions } = run(o, [os(), started("Retrying"), scheduled(0, "SayHello", "Tokyo"), oc()], [os(T0 + 100), failed(0, "slow")]);
    expect(actions).toEqual([]);
    expect(outcome?.kind).toBe("failed");
  });

  it("does not retry non-retriable errors, listed error types, or what the predicate rejects", () => {
    const base = [os(), started("Retrying"), scheduled(0, "SayHello", "Tokyo"), oc()];
    expect(run(retrying(policy()), base, [os(), failed(0, "no", "NonRetriableError", true)]).outcome?.kind).toBe("failed");
    const listed = Object.assign(policy(), { nonRetriableErrors: ["ValidationError"] });
    expect(run(retrying(listed), base, [os(), failed(0, "bad", "ValidationError")]).outcome?.kind).toBe("failed");
    const predicate = Object.assign(policy(), { handle: (e: TaskFailedError) => e.failureDetails.ErrorMessage !== "fatal" });
    expect(run(retrying(predicate), base, [os(), failed(0, "fatal")]).outcome?.kind).toBe("failed");
    expect(run(retrying(predicate), base, [os(), failed(0, "transient")]).actions).toHaveLength(1);
    expect(new NonRetriableError("x").nonRetriable).toBe(true);
  });

  it("rejects invalid policies as Durable Functions does", () => {
    expect(() => new RetryOptions(0, 3)).toThrow(RangeError);
    expect(() => new RetryOptions(100, 0)).toThrow(RangeError);
  });
});

describe("sub-orchestrations", () => {
  const parent = orchestrator("Parent", function* (ctx) {
    const a = yield* ctx.callSubOrchestrator("Child", { n: 1 });
    const b = yield* ctx.callSubOrchestrator("Child", { n: 2 }, "my-child");
    return [a, b];
  });

  it("schedules children with a default id from the execution and sequence id", () => {
    const first = run(parent, [], [os(), started("Parent")]);
    expect(first.actions).toEqual([{ kind: "CreateSubOrchestration", id: 0, name: "Child", instanceId: "exec:0", input: '{"n":1}', version: null }]);
    const past = [os(), started("Parent"), subCreated(0, "Child", "exec:0", { n: 1 }), oc()];
    const second = run(parent, past, [os(), subCompleted(0, "one")]);
    expect(second.actions).toEqual([{ kind: "CreateSubOrchestration", id: 1, name: "Child", instanceId: "my-child", input: '{"n":2}', version: null }]);
    expect(second.executor.openChildInstanceIds()).toEqual(["my-child"]);
  });

  it("knows its parent when it is a child", () => {
    const child = orchestrator("Child", function* (ctx) {
      return ctx.parentInstanceId;
    });
    const { outcome, executor } = run(child, [], [os(), started("Child", null, true)]);
    expect(outcome).toEqual({ kind: "completed", output: '"parent"' });
    expect(executor.parent?.TaskScheduleId).toBe(4);
  });
});

describe("continueAsNew, custom status, suspension", () => {
  it("continueAsNew ends the execution with the new input, carrying unprocessed events when asked", () => {
    const loop = orchestrator("Loop", function* (ctx) {
      ctx.continueAsNew({ round: 2 }, { preserveUnprocessedEvents: true });
      return undefined;
    });
    const { outcome, actions } = run(loop, [], [os(), started("Loop"), raised("Late", 7)]);
    expect(actions).toEqual([]);
    expect(outcome).toEqual({ kind: "continuedAsNew", input: '{"round":2}', carryOver: [], preserveUnprocessedEvents: true });
    const buffered = orchestrator("Buffered", function* (ctx) {
      yield* ctx.callActivity(sayHello, "x");
      ctx.continueAsNew(null, { preserveUnprocessedEvents: true });
      return undefined;
    });
    const past = [os(), started("Buffered"), scheduled(0, "SayHello", "x"), oc(), os(), raised("Early", 1), oc()];
    expect(run(buffered, past, [os(), completed(0, "ok")]).outcome).toEqual({
      kind: "continuedAsNew",
      input: "null",
      carryOver: [{ name: "Early", input: "1" }],
      preserveUnprocessedEvents: true,
    });
  });

  it("custom status is limited to 16 KB", () => {
    const big = orchestrator("Big", function* (ctx) {
      ctx.setCustomStatus({ stage: 1 });
      try {
        ctx.setCustomStatus("x".repeat(20_000));
      } catch (e) {
        return (e as { code: string }).code;
      }
      return "accepted";
    });
    const { outcome, executor } = run(big, [], [os(), started("Big")]);
    expect(outcome).toEqual({ kind: "completed", output: '"CustomStatusTooLarge"' });
    expect(executor.customStatus).toBe('{"stage":1}');
  });

  it("while suspended, results are held until resume", () => {
    const past = [os(), started("HelloCities"), scheduled(0, "SayHello", "Tokyo"), oc()];
    const suspended: HistoryEvent = { EventType: "ExecutionSuspended", EventId: -1, Timestamp: T0, Reason: null };
    const resumed: HistoryEvent = { EventType: "ExecutionResumed", EventId: -1, Timestamp: T0, Reason: null };
    const held = run(helloCities, past, [os(), suspended, completed(0, "Hello Tokyo!")]);
    expect(held.actions).toEqual([]);
    expect(held.executor.isSuspended).toBe(true);
    const released = run(helloCities, [...past, os(), suspended, completed(0, "Hello Tokyo!"), oc()], [os(), resumed]);
    expect(released.actions).toEqual([act(1, "SayHello", "Seattle")]);
  });
});
