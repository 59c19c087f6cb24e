/**
 * Entities in the dashboard's pure parts, fed by the real core (memory store, manual clock): the
 * requests an orchestration's history records (calls answered, signals, a critical section
 * requested, granted and released), the section it holds or waits for, the timeline's entity rows,
 * the routes of the entities view, and which entities the list shows in which order.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryStore } from "../adapters/memory/index.ts";
import { account, samples } from "../examples/index.ts";
import { createRuntime, entity, entityId, EntityId, ManualClock, orchestrator, toHistoryEvents, type Runtime } from "../src/index.ts";
import type { EntityInfo } from "./src/backend.ts";
import { toDetailedHistory } from "./src/detailed-history.ts";
import { openCriticalSection, readEntityHistory } from "./src/entity-history.ts";
import { displayName, entityLabel, entityView, isShown, sortEntities, splitEntityInstanceId, toEntityInfo } from "./src/entity-model.ts";
import { readRoute, writeRoute } from "./src/route.ts";
import { holdAccounts } from "./src/tab-samples.ts";
import { toTimeline } from "./src/timeline.ts";

const strict = entity("Strict", (ctx) => {
  if (ctx.operationName === "fail") throw new RangeError("no, not that");
  return "fine";
});
const callsStrict = orchestrator("CallsStrict", function* (ctx) {
  try {
    yield* ctx.callEntity(new EntityId("Strict", "s"), "fail");
  } catch {
    // expected
  }
  return yield* ctx.callEntity(new EntityId("Strict", "s"), "ok");
});

const readsBob = orchestrator("ReadsBob", function* (ctx) {
  return yield* ctx.callEntity(new EntityId("Account", "bob"), "get");
});

const runtimes: Runtime[] = [];
function runtime(clock = new ManualClock()): { r: Runtime; clock: ManualClock } {
  const r = createRuntime({
    store: createMemoryStore(),
    clock,
    orchestrators: [...samples.orchestrators, holdAccounts, callsStrict, readsBob],
    activities: samples.activities,
    entities: [...samples.entities, strict],
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
  runtimes.push(r);
  return { r, clock };
}
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.stop()));
});

const detailed = async (r: Runtime, id: string) => toDetailedHistory(await r.client.getHistory(id));

describe("entities in an orchestration's history", () => {
  it("reads a transfer's critical section and calls: requested, granted, answered, released", async () => {
    const { r, clock } = runtime();
    await r.client.signalEntity(entityId(account, "alice"), "deposit", 100);
    await r.drain();
    const id = await r.client.startNew("TransferFunds", { input: { from: "alice", to: "bob", amount: 30 } });
    clock.advance(5);
    await r.drain();
    const rows = await detailed(r, id);
    const { requests, folded } = readEntityHistory(rows);
    expect(requests.map((q) => [q.kind, q.entity, q.op, q.input])).toEqual([
      ["lock", "@account@alice", null, undefined],
      ["call", "@account@alice", "get", undefined],
      ["call", "@account@alice", "withdraw", 30],
      ["call", "@account@bob", "deposit", 30],
    ]);
    expect(requests[0]!.lockset).toEqual(["@account@alice", "@account@bob"]);
    expect(requests.slice(1).map((q) => q.result)).toEqual([100, 70, 30]);
    expect(requests.every((q) => q.answeredAt !== null)).toBe(true);
    expect(requests[0]!.releasedAt).not.toBeNull();
    // Every answer and both releases are folded into the requests: no row left over as a plain event.
    expect(folded.size).toBe(4 + 2);
    expect(rows.filter((e) => e.EventType === "EventRaised" && !folded.has(e))).toEqual([]);
    // Finished: no section held.
    expect(openCriticalSection(rows, true)).toBeNull();

    const entries = toTimeline(rows, true).filter((e) => e.kind === "entity");
    expect(entries.map((e) => [e.label, e.title, e.outcome])).toEqual([
      ["Critical section", "Account alice, Account bob", "ok"],
      ["Entity call", "Account alice: get", "ok"],
      ["Entity call", "Account alice: withdraw", "ok"],
      ["Entity call", "Account bob: deposit", "ok"],
    ]);
    expect(entries[0]!.note).toMatch(/^acquired \d\d:\d\d:\d\d \(after .+\), released \d\d:\d\d:\d\d$/);
    expect(entries[0]!.entities).toEqual(["@account@alice", "@account@bob"]);
    expect(entries[0]!.end).toBeGreaterThanOrEqual(entries[3]!.end!);
    expect(entries[2]!.input).toBe(30);
    expect(entries[2]!.result).toBe(70);
    expect(toTimeline(rows, true).some((e) => e.kind === "event")).toBe(false);
  });

  it("says which section an orchestration holds and which one waits behind it", async () => {
    const { r } = runtime();
    const holder = await r.client.startNew(holdAccounts, { input: { accounts: ["bob"] } });
    await r.drain();
    const held = openCriticalSection(await detailed(r, holder), false);
    expect(held).toMatchObject({ lockset: ["@account@bob"], state: "held" });
    expect(held!.acquiredAt).not.toBeNull();

    const transfer = await r.client.startNew("TransferFunds", { input: { from: "alice", to: "bob", amount: 1 } });
    await r.drain();
    const rows = await detailed(r, transfer);
    expect(openCriticalSection(rows, false)).toMatchObject({ lockset: ["@account@alice", "@account@bob"], state: "waiting", acquiredAt: null });
    const [section] = toTimeline(rows, false).filter((e) => e.kind === "entity");
    expect([section!.label, section!.outcome, section!.end, section!.note]).toEqual(["Critical section", "pending", null, "waiting for the locks"]);
    // What the entities say: alice is the transfer's, bob the holder's with the transfer's request behind it.
    const alice = toEntityInfo((await r.client.getEntity(new EntityId("Account", "alice")))!);
    const bob = toEntityInfo((await r.client.getEntity(new EntityId("Account", "bob")))!);
    expect([alice.lockedBy, alice.backlog, alice.exists]).toEqual([transfer, 0, false]);
    expect([bob.lockedBy, bob.backlog, bob.exists]).toEqual([holder, 1, false]);
    expect([isShown(alice), isShown(bob)]).toEqual([true, true]);

    await r.client.raiseEvent(holder, "Release", null);
    await r.drain();
    const done = await r.client.getStatus(transfer);
    expect(done?.output).toBe(false); // alice had nothing to move
    expect(openCriticalSection(await detailed(r, holder), false)).toBeNull(); // released (sent before the end)
    // The transfer's get gave alice (a class) her first state; both locks are free again.
    const after = toEntityInfo((await r.client.getEntity(new EntityId("Account", "alice")))!);
    expect([after.exists, after.state, after.lockedBy, after.lastOperation]).toEqual([true, { balance: 0 }, null, "get"]);
    expect(toEntityInfo((await r.client.getEntity(new EntityId("Account", "bob")))!).lockedBy).toBeNull();
  });

  it("shows signals at once, a failed call failed, and a waiting call pending", async () => {
    const { r } = runtime();
    const agg = await r.client.startNew("CounterAggregation", { input: { key: "k", signals: 3 } });
    await r.drain();
    const rows = toTimeline(await detailed(r, agg), true).filter((e) => e.kind === "entity");
    expect(rows.map((e) => [e.label, e.title, e.outcome, e.end === null])).toEqual([
      ["Entity signal", "Counter k: add", "info", false],
      ["Entity signal", "Counter k: add", "info", false],
      ["Entity signal", "Counter k: add", "info", false],
      ["Entity call", "Counter k: get", "ok", false],
    ]);
    expect(rows.slice(0, 3).every((e) => e.start === e.end)).toBe(true);
    expect(rows[0]!.input).toBe(1);
    expect(rows[3]!.result).toBe(3);

    const s = await r.client.startNew(callsStrict);
    await r.drain();
    const calls = readEntityHistory(await detailed(r, s)).requests;
    expect(calls.map((c) => [c.op, c.failure ?? null, c.result ?? null])).toEqual([
      ["fail", "RangeError: no, not that", null],
      ["ok", null, "fine"],
    ]);
    const entries = toTimeline(await detailed(r, s), true).filter((e) => e.kind === "entity");
    expect(entries.map((e) => e.outcome)).toEqual(["failed", "ok"]);
    expect(entries[0]!.failure).toBe("RangeError: no, not that");

    // A call not answered yet (the entity is locked by someone else): pending, no end.
    const holder = await r.client.startNew(holdAccounts, { input: { accounts: ["bob"] } });
    await r.drain();
    const reader = await r.client.startNew(readsBob);
    await r.drain();
    const pending = toTimeline(await detailed(r, reader), false).filter((e) => e.kind === "entity");
    expect(pending.map((e) => [e.label, e.title, e.outcome, e.end])).toEqual([["Entity call", "Account bob: get", "pending", null]]);
    await r.client.raiseEvent(holder, "Release", null);
    await r.drain();
    expect((await r.client.getStatus(reader))?.output).toBe(0);
  });

  it("keeps EventSent as a plain row where the history does not carry what was sent (the status API's rendering)", async () => {
    const { r } = runtime();
    const agg = await r.client.startNew("CounterAggregation", { input: { key: "api", signals: 1 } });
    await r.drain();
    const rows = toHistoryEvents(await r.client.getHistory(agg), { showHistoryOutput: true });
    const kinds = toTimeline(rows, true).map((e) => `${e.kind}:${e.label}`);
    expect(kinds).toContain("event:Event sent");
    expect(kinds.some((k) => k.startsWith("entity:"))).toBe(false);
  });
});

describe("the entities view's model and routes", () => {
  const info = (name: string, key: string, extra: Partial<EntityInfo> = {}): EntityInfo => ({ ...toEntityInfo({ entityId: { name, key } }), ...extra });

  it("names entities as registered, sorts by name then key, filters by key and pages", () => {
    expect(displayName("account")).toBe("Account");
    expect(displayName("thermostat")).toBe("thermostat");
    expect(entityLabel("counter", "")).toBe("Counter (empty key)");
    expect(splitEntityInstanceId("@account@a@b")).toEqual({ name: "account", key: "a@b" });
    expect(splitEntityInstanceId("abc")).toBeNull();
    const all = [info("counter", "b"), info("account", "z"), info("counter", "a"), info("Account", "B")];
    expect(sortEntities(all).map((e) => e.instanceId)).toEqual(["@account@B", "@account@z", "@counter@a", "@counter@b"]);
    const page = entityView(all, { keyFilter: "b", pageSize: 1, pageIndex: 5 });
    expect([page.total, page.pageCount, page.pageIndex, page.rows[0]!.instanceId]).toEqual([2, 2, 1, "@counter@b"]);
  });

  it("lists entities with state, a lock or a backlog, and reads a Durable Functions listing (no lock fields) as having state", () => {
    expect(isShown(info("a", "1", { exists: false }))).toBe(false);
    expect(isShown(info("a", "1", { exists: false, lockedBy: "o" }))).toBe(true);
    expect(isShown(info("a", "1", { exists: false, backlog: 2 }))).toBe(true);
    const df = toEntityInfo({ entityId: { name: "counter", key: "x" }, lastOperationTime: "2026-12-01T00:00:00Z", state: 3 });
    expect(df).toEqual({ instanceId: "@counter@x", name: "counter", key: "x", exists: true, state: 3, lastOperation: null, lastOperationTime: "2026-12-01T00:00:00Z", lockedBy: null, backlog: 0 });
  });

  it("keeps the view and the open orchestration or entity in the hash, unambiguously", () => {
    const cases = [
      { side: "tab", view: "instances", instanceId: null },
      { side: "edge", view: "instances", instanceId: "abc" },
      { side: "tab", view: "entities", instanceId: null },
      { side: "tab", view: "entities", instanceId: "@account@alice" },
      { side: "edge", view: "entities", instanceId: "3f2a" },
      { side: "tab", view: "entities", instanceId: "@counter@a b@c" },
    ] as const;
    for (const route of cases) expect(readRoute(writeRoute(route))).toEqual(route);
    expect(writeRoute({ side: "tab", view: "entities", instanceId: "@account@alice" })).toBe("#/tab/@entities/@account@alice");
    expect(writeRoute({ side: "tab", view: "instances", instanceId: "abc" })).toBe("#/tab/abc");
    // Old links still open what they did.
    expect(readRoute("#/edge/abc")).toEqual({ side: "edge", view: "instances", instanceId: "abc" });
    // An entity's id alone opens it in the entities view.
    expect(readRoute("#/tab/@account@alice")).toEqual({ side: "tab", view: "entities", instanceId: "@account@alice" });
    expect(readRoute("#/tab/%40account%40alice")).toEqual({ side: "tab", view: "entities", instanceId: "@account@alice" });
  });
});
