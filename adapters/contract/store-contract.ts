/**
 * The contract every `Store` adapter must pass. An adapter's test calls
 * `describeStoreContract("indexeddb", () => createStore())`, naming any case it knowingly skips.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DurableError } from "../../src/errors.ts";
import type { HistoryEvent } from "../../src/history.ts";
import type { RuntimeStatus } from "../../src/status.ts";
import type { ActivityWorkItem, InboxMessage, InstanceRecord, InstanceSnapshot, RunChain, StepCommit, Store } from "../../src/store.ts";
import { orchestrator } from "../../src/definitions.ts";
import { ManualClock } from "../../src/clock.ts";
import { createRuntime } from "../../src/runtime.ts";
import { EntityId, entityId } from "../../src/entities/entity-id.ts";
import { ENTITY_EXECUTION_ID } from "../../src/entities/entity-state.ts";
import { account, counter, counterAggregation, transferFunds } from "../../examples/entities.ts";
import { humanInteraction } from "../../examples/human-interaction.ts";
import { Task } from "../../src/task.ts";
import { movedInfo, type InstanceDocument } from "../../src/instance-document.ts";

/** A branch of `approvalTree`: waits for a HumanInteraction grandchild (default ids throughout). */
const approvalBranch = orchestrator("ApprovalBranch", function* (ctx) {
  const approval = yield* ctx.callSubOrchestrator(humanInteraction, { timeoutSeconds: 3600 });
  return { branch: ctx.getInput<{ branch: string }>().branch, approval };
});
/** A tree of depth two: two branches, each waiting for a grandchild that waits for an Approval. */
const approvalTree = orchestrator("ApprovalTree", function* (ctx) {
  return yield* Task.all(["a", "b"].map((branch) => ctx.callSubOrchestrator(approvalBranch, { branch })));
});
const treeOrchestrators = [approvalTree, approvalBranch, humanInteraction];

export interface ContractOptions {
  /** Cases this adapter knowingly does not pass, with the reason. */
  skip?: { reason: string; tests: string[] };
}

const T0 = Date.UTC(2026, 0, 1);
const TERMINAL: RuntimeStatus[] = ["Completed", "Failed", "Terminated"];

export function row(id: string, overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    instanceId: id,
    name: "Hello",
    version: null,
    executionId: `exec-${id}`,
    runtimeStatus: "Pending",
    input: '{"city":"Tokyo"}',
    output: null,
    customStatus: null,
    failureDetails: null,
    parentInstanceId: null,
    createdAt: T0,
    lastUpdatedAt: T0,
    completedAt: null,
    etag: 1,
    historyLength: 0,
    ...overrides,
  };
}

export function startMessage(r: InstanceRecord, at = T0): InboxMessage {
  return {
    id: `${r.instanceId}|start|${r.executionId}`,
    instanceId: r.instanceId,
    executionId: null,
    visibleAt: at,
    event: {
      EventType: "ExecutionStarted",
      EventId: -1,
      Timestamp: at,
      Name: r.name,
      Version: null,
      Input: r.input,
      OrchestrationInstance: { InstanceId: r.instanceId, ExecutionId: r.executionId },
      ParentInstance: null,
    },
  };
}

function eventMessage(instanceId: string, id: string, visibleAt = T0, executionId: string | null = null): InboxMessage {
  return { id, instanceId, executionId, visibleAt, event: { EventType: "EventRaised", EventId: -1, Timestamp: visibleAt, Name: "Approval", Input: `"${id}"` } };
}

function activityItem(r: InstanceRecord, taskId: number): ActivityWorkItem {
  return {
    id: `${r.instanceId}|${r.executionId}|${taskId}`,
    instanceId: r.instanceId,
    executionId: r.executionId,
    taskId,
    name: "SayHello",
    input: '"Tokyo"',
    enqueuedAt: T0,
  };
}

/** A commit that moves `r` on by one etag to Running, with `changes` on top. */
export function commit(r: InstanceRecord, changes: Partial<StepCommit> = {}): StepCommit {
  return {
    instanceId: r.instanceId,
    expectedEtag: r.etag,
    instance: { ...r, etag: r.etag + 1, runtimeStatus: "Running" },
    history: { mode: "append", events: [] },
    deleteMessageIds: [],
    dropExecution: null,
    messages: [],
    activities: [],
    ...changes,
  };
}

const started = (at: number): HistoryEvent => ({ EventType: "OrchestratorStarted", EventId: -1, Timestamp: at });

/** An entity's row (`@name@key`), as an entity batch first writes it: no history, its document in `input`. */
function entityRow(instanceId: string, overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  return row(instanceId, { name: instanceId.slice(1, instanceId.indexOf("@", 1)), executionId: ENTITY_EXECUTION_ID, runtimeStatus: "Running", input: '{"v":1,"exists":true,"state":"1"}', ...overrides });
}

