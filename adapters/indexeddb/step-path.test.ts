/**
 * The IndexedDB step path (fake-indexeddb in Node): one transaction per group of steps
 * (`runSteps`), write-behind activity results, activities leased by the commit that queues them,
 * and claims answered from memory. Two store objects on one database stand for two tabs.
 */
import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { afterEach, describe, expect, it } from "vitest";
import { DurableError } from "../../src/errors.ts";
import type { HistoryEvent } from "../../src/history.ts";
import type { ActivityWorkItem, ClaimedActivity, InboxMessage, InstanceRecord, StepCommit, StepInput } from "../../src/store.ts";
import { row, startMessage } from "../contract/store-contract.ts";
import { createIndexedDbStore, type IndexedDbStore } from "./index.ts";
import { HISTORY_TAIL, INLINE_ACTIVITIES, type StoredInstance } from "./schema.ts";
import { openVersion1Database } from "./schema-v1.fixture.ts";

const T0 = Date.UTC(2026, 0, 1);
const LEASE = 1000;
const claim = (store: IndexedDbStore, now = T0) => store.claimWork(now, { instanceLimit: 100, activityLimit: 100, leaseMs: LEASE });
const open: IndexedDbStore[] = [];

const factories = new WeakMap<IndexedDbStore, IDBFactory>();
const factoryOf = (store: IndexedDbStore) => factories.get(store)!;

