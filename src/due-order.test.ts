/**
 * Two semantic defects an outside suite found, each on the memory store with a manual clock:
 * - messages that are due are applied in the order they became due (timers by fire time, events by
 *   arrival), so an event raised before a timeout's deadline wins even when the runtime only steps
 *   after the deadline (a frozen tab, a restarted process, a slow object);
 * - a retry policy whose `handle` predicate throws fails that task with the original error, which
 *   the orchestrator can catch, instead of crashing the step.
 */
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../adapters/memory/index.ts";
import { ManualClock } from "./clock.ts";
import { activity, orchestrator } from "./definitions.ts";
import { TaskFailedError } from "./errors.ts";
import { RetryOptions } from "./retry.ts";
import { createRuntime } from "./runtime.ts";
import { Task } from "./task.ts";

const warnings: unknown[][] = [];
const logger = { debug() {}, info() {}, warn: (...args: unknown[]) => void warnings.push(args), error() {} };

const approval = orchestrator("Approval", function* (ctx) {
  try {
    return yield* ctx.waitForExternalEvent<string>("Approval", { timeoutMs: 60_000 });
  } catch {
    return "timed out";
  }
});

const raced = orchestrator("Raced", function* (ctx) {
  const event = ctx.waitForExternalEvent<string>("Go");
  const timer = ctx.createTimer(ctx.currentUtcDateTime.getTime() + 60_000);
  const winner = yield* Task.any([event, timer]);
  if (winner === event) {
    timer.cancel();
    return `event ${event.result}`;
  }
  return "timer";
});

let attempts = 0;
const failing = activity("AlwaysFails", () => {
  attempts++;
  throw new Error("the original failure");
});

const throwingHandle = orchestrator("ThrowingHandle", function* (ctx) {
  const retry = new RetryOptions(1000, 3);
  retry.handle = () => {
    throw new Error("the predicate is broken");
  };
  try {
    yield* ctx.callActivityWithRetry(failing, retry);
    return "no error";
  } catch (error) {
    return error instanceof TaskFailedError ? `caught: ${error.failureDetails.ErrorMessage}` : `other: ${String(error)}`;
  }
});

function setup() {
  const clock = new ManualClock();
  const runtime = createRuntime({ store: createMemoryStore(), clock, logger, orchestrators: [approval, raced, throwingHandle], activities: [failing] });
  return { clock, runtime, client: runtime.client };
}

describe("due messages apply in the order they became due", () => {
  it("an event raised before the timeout's deadline wins, though the runtime steps only after it", async () => {
    const { clock, runtime, client } = setup();
    const id = await client.startNew(approval);
    await runtime.drain(); // the orchestrator waits; its timeout timer is in the inbox, due in 60 s
    clock.advance(30_000);
    await client.raiseEvent(id, "Approval", "approved"); // arrives in time …
    clock.advance(60_000); // … but the runtime is frozen until after the deadline
    await runtime.drain();
    const status = await client.getStatus(id, { showHistory: true });
    expect(status?.runtimeStatus).toBe("Completed");
    expect(status?.output).toBe("approved");
  });

  it("a timer that fired before the event arrived still wins", async () => {
    const { clock, runtime, client } = setup();
    const id = await client.startNew(approval);
    await runtime.drain();
    clock.advance(61_000);
    await client.raiseEvent(id, "Approval", "too late");
    clock.advance(1_000);
    await runtime.drain();
    expect((await client.getStatus(id))?.output).toBe("timed out");
  });

  it("Task.any of an event and a timer: the event that arrived first wins", async () => {
    const { clock, runtime, client } = setup();
    const id = await client.startNew(raced);
    await runtime.drain();
    clock.advance(10_000);
    await client.raiseEvent(id, "Go", "early");
    clock.advance(120_000);
    await runtime.drain();
    expect((await client.getStatus(id))?.output).toBe("event early");
  });
});

describe("a retry predicate that throws", () => {
  it("fails the task with the original error, which the orchestrator catches; TaskFailed is recorded", async () => {
    const { runtime, client } = setup();
    attempts = 0;
    warnings.length = 0;
    const id = await client.startNew(throwingHandle);
    await runtime.drain();
    const status = await client.getStatus(id, { showHistory: true });
    expect(status?.runtimeStatus).toBe("Completed");
    expect(status?.output).toBe("caught: the original failure");
    expect(attempts).toBe(1); // not retried: the predicate could not say yes
    const history = status?.historyEvents ?? [];
    expect(history.map((e) => e["EventType"])).toContain("TaskFailed");
    // Why the predicate failed is recorded where the user looks: the replay-safe log, once.
    const logged = warnings.filter((w) => w.join(" ").includes("handle predicate"));
    expect(logged).toHaveLength(1);
    expect(logged[0]!.join(" ")).toContain("the predicate is broken");
  });
});
