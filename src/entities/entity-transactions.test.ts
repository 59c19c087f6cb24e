/**
 * Where an entity's batch commits: a batch of synchronous operations inside the step's own store
 * transaction (one transaction per batch, as for an orchestration's step); a batch with an async
 * operation after it, once, even when the store plans a step twice. And a client's signals sent
 * in one turn go to the store in one append, in order, each failing only for itself.
 */
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../adapters/memory/index.ts";
import { counter } from "../../examples/entities.ts";
import { ManualClock } from "../clock.ts";
import { orchestrator } from "../definitions.ts";
import { createRuntime } from "../runtime.ts";
import type { InboxMessage, Store } from "../store.ts";
import { entity } from "./entity-definition.ts";
import { entityId } from "./entity-id.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** The memory store, counting its writing calls; with `planTwice`, `runSteps` plans every step twice (as the contract allows). */
function countingStore(planTwice = false) {
  const inner = createMemoryStore();
  const runSteps = inner.runSteps!.bind(inner);
  const calls = { runSteps: 0, commitSteps: 0, appendMessages: 0 };
  const store: Store = Object.create(inner, {
    appendMessages: {
      value: (messages: readonly InboxMessage[]) => {
        calls.appendMessages++;
        // A store that refuses any append holding a signal whose input is 999 (as it would a value it cannot hold).
        if (messages.some((m) => m.event.EventType === "EventRaised" && m.event.Input?.includes('"input":"999"'))) {
          return Promise.reject(new Error("refused: 999"));
        }
        return inner.appendMessages(messages);
      },
    },
    commitSteps: {
      value: (commits: Parameters<Store["commitSteps"]>[0]) => {
        calls.commitSteps++;
        return inner.commitSteps(commits);
      },
    },
    runSteps: {
      value: async (requests: Parameters<NonNullable<Store["runSteps"]>>[0], now: number, plan: Parameters<NonNullable<Store["runSteps"]>>[2]) => {
        calls.runSteps++;
        if (!planTwice) return runSteps(requests, now, plan);
        // A first plan whose commits are dropped, then the one that counts, both on whole histories.
        const whole = requests.map((r) => ({ instanceId: r.instanceId }));
        plan(await inner.loadSteps(whole, now));
        return runSteps(whole, now, plan);
      },
    },
  }) as Store;
  return { store, calls };
}

const callsTwice = orchestrator("CallsTwice", function* (ctx) {
  const id = entityId(counter, "calls");
  yield* ctx.callEntity(id, "add", 2);
  yield* ctx.callEntity(id, "add", 3);
  return yield* ctx.callEntity(id, "get");
});

describe("entity batches and store transactions", () => {
  it("commits a batch of synchronous operations in the step's own transaction", async () => {
    const { store, calls } = countingStore();
    const runtime = createRuntime({ store, clock: new ManualClock(), logger: silent, orchestrators: [callsTwice], entities: [counter] });
    for (let i = 0; i < 5; i++) await runtime.client.signalEntity(entityId(counter, "signals"), "add", 1);
    const id = await runtime.client.startNew(callsTwice);
    await runtime.drain();
    expect(await runtime.client.readEntityState(entityId(counter, "signals"))).toEqual({ entityExists: true, entityState: 5 });
    expect((await runtime.client.getStatus(id))?.output).toBe(5);
    // Every batch and every step committed by runSteps: none needed a commit of its own.
    expect(calls.commitSteps).toBe(0);
    expect(calls.runSteps).toBeGreaterThan(0);
  });

  it("commits a batch with an async operation after the transaction, running the operation once when the store plans twice", async () => {
    let runs = 0;
    const slow = entity("Slow", async (ctx) => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 1));
      ctx.setState((ctx.getState(() => 0) ?? 0) + 1);
      return runs;
    });
    const callsSlow = orchestrator("CallsSlow", function* (ctx) {
      return yield* ctx.callEntity(entityId(slow, "s"), "bump");
    });
    const { store, calls } = countingStore(true);
    const runtime = createRuntime({ store, clock: new ManualClock(), logger: silent, orchestrators: [callsSlow], entities: [slow] });
    const id = await runtime.client.startNew(callsSlow);
    await runtime.drain();
    expect(runs).toBe(1);
    expect((await runtime.client.getStatus(id))?.output).toBe(1);
    expect(await runtime.client.readEntityState(entityId(slow, "s"))).toEqual({ entityExists: true, entityState: 1 });
    expect(calls.commitSteps).toBe(1); // the async batch's own commit
  });

  it("stores a client's signals sent in one turn in one append, in the order sent", async () => {
    const { store, calls } = countingStore();
    const runtime = createRuntime({ store, clock: new ManualClock(), logger: silent, entities: [counter] });
    const id = entityId(counter, "turn");
    await Promise.all([...Array.from({ length: 50 }, () => runtime.client.signalEntity(id, "add", 1)), runtime.client.signalEntity(id, "reset"), runtime.client.signalEntity(id, "add", 5)]);
    expect(calls.appendMessages).toBe(1);
    await runtime.drain();
    expect(await runtime.client.readEntityState(id)).toEqual({ entityExists: true, entityState: 5 });
  });

  it("fails only the signal the store refuses when it came with others", async () => {
    const { store, calls } = countingStore();
    const runtime = createRuntime({ store, clock: new ManualClock(), logger: silent, entities: [counter] });
    const id = entityId(counter, "refused");
    const outcomes = await Promise.allSettled([runtime.client.signalEntity(id, "add", 1), runtime.client.signalEntity(id, "add", 999), runtime.client.signalEntity(id, "add", 2)]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ message: "refused: 999" });
    expect(calls.appendMessages).toBe(4); // the three together, refused; then each alone
    await runtime.drain();
    expect(await runtime.client.readEntityState(id)).toEqual({ entityExists: true, entityState: 3 });
  });
});
