/**
 * The browser host in Node: two "tabs" (two hosts) on one fake-indexeddb database, with Node's
 * BroadcastChannel and a small in-process Web Locks implementation. The real thing runs in
 * Chromium (`indexeddb.browser.test.ts`); this keeps the election and relaying covered without it.
 */
import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { afterEach, describe, expect, it } from "vitest";
import { samples } from "../../examples/index.ts";
import { DurableError } from "../../src/errors.ts";
import { createBrowserRuntime, type BrowserRuntime } from "./browser.ts";

/** Exclusive locks granted in request order; enough of `LockManager` for the host. */
function createLocks(): LockManager {
  const queues = new Map<string, Array<() => void>>();
  const held = new Set<string>();
  const grantNext = (name: string) => {
    const next = queues.get(name)?.shift();
    if (next) next();
  };
  const request = (name: string, options: LockOptions, callback: LockGrantedCallback<unknown>) =>
    new Promise((resolve, reject) => {
      const grant = () => {
        held.add(name);
        Promise.resolve(callback({ name, mode: "exclusive" } as Lock))
          .then(resolve, reject)
          .finally(() => {
            held.delete(name);
            grantNext(name);
          });
      };
      options.signal?.addEventListener("abort", () => {
        const queue = queues.get(name) ?? [];
        const at = queue.indexOf(grant);
        if (at >= 0) queue.splice(at, 1);
        reject(new DOMException("The request was aborted.", "AbortError"));
      });
      if (!held.has(name)) grant();
      else queues.set(name, [...(queues.get(name) ?? []), grant]);
    });
  return { request, query: async () => ({ held: [], pending: [] }) } as unknown as LockManager;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const open: BrowserRuntime[] = [];

function tab(factory: IDBFactory, locks: LockManager): BrowserRuntime {
  const host = createBrowserRuntime({ dbName: "tabs", indexedDB: factory, locks, logger: silent, ...samples });
  open.push(host);
  return host;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

describe("browser host (Node, fake Web Locks)", () => {
  it("one tab leads, another starts work through it, sees the result live, and takes over when the leader closes", async () => {
    const factory = new IDBFactory();
    const locks = createLocks();
    const leader = tab(factory, locks);
    await leader.whenLeader();
    const follower = tab(factory, locks);
    const seen: string[] = [];
    follower.onChange((row) => seen.push(`${row.instanceId}:${row.runtimeStatus}`));
    expect(leader.isLeader()).toBe(true);
    expect(follower.isLeader()).toBe(false);

    const id = await follower.client.startNew("OrchestratorFunction", { instanceId: "from-follower" });
    const status = await follower.client.waitForCompletion(id, { timeoutMs: 10_000 });
    expect(status.output).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
    expect(seen).toContain("from-follower:Completed"); // relayed over BroadcastChannel

    const changes: boolean[] = [];
    follower.onLeaderChange((isLeader) => changes.push(isLeader));
    await leader.close();
    await follower.whenLeader();
    expect(changes).toEqual([true]);
    const next = await follower.client.startNew("FanOutFanIn", { input: { count: 20 } });
    expect((await follower.client.waitForCompletion(next, { timeoutMs: 10_000 })).output).toEqual({ count: 20, sum: 2870 });
  });

  it("entities: only the leader runs them; a follower's signal wakes the idle leader; both tabs read the same state", async () => {
    const factory = new IDBFactory();
    const locks = createLocks();
    const leader = tab(factory, locks);
    await leader.whenLeader();
    const follower = tab(factory, locks);
    const counterId = { name: "Counter", key: "tabs" };
    const valueIn = async (host: BrowserRuntime) => (await host.client.readEntityState<number>(counterId)).entityState;
    const until = async (check: () => Promise<boolean>) => {
      for (let i = 0; i < 500 && !(await check()); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    await Promise.all([
      ...Array.from({ length: 50 }, () => follower.client.signalEntity(counterId, "add", 1)),
      ...Array.from({ length: 50 }, () => leader.client.signalEntity(counterId, "add", 1)),
    ]);
    const agg = await follower.client.startNew("CounterAggregation", { input: { key: "tabs", signals: 20 } });
    expect((await follower.client.waitForCompletion(agg, { timeoutMs: 10_000 })).output).toBeGreaterThanOrEqual(20);
    await until(async () => (await valueIn(follower)) === 120);
    expect(await valueIn(follower)).toBe(120);
    // Idle now: nothing due, so only the follower's wake can make the leader run the next signal.
    expect(await leader.store.nextWakeAt()).toBeNull();
    await follower.client.signalEntity(counterId, "add", 5);
    await until(async () => (await valueIn(leader)) === 125);
    expect(await valueIn(leader)).toBe(125);
    expect(follower.store.stats.commits).toBe(0); // the follower never ran a batch
    expect((await follower.client.listEntities()).entities.map((e) => e.entityId)).toEqual([{ name: "counter", key: "tabs" }]);
  });

  it("one bad instance never stops the tab: an 800 KB event is refused, a 30,000-way fan-out fails alone", async () => {
    const host = tab(new IDBFactory(), createLocks());
    await host.whenLeader();
    const waiting = await host.client.startNew("HumanInteraction", { input: { timeoutSeconds: 600 } });
    const refused = await host.client.raiseEvent(waiting, "Approval", "a".repeat(800 * 1024)).catch((e: unknown) => e);
    expect(DurableError.is(refused, "PayloadTooLarge")).toBe(true);
    const huge = await host.client.startNew("FanOutFanIn", { input: { count: 30_000 } });
    const neighbours = await Promise.all([1, 2, 3].map(() => host.client.startNew("OrchestratorFunction")));
    const failed = await host.client.waitForCompletion(huge, { timeoutMs: 20_000 });
    expect(failed.runtimeStatus).toBe("Failed");
    expect(failed.failureDetails?.ErrorType).toBe("StepTooLarge");
    for (const id of neighbours) expect((await host.client.waitForCompletion(id, { timeoutMs: 10_000 })).runtimeStatus).toBe("Completed");
    await host.client.raiseEvent(waiting, "Approval", "yes");
    expect((await host.client.waitForCompletion(waiting, { timeoutMs: 10_000 })).output).toEqual({ approved: true, approval: "yes" });
  });

  it("refuses to start without Web Locks, with a typed error", () => {
    const saved = Object.getOwnPropertyDescriptor(globalThis, "navigator");
    Object.defineProperty(globalThis, "navigator", { value: {}, configurable: true, writable: true });
    const error = (() => {
      try {
        createBrowserRuntime({ dbName: "x", indexedDB: new IDBFactory(), logger: silent });
      } catch (e) {
        return e;
      } finally {
        if (saved) Object.defineProperty(globalThis, "navigator", saved);
        else delete (globalThis as { navigator?: unknown }).navigator;
      }
    })();
    expect(DurableError.is(error, "StoreUnavailable")).toBe(true);
    expect((error as Error).message).toMatch(/Web Locks/);
  });
});
