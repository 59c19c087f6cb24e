/**
 * `DurableClient.watch` over the memory store: the state now, then one change per commit of the
 * runtime (none read in between), commits made while the watcher is busy merged into one read,
 * a purge as the last change, `return()` ending a waiting `next()` and letting go of the
 * subscription, the signal, and a client made without a runtime falling back to reading on an
 * interval.
 */
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../adapters/memory/index.ts";
import { DurableClient } from "./client.ts";
import { ManualClock } from "./clock.ts";
import { orchestrator } from "./definitions.ts";
import type { InstanceRecord, Store } from "./store.ts";
import { createRuntime, type Runtime } from "./runtime.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const twoAdds = orchestrator("TwoAdds", function* (ctx) {
  const a = yield* ctx.waitForExternalEvent<number>("Add");
  ctx.setCustomStatus({ a });
  const b = yield* ctx.waitForExternalEvent<number>("Add");
  return a + b;
});

/** A runtime (not started: `drain` steps it) and a client of its store whose subscriptions and reads are counted. */
function setup() {
  const counted = { reads: 0, subscribers: 0 };
  const base = createMemoryStore();
  const store = new Proxy(base, {
    get(target, key) {
      if (key === "getInstance") {
        return (id: string) => {
          counted.reads++;
          return target.getInstance(id);
        };
      }
      const value = Reflect.get(target, key) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as Store;
  const clock = new ManualClock();
  const runtime: Runtime = createRuntime({ store, clock, orchestrators: [twoAdds], logger: silent });
  const client = new DurableClient({
    store,
    clock,
    onWrite: () => runtime.wake(),
    subscribe: (listener: (row: InstanceRecord) => void) => {
      counted.subscribers++;
      const off = runtime.onChange(listener);
      return () => {
        counted.subscribers--;
        off();
      };
    },
  });
  return { runtime, client, store, counted };
}

/** Whether the promise settles within a few turns of the event loop (it should not, when nothing changed). */
async function settlesSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return settled;
}

describe("DurableClient.watch", () => {
  it("yields the state now, then one change per commit, reading nothing in between", async () => {
    const { runtime, client, counted } = setup();
    const id = await client.startNew("TwoAdds", { instanceId: "w1" });
    const watch = client.watch(id, { status: { showHistory: true }, history: true });
    expect((await watch.next()).value).toMatchObject({ status: { runtimeStatus: "Pending" }, history: [] });
    const reads = counted.reads;
    const running = watch.next();
    expect(await settlesSoon(running)).toBe(false); // nothing changed: no read, no answer
    expect(counted.reads).toBe(reads);
    await runtime.drain();
    expect(await settlesSoon(running)).toBe(true); // told by the commit, not found by a later poll
    const change = (await running).value!;
    expect(change.status?.runtimeStatus).toBe("Running");
    expect(change.history?.map((e) => e.EventType)).toEqual(["OrchestratorStarted", "ExecutionStarted", "OrchestratorCompleted"]);
    expect(change.status?.historyEvents?.[0]).toMatchObject({ EventType: "ExecutionStarted" });
    expect(counted.reads).toBe(reads + 1);

    await client.raiseEvent(id, "Add", 2);
    await runtime.drain();
    expect((await watch.next()).value?.status?.customStatus).toEqual({ a: 2 });
    await client.raiseEvent(id, "Add", 3);
    await runtime.drain();
    expect((await watch.next()).value?.status).toMatchObject({ runtimeStatus: "Completed", output: 5 });
    await watch.return();
    expect(counted.subscribers).toBe(0);
  });

  it("merges commits made while the watcher is busy into one read of the latest state", async () => {
    const { runtime, client } = setup();
    const id = await client.startNew("TwoAdds", { instanceId: "w2" });
    const watch = client.watch(id);
    await watch.next();
    await runtime.drain(); // Running
    await client.raiseEvent(id, "Add", 1);
    await runtime.drain(); // custom status
    await client.raiseEvent(id, "Add", 1);
    await runtime.drain(); // Completed
    expect((await watch.next()).value?.status).toMatchObject({ runtimeStatus: "Completed", output: 2 });
    expect(await settlesSoon(watch.next())).toBe(false); // the three commits were one change
    await watch.return();
  });

  it("a purge is the last change (no status), after which it is done and subscribed to nothing", async () => {
    const { runtime, client, counted } = setup();
    const id = await client.startNew("TwoAdds", { instanceId: "w3" });
    await runtime.drain();
    await client.terminate(id, "stop");
    await runtime.drain();
    const watch = client.watch(id);
    expect((await watch.next()).value?.status?.runtimeStatus).toBe("Terminated");
    expect(counted.subscribers).toBe(1);
    const next = watch.next();
    await client.purge(id); // a write of the client, not a commit of the runtime
    expect(await next).toEqual({ done: false, value: { status: undefined } });
    expect(await watch.next()).toEqual({ done: true, value: undefined });
    expect(counted.subscribers).toBe(0);
    // An id that never existed: one change without status, then done.
    const none = client.watch("nobody");
    expect(await none.next()).toEqual({ done: false, value: { status: undefined } });
    expect((await none.next()).done).toBe(true);
  });

  it("return() ends a waiting next() at once, and so does the signal", async () => {
    const { client, counted } = setup();
    const id = await client.startNew("TwoAdds", { instanceId: "w4" });
    const watch = client.watch(id);
    await watch.next();
    const waiting = watch.next();
    await watch.return();
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(counted.subscribers).toBe(0);

    const abort = new AbortController();
    const signalled = client.watch(id, { signal: abort.signal });
    await signalled.next();
    const pending = signalled.next();
    abort.abort();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(counted.subscribers).toBe(0);
    // for await … break ends it too.
    for await (const change of client.watch(id)) {
      expect(change.status?.runtimeStatus).toBe("Pending");
      break;
    }
    expect(counted.subscribers).toBe(0);
  });

  it("refuses an entity's id, as getStatus does", () => {
    const { client } = setup();
    expect(() => client.watch("@counter@k")).toThrow(expect.objectContaining({ code: "InvalidInstanceId" }));
    expect(() => client.watch("")).toThrow(expect.objectContaining({ code: "InvalidInstanceId" }));
  });

  it("a client made without a runtime reads every pollIntervalMs, and sees what another client's runtime commits", async () => {
    const { runtime, client, store } = setup();
    const id = await client.startNew("TwoAdds", { instanceId: "w5" });
    const alone = new DurableClient({ store, clock: new ManualClock() });
    const watch = alone.watch(id, { pollIntervalMs: 5 });
    expect((await watch.next()).value?.status?.runtimeStatus).toBe("Pending");
    await runtime.drain();
    let change = (await watch.next()).value;
    while (change?.status?.runtimeStatus === "Pending") change = (await watch.next()).value;
    expect(change?.status?.runtimeStatus).toBe("Running");
    await watch.return();
    expect(() => alone.watch(id, { pollIntervalMs: 0 })).toThrow(/pollIntervalMs must be a positive number/);
  });
});