/** The commit that creates a row where there is none (how an entity batch writes a new entity). */
function creation(r: InstanceRecord): StepCommit {
  return { ...commit(r), expectedEtag: null, instance: r };
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** A chain of `kept` earlier runs after `older` ones no longer kept, as `InstanceRecord.runs` holds it. */
function chain(kept: number, older: number): RunChain {
  return {
    olderRuns: older,
    runs: Array.from({ length: kept }, (_, i) => ({
      executionId: `exec-run-${older + i + 1}`,
      startedAt: T0 + i * 1000,
      endedAt: T0 + i * 1000 + 999,
      input: { text: JSON.stringify({ run: older + i + 1, note: "ünï ✓" }), bytes: 30, truncated: false },
      customStatus: i % 2 ? null : { text: '"abc', bytes: 300, truncated: true },
      historyLength: 7,
    })),
  };
}

/** Counts down from its input, one run per number: continues as new until 0, then completes. */
const countdown = orchestrator("Countdown", function* (ctx) {
  const left = ctx.getInput<number>();
  if (left <= 0) return "done";
  ctx.setCustomStatus(`left ${left}`);
  yield* ctx.createTimer(ctx.currentUtcDateTime); // one timer, so each run has history of its own
  ctx.continueAsNew(left - 1);
  return undefined;
});

export function describeStoreContract(adapter: string, makeStore: () => Store | Promise<Store>, options: ContractOptions = {}): void {
  const skipped = new Set(options.skip?.tests ?? []);
  const test = (name: string, fn: () => Promise<void>) => (skipped.has(name) ? it.skip(`${name} (skipped: ${options.skip!.reason})`, fn) : it(name, fn));

  describe(`Store contract: ${adapter}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    const create = async (r: InstanceRecord) => store.createInstance(r, startMessage(r), { overwritableStatuses: TERMINAL });

    test("creates an instance with its start message, atomically readable", async () => {
      const r = row("a");
      await create(r);
      expect(await store.getInstance("a")).toEqual(r);
      const [step] = await store.loadSteps([{ instanceId: "a" }], T0);
      expect(step!.instance).toEqual(r);
      expect(step!.history).toEqual([]);
      expect(step!.messages.map((m) => m.event.EventType)).toEqual(["ExecutionStarted"]);
      expect(step!.messages[0]!.event).toEqual(startMessage(r).event);
      expect(await store.getInstance("missing")).toBeUndefined();
    });

    test("refuses to create over a live instance and changes nothing", async () => {
      const r = row("a");
      await create(r);
      const again = row("a", { input: '"other"', executionId: "exec-2" });
      const error = await create(again).catch((e: unknown) => e);
      expect(DurableError.is(error, "InstanceAlreadyExists")).toBe(true);
      expect(await store.getInstance("a")).toEqual(r);
      const [step] = await store.loadSteps([{ instanceId: "a" }], T0);
      expect(step!.messages).toHaveLength(1);
    });

    test("overwrites a finished instance, dropping its history", async () => {
      const r = row("a");
      await create(r);
      const done = { ...r, etag: 2, runtimeStatus: "Completed" as const, historyLength: 1 };
      expect(await store.commitSteps([commit(r, { instance: done, history: { mode: "append", events: [started(T0)] }, deleteMessageIds: [startMessage(r).id] })])).toEqual(["committed"]);
      const again = row("a", { executionId: "exec-2" });
      await create(again);
      expect(await store.getInstance("a")).toEqual(again);
      expect(await store.getHistory("a")).toEqual([]);
    });

    test("fences commits by etag: a stale commit changes nothing", async () => {
      const r = row("a");
      await create(r);
      const stale = commit({ ...r, etag: 7 }, { history: { mode: "append", events: [started(T0)] }, deleteMessageIds: [startMessage(r).id], activities: [activityItem(r, 0)] });
      expect(await store.commitSteps([stale])).toEqual(["conflict"]);
      expect(await store.getInstance("a")).toEqual(r);
      expect(await store.getHistory("a")).toEqual([]);
      const work = await store.claimWork(T0, { instanceLimit: 10, activityLimit: 10, leaseMs: 1000 });
      expect(work.activities).toEqual([]);
      expect(work.instanceIds).toEqual(["a"]);
      const create2 = commit(r, { expectedEtag: null });
      expect(await store.commitSteps([create2])).toEqual(["conflict"]);
    });

    test("group commit: each commit in a batch succeeds or fails alone", async () => {
      const a = row("a");
      const b = row("b");
      await create(a);
      await create(b);
      const outcomes = await store.commitSteps([commit(a), commit({ ...b, etag: 99 }), commit({ ...row("c"), etag: 0 }, { expectedEtag: null })]);
      expect(outcomes).toEqual(["committed", "conflict", "committed"]);
      expect((await store.getInstance("a"))!.etag).toBe(2);
      expect((await store.getInstance("b"))!.etag).toBe(1);
      expect((await store.getInstance("c"))!.runtimeStatus).toBe("Running");
    });

    test("appends and replaces history; a matching cached etag reads only what is new", async () => {
      const r = row("a");
      await create(r);
      const e1: HistoryEvent[] = [started(T0), startMessage(r).event, { EventType: "TaskScheduled", EventId: 0, Timestamp: T0, Name: "SayHello", Version: null, Input: '"Tokyo"' }];
      await store.commitSteps([commit(r, { instance: { ...r, etag: 2, runtimeStatus: "Running", historyLength: 3 }, history: { mode: "append", events: e1 } })]);
      const r2 = (await store.getInstance("a"))!;
      const e2: HistoryEvent[] = [{ EventType: "TaskCompleted", EventId: -1, Timestamp: T0 + 1, TaskScheduledId: 0, Result: '"Hello Tokyo!"' }];
      await store.commitSteps([commit(r2, { instance: { ...r2, etag: 3, historyLength: 4 }, history: { mode: "append", events: e2 } })]);
      expect(await store.getHistory("a")).toEqual([...e1, ...e2]);
      const [cachedHit] = await store.loadSteps([{ instanceId: "a", cached: { etag: 3, historyLength: 4 } }], T0);
      expect(cachedHit!.historyFrom).toBe(4);
      expect(cachedHit!.history).toEqual([]);
      const [cachedMiss] = await store.loadSteps([{ instanceId: "a", cached: { etag: 2, historyLength: 3 } }], T0);
      expect(cachedMiss!.historyFrom).toBe(0);
      expect(cachedMiss!.history).toEqual([...e1, ...e2]);
      const r3 = (await store.getInstance("a"))!;
      await store.commitSteps([commit(r3, { instance: { ...r3, etag: 4, historyLength: 1 }, history: { mode: "replace", events: [started(T0 + 5)] } })]);
      expect(await store.getHistory("a")).toEqual([started(T0 + 5)]);
    });

    test("inbox: idempotent by id, ordered by arrival, deleted when consumed", async () => {
      const r = row("a");
      await create(r);
      await store.appendMessages([eventMessage("a", "e1"), eventMessage("a", "e2")]);
      await store.appendMessages([eventMessage("a", "e1"), eventMessage("a", "e3")]);
      const [step] = await store.loadSteps([{ instanceId: "a" }], T0);
      expect(step!.messages.map((m) => m.id)).toEqual([startMessage(r).id, "e1", "e2", "e3"]);
      const seqs = step!.messages.map((m) => m.seq!);
      expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
      await store.commitSteps([commit(r, { deleteMessageIds: [startMessage(r).id, "e1", "e2", "e3"] })]);
      const [after] = await store.loadSteps([{ instanceId: "a" }], T0);
      expect(after!.messages).toEqual([]);
      const work = await store.claimWork(T0, { instanceLimit: 10, activityLimit: 0, leaseMs: 1000 });
      expect(work.instanceIds).toEqual([]);
    });

    test("delayed messages (timers) become visible at their time", async () => {
      const r = row("a");
      await create(r);
      await store.commitSteps([commit(r, { deleteMessageIds: [startMessage(r).id], messages: [eventMessage("a", "timer", T0 + 60_000, r.executionId)] })]);
      expect((await store.claimWork(T0, { instanceLimit: 10, activityLimit: 10, leaseMs: 1000 })).instanceIds).toEqual([]);
      expect(await store.nextWakeAt()).toBe(T0 + 60_000);
      expect((await store.loadSteps([{ instanceId: "a" }], T0 + 59_999))[0]!.messages).toEqual([]);
      expect((await store.claimWork(T0 + 60_000, { instanceLimit: 10, activityLimit: 10, leaseMs: 1000 })).instanceIds).toEqual(["a"]);
      expect((await store.loadSteps([{ instanceId: "a" }], T0 + 60_000))[0]!.messages.map((m) => m.id)).toEqual(["timer"]);
    });

    test("messages to other instances, and to instances that do not exist yet", async () => {
      const r = row("parent");
      await create(r);
      await store.commitSteps([commit(r, { deleteMessageIds: [startMessage(r).id], messages: [eventMessage("child", "hello-child")] })]);
      const work = await store.claimWork(T0, { instanceLimit: 10, activityLimit: 10, leaseMs: 1000 });
      expect(work.instanceIds).toEqual(["child"]);
      const [step] = await store.loadSteps([{ instanceId: "child" }], T0);
      expect(step!.instance).toBeUndefined();
      expect(step!.messages.map((m) => m.id)).toEqual(["hello-child"]);
      expect(await store.commitSteps([{ ...commit(row("child")), expectedEtag: null, instance: null, deleteMessageIds: ["hello-child"] }])).toEqual(["committed"]);
      expect((await store.claimWork(T0, { instanceLimit: 10, activityLimit: 10, leaseMs: 1000 })).instanceIds).toEqual([]);
    });

    test("claimWork leaves out excluded instances and honours limits", async () => {
      for (const id of ["a", "b", "c"]) await create(row(id));
      const one = await store.claimWork(T0, { instanceLimit: 1, activityLimit: 0, leaseMs: 1000 });
      expect(one.instanceIds).toHaveLength(1);
      const rest = await store.claimWork(T0, { instanceLimit: 10, activityLimit: 0, leaseMs: 1000, exclude: new Set(["a"]) });
      expect(rest.instanceIds.sort()).toEqual(["b", "c"]);
    });

    test("activities are leased, hidden while leased, and handed out again when the lease expires", async () => {
      const r = row("a");
      await create(r);
      await store.commitSteps([commit(r, { deleteMessageIds: [startMessage(r).id], activities: [activityItem(r, 0), activityItem(r, 1)] })]);
      expect(await store.nextWakeAt()).toBeLessThanOrEqual(T0);
      const first = await store.claimWork(T0, { instanceLimit: 0, activityLimit: 1, leaseMs: 1000 });
      expect(first.activities).toHaveLength(1);
      expect(first.activities[0]).toMatchObject({ ...activityItem(r, 0), dequeueCount: 1, lockedUntil: T0 + 1000 });
      const second = await store.claimWork(T0 + 10, { instanceLimit: 0, activityLimit: 10, leaseMs: 1000 });
      expect(second.activities.map((a) => a.taskId)).toEqual([1]);
      expect((await store.claimWork(T0 + 999, { instanceLimit: 0, activityLimit: 10, leaseMs: 1000 })).activities).toEqual([]);
      expect(await store.nextWakeAt()).toBe(T0 + 1000);
      const again = await store.claimWork(T0 + 1000, { instanceLimit: 0, activityLimit: 10, leaseMs: 1000 });
      expect(again.activities.map((a) => a.taskId)).toEqual([0]);
      expect(again.activities[0]!.dequeueCount).toBe(2);
      expect(again.activities[0]!.leaseToken).not.toBe(first.activities[0]!.leaseToken);
      const result = (id: string): InboxMessage => ({ ...eventMessage("a", id), executionId: r.executionId });
      expect(await store.completeActivity(first.activities[0]!, result("stale"))).toBe(false);
      expect(await store.completeActivity(again.activities[0]!, result("fresh"))).toBe(true);
      expect(await store.completeActivity(again.activities[0]!, result("twice"))).toBe(false);
      const [step] = await store.loadSteps([{ instanceId: "a" }], T0 + 1000);
      expect(step!.messages.map((m) => m.id)).toEqual(["fresh"]);
    });

    test("completeActivities (where a store has it): each result applies only while its own lease is held, in one call", async () => {
      if (!store.completeActivities) return; // optional: the runtime then records results one by one
      const r = row("a");
      await create(r);
      await store.commitSteps([commit(r, { deleteMessageIds: [startMessage(r).id], activities: [0, 1, 2].map((i) => activityItem(r, i)) })]);
      const first = await store.claimWork(T0, { instanceLimit: 0, activityLimit: 10, leaseMs: 1000 });
      const again = await store.claimWork(T0 + 1000, { instanceLimit: 0, activityLimit: 10, leaseMs: 1000 }); // every lease expired: handed out again
      const byTask = (work: typeof first, taskId: number) => work.activities.find((a) => a.taskId === taskId)!;
      const result = (id: string): InboxMessage => ({ ...eventMessage("a", id), executionId: r.executionId });
      const outcomes = await store.completeActivities([
        { activity: byTask(first, 0), result: result("stale-0") },
        { activity: byTask(again, 0), result: result("fresh-0") },
        { activity: byTask(again, 1), result: result("fresh-1") },
        { activity: byTask(again, 1), result: result("twice-1") },
      ]);
      expect(outcomes).toEqual([false, true, true, false]);
      const [step] = await store.loadSteps([{ instanceId: "a" }], T0 + 1000);
      expect(step!.messages.map((m) => m.id)).toEqual(["fresh-0", "fresh-1"]);
      // Task 2 is still leased (by `again`), and only that lease completes it.
      expect(await store.completeActivity(byTask(first, 2), result("stale-2"))).toBe(false);
      expect(await store.completeActivities([{ activity: byTask(again, 2), result: result("fresh-2") }])).toEqual([true]);
      expect(await store.completeActivities([])).toEqual([]);
    });

    test("dropExecution removes that execution's timers and queued activities, not other messages", async () => {
      const r = row("a");
      await create(r);
      await store.commitSteps([
        commit(r, {
          deleteMessageIds: [startMessage(r).id],
          activities: [activityItem(r, 0)],
          messages: [eventMessage("a", "timer", T0 + 1000, r.executionId), eventMessage("a", "client-event", T0 + 1000)],
        }),
      ]);
      const r2 = (await store.getInstance("a"))!;
      await store.commitSteps([commit(r2, { dropExecution: r.executionId, instance: { ...r2, etag: r2.etag + 1, runtimeStatus: "Completed" } })]);
      const work = await store.claimWork(T0 + 5000, { instanceLimit: 10, activityLimit: 10, leaseMs: 1000 });
      expect(work.activities).toEqual([]);
      const [step] = await store.loadSteps([{ instanceId: "a" }], T0 + 5000);
      expect(step!.messages.map((m) => m.id)).toEqual(["client-event"]);
    });

    test("lists instances by status, time range and prefix, in pages", async () => {
      for (let i = 0; i < 7; i++) {
        const r = row(`order-${i}`, { createdAt: T0 + i * 1000, runtimeStatus: i % 2 ? "Completed" : "Pending" });
        await create(r);
      }
      await create(row("other", { createdAt: T0 + 500 }));
      const all = await store.listInstances({ limit: 100 });
      expect(all.items.map((r) => r.instanceId)).toEqual(["order-0", "other", "order-1", "order-2", "order-3", "order-4", "order-5", "order-6"]);
      expect(all.next).toBeNull();
      const done = await store.listInstances({ limit: 100, runtimeStatus: ["Completed"] });
      expect(done.items.map((r) => r.instanceId)).toEqual(["order-1", "order-3", "order-5"]);
      const range = await store.listInstances({ limit: 100, createdFrom: T0 + 1000, createdTo: T0 + 3000 });
      expect(range.items.map((r) => r.instanceId)).toEqual(["order-1", "order-2", "order-3"]);
      const ids: string[] = [];
      let after: { createdAt: number; instanceId: string } | undefined;
      for (let page = 0; page < 10; page++) {
        const p = await store.listInstances({ limit: 3, instanceIdPrefix: "order-", after });
        ids.push(...p.items.map((r) => r.instanceId));
        if (!p.next) break;
        after = p.next;
      }
      expect(ids).toEqual(["order-0", "order-1", "order-2", "order-3", "order-4", "order-5", "order-6"]);
    });

    test("purges only instances in the given statuses, with everything they own", async () => {
      const r = row("a");
      await create(r);
      expect(await store.purgeInstance("a", TERMINAL)).toBe(false);
      expect(await store.getInstance("a")).toBeDefined();
      await store.commitSteps([commit(r, { instance: { ...r, etag: 2, runtimeStatus: "Completed", historyLength: 1 }, history: { mode: "append", events: [started(T0)] }, activities: [activityItem(r, 3)] })]);
      expect(await store.purgeInstance("a", TERMINAL)).toBe(true);
      expect(await store.getInstance("a")).toBeUndefined();
      expect(await store.getHistory("a")).toEqual([]);
      const work = await store.claimWork(T0, { instanceLimit: 10, activityLimit: 10, leaseMs: 1000 });
      expect(work).toEqual({ instanceIds: [], activities: [] });
      expect(await store.purgeInstance("a", TERMINAL)).toBe(false);
    });

    // --- the earlier runs of a continue-as-new chain (`InstanceRecord.runs`: src/runs.ts) ---

    test("keeps a row's earlier runs with the row: every read returns them, a step replaces them, export and import carry them, purge and re-creation drop them", async () => {
      const r = row("a", { runtimeStatus: "Running", historyLength: 1 });
      await create(r);
      expect((await store.getInstance("a"))!.runs).toBeUndefined();
      // A continue-as-new: a new execution, fresh history, the run that ended summed up in the row.
      const one = chain(1, 0);
      const second = { ...r, executionId: "exec-2", runtimeStatus: "ContinuedAsNew" as const, input: '{"run":2}', etag: 2, historyLength: 0, runs: one };
      expect(await store.commitSteps([commit(r, { instance: second, history: { mode: "replace", events: [] }, dropExecution: r.executionId })])).toEqual(["committed"]);
      expect((await store.getInstance("a"))!.runs).toEqual(one);
      const [step] = await store.loadSteps([{ instanceId: "a" }], T0);
      expect(step!.instance).toEqual(second);
      // A step that does not end a run keeps them as they were.
      const running = { ...step!.instance!, runtimeStatus: "Running" as const, etag: 3, historyLength: 1 };
      await store.commitSteps([commit(second, { instance: running, history: { mode: "append", events: [started(T0)] } })]);
      expect(await store.getInstance("a")).toEqual(running);
      expect((await store.listInstances({ limit: 10 })).items).toEqual([running]);
      // The next run's end replaces them (the chain as the core bounds it: 20 kept, older counted).
      const full = chain(20, 7);
      const third = { ...running, executionId: "exec-3", input: '{"run":3}', etag: 4, historyLength: 1, runs: full };
      await store.commitSteps([commit(running, { instance: third, history: { mode: "replace", events: [started(T0 + 1)] } })]);
      expect(await store.getInstance("a")).toEqual(third);
      const snapshot = (await store.exportInstance!("a"))!;
      expect(snapshot.instance).toEqual(third);
      await store.importInstance!({ ...snapshot, instance: { ...snapshot.instance, instanceId: "b" }, inbox: [], activities: [] }, { overwritableStatuses: [] });
      expect((await store.getInstance("b"))!.runs).toEqual(full);
      // A move's seal keeps them too.
      const sealed = { ...third, runtimeStatus: "Terminated" as const, etag: 5, historyLength: 2, completedAt: T0 };
      await store.exportInstance!("a", () => ({ instance: sealed, history: [started(T0 + 2)] }));
      expect(await store.getInstance("a")).toEqual(sealed);
      // Re-created over the finished row: a new instance, no earlier runs.
      const fresh = row("a", { executionId: "exec-new" });
      await create(fresh);
      expect(await store.getInstance("a")).toEqual(fresh);
      expect((await store.getInstance("a"))!.runs).toBeUndefined();
      // Purged: gone with the row, and an instance created later under the id has none.
      const b = (await store.getInstance("b"))!;
      expect(await store.commitSteps([commit(b, { instance: { ...b, runtimeStatus: "Completed", etag: b.etag + 1 } })])).toEqual(["committed"]);
      expect(await store.purgeInstance("b", TERMINAL)).toBe(true);
      await create(row("b"));
      expect((await store.getInstance("b"))!.runs).toBeUndefined();
      // A row created with them (an import's, say) reads them back.
      const created = row("c", { runs: one });
      await create(created);
      expect(await store.getInstance("c")).toEqual(created);
    });

    test("continue-as-new on this store: the earlier runs are kept with the row (the last 20, older counted); a re-created instance starts a new chain", async () => {
      const clock = new ManualClock(T0);
      const runtime = createRuntime({ store, clock, logger: silent, orchestrators: [countdown] });
      const client = runtime.client;
      try {
        await client.startNew(countdown, { instanceId: "eternal", input: 24 }); // 25 runs: 24, 23, …, 0
        await runtime.drain();
        const row = (await store.getInstance("eternal"))!;
        expect(row.runtimeStatus).toBe("Completed");
        expect(row.runs!.olderRuns).toBe(4);
        expect(row.runs!.runs.map((r) => r.input.text)).toEqual(Array.from({ length: 20 }, (_, i) => String(20 - i)));
        expect(row.runs!.runs.map((r) => r.customStatus?.text)).toEqual(Array.from({ length: 20 }, (_, i) => `"left ${20 - i}"`));
        expect(new Set([row.executionId, ...row.runs!.runs.map((r) => r.executionId)]).size).toBe(21);
        const status = (await client.getStatus("eternal", { showRuns: true }))!;
        expect(status.runs).toMatchObject({ run: 25, executionId: row.executionId, olderRuns: 4 });
        expect(status.runs!.previous.at(-1)).toMatchObject({ run: 24, continuedAs: { run: 25, executionId: row.executionId }, continuedWith: { text: "0", truncated: false } });
        expect((await client.getStatus("eternal"))!.runs).toBeUndefined();

        // Started again under the same id: a new instance, whose chain starts over.
        await client.startNew(countdown, { instanceId: "eternal", input: 2 });
        await runtime.drain();
        const again = (await store.getInstance("eternal"))!;
        expect(again.runtimeStatus).toBe("Completed");
        expect(again.runs).toEqual({ olderRuns: 0, runs: [expect.objectContaining({ input: { text: "2", bytes: 1, truncated: false } }), expect.objectContaining({ input: { text: "1", bytes: 1, truncated: false } })] });
        await client.purge("eternal");
        expect(await store.getInstance("eternal")).toBeUndefined();
      } finally {
        await runtime.stop();
      }
    });

    // --- entities (rows `@name@key`: src/entities/) ---

    test("lists entity rows only when the id prefix starts with '@', and pages over them", async () => {
      // Entities and orchestrations interleaved in creation order, with a long run of orchestrations
      // between two entities (a listing must read past rows it does not list).
      const entities = ["@counter@a", "@account@x", "@counter@b", "@counter@c"].map((id, i) => entityRow(id, { createdAt: T0 + i * 1000 + 1, runtimeStatus: i === 2 ? "Completed" : "Running" }));
      const orchestrations = Array.from({ length: 150 }, (_, i) => row(`order-${String(i).padStart(3, "0")}`, { createdAt: i < 3 ? T0 + i * 1000 : T0 + 2500 }));
      expect(await store.commitSteps([...entities, ...orchestrations].map(creation))).toEqual(Array(154).fill("committed"));
      const ids = (page: { items: InstanceRecord[] }) => page.items.map((r) => r.instanceId);

      const all = await store.listInstances({ limit: 1000 });
      expect(ids(all)).toEqual(orchestrations.map((r) => r.instanceId));
      expect(all.next).toBeNull();
      expect(ids(await store.listInstances({ limit: 1000, instanceIdPrefix: "" }))).toEqual(orchestrations.map((r) => r.instanceId));
      expect(ids(await store.listInstances({ limit: 1000, runtimeStatus: ["Pending", "Running", "Completed"] }))).toEqual(orchestrations.map((r) => r.instanceId));
      expect(ids(await store.listInstances({ limit: 1000, instanceIdPrefix: "order-00" }))).toHaveLength(10);

      expect(ids(await store.listInstances({ limit: 1000, instanceIdPrefix: "@" }))).toEqual(["@counter@a", "@account@x", "@counter@b", "@counter@c"]);
      expect(ids(await store.listInstances({ limit: 1000, instanceIdPrefix: "@counter@" }))).toEqual(["@counter@a", "@counter@b", "@counter@c"]);
      expect(ids(await store.listInstances({ limit: 1000, instanceIdPrefix: "@counter@", runtimeStatus: ["Running"] }))).toEqual(["@counter@a", "@counter@c"]);
      expect(ids(await store.listInstances({ limit: 1000, instanceIdPrefix: "@", createdFrom: T0 + 1001, createdTo: T0 + 2001 }))).toEqual(["@account@x", "@counter@b"]);
      expect((await store.listInstances({ limit: 1000, instanceIdPrefix: "@" })).items[1]).toEqual(entities[1]);

      // Page by page, one entity at a time, over the orchestrations between them.
      const paged: string[] = [];
      let after: { createdAt: number; instanceId: string } | undefined;
      for (let page = 0; page < 10; page++) {
        const p = await store.listInstances({ limit: 1, instanceIdPrefix: "@", after });
        expect(p.items.length).toBeLessThanOrEqual(1);
        paged.push(...ids(p));
        if (!p.next) break;
        after = p.next;
      }
      expect(paged).toEqual(["@counter@a", "@account@x", "@counter@b", "@counter@c"]);
      const counters: string[] = [];
      after = undefined;
      for (let page = 0; page < 10; page++) {
        const p = await store.listInstances({ limit: 2, instanceIdPrefix: "@counter@", after });
        counters.push(...ids(p));
        if (!p.next) break;
        after = p.next;
      }
      expect(counters).toEqual(["@counter@a", "@counter@b", "@counter@c"]);
    });

    test("purgeInstance with ifInboxEmpty deletes only an instance whose inbox holds nothing, due or not", async () => {
      const idle = entityRow("@counter@idle", { runtimeStatus: "Completed", input: '{"v":1,"exists":false,"state":null}' });
      expect(await store.commitSteps([creation(idle)])).toEqual(["committed"]);
      const signal = eventMessage(idle.instanceId, "signal-1");
      await store.appendMessages([signal]);
      // A message waits: refused, and nothing is touched.
      expect(await store.purgeInstance(idle.instanceId, ["Completed"], { ifInboxEmpty: true })).toBe(false);
      expect(await store.getInstance(idle.instanceId)).toEqual(idle);
      expect((await store.loadSteps([{ instanceId: idle.instanceId }], T0))[0]!.messages.map((m) => m.id)).toEqual(["signal-1"]);
      // Consumed, then a scheduled one not yet due: still refused (it would be lost).
      const consumed = { ...idle, etag: 2 };
      expect(await store.commitSteps([commit(idle, { instance: consumed, deleteMessageIds: ["signal-1"], messages: [eventMessage(idle.instanceId, "later", T0 + 60_000)] })])).toEqual(["committed"]);
      expect(await store.purgeInstance(idle.instanceId, ["Completed"], { ifInboxEmpty: true })).toBe(false);
      expect(await store.getInstance(idle.instanceId)).toEqual(consumed);
      const due = (await store.loadSteps([{ instanceId: idle.instanceId }], T0 + 60_000))[0]!;
      expect(due.messages.map((m) => m.id)).toEqual(["later"]);
      // Once the inbox is empty, it goes; the status still has to match.
      expect(await store.commitSteps([commit(consumed, { instance: { ...consumed, etag: 3 }, deleteMessageIds: ["later"] })])).toEqual(["committed"]);
      expect(await store.purgeInstance(idle.instanceId, ["Running"], { ifInboxEmpty: true })).toBe(false);
      expect(await store.purgeInstance(idle.instanceId, ["Completed"], { ifInboxEmpty: true })).toBe(true);
      expect(await store.getInstance(idle.instanceId)).toBeUndefined();
      expect(await store.purgeInstance(idle.instanceId, ["Completed"], { ifInboxEmpty: true })).toBe(false);
      // Without the option a purge takes the inbox with it, as before.
      const other = entityRow("@counter@other", { runtimeStatus: "Completed" });
      await store.commitSteps([creation(other)]);
      await store.appendMessages([eventMessage(other.instanceId, "dropped")]);
      expect(await store.purgeInstance(other.instanceId, ["Completed"])).toBe(true);
      expect((await store.loadSteps([{ instanceId: other.instanceId }], T0))[0]!.messages).toEqual([]);
      expect((await store.claimWork(T0 + 120_000, { instanceLimit: 10, activityLimit: 10, leaseMs: 1000 })).instanceIds).toEqual([]);
    });

    test("entities end to end on this store: signals and calls counted once each, critical sections, listing, cleaning", async () => {
      const clock = new ManualClock(T0);
      const runtime = createRuntime({ store, clock, logger: silent, orchestrators: [counterAggregation, transferFunds], entities: [counter, account] });
      const client = runtime.client;
      try {
        const hits = new EntityId("Counter", "hits"); // untyped: "delete" is every entity's
        await Promise.all([
          ...Array.from({ length: 20 }, () => client.signalEntity(hits, "add", 1)),
          ...Array.from({ length: 3 }, (_, i) => client.startNew(counterAggregation, { instanceId: `agg-${i}`, input: { key: "hits", signals: 10 } })),
        ]);
        for (const k of ["a", "b"]) await client.signalEntity(entityId(account, k), "deposit", 50);
        await runtime.drain();
        expect(await client.readEntityState(hits)).toEqual({ entityExists: true, entityState: 50 });
        for (let i = 0; i < 3; i++) expect((await client.getStatus(`agg-${i}`))?.runtimeStatus).toBe("Completed");

        const transfers = await Promise.all(Array.from({ length: 6 }, (_, i) => client.startNew(transferFunds, { input: { from: i % 2 ? "a" : "b", to: i % 2 ? "b" : "a", amount: 10 + i } })));
        await runtime.drain();
        for (const id of transfers) expect((await client.getStatus(id))?.runtimeStatus).toBe("Completed");
        let total = 0;
        for (const k of ["a", "b"]) {
          const meta = await client.getEntity<{ balance: number }>(entityId(account, k));
          expect(meta).toMatchObject({ lockedBy: null, backlogQueueSize: 0, entityExists: true });
          total += meta!.state!.balance;
        }
        expect(total).toBe(100);

        // Orchestration listings never show entities; entity listings show nothing else.
        expect((await client.listInstances()).instances.map((s) => s.instanceId).sort()).toEqual(["agg-0", "agg-1", "agg-2", ...transfers].sort());
        expect((await client.listEntities()).entities.map((e) => `${e.entityId.name}/${e.entityId.key}`)).toEqual(["account/a", "account/b", "counter/hits"]); // created at one time: by id
        // Deleted, then cleaned away; an entity something was sent to meanwhile stays.
        await client.signalEntity(hits, "delete");
        await runtime.drain();
        expect(await client.readEntityState(hits)).toEqual({ entityExists: false });
        expect(await client.cleanEntityStorage()).toEqual({ emptyEntitiesRemoved: 1, orphanedLocksReleased: 0 });
        expect(await store.getInstance(String(hits))).toBeUndefined();
        const gone = new EntityId("Counter", "gone");
        await client.signalEntity(gone, "delete");
        await runtime.drain();
        await client.signalEntity(gone, "add", 2);
        expect(await client.cleanEntityStorage()).toEqual({ emptyEntitiesRemoved: 0, orphanedLocksReleased: 0 });
        await runtime.drain();
        expect(await client.readEntityState(gone)).toEqual({ entityExists: true, entityState: 2 });
      } finally {
        await runtime.stop();
      }
    });

    test("stores values exactly (unicode, nested failure details, large payloads)", async () => {
      const big = JSON.stringify("x".repeat(200_000));
      const r = row("ünïcødé-✓", { input: big, customStatus: '{"emoji":"🚀"}' });
      await create(r);
      const failure = { ErrorType: "TypeError", ErrorMessage: "boom 💥", StackTrace: "at x", IsNonRetriable: false, InnerFailure: { ErrorType: "Error", ErrorMessage: "inner", StackTrace: null, IsNonRetriable: true, InnerFailure: null } };
      const failed: HistoryEvent = { EventType: "TaskFailed", EventId: -1, Timestamp: T0, TaskScheduledId: 0, Reason: "boom 💥", Details: null, FailureDetails: failure };
      await store.commitSteps([commit(r, { instance: { ...r, etag: 2, runtimeStatus: "Failed", failureDetails: failure, historyLength: 1 }, history: { mode: "append", events: [failed] } })]);
      expect(await store.getInstance("ünïcødé-✓")).toEqual({ ...r, etag: 2, runtimeStatus: "Failed", failureDetails: failure, historyLength: 1 });
      expect(await store.getHistory("ünïcødé-✓")).toEqual([failed]);
    });

    test("runSteps (when offered) loads, plans and commits in one go, fenced like commitSteps", async () => {
      if (!store.runSteps) return;
      const a = row("a");
      const b = row("b");
      await create(a);
      await create(b);
      await store.appendMessages([eventMessage("a", "e1")]);
      let seen: string[][] = [];
      const outcomes = await store.runSteps([{ instanceId: "a" }, { instanceId: "b" }], T0, (inputs) => {
        seen = inputs.map((i) => i.messages.map((m) => m.id));
        return [
          commit(inputs[0]!.instance!, { deleteMessageIds: inputs[0]!.messages.map((m) => m.id), history: { mode: "append", events: [started(T0)] }, instance: { ...a, etag: 2, runtimeStatus: "Running", historyLength: 1 } }),
          commit({ ...b, etag: 42 }),
        ];
      });
      expect(seen).toEqual([[startMessage(a).id, "e1"], [startMessage(b).id]]);
      expect(outcomes).toEqual(["committed", "conflict"]);
      expect(await store.getHistory("a")).toEqual([started(T0)]);
      expect((await store.getInstance("b"))!.etag).toBe(1);
      const [after] = await store.loadSteps([{ instanceId: "a" }], T0);
      expect(after!.messages).toEqual([]);
    });

    test("holds the history of a step as large as the limits allow (a 10,000-way fan-out), read from any position", async () => {
      const r = row("big");
      await create(r);
      const scheduled = (i: number): HistoryEvent => ({ EventType: "TaskScheduled", EventId: i, Timestamp: T0, Name: "Square", Version: null, Input: `{"n":${i},"pad":"${"é".repeat(120)}"}` });
      const events = [started(T0), ...Array.from({ length: 10_000 }, (_, i) => scheduled(i))];
      const first = { ...r, etag: 2, runtimeStatus: "Running" as const, historyLength: events.length };
      expect(await store.commitSteps([commit(r, { instance: first, history: { mode: "append", events }, deleteMessageIds: [startMessage(r).id] })])).toEqual(["committed"]);
      const done: HistoryEvent = { EventType: "OrchestratorCompleted", EventId: -1, Timestamp: T0 };
      const second = { ...first, etag: 3, historyLength: events.length + 1 };
      expect(await store.commitSteps([commit(first, { instance: second, history: { mode: "append", events: [done] } })])).toEqual(["committed"]);
      expect(await store.getHistory("big")).toEqual([...events, done]);
      const [from] = await store.loadSteps([{ instanceId: "big", cached: { etag: 2, historyLength: 9_000 } }], T0);
      if (from!.historyFrom === 9_000) expect(from!.history).toEqual([...events.slice(9_000), done]);
      else expect(from!.history).toEqual([...events, done]);
      // A new execution replaces it all, parts included.
      const fresh = { ...second, etag: 4, executionId: "exec-big-2", historyLength: 1 };
      expect(await store.commitSteps([commit(second, { instance: fresh, history: { mode: "replace", events: [started(T0 + 1)] } })])).toEqual(["committed"]);
      expect(await store.getHistory("big")).toEqual([started(T0 + 1)]);
    });

    // --- hand-over (exportInstance / importInstance) ---

    /** `a` running with a step of history, a due event, a timer not yet due, one queued and one leased activity. */
    const busy = async () => {
      const r = row("a");
      await create(r);
      const running = { ...r, etag: 2, runtimeStatus: "Running" as const, historyLength: 2 };
      const history: HistoryEvent[] = [started(T0), startMessage(r).event];
      const timer: InboxMessage = { id: "a|timer|0", instanceId: "a", executionId: r.executionId, visibleAt: T0 + 60_000, event: { EventType: "TimerFired", EventId: -1, Timestamp: T0 + 60_000, TimerId: 0, FireAt: T0 + 60_000 } };
      await store.commitSteps([
        commit(r, { instance: running, history: { mode: "append", events: history }, deleteMessageIds: [startMessage(r).id], messages: [timer], activities: [activityItem(r, 1), activityItem(r, 2)] }),
      ]);
      await store.appendMessages([eventMessage("a", "e1")]);
      const leased = (await store.claimWork(T0, { instanceLimit: 0, activityLimit: 1, leaseMs: 60_000 })).activities;
      expect(leased.map((a) => a.taskId)).toEqual([1]);
      return { r, running, history, timer, leased: leased[0]! };
    };

    test("exportInstance reads an instance whole: row, history, every inbox message (due or not), queued and leased activities", async () => {
      if (!store.exportInstance) throw new Error("this store has no exportInstance");
      const { r, running, history, timer } = await busy();
      const snapshot = (await store.exportInstance("a"))!;
      expect(snapshot.instance).toEqual(running);
      expect(snapshot.history).toEqual(history);
      expect(snapshot.inbox.map(({ seq: _seq, ...m }) => m)).toEqual([timer, eventMessage("a", "e1")]);
      expect(snapshot.activities).toEqual([activityItem(r, 1), activityItem(r, 2)]);
      expect(await store.exportInstance("missing")).toBeUndefined();
      // A plain export changes nothing.
      expect(await store.getInstance("a")).toEqual(running);
      expect((await store.claimWork(T0 + 60_000, { instanceLimit: 10, activityLimit: 10, leaseMs: 1000 })).instanceIds).toEqual(["a"]);
    });

    test("exportInstance with a seal writes it in the same transaction: row replaced, history appended, inbox and activities gone", async () => {
      const { running, history, leased } = await busy();
      const moved = { ...running, etag: 3, runtimeStatus: "Terminated" as const, historyLength: 3, completedAt: T0 };
      const done: HistoryEvent = { EventType: "ExecutionCompleted", EventId: -1, Timestamp: T0, OrchestrationStatus: "Terminated", Result: null, FailureDetails: null };
      let seen: InstanceSnapshot | undefined;
      const snapshot = await store.exportInstance!("a", (s) => {
        seen = s;
        return { instance: moved, history: [done] };
      });
      expect(snapshot).toEqual(seen);
      expect(snapshot!.instance).toEqual(running);
      expect(await store.getInstance("a")).toEqual(moved);
      expect(await store.getHistory("a")).toEqual([...history, done]);
      const [step] = await store.loadSteps([{ instanceId: "a" }], T0 + 120_000);
      expect(step!.messages).toEqual([]);
      const work = await store.claimWork(T0 + 120_000, { instanceLimit: 10, activityLimit: 10, leaseMs: 1000 });
      expect(work).toEqual({ instanceIds: [], activities: [] });
      // The activity that was running: its completion is dropped, as for a lost lease.
      expect(await store.completeActivity(leased, { id: `${leased.id}|result`, instanceId: "a", executionId: leased.executionId, visibleAt: T0, event: { EventType: "TaskCompleted", EventId: -1, Timestamp: T0, TaskScheduledId: 1, Result: "1" } })).toBe(false);
      expect(await store.nextWakeAt()).toBeNull();
    });

    test("exportInstance: a seal that throws changes nothing; one that returns null writes nothing", async () => {
      const { running } = await busy();
      const error = await store.exportInstance!("a", () => {
        throw new DurableError("InvalidState", "not now");
      }).catch((e: unknown) => e);
      expect(DurableError.is(error, "InvalidState")).toBe(true);
      expect(await store.exportInstance!("a", () => null)).toBeDefined();
      expect(await store.getInstance("a")).toEqual(running);
      expect((await store.exportInstance!("a"))!.activities).toHaveLength(2);
      expect((await store.claimWork(T0, { instanceLimit: 10, activityLimit: 10, leaseMs: 1000 })).instanceIds).toEqual(["a"]);
    });

    test("importInstance writes an instance whole; its messages come due at their time and its activities are claimable", async () => {
      if (!store.importInstance) throw new Error("this store has no importInstance");
      const r = row("b", { runtimeStatus: "Running", historyLength: 2, etag: 1 });
      const history: HistoryEvent[] = [started(T0), startMessage(r).event];
      const timer: InboxMessage = { id: "b|timer|0", instanceId: "b", executionId: r.executionId, visibleAt: T0 + 60_000, event: { EventType: "TimerFired", EventId: -1, Timestamp: T0 + 60_000, TimerId: 0, FireAt: T0 + 60_000 } };
      const snapshot: InstanceSnapshot = { instance: r, history, inbox: [timer, eventMessage("b", "e1")], activities: [activityItem(r, 1)] };
      await store.importInstance(snapshot, { overwritableStatuses: [] });
      expect(await store.getInstance("b")).toEqual(r);
      expect(await store.getHistory("b")).toEqual(history);
      const [now] = await store.loadSteps([{ instanceId: "b" }], T0);
      expect(now!.messages.map((m) => m.id)).toEqual(["e1"]);
      const [later] = await store.loadSteps([{ instanceId: "b" }], T0 + 60_000);
      expect(later!.messages.map((m) => m.id)).toEqual(["b|timer|0", "e1"]);
      const work = await store.claimWork(T0, { instanceLimit: 10, activityLimit: 10, leaseMs: 1000 });
      expect(work.instanceIds).toEqual(["b"]);
      expect(work.activities.map(({ leaseToken: _t, lockedUntil: _l, dequeueCount, ...a }) => ({ ...a, dequeueCount }))).toEqual([{ ...activityItem(r, 1), dequeueCount: 1 }]);
      expect((await store.exportInstance!("b"))!.inbox.map((m) => m.id)).toEqual(["b|timer|0", "e1"]);
      const page = await store.listInstances({ limit: 10 });
      expect(page.items.map((i) => i.instanceId)).toContain("b");
    });

    test("importInstance refuses over a live instance and changes nothing; replaces a finished one whole", async () => {
      const r = row("a");
      await create(r);
      const incoming: InstanceSnapshot = { instance: row("a", { executionId: "exec-other", runtimeStatus: "Running", historyLength: 1 }), history: [started(T0)], inbox: [], activities: [] };
      const error = await store.importInstance!(incoming, { overwritableStatuses: TERMINAL }).catch((e: unknown) => e);
      expect(DurableError.is(error, "InstanceAlreadyExists")).toBe(true);
      expect(await store.getInstance("a")).toEqual(r);
      const [step] = await store.loadSteps([{ instanceId: "a" }], T0);
      expect(step!.messages.map((m) => m.id)).toEqual([startMessage(r).id]);
      const done = { ...r, etag: 2, runtimeStatus: "Completed" as const, historyLength: 1 };
      await store.commitSteps([commit(r, { instance: done, history: { mode: "append", events: [started(T0)] }, deleteMessageIds: [startMessage(r).id], activities: [activityItem(r, 5)] })]);
      await store.importInstance!(incoming, { overwritableStatuses: TERMINAL });
      expect(await store.getInstance("a")).toEqual(incoming.instance);
      expect(await store.getHistory("a")).toEqual([started(T0)]);
      expect((await store.exportInstance!("a"))!.activities).toEqual([]);
    });

    test("importInstances writes several instances in one transaction: all of them, or none when one id is taken", async () => {
      if (!store.importInstances) throw new Error("this store has no importInstances");
      const snapshotOf = (id: string): InstanceSnapshot => {
        const r = row(id, { runtimeStatus: "Running", historyLength: 1 });
        return { instance: r, history: [started(T0)], inbox: [eventMessage(id, `${id}|e`)], activities: [activityItem(r, 1)] };
      };
      const live = row("c");
      await create(live);
      const error = await store.importInstances([snapshotOf("a"), snapshotOf("b"), snapshotOf("c")], { overwritableStatuses: TERMINAL }).catch((e: unknown) => e);
      expect(DurableError.is(error, "InstanceAlreadyExists")).toBe(true);
      expect(await store.getInstance("a")).toBeUndefined();
      expect(await store.getInstance("b")).toBeUndefined();
      expect(await store.getInstance("c")).toEqual(live);
      expect((await store.claimWork(T0, { instanceLimit: 10, activityLimit: 10, leaseMs: 1000 })).activities).toEqual([]);
      await store.importInstances([snapshotOf("a"), snapshotOf("b")], { overwritableStatuses: [] });
      for (const id of ["a", "b"]) {
        expect(await store.getInstance(id)).toEqual(snapshotOf(id).instance);
        expect((await store.exportInstance!(id))!.inbox.map((m) => m.id)).toEqual([`${id}|e`]);
      }
      expect((await store.claimWork(T0, { instanceLimit: 10, activityLimit: 10, leaseMs: 1000 })).activities.map((a) => a.instanceId).sort()).toEqual(["a", "b"]);
    });

    // --- hand-over of a tree: a parent moved with its running sub-orchestrations ---

    describe("moving a tree (a parent with running sub-orchestrations) off this store and onto another of its kind", () => {
      const tree = async (wrap: (s: Store) => Store = (s) => s) => {
        const clock = new ManualClock(T0);
        const source = createRuntime({ store: wrap(store), clock, logger: silent, orchestrators: treeOrchestrators });
        await source.client.startNew(approvalTree, { instanceId: "tree" });
        await source.drain();
        const running = (await store.listInstances({ limit: 100 })).items;
        expect(running.map((r) => r.runtimeStatus)).toEqual(["Running", "Running", "Running", "Running", "Running"]);
        const destination = await makeStore();
        const target = createRuntime({ store: destination, clock, logger: silent, orchestrators: treeOrchestrators });
        const histories = async () => Promise.all(running.map(async (r) => (await store.getHistory(r.instanceId)).length));
        return { clock, source, target, destination, ids: running.map((r) => r.instanceId), histories };
      };
      /** The grandchildren (each a HumanInteraction waiting for its Approval), by branch. */
      const leaves = (doc: InstanceDocument) => (doc.descendants ?? []).filter((d) => d.instance.name === "HumanInteraction");
      const approveAll = async (runtime: ReturnType<typeof createRuntime>, ids: string[]) => {
        for (const id of ids) await runtime.client.raiseEvent(id, "Approval", `ok ${id}`);
        await runtime.drain();
      };

      test("a tree move: the root's document carries every running descendant, parents first; where it was, each is moved and nothing runs; it completes where it arrives", async () => {
        const { source, target, destination, ids, histories } = await tree();
        try {
          const doc = await source.client.exportInstance("tree", { move: true, to: "elsewhere" });
          expect(doc.version).toBe(2);
          expect((doc.descendants ?? []).map((d) => d.instance.name).sort()).toEqual(["ApprovalBranch", "ApprovalBranch", "HumanInteraction", "HumanInteraction"]);
          const order = ["tree", ...(doc.descendants ?? []).map((d) => d.instance.instanceId)];
          for (const d of doc.descendants ?? []) expect(order.indexOf(d.instance.parentInstanceId!)).toBeLessThan(order.indexOf(d.instance.instanceId));
          for (const id of ids) expect(movedInfo((await store.getInstance(id))!)).toMatchObject({ to: "elsewhere" });
          expect(await store.nextWakeAt()).toBeNull();
          const sealed = await histories();

          expect(await target.client.importInstance(JSON.parse(JSON.stringify(doc)))).toBe("tree");
          await target.drain();
          await approveAll(target, leaves(doc).map((d) => d.instance.instanceId));
          const done = (await target.client.getStatus("tree"))!;
          expect(done.runtimeStatus).toBe("Completed");
          expect((done.output as { approval: { approved: boolean } }[]).map((b) => b.approval.approved)).toEqual([true, true]);
          await source.drain();
          expect(await histories()).toEqual(sealed);
        } finally {
          await destination.close();
        }
      });

      test("the race: a sub-orchestration that completes after its parent's seal and before its own stays where it ran; its result travels in the parent's document", async () => {
        let hook: (() => Promise<void>) | null = null;
        // Runs `hook` once, right after the root's seal committed and before any descendant is sealed.
        const hooked = (inner: Store): Store =>
          new Proxy(inner, {
            get(target, prop) {
              if (prop !== "exportInstance") return Reflect.get(target, prop, target);
              return async (id: string, seal?: (s: InstanceSnapshot) => unknown) => {
                const snapshot = await target.exportInstance!(id, seal as never);
                if (id === "tree" && hook && movedInfo((await target.getInstance("tree"))!)) {
                  const run = hook;
                  hook = null;
                  await run();
                }
                return snapshot;
              };
            },
          });
        const { source, target, destination } = await tree(hooked);
        try {
          const snapshot = await source.client.exportInstance("tree");
          const [branchA, branchB] = snapshot.children.map((c) => c.instanceId);
          const leafOf = async (branch: string) => (await source.client.exportInstance(branch)).children[0]!.instanceId;
          const [leafA, leafB] = [await leafOf(branchA!), await leafOf(branchB!)];
          hook = async () => {
            // Branch A finishes between the seals: its result reaches the sealed root, which drops it.
            await source.client.raiseEvent(leafA, "Approval", "early");
            await source.drain();
            expect((await store.getInstance(branchA!))!.runtimeStatus).toBe("Completed");
          };
          const doc = await source.client.exportInstance("tree", { move: true, to: "elsewhere" });
          expect(hook).toBeNull();
          expect((doc.descendants ?? []).map((d) => d.instance.instanceId)).toEqual([branchB, leafB]);
          expect(doc.inbox.filter((m) => m.event.EventType === "SubOrchestrationInstanceCompleted")).toHaveLength(1);
          expect((await store.getHistory("tree")).some((e) => e.EventType === "SubOrchestrationInstanceCompleted")).toBe(false);
          for (const id of [branchA, leafA]) expect(movedInfo((await store.getInstance(id!))!)).toBeNull(); // finished there, left as they are

          await target.client.importInstance(doc);
          await approveAll(target, [leafB!]);
          const done = (await target.client.getStatus("tree"))!;
          expect(done.runtimeStatus).toBe("Completed");
          expect((done.output as { approval: { approval: unknown } }[]).map((b) => b.approval.approval)).toEqual(["early", `ok ${leafB}`]);
        } finally {
          await destination.close();
        }
      });

      test("a refused tree import stores nothing: one sub-orchestration's id is in use there", async () => {
        const { source, target, destination } = await tree();
        try {
          const doc = await source.client.exportInstance("tree", { move: true });
          const leaf = leaves(doc)[1]!.instance.instanceId;
          await target.client.startNew(humanInteraction, { instanceId: leaf });
          for (const onConflict of ["fail", "replace"] as const) {
            const error = await target.client.importInstance(doc, { onConflict }).catch((e: unknown) => e);
            expect(DurableError.is(error, "InstanceAlreadyExists")).toBe(true);
            expect((error as Error).message).toContain(`'${leaf}' (Pending)`);
          }
          for (const d of [doc, ...(doc.descendants ?? [])]) {
            if (d.instance.instanceId !== leaf) expect(await destination.getInstance(d.instance.instanceId)).toBeUndefined();
          }
          expect((await destination.listInstances({ limit: 10 })).items.map((r) => r.instanceId)).toEqual([leaf]);
        } finally {
          await destination.close();
        }
      });

      test("renamed on import: the root takes the new id, its sub-orchestrations keep theirs and know their parent's new one", async () => {
        const { source, target, destination } = await tree();
        try {
          const doc = await source.client.exportInstance("tree", { move: true });
          expect(await target.client.importInstance(doc, { instanceId: "tree-2" })).toBe("tree-2");
          expect(await destination.getInstance("tree")).toBeUndefined();
          for (const d of doc.descendants ?? []) {
            const row = (await destination.getInstance(d.instance.instanceId))!;
            const parent = d.instance.parentInstanceId === "tree" ? "tree-2" : d.instance.parentInstanceId;
            expect(row.parentInstanceId).toBe(parent);
            const started = (await destination.getHistory(d.instance.instanceId)).find((e) => e.EventType === "ExecutionStarted");
            expect(started).toMatchObject({ ParentInstance: { OrchestrationInstance: { InstanceId: parent } } });
          }
          await target.drain();
          await approveAll(target, leaves(doc).map((d) => d.instance.instanceId));
          expect((await target.client.getStatus("tree-2"))!.runtimeStatus).toBe("Completed");
        } finally {
          await destination.close();
        }
      });
    });

    test("a closed store refuses calls with StoreClosed", async () => {
      await store.close();
      const error = await store.getInstance("a").catch((e: unknown) => e);
      expect(DurableError.is(error, "StoreClosed")).toBe(true);
      store = await makeStore();
    });
  });
}