function stores(signalled = true) {
  const factory = new IDBFactory();
  const make = (externalWritesSignalled = signalled) => {
    const store = createIndexedDbStore({ name: "steps", indexedDB: factory, externalWritesSignalled });
    factories.set(store, factory);
    open.push(store);
    return store;
  };
  return { make };
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const create = (store: IndexedDbStore, r: InstanceRecord) => store.createInstance(r, startMessage(r), { overwritableStatuses: [] });

function activity(r: InstanceRecord, taskId: number): ActivityWorkItem {
  return { id: `${r.instanceId}|${r.executionId}|${taskId}`, instanceId: r.instanceId, executionId: r.executionId, taskId, name: "Work", input: `${taskId}`, enqueuedAt: T0 };
}

function resultOf(a: ClaimedActivity, at = T0): InboxMessage {
  return {
    id: `${a.id}|result`,
    instanceId: a.instanceId,
    executionId: a.executionId,
    visibleAt: at,
    event: { EventType: "TaskCompleted", EventId: -1, Timestamp: at, TaskScheduledId: a.taskId, Result: `"done ${a.taskId}"` },
  };
}

/** A step that consumes every message, records them as events, and queues `activities`. */
function stepOf(input: StepInput, changes: Partial<StepCommit> = {}): StepCommit {
  const current = input.instance!;
  const events: HistoryEvent[] = input.messages.map((m) => m.event);
  return {
    instanceId: input.instanceId,
    expectedEtag: current.etag,
    instance: { ...current, etag: current.etag + 1, runtimeStatus: "Running", historyLength: current.historyLength + events.length },
    history: { mode: "append", events },
    deleteMessageIds: input.messages.map((m) => m.id),
    dropExecution: null,
    messages: [],
    activities: [],
    ...changes,
  };
}

/** Steps `r` once with `plan`; returns what the step was given. */
async function step(store: IndexedDbStore, r: InstanceRecord, now: number, changes: (input: StepInput) => Partial<StepCommit> = () => ({})) {
  let seen: StepInput | undefined;
  const [outcome] = await store.runSteps!([{ instanceId: r.instanceId }], now, ([input]) => {
    seen = input!;
    return [stepOf(input!, changes(input!))];
  });
  return { outcome, input: seen! };
}

/** Creates `r` and steps it once, queueing activity 0 (leased to `store` by that commit). */
async function startWithActivity(store: IndexedDbStore, r: InstanceRecord) {
  await create(store, r);
  await claim(store);
  await step(store, r, T0, () => ({ activities: [activity(r, 0)] }));
}

describe("IndexedDB step path", () => {
  it("runSteps puts many instances' steps in one transaction, each fenced alone", async () => {
    const store = stores().make();
    const rows = ["a", "b", "c", "d"].map((id) => row(id));
    for (const r of rows) await create(store, r);
    const before = { ...store.stats };
    const outcomes = await store.runSteps!(rows.map((r) => ({ instanceId: r.instanceId })), T0, (inputs) =>
      inputs.map((input, i) => (i === 2 ? { ...stepOf(input), expectedEtag: 99 } : stepOf(input))),
    );
    expect(outcomes).toEqual(["committed", "committed", "conflict", "committed"]);
    expect(store.stats.commitTransactions - before.commitTransactions).toBe(1);
    expect(store.stats.transactions - before.transactions).toBe(1);
    expect(store.stats.commits - before.commits).toBe(4);
    expect((await store.getHistory("a")).map((e) => e.EventType)).toEqual(["ExecutionStarted"]);
    expect(await store.getHistory("c")).toEqual([]);
    expect((await store.getInstance("c"))!.etag).toBe(1);
  });

  it("a commit leases the activities it queues to its store; the next claim hands them out without a transaction", async () => {
    const { make } = stores();
    const store = make();
    const other = make();
    const a = row("a");
    await create(store, a);
    expect((await claim(store)).instanceIds).toEqual(["a"]);
    await step(store, a, T0, () => ({ activities: [activity(a, 0), activity(a, 1)] }));
    const before = { ...store.stats };
    const work = await claim(store);
    expect(work.activities.map((x) => [x.taskId, x.dequeueCount, x.lockedUntil])).toEqual([
      [0, 1, T0 + LEASE],
      [1, 1, T0 + LEASE],
    ]);
    expect(work.instanceIds).toEqual([]);
    expect(store.stats.transactions).toBe(before.transactions); // answered from memory
    expect(store.stats.claimsFromMemory).toBe(before.claimsFromMemory + 1);
    // Leased in IndexedDB: another store cannot claim them before the lease runs out.
    expect((await claim(other)).activities).toEqual([]);
    expect((await claim(other, T0 + LEASE)).activities.map((x) => x.taskId)).toEqual([0, 1]);
  });

  it("write-behind: a result waits in memory and reaches the next step, whose commit deletes the activity row", async () => {
    const { make } = stores();
    const store = make();
    const other = make();
    const a = row("a");
    await startWithActivity(store, a);
    const [leased] = (await claim(store)).activities;
    const before = { ...store.stats };
    expect(await store.completeActivity(leased!, resultOf(leased!))).toBe(true);
    expect(await store.completeActivity(leased!, resultOf(leased!))).toBe(false); // the same lease twice
    expect(store.stats.transactions).toBe(before.transactions); // nothing written yet
    expect(store.stats.heldCompletions).toBe(before.heldCompletions + 1);
    const [elsewhere] = await other.loadSteps([{ instanceId: "a" }], T0);
    expect(elsewhere!.messages).toEqual([]); // only in this store's memory
    expect(await store.nextWakeAt()).toBe(T0);
    expect((await claim(store)).instanceIds).toEqual(["a"]);

    const { outcome, input } = await step(store, a, T0 + 1);
    expect(outcome).toBe("committed");
    expect(input.messages.map((m) => m.id)).toEqual([`${leased!.id}|result`]);
    expect((await store.getHistory("a")).map((e) => e.EventType)).toEqual(["ExecutionStarted", "TaskCompleted"]);
    // The activity row went with that commit: nobody can claim it again, even after its lease.
    expect((await claim(other, T0 + 10 * LEASE)).activities).toEqual([]);
    // Nothing is due (memory may still name the consumed lease's end: a harmless early look).
    expect((await store.nextWakeAt()) ?? Infinity).toBeGreaterThan(T0 + 1);
    store.invalidate();
    expect(await store.nextWakeAt()).toBeNull();
    expect(await store.flushCompletions()).toBe(0);
  });

  it("a held result lost with its tab: the activity runs again after takeover, and its result is recorded once", async () => {
    const { make } = stores();
    const crashed = make();
    const a = row("a");
    await startWithActivity(crashed, a);
    const [first] = (await claim(crashed)).activities;
    expect(await crashed.completeActivity(first!, resultOf(first!))).toBe(true); // held, then the tab dies

    const next = make(); // the tab that takes over
    expect(await next.releaseLeases()).toBe(1);
    const [again] = (await claim(next)).activities;
    expect(again).toMatchObject({ id: first!.id, dequeueCount: 2 });
    expect(await next.completeActivity(again!, resultOf(again!))).toBe(true);
    expect((await claim(next)).instanceIds).toEqual(["a"]);
    const { input } = await step(next, a, T0);
    expect(input.messages.map((m) => m.id)).toEqual([`${first!.id}|result`]);
    // The dead tab's result, were it written late, no longer holds its lease.
    expect(await crashed.flushCompletions()).toBe(0);
    expect((await next.getHistory("a")).filter((e) => e.EventType === "TaskCompleted")).toHaveLength(1);
  });

  it("closing writes held results, so the next store steps them without running the activity again", async () => {
    const { make } = stores();
    const first = make();
    const a = row("a");
    await startWithActivity(first, a);
    const [leased] = (await claim(first)).activities;
    await first.completeActivity(leased!, resultOf(leased!));
    await first.close();

    const next = make();
    expect(await next.releaseLeases()).toBe(0);
    const work = await claim(next);
    expect(work).toEqual({ instanceIds: ["a"], activities: [] });
    const [input] = await next.loadSteps([{ instanceId: "a" }], T0);
    expect(input!.messages.map((m) => m.id)).toEqual([`${leased!.id}|result`]);
  });

  it("a held result whose lease expired and was taken by another store is dropped, not delivered twice", async () => {
    const { make } = stores();
    const slow = make();
    const other = make();
    const a = row("a");
    await startWithActivity(slow, a);
    const [mine] = (await claim(slow)).activities;
    expect(await slow.completeActivity(mine!, resultOf(mine!))).toBe(true);
    const [theirs] = (await claim(other, T0 + LEASE)).activities; // the lease ran out: taken over
    expect(theirs!.leaseToken).not.toBe(mine!.leaseToken);
    const { input } = await step(slow, a, T0 + LEASE);
    expect(input.messages).toEqual([]); // the row no longer carries this store's lease
    expect(await other.completeActivity(theirs!, resultOf(theirs!, T0 + LEASE))).toBe(true);
    const [later] = await other.loadSteps([{ instanceId: "a" }], T0 + LEASE);
    expect(later!.messages.map((m) => m.id)).toEqual([`${mine!.id}|result`]);
  });

  it("claims answer from memory until another writer signals, and look again when a timer comes due", async () => {
    const { make } = stores();
    const store = make();
    const other = make(false);
    const a = row("a");
    await create(store, a);
    expect((await claim(store)).instanceIds).toEqual(["a"]);
    const looks = store.stats.claimLooks;
    await step(store, a, T0, (input) => ({
      messages: [{ id: "timer", instanceId: "a", executionId: input.instance!.executionId, visibleAt: T0 + 60_000, event: { EventType: "TimerFired", EventId: -1, Timestamp: T0 + 60_000, TimerId: 0, FireAt: T0 + 60_000 } }],
    }));
    expect(await claim(store)).toEqual({ instanceIds: [], activities: [] });
    expect(await store.nextWakeAt()).toBe(T0 + 60_000);
    expect(store.stats.claimLooks).toBe(looks); // both from memory

    // Another tab writes: unseen until it signals (the host calls invalidate() on its `wake`).
    await other.appendMessages([{ id: "e1", instanceId: "b", executionId: null, visibleAt: T0, event: { EventType: "EventRaised", EventId: -1, Timestamp: T0, Name: "x", Input: null } }]);
    expect((await claim(store)).instanceIds).toEqual([]);
    store.invalidate();
    expect((await claim(store)).instanceIds).toEqual(["b"]);
    expect(store.stats.claimLooks).toBe(looks + 1);

    expect((await claim(store, T0 + 59_999)).instanceIds).toEqual(["b"]);
    expect((await claim(store, T0 + 60_000)).instanceIds.sort()).toEqual(["a", "b"]);
  });

  it.each([1, 12])("a message or activity queued again is left as it was (batch of %i steps)", async (size) => {
    const store = stores().make();
    const rows = Array.from({ length: size }, (_, i) => row(`i${i}`));
    for (const r of rows) await create(store, r);
    await claim(store);
    const timer = (r: InstanceRecord, at: number): InboxMessage => ({
      id: "timer",
      instanceId: r.instanceId,
      executionId: r.executionId,
      visibleAt: at,
      event: { EventType: "TimerFired", EventId: -1, Timestamp: at, TimerId: 0, FireAt: at },
    });
    const stepAll = (now: number, at: number) =>
      store.runSteps!(rows.map((r) => ({ instanceId: r.instanceId })), now, (inputs) =>
        inputs.map((input, i) => stepOf(input, { activities: [activity(rows[i]!, 0)], messages: [timer(rows[i]!, at)] })),
      );
    expect(await stepAll(T0, T0 + 5000)).toEqual(rows.map(() => "committed"));
    expect((await claim(store)).activities).toHaveLength(size);
    expect(await stepAll(T0 + 1, T0 + 9000)).toEqual(rows.map(() => "committed"));
    expect((await claim(store, T0 + 1)).activities).toEqual([]);
    // One row per activity, still under its first lease (which ends at T0 + LEASE, not later).
    const other = createIndexedDbStore({ name: "steps", indexedDB: factoryOf(store) });
    open.push(other);
    const again = (await claim(other, T0 + LEASE)).activities;
    expect(again.map((a) => `${a.instanceId}:${a.dequeueCount}`).sort()).toEqual(rows.map((r) => `${r.instanceId}:2`).sort());
    // The timers kept their first time.
    expect((await claim(other, T0 + 5000)).instanceIds).toHaveLength(size);
  });

  describe("steps planned from memory", () => {
    /** Steps `r` as a runtime holding its executor would: the request names the row it last committed. */
    async function stepCached(store: IndexedDbStore, r: InstanceRecord, now: number, changes: (input: StepInput) => Partial<StepCommit> = () => ({})) {
      const calls: StepInput[] = [];
      const [outcome] = await store.runSteps!([{ instanceId: r.instanceId, cached: { etag: r.etag, historyLength: r.historyLength } }], now, ([input]) => {
        calls.push(input!);
        return [stepOf(input!, changes(input!))];
      });
      return { outcome, calls };
    }

    /** Creates `a`, steps it once (queueing activity 0) and returns its row and the held result of that activity. */
    async function startedWithHeldResult(store: IndexedDbStore) {
      await startWithActivity(store, row("a"));
      const [leased] = (await claim(store)).activities;
      expect(await store.completeActivity(leased!, resultOf(leased!))).toBe(true);
      return { a: (await store.getInstance("a"))!, leased: leased! };
    }

    it("a step of an instance this store's last step left reads nothing, and commits the same as a read step", async () => {
      const store = stores().make();
      const { a, leased } = await startedWithHeldResult(store);
      const before = { ...store.stats };
      const { outcome, calls } = await stepCached(store, a, T0 + 1, () => ({ activities: [activity(a, 1)] }));
      expect(outcome).toBe("committed");
      expect(store.stats.stepsFromMemory - before.stepsFromMemory).toBe(1);
      expect(store.stats.transactions - before.transactions).toBe(1);
      const after = (await store.getInstance("a"))!;
      expect(calls).toHaveLength(1);
      expect(calls[0]!).toMatchObject({ history: [], historyFrom: a.historyLength, instance: a });
      expect(calls[0]!.messages.map((m) => m.id)).toEqual([`${leased.id}|result`]);
      expect(after).toMatchObject({ etag: a.etag + 1, historyLength: a.historyLength + 1 });
      expect((await store.getHistory("a")).map((e) => e.EventType)).toEqual(["ExecutionStarted", "TaskCompleted"]);
      // The consumed activity's row is gone and the new one is queued, leased to this store.
      const other = createIndexedDbStore({ name: "steps", indexedDB: factoryOf(store) });
      open.push(other);
      expect((await claim(other, T0 + 10 * LEASE)).activities.map((x) => x.taskId)).toEqual([1]);
    });

    it("a new instance's first step reads nothing: its creation read its inbox and left it known", async () => {
      const store = stores().make();
      const early: InboxMessage = { id: "early", instanceId: "a", executionId: null, visibleAt: T0, event: { EventType: "EventRaised", EventId: -1, Timestamp: T0, Name: "x", Input: null } };
      await store.appendMessages([early]); // waiting for an instance not created yet
      const a = row("a");
      await create(store, a);
      expect((await claim(store)).instanceIds).toEqual(["a"]);
      const before = { ...store.stats };
      const { outcome, input } = await step(store, a, T0, () => ({ activities: [activity(a, 0)] }));
      expect(outcome).toBe("committed");
      expect(store.stats.stepsFromMemory - before.stepsFromMemory).toBe(1);
      expect(store.stats.staleMemorySteps).toBe(0);
      expect(input.messages.map((m) => m.id).sort()).toEqual(["a|start|exec-a", "early"]);
      expect(input).toMatchObject({ history: [], historyFrom: 0 });
      expect((await store.getHistory("a")).map((e) => e.EventType).sort()).toEqual(["EventRaised", "ExecutionStarted"]);
    });

    it("another tab wrote in between: the step aborts before committing and runs again from IndexedDB", async () => {
      const { make } = stores();
      const store = make();
      const other = make(false);
      const { a, leased } = await startedWithHeldResult(store);
      const event: InboxMessage = { id: "e1", instanceId: "a", executionId: null, visibleAt: T0, event: { EventType: "EventRaised", EventId: -1, Timestamp: T0, Name: "x", Input: null } };
      await other.appendMessages([event]); // its `wake` has not arrived: only the write token tells
      const { outcome, calls } = await stepCached(store, a, T0 + 1);
      expect(outcome).toBe("committed");
      expect(store.stats.staleMemorySteps).toBe(1);
      const after = (await store.getInstance("a"))!;
      expect(calls).toHaveLength(2);
      expect(calls[1]!.historyFrom).toBe(0); // the retry hands over the whole history
      expect(calls[1]!.messages.map((m) => m.id)).toEqual(["e1", `${leased.id}|result`]);
      expect(after.etag).toBe(a.etag + 1);
      expect((await store.getHistory("a")).map((e) => e.EventType)).toEqual(["ExecutionStarted", "EventRaised", "TaskCompleted"]);
    });

    it("an instance purged and created again by another tab is not overwritten by a step planned from memory", async () => {
      const { make } = stores();
      const store = make();
      const other = make(false);
      const { a } = await startedWithHeldResult(store);
      await other.purgeInstance("a", ["Running", "Pending"]);
      const fresh = { ...row("a"), executionId: "second", input: '"again"' };
      await create(other, fresh);
      const { outcome, calls } = await stepCached(store, a, T0 + 1);
      expect(calls).toHaveLength(2);
      // The retry saw the new instance (its start message, not the old result) and stepped it.
      expect(outcome).toBe("committed");
      expect(calls[1]!.instance).toMatchObject({ executionId: "second", input: '"again"' });
      // (The old execution's held result comes along too; the planner drops messages of other executions.)
      expect(calls[1]!.messages.map((m) => [m.event.EventType, m.executionId])).toContainEqual(["ExecutionStarted", null]);
      const history = await store.getHistory("a");
      expect(history[0]).toMatchObject({ EventType: "ExecutionStarted", OrchestrationInstance: { ExecutionId: "second" } });
      expect((await store.getInstance("a"))!).toMatchObject({ executionId: "second", etag: fresh.etag + 1 });
    });
  });

  describe("creations and commits from memory", () => {
    const eventFor = (instanceId: string, id: string): InboxMessage => ({
      id,
      instanceId,
      executionId: null,
      visibleAt: T0,
      event: { EventType: "EventRaised", EventId: -1, Timestamp: T0, Name: "x", Input: null },
    });
    /** Every message stored for the instance, as a read step sees it. */
    const messagesOf = async (store: IndexedDbStore, instanceId: string) => (await store.loadSteps([{ instanceId }], T0))[0]!.messages.map((m) => m.id);

    it("a batch of creations reads only what is stored for its ids: a live one fails alone and keeps its row and inbox, the rest are created in one transaction", async () => {
      const store = stores().make();
      const live = row("c");
      await create(store, live);
      const finished = row("f");
      await create(store, finished);
      await store.commitSteps([{ ...stepOf((await store.loadSteps([{ instanceId: "f" }], T0))[0]!), instance: { ...finished, etag: 2, runtimeStatus: "Completed", historyLength: 1 } }]);
      await store.appendMessages([eventFor("e", "early")]); // waiting for an instance not created yet
      const before = { ...store.stats };
      const batch = ["a", "b", "c", "d", "e", "f"].map((id) => row(id, { executionId: `second-${id}` }));
      const outcomes = await Promise.allSettled(batch.map((r) => store.createInstance(r, startMessage(r), { overwritableStatuses: ["Completed"] })));
      expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled", "fulfilled", "fulfilled"]);
      expect(DurableError.is((outcomes[2] as PromiseRejectedResult).reason, "InstanceAlreadyExists")).toBe(true);
      expect(store.stats.createTransactions - before.createTransactions).toBe(1);
      expect(await store.getInstance("c")).toEqual(live);
      expect(await messagesOf(store, "c")).toEqual(["c|start|exec-c"]);
      expect(await messagesOf(store, "e")).toEqual(["early", "e|start|second-e"]);
      expect(await store.getInstance("f")).toEqual(batch[5]); // the finished one is replaced whole
      expect(await store.getHistory("f")).toEqual([]);
      expect(await messagesOf(store, "f")).toEqual(["f|start|second-f"]);
      // Their first steps read nothing: the creation left them known, the early event included.
      const ready = ["a", "b", "d", "e", "f"];
      const steps = { ...store.stats };
      let seen: StepInput[] = [];
      const stepped = await store.runSteps!(
        ready.map((instanceId) => ({ instanceId })),
        T0,
        (inputs) => (seen = inputs).map((input) => stepOf(input)),
      );
      expect(stepped).toEqual(ready.map(() => "committed"));
      expect(store.stats.stepsFromMemory - steps.stepsFromMemory).toBe(5);
      expect(seen.find((i) => i.instanceId === "e")!.messages.map((m) => m.id)).toEqual(["early", "e|start|second-e"]);
    });

    it("a batch of creations among many stored instances reads its ids one by one, with the same outcomes", async () => {
      const store = stores().make();
      for (let i = 0; i < 40; i++) await create(store, row(`k${String(i).padStart(2, "0")}`));
      const batch = ["k00", "k05a", "k10a", "k39a"].map((id) => row(id, { executionId: `second-${id}` }));
      const outcomes = await Promise.allSettled(batch.map((r) => create(store, r)));
      expect(outcomes.map((o) => o.status)).toEqual(["rejected", "fulfilled", "fulfilled", "fulfilled"]);
      expect(await store.getInstance("k00")).toEqual(row("k00"));
      expect(await messagesOf(store, "k00")).toEqual(["k00|start|exec-k00"]);
      expect(await messagesOf(store, "k05a")).toEqual(["k05a|start|second-k05a"]);
    });

    it("a step skipped by its plan (it runs local activities first) keeps the instance known: its commit is written from memory, with no read", async () => {
      const store = stores().make();
      const a = row("a");
      await create(store, a);
      let input: StepInput | undefined;
      expect(await store.runSteps!([{ instanceId: "a" }], T0, ([i]) => ((input = i), [null]))).toEqual(["skipped"]);
      const before = { ...store.stats };
      const done = { ...a, etag: 2, runtimeStatus: "Completed" as const, historyLength: 1 };
      expect(await store.commitSteps([{ ...stepOf(input!), instance: done, dropExecution: a.executionId }])).toEqual(["committed"]);
      expect(store.stats.commitsFromMemory - before.commitsFromMemory).toBe(1);
      expect(store.stats.transactions - before.transactions).toBe(1);
      expect(await store.getInstance("a")).toEqual(done);
      expect((await store.getHistory("a")).map((e) => e.EventType)).toEqual(["ExecutionStarted"]);
      expect(await messagesOf(store, "a")).toEqual([]);
      // A second commit against the old etag is a conflict, from memory too, and changes nothing.
      expect(await store.commitSteps([{ ...stepOf(input!), instance: { ...done, etag: 3 } }])).toEqual(["conflict"]);
      expect(await store.getInstance("a")).toEqual(done);
    });

    it("another tab wrote before a commit from memory: it aborts and is written again from IndexedDB, keeping the other tab's message", async () => {
      const { make } = stores();
      const store = make();
      const other = make(false);
      const a = row("a");
      await create(store, a);
      let input: StepInput | undefined;
      await store.runSteps!([{ instanceId: "a" }], T0, ([i]) => ((input = i), [null]));
      await other.appendMessages([eventFor("a", "e1")]); // its `wake` has not arrived: only the write token tells
      const before = { ...store.stats };
      expect(await store.commitSteps([stepOf(input!)])).toEqual(["committed"]);
      expect(store.stats.staleMemorySteps - before.staleMemorySteps).toBe(1);
      expect(store.stats.commitsFromMemory - before.commitsFromMemory).toBe(0);
      expect(await messagesOf(store, "a")).toEqual(["e1"]);
      expect((await store.getInstance("a"))!.etag).toBe(2);
    });

    it("a step from memory that starts while this store's commit is in flight waits for it instead of going stale", async () => {
      const store = stores().make();
      const [a, b] = [row("a"), row("b")];
      await Promise.all([create(store, a), create(store, b)]);
      let input: StepInput | undefined;
      await store.runSteps!([{ instanceId: "a" }], T0, ([i]) => ((input = i), [null]));
      const before = { ...store.stats };
      const [committed, stepped] = await Promise.all([store.commitSteps([stepOf(input!)]), store.runSteps!([{ instanceId: "b" }], T0, (inputs) => inputs.map((i) => stepOf(i)))]);
      expect([committed, stepped]).toEqual([["committed"], ["committed"]]);
      expect(store.stats.staleMemorySteps - before.staleMemorySteps).toBe(0);
      expect(store.stats.commitsFromMemory - before.commitsFromMemory).toBe(1);
      expect(store.stats.stepsFromMemory - before.stepsFromMemory).toBe(1);
      expect(await messagesOf(store, "a")).toEqual([]);
      expect(await messagesOf(store, "b")).toEqual([]);
    });
  });

  describe("instance rows carry their history tail and first activities", () => {
    /** The database as stored, read raw: the instance row and the rows of `activities` and `history`. */
    async function raw(store: IndexedDbStore, instanceId: string) {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = factoryOf(store).open("steps");
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      const get = <T>(name: string, query: IDBValidKey | IDBKeyRange, all: boolean) =>
        new Promise<T>((resolve, reject) => {
          const os = db.transaction(name, "readonly").objectStore(name);
          const request = all ? os.getAll(query) : os.get(query);
          request.onsuccess = () => resolve(request.result as T);
          request.onerror = () => reject(request.error);
        });
      const range = IDBKeyRange.bound([instanceId], [instanceId, []]);
      const result = {
        row: await get<StoredInstance>("instances", instanceId, false),
        activities: await get<unknown[]>("activities", range, true),
        history: await get<{ index: number; events: HistoryEvent[] }[]>("history", range, true),
      };
      db.close();
      return result;
    }

    const event = (i: number): HistoryEvent => ({ EventType: "EventRaised", EventId: -1, Timestamp: T0 + i, Name: `e${i}`, Input: null });

    it("a step's few activities live inline in its row; more than fit go to the activities store", async () => {
      const store = stores().make();
      const a = row("a");
      await create(store, a);
      await claim(store);
      await step(store, a, T0, () => ({ activities: [activity(a, 0), activity(a, 1)] }));
      let stored = await raw(store, "a");
      expect(stored.row.inlineActivities!.map((x) => x.taskId)).toEqual([0, 1]);
      expect(stored.row.activityDue).toBe(T0 + LEASE); // leased to this store by the commit
      expect(stored.activities).toEqual([]);
      expect(await store.getInstance("a")).not.toHaveProperty("inlineActivities"); // the store's own

      const many = Array.from({ length: INLINE_ACTIVITIES }, (_, i) => activity(a, 10 + i));
      await step(store, (await store.getInstance("a"))!, T0, () => ({ activities: many }));
      stored = await raw(store, "a");
      expect(stored.row.inlineActivities!.map((x) => x.taskId)).toEqual([0, 1]);
      expect(stored.activities).toHaveLength(INLINE_ACTIVITIES);
      expect(stored.row.activitiesStored).toBe(true);
      // Claimed from both places by another store once the leases ran out.
      const other = createIndexedDbStore({ name: "steps", indexedDB: factoryOf(store) });
      open.push(other);
      const claimed = (await claim(other, T0 + LEASE)).activities.map((x) => x.taskId).sort((x, y) => x - y);
      expect(claimed).toEqual([0, 1, ...many.map((x) => x.taskId)]);
    });

    it("an inline activity claimed and completed by another store: its row keeps its etag, the result reaches the step", async () => {
      const { make } = stores();
      const store = make();
      const other = make(false);
      const a = row("a");
      await startWithActivity(store, a);
      const before = (await store.getInstance("a"))!;
      const [taken] = (await claim(other, T0 + LEASE)).activities; // the lease ran out
      expect(taken).toMatchObject({ taskId: 0, dequeueCount: 2 });
      expect((await store.getInstance("a"))!.etag).toBe(before.etag);
      expect(await other.completeActivity(taken!, resultOf(taken!, T0 + LEASE))).toBe(true);
      expect(await other.completeActivity(taken!, resultOf(taken!, T0 + LEASE))).toBe(false); // once
      expect(await other.flushCompletions()).toBe(1); // held in its memory until now
      const stored = await raw(store, "a");
      expect(stored.row.inlineActivities).toBeUndefined();
      expect(stored.row.etag).toBe(before.etag);
      store.invalidate();
      const { input } = await step(store, before, T0 + LEASE);
      expect(input.messages.map((m) => m.id)).toEqual([`${taken!.id}|result`]);
    });

    it("releasing leases makes inline activities claimable at once", async () => {
      const { make } = stores();
      const store = make();
      await startWithActivity(store, row("a"));
      const next = make(); // the tab that takes over
      expect(await next.releaseLeases()).toBe(1);
      expect((await raw(next, "a")).row.activityDue).toBe(0);
      expect((await claim(next, T0)).activities.map((x) => x.taskId)).toEqual([0]);
    });

    it("history: a step's events join the row's tail, which moves to a history row once it outgrows its bound", async () => {
      const store = stores().make();
      let a = row("a");
      await create(store, a);
      await claim(store);
      const events: HistoryEvent[] = [];
      for (let i = 0; events.length <= HISTORY_TAIL + 5; i++) {
        const mine = [event(2 * i), event(2 * i + 1)];
        await step(store, a, T0, (input) => {
          events.push(...input.messages.map((m) => m.event), ...mine);
          return { history: { mode: "append", events: [...input.messages.map((m) => m.event), ...mine] }, instance: { ...input.instance!, etag: input.instance!.etag + 1, historyLength: input.instance!.historyLength + input.messages.length + 2 } };
        });
        a = (await store.getInstance("a"))!;
        const stored = await raw(store, "a");
        const inRows = stored.history.flatMap((r) => r.events).length;
        expect(inRows + (stored.row.historyTail?.length ?? 0)).toBe(events.length);
        expect(stored.row.historyTail?.length ?? 0).toBeLessThanOrEqual(HISTORY_TAIL);
      }
      const stored = await raw(store, "a");
      expect(stored.history.length).toBeGreaterThan(0);
      expect(stored.history[0]!.index).toBe(0);
      expect(await store.getHistory("a")).toEqual(events);
      // A step without the executor (history read whole) sees it all, in order.
      const [input] = await store.loadSteps([{ instanceId: "a" }], T0);
      expect(input!.history).toEqual(events);
    });

    it("a database of schema version 1 upgrades in place: its rows read as they are", async () => {
      const factory = new IDBFactory();
      const old = await openVersion1Database(factory, "steps", (tx) => {
        const v1 = row("a", { runtimeStatus: "Running", etag: 3, historyLength: 2 });
        tx.objectStore("instances").put(v1);
        tx.objectStore("history").put({ instanceId: "a", index: 0, events: [event(0), event(1)] });
        tx.objectStore("activities").put({ ...activity(v1, 0), leaseToken: null, lockedUntil: 0, dequeueCount: 0 });
      });
      old.close();
      const store = createIndexedDbStore({ name: "steps", indexedDB: factory });
      open.push(store);
      expect(await store.getHistory("a")).toEqual([event(0), event(1)]);
      expect((await store.getInstance("a"))!.etag).toBe(3);
      const [leased] = (await claim(store)).activities;
      expect(leased).toMatchObject({ taskId: 0, dequeueCount: 1 });
      expect(await store.completeActivity(leased!, resultOf(leased!))).toBe(true);
      const a = (await store.getInstance("a"))!;
      const { input, outcome } = await step(store, a, T0);
      expect(outcome).toBe("committed");
      expect(input.history).toEqual([event(0), event(1)]);
      expect(input.messages.map((m) => m.event.EventType)).toEqual(["TaskCompleted"]);
    });
  });

  it("without the promise of signalled writes, every claim reads IndexedDB", async () => {
    const { make } = stores(false);
    const store = make();
    const other = make();
    await create(store, row("a"));
    expect((await claim(store)).instanceIds).toEqual(["a"]);
    await create(other, row("b"));
    expect((await claim(store)).instanceIds.sort()).toEqual(["a", "b"]);
    expect(store.stats.claimsFromMemory).toBe(0);
  });
});
