/**
 * Durable entities on the memory store with a manual clock: operations one at a time in arrival
 * order, calls and signals from orchestrations and clients, failures rolled back, critical
 * sections that never deadlock and always release, cleaning, replay, and a crash mid-batch.
 */
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../adapters/memory/index.ts";
import { account, counter, counterAggregation, transferFunds } from "../../examples/entities.ts";
import { ManualClock } from "../clock.ts";
import { orchestrator } from "../definitions.ts";
import { DurableError, TaskFailedError } from "../errors.ts";
import { replayHistory } from "../replay.ts";
import { createRuntime } from "../runtime.ts";
import type { CommitOutcome, StepCommit, Store } from "../store.ts";
import { entity } from "./entity-definition.ts";
import { EntityId, entityId } from "./entity-id.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {} };

const callsCounter = orchestrator("CallsCounter", function* (ctx) {
  const id = entityId(counter, ctx.getInput<string>());
  yield* ctx.callEntity(id, "add", 5);
  yield* ctx.callEntity(id, "add", 2);
  return yield* ctx.callEntity(id, "get");
});

const catchesBadAdd = orchestrator("CatchesBadAdd", function* (ctx) {
  const id = entityId(counter, "strict");
  yield* ctx.callEntity(id, "add", 1);
  try {
    yield* ctx.callEntity(id, "add", "many" as unknown as number);
    return "no error";
  } catch (error) {
    return { caught: error instanceof TaskFailedError ? error.failureDetails.ErrorType : String(error), value: yield* ctx.callEntity(id, "get") };
  }
});

const holdsLock = orchestrator("HoldsLock", function* (ctx) {
  yield* ctx.lockEntities(new EntityId("Counter", "locked"));
  yield* ctx.waitForExternalEvent("go");
  return ctx.isInCriticalSection();
});

const breaksRules = orchestrator("BreaksRules", function* (ctx) {
  const a = new EntityId("Counter", "a");
  const b = new EntityId("Counter", "b");
  yield* ctx.lockEntities(a);
  const problems: string[] = [];
  for (const attempt of [() => ctx.callEntity(b, "get"), () => ctx.signalEntity(a, "add", 1), () => ctx.lockEntities(b), () => ctx.callSubOrchestrator("CallsCounter", "x")]) {
    try {
      attempt();
      problems.push("allowed");
    } catch (error) {
      problems.push(DurableError.is(error) ? error.code : String(error));
    }
  }
  return problems;
});

const asyncNotes = entity("Notes", async (ctx) => {
  const notes = ctx.getState(() => [] as string[])!;
  if (ctx.operationName === "append") {
    await new Promise((resolve) => setTimeout(resolve, 1));
    ctx.setState([...notes, ctx.getInput<string>()!]);
  } else if (ctx.operationName === "fail") {
    await Promise.resolve();
    ctx.setState(["overwritten"]);
    throw new Error("async failure");
  }
  return notes.length;
});

function setup(store: Store = createMemoryStore()) {
  const clock = new ManualClock();
  const runtime = createRuntime({
    store,
    clock,
    logger: silent,
    orchestrators: [callsCounter, catchesBadAdd, holdsLock, breaksRules, counterAggregation, transferFunds],
    entities: [counter, account, asyncNotes],
  });
  return { clock, runtime, client: runtime.client, store };
}

