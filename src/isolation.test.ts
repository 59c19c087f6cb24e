/**
 * One bad instance never stops the others (memory store, manual clock): values over the limits
 * are refused where they enter, a step over the limits fails only its instance, a commit that
 * keeps failing is retried alone and then fails only its instance, and terminate and purge still
 * work on an instance whose commits fail.
 */
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../adapters/memory/index.ts";
import { ManualClock } from "./clock.ts";
import { activity, orchestrator } from "./definitions.ts";
import { DurableError } from "./errors.ts";
import { LIMITS } from "./limits.ts";
import { createRuntime } from "./runtime.ts";
import type { CommitOutcome, StepCommit, Store } from "./store.ts";
import { Task } from "./task.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const square = activity("Square", (n: number) => n * n);
const big = activity("Big", (kib: number) => "x".repeat(kib * 1024));

const fanOut = orchestrator("FanOut", function* (ctx) {
  const count = ctx.getInput<number>();
  const results = yield* Task.all(Array.from({ length: count }, (_, i) => ctx.callActivity(square, i)));
  return results.length;
});
const waitsForApproval = orchestrator("WaitsForApproval", function* (ctx) {
  return yield* ctx.waitForExternalEvent<string>("Approval");
});
const catchesBigResult = orchestrator("CatchesBigResult", function* (ctx) {
  try {
    return yield* ctx.callActivity(big, ctx.getInput<number>());
  } catch (error) {
    return `caught: ${(error as Error).message}`;
  }
});
const bigOutput = orchestrator("BigOutput", function* (ctx) {
  yield* ctx.callActivity(square, 1);
  return "y".repeat(LIMITS.payloadBytes + 1);
});

/**
 * A memory store whose commits matching `poisoned` throw `error()`; a group commit holding one of
 * them fails whole, as one transaction does.
 */
function poisonedStore(poisoned: (commit: StepCommit) => boolean, error: () => unknown): { store: Store; failures: { count: number } } {
  const inner = createMemoryStore();
  const failures = { count: 0 };
  const store: Store = Object.assign(Object.create(inner) as Store, {
    runSteps: undefined, // so that every commit goes through commitSteps
    commitSteps(commits: readonly StepCommit[]): Promise<CommitOutcome[]> {
      if (commits.some(poisoned)) {
        failures.count++;
        return Promise.reject(error());
      }
      return inner.commitSteps(commits);
    },
  });
  return { store, failures };
}

const carriesEvent = (c: StepCommit) => c.history.events.some((e) => e.EventType === "EventRaised");

function setup(store: Store = createMemoryStore()) {
  const clock = new ManualClock();
  const runtime = createRuntime({ store, clock, logger: silent, orchestrators: [fanOut, waitsForApproval, catchesBigResult, bigOutput], activities: [square, big] });
  return { clock, runtime, client: runtime.client };
}

describe("limits, where values enter", () => {
  it("an 800 KB event is refused with PayloadTooLarge, nothing stored; the instance and its neighbours go on", async () => {
    const { runtime, client } = setup();
    const waiting = await client.startNew(waitsForApproval, { instanceId: "waiting" });
    const neighbour = await client.startNew(fanOut, { input: 5 });
    await runtime.drain();
    const error = await client.raiseEvent(waiting, "Approval", "a".repeat(800 * 1024)).catch((e: unknown) => e);
    expect(DurableError.is(error, "PayloadTooLarge")).toBe(true);
    expect((error as Error).message).toMatch(/The data of event 'Approval' is 800 KiB of JSON; the limit is 256 KiB/);
    expect((await client.getStatus(neighbour))?.runtimeStatus).toBe("Completed");
    await client.raiseEvent(waiting, "Approval", "yes");
    await runtime.drain();
    expect((await client.getStatus(waiting))?.output).toBe("yes");
  });

  it("an input over the limit is refused at startNew", async () => {
    const { client } = setup();
    const error = await client.startNew(fanOut, { input: "z".repeat(LIMITS.payloadBytes) }).catch((e: unknown) => e);
    expect(DurableError.is(error, "PayloadTooLarge")).toBe(true);
    expect((await client.listInstances()).instances).toHaveLength(0);
  });

  it("an activity result over the limit fails that task, and the orchestrator catches it", async () => {
    const { runtime, client } = setup();
    const id = await client.startNew(catchesBigResult, { input: 300 });
    await runtime.drain();
    const status = await client.getStatus(id);
    expect(status?.runtimeStatus).toBe("Completed");
    expect(status?.output).toMatch(/^caught: .*The output of activity 'Big' is 300 KiB/);
  });

  it("an orchestrator output over the limit fails the instance with PayloadTooLarge", async () => {
    const { runtime, client } = setup();
    const id = await client.startNew(bigOutput);
    await runtime.drain();
    const status = await client.getStatus(id);
    expect(status?.runtimeStatus).toBe("Failed");
    expect(status?.failureDetails?.ErrorType).toBe("PayloadTooLarge");
  });
});

describe("a step over the limits fails only its instance", () => {
  it("a 30,000-way fan-out fails with StepTooLarge; instances stepped in the same group commit complete", async () => {
    const { runtime, client } = setup();
    const neighbours = await Promise.all([1, 2, 3].map((n) => client.startNew(fanOut, { input: n })));
    const huge = await client.startNew(fanOut, { input: 30_000 });
    await runtime.drain();
    const status = await client.getStatus(huge);
    expect(status?.runtimeStatus).toBe("Failed");
    expect(status?.failureDetails?.ErrorType).toBe("StepTooLarge");
    expect(status?.failureDetails?.ErrorMessage).toMatch(/schedules 30,000 actions; a step may schedule at most 10,000/);
    for (const id of neighbours) expect((await client.getStatus(id))?.runtimeStatus).toBe("Completed");
    expect(await runtime.store.claimWork(Date.now() + 1e9, { instanceLimit: 10, activityLimit: 10, leaseMs: 1000 })).toEqual({ instanceIds: [], activities: [] });
  });

  it("a 10,000-way fan-out, at the limit, completes", async () => {
    const { runtime, client } = setup();
    const id = await client.startNew(fanOut, { input: LIMITS.actionsPerStep });
    await runtime.drain();
    expect((await client.getStatus(id))?.output).toBe(LIMITS.actionsPerStep);
  });
});

describe("a commit that keeps failing fails only its instance", () => {
  it("a value the store refuses every time (SQLITE_TOOBIG): failed at once, its group neighbours complete", async () => {
    // Only the step that carries the event is too big; the failure's own commit is small and goes through.
    const { store } = poisonedStore(carriesEvent, () => new Error("string or blob too big: SQLITE_TOOBIG"));
    const { runtime, client } = setup(store);
    const bad = await client.startNew(waitsForApproval, { instanceId: "bad" });
    await runtime.drain();
    await client.raiseEvent(bad, "Approval", "yes");
    const neighbours = await Promise.all([1, 2, 3].map((n) => client.startNew(fanOut, { input: n })));
    await runtime.drain();
    for (const id of neighbours) expect((await client.getStatus(id))?.runtimeStatus).toBe("Completed");
    const status = await client.getStatus(bad);
    expect(status?.runtimeStatus).toBe("Failed");
    expect(status?.failureDetails?.ErrorMessage).toMatch(/could not be stored: string or blob too big/);
  });

  it("an unknown error: retried alone with backoff, then the instance fails after 5 attempts; neighbours never wait", async () => {
    // Every step of "bad" fails to commit, except the small commit that fails it.
    const { store, failures } = poisonedStore((c) => c.instanceId === "bad" && c.instance?.runtimeStatus !== "Failed", () => new Error("disk hiccup"));
    const { clock, runtime, client } = setup(store);
    await client.startNew(fanOut, { instanceId: "bad", input: 2 });
    const neighbour = await client.startNew(fanOut, { input: 3 });
    await runtime.drain();
    expect((await client.getStatus(neighbour))?.runtimeStatus).toBe("Completed");
    expect((await client.getStatus("bad"))?.runtimeStatus).toBe("Pending");
    expect(failures.count).toBe(2); // the group, then "bad" alone
    for (let attempt = 2; attempt <= 5; attempt++) {
      clock.advance(61_000);
      await runtime.drain();
      expect(failures.count).toBe(attempt + 1);
    }
    const status = await client.getStatus("bad");
    expect(status?.runtimeStatus).toBe("Failed");
    expect(status?.failureDetails?.ErrorType).toBe("CommitFailed");
    expect(status?.failureDetails?.ErrorMessage).toMatch(/could not be stored after 5 attempts: disk hiccup/);
  });

  it("a transient error that clears: the instance completes, retried alone", async () => {
    let failuresLeft = 2;
    const { store } = poisonedStore((c) => c.instanceId === "flaky" && failuresLeft-- > 0, () => new Error("transient"));
    const { clock, runtime, client } = setup(store);
    await client.startNew(fanOut, { instanceId: "flaky", input: 2 });
    await runtime.drain();
    for (let i = 0; i < 3; i++) {
      clock.advance(5_000);
      await runtime.drain();
    }
    expect((await client.getStatus("flaky"))?.runtimeStatus).toBe("Completed");
  });

  it("terminate and purge recover an instance whose every step fails to commit", async () => {
    // Every step that carries the event fails; terminating drops the event, so its commit goes through.
    const { store } = poisonedStore(carriesEvent, () => new Error("disk hiccup"));
    const { clock, runtime, client } = setup(store);
    const id = await client.startNew(waitsForApproval, { instanceId: "wedged" });
    await runtime.drain();
    await client.raiseEvent(id, "Approval", "yes");
    await runtime.drain(); // the step fails and backs off
    expect((await client.getStatus(id))?.runtimeStatus).toBe("Running");
    await client.terminate(id, "operator");
    clock.advance(2_000);
    await runtime.drain();
    expect((await client.getStatus(id))?.runtimeStatus).toBe("Terminated");
    expect((await client.purge(id)).instancesDeleted).toBe(1);
  });
});