describe("entities", () => {
  it("counts 1,000 concurrent signals from clients and orchestrations exactly", async () => {
    const { runtime, client } = setup();
    const id = entityId(counter, "hits");
    const fromClients = Array.from({ length: 500 }, () => client.signalEntity(id, "add", 1));
    const fromOrchestrations = Array.from({ length: 5 }, (_, i) => client.startNew(counterAggregation, { instanceId: `agg-${i}`, input: { key: "hits", signals: 100 } }));
    await Promise.all([...fromClients, ...fromOrchestrations]);
    await runtime.drain();
    expect(await client.readEntityState(id)).toEqual({ entityExists: true, entityState: 1000 });
    for (let i = 0; i < 5; i++) expect((await client.getStatus(`agg-${i}`))?.runtimeStatus).toBe("Completed");
  });

  it("answers calls from an orchestration in order, and records them as Durable Functions does", async () => {
    const { runtime, client } = setup();
    const id = await client.startNew(callsCounter, { input: "c1" });
    await runtime.drain();
    const status = await client.getStatus(id, { showHistory: true });
    expect(status?.output).toBe(7);
    const history = await client.getHistory(id);
    const sent = history.filter((e) => e.EventType === "EventSent");
    expect(sent.map((e) => e.EventType === "EventSent" && [e.InstanceId, e.Name])).toEqual([
      ["@counter@c1", "op"],
      ["@counter@c1", "op"],
      ["@counter@c1", "op"],
    ]);
    const answers = history.filter((e) => e.EventType === "EventRaised");
    expect(answers).toHaveLength(3);
    expect(replayHistory([callsCounter], history).ok).toBe(true);
  });

  it("detects a changed entity call on replay, naming the event", async () => {
    const { runtime, client } = setup();
    const id = await client.startNew(callsCounter, { input: "c2" });
    await runtime.drain();
    const history = await client.getHistory(id);
    const changed = orchestrator("CallsCounter", function* (ctx) {
      const counterId = entityId(counter, ctx.getInput<string>());
      yield* ctx.callEntity(counterId, "add", 6);
      return 0;
    });
    const result = replayHistory([changed], history);
    expect(result.ok).toBe(false);
    expect(result.problems[0]!.eventType).toBe("EventSent");
    expect(result.problems[0]!.message).toMatch(/operation 'add' with input 5/);
  });

  it("rolls back an operation that throws, and fails only that call", async () => {
    const { runtime, client } = setup();
    const id = await client.startNew(catchesBadAdd);
    await runtime.drain();
    expect((await client.getStatus(id))?.output).toEqual({ caught: "TypeError", value: 1 });
    expect(await client.readEntityState(new EntityId("Counter", "strict"))).toEqual({ entityExists: true, entityState: 1 });
  });

  it("awaits async operations, and rolls back an async failure", async () => {
    const { runtime, client } = setup();
    const notes = new EntityId("Notes", "n");
    await client.signalEntity(notes, "append", "a");
    await client.signalEntity(notes, "fail");
    await client.signalEntity(notes, "append", "b");
    await runtime.drain();
    expect(await client.readEntityState(notes)).toEqual({ entityExists: true, entityState: ["a", "b"] });
  });

  it("moves money in critical sections: 200 transfers between 10 accounts keep the total, and every lock is released", async () => {
    const { runtime, client } = setup();
    for (let i = 0; i < 10; i++) await client.signalEntity(entityId(account, `acct-${i}`), "deposit", 100);
    await runtime.drain();
    const ids = await Promise.all(
      Array.from({ length: 200 }, (_, i) => client.startNew(transferFunds, { input: { from: `acct-${i % 10}`, to: `acct-${(i * 7 + 3) % 10}`, amount: 1 + (i % 37) } })),
    );
    await runtime.drain();
    let total = 0;
    for (let i = 0; i < 10; i++) {
      const meta = await client.getEntity<{ balance: number }>(entityId(account, `acct-${i}`));
      expect(meta?.lockedBy).toBeNull();
      expect(meta?.backlogQueueSize).toBe(0);
      total += meta!.state!.balance;
    }
    expect(total).toBe(1000);
    const outcomes = await Promise.all(ids.map((id) => client.getStatus(id)));
    expect(outcomes.every((s) => s?.runtimeStatus === "Completed")).toBe(true);
    expect(outcomes.some((s) => s?.output === true)).toBe(true);
  });

  it("queues others' operations behind a lock, and releases it when the holder is terminated", async () => {
    const { runtime, client } = setup();
    const locked = new EntityId("Counter", "locked");
    const holder = await client.startNew(holdsLock);
    await runtime.drain();
    await client.signalEntity(locked, "add", 3);
    await runtime.drain();
    expect((await client.getEntity(locked))?.lockedBy).toBe(holder);
    expect((await client.getEntity(locked))?.backlogQueueSize).toBe(1);
    expect((await client.readEntityState(locked)).entityExists).toBe(false);
    const travel = await client.timeTravel(holder);
    const pending = travel.frames.map((f) => f.pending.map((p) => p.kind).join(","));
    expect(pending).toContain("lock");
    expect(pending[pending.length - 1]).toBe("event");
    await client.terminate(holder, "enough");
    await runtime.drain();
    expect(await client.getEntity(locked)).toMatchObject({ lockedBy: null, backlogQueueSize: 0, entityExists: true, state: 3 });
  });

  it("sends what the last step before continueAsNew sent to entities: a release, a signal (found by the fault simulator)", async () => {
    const loops = orchestrator("LocksThenLoops", function* (ctx) {
      const round = ctx.getInput<number>();
      const id = new EntityId("Counter", "loop");
      const lock = yield* ctx.lockEntities(id);
      yield* ctx.callEntity(id, "add", 1);
      lock.release();
      ctx.signalEntity(new EntityId("Counter", "signals"), "add", 1);
      if (round < 3) ctx.continueAsNew(round + 1);
      return round;
    });
    const rt = createRuntime({ store: createMemoryStore(), clock: new ManualClock(), logger: silent, orchestrators: [loops], entities: [counter] });
    const id = await rt.client.startNew(loops, { input: 1 });
    await rt.drain();
    expect((await rt.client.getStatus(id))?.output).toBe(3);
    expect(await rt.client.getEntity(new EntityId("Counter", "loop"))).toMatchObject({ lockedBy: null, state: 3 });
    expect(await rt.client.readEntityState(new EntityId("Counter", "signals"))).toEqual({ entityExists: true, entityState: 3 });
  });

  it("refuses to rewind an orchestration that failed inside a critical section (its locks were released)", async () => {
    const failsInLock = orchestrator("FailsInLock", function* (ctx) {
      yield* ctx.lockEntities(new EntityId("Counter", "rw"));
      yield* ctx.callEntity(new EntityId("Counter", "rw"), "add", "x" as unknown as number);
    });
    const rt = createRuntime({ store: createMemoryStore(), clock: new ManualClock(), logger: silent, orchestrators: [failsInLock], entities: [counter] });
    const id = await rt.client.startNew(failsInLock);
    await rt.drain();
    expect((await rt.client.getStatus(id))?.runtimeStatus).toBe("Failed");
    expect((await rt.client.getEntity(new EntityId("Counter", "rw")))?.lockedBy ?? null).toBeNull();
    await expect(rt.client.rewind(id)).rejects.toMatchObject({ code: "InvalidState", message: expect.stringMatching(/critical section/) });
  });

  it("enforces the locking rules inside a critical section", async () => {
    const { runtime, client } = setup();
    const id = await client.startNew(breaksRules);
    await runtime.drain();
    expect((await client.getStatus(id))?.output).toEqual(["LockingRulesViolation", "LockingRulesViolation", "LockingRulesViolation", "LockingRulesViolation"]);
  });

  it("delivers a scheduled signal at its time", async () => {
    const { runtime, client, clock } = setup();
    const id = new EntityId("Counter", "later");
    await client.signalEntity(id, "add", 4, { at: clock.now() + 60_000 });
    await runtime.drain();
    expect((await client.readEntityState(id)).entityExists).toBe(false);
    clock.advance(60_000);
    await runtime.drain();
    expect(await client.readEntityState(id)).toEqual({ entityExists: true, entityState: 4 });
  });

  it("lists entities apart from orchestrations, deletes them, and cleans up empty ones and orphaned locks", async () => {
    const { runtime, client, store } = setup();
    await client.signalEntity(new EntityId("Counter", "x"), "add", 1);
    await client.signalEntity(new EntityId("Counter", "y"), "add", 2);
    await client.signalEntity(new EntityId("Account", "z"), "deposit", 5);
    await client.startNew(callsCounter, { instanceId: "orch", input: "x" });
    await runtime.drain();
    expect((await client.listInstances()).instances.map((s) => s.instanceId)).toEqual(["orch"]);
    const all = await client.listEntities({ fetchState: true });
    expect(all.entities.map((e) => [e.entityId.name, e.entityId.key, e.state])).toEqual([
      ["account", "z", { balance: 5 }],
      ["counter", "x", 8],
      ["counter", "y", 2],
    ]);
    expect((await client.listEntities({ entityName: "Counter", pageSize: 1 })).continuationToken).not.toBeNull();
    await client.signalEntity(new EntityId("Counter", "y"), "delete");
    await runtime.drain();
    expect(await client.readEntityState(new EntityId("Counter", "y"))).toEqual({ entityExists: false });
    expect((await client.listEntities({ entityName: "counter" })).entities.map((e) => e.entityId.key)).toEqual(["x"]);
    // An orphaned lock: the entity believes an orchestration that no longer exists holds it.
    const orphan = new EntityId("Counter", "orphan");
    const holder = await client.startNew(holdsLock);
    await runtime.drain();
    await client.terminate(holder);
    const row = (await store.getInstance("@counter@locked"))!;
    await store.commitSteps([{ instanceId: "@counter@orphan", expectedEtag: null, instance: { ...row, instanceId: "@counter@orphan", input: row.input!.replace(holder, "gone"), etag: 1 }, history: { mode: "append", events: [] }, deleteMessageIds: [], dropExecution: null, messages: [], activities: [] }]);
    await runtime.drain();
    expect((await client.getEntity(orphan))?.lockedBy).toBe("gone");
    await client.signalEntity(orphan, "add", 1);
    await runtime.drain();
    expect(await client.cleanEntityStorage()).toEqual({ emptyEntitiesRemoved: 2, orphanedLocksReleased: 1 });
    await runtime.drain();
    expect(await client.getEntity(orphan)).toMatchObject({ lockedBy: null, state: 1 });
    expect(await store.getInstance("@counter@y")).toBeUndefined();
  });

  it("refuses orchestration operations on entity IDs, and unknown entities' calls fail", async () => {
    const { runtime, client, clock } = setup();
    await expect(client.getStatus("@counter@x")).rejects.toMatchObject({ code: "InvalidInstanceId" });
    await expect(client.raiseEvent("@counter@x", "e")).rejects.toMatchObject({ code: "InvalidInstanceId" });
    await expect(client.listInstances({ instanceIdPrefix: "@" })).rejects.toMatchObject({ code: "InvalidArgument" });
    // Purging an idle entity by its id would drop a signal still in its inbox: only cleanEntityStorage removes entities.
    const idle = new EntityId("Counter", "idle");
    await client.signalEntity(idle, "add", 1);
    await runtime.drain();
    await client.signalEntity(idle, "delete");
    await runtime.drain();
    await client.signalEntity(idle, "add", 2, { at: clock.now() + 60_000 });
    await expect(client.purge("@counter@idle")).rejects.toMatchObject({ code: "InvalidInstanceId" });
    expect((await client.cleanEntityStorage()).emptyEntitiesRemoved).toBe(0);
    clock.advance(60_000);
    await runtime.drain();
    expect(await client.readEntityState(idle)).toEqual({ entityExists: true, entityState: 2 });
    expect(() => new EntityId("Counter", "a/b")).toThrow(/must not contain '\/'/);
    const callsUnknown = orchestrator("CallsUnknown", function* (ctx) {
      try {
        return yield* ctx.callEntity(new EntityId("Nope", "k"), "get");
      } catch (error) {
        return (error as TaskFailedError).failureDetails.ErrorType;
      }
    });
    const rt = createRuntime({ store: createMemoryStore(), clock: new ManualClock(), logger: silent, orchestrators: [callsUnknown] });
    const id = await rt.client.startNew(callsUnknown);
    await rt.drain();
    expect((await rt.client.getStatus(id))?.output).toBe("UnknownEntity");
    await runtime.drain();
  });

  it("applies no operation twice or never when a batch's commit fails (a crash mid-batch), then restarts", async () => {
    const inner = createMemoryStore();
    let failNext = 1;
    const store: Store = Object.assign(Object.create(inner) as Store, {
      runSteps: undefined,
      commitSteps(commits: readonly StepCommit[]): Promise<CommitOutcome[]> {
        if (commits.some((c) => c.instanceId.startsWith("@")) && failNext-- > 0) return Promise.reject(new Error("crash before the commit"));
        return inner.commitSteps(commits);
      },
    });
    const first = setup(store);
    const id = new EntityId("Counter", "crashy");
    await Promise.all(Array.from({ length: 50 }, () => first.client.signalEntity(id, "add", 1)));
    await first.runtime.drain();
    await first.runtime.stop();
    // A new runtime over the same store (a restart) finishes what the first could not commit.
    const second = setup(store);
    second.clock.set(first.clock.now() + 120_000);
    await second.runtime.drain();
    expect(failNext).toBeLessThan(0);
    expect(await second.client.readEntityState(id)).toEqual({ entityExists: true, entityState: 50 });
  });
});
