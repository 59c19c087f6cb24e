/**
 * What the Durable Object store adds to the contract: schema migrations (and rows from before the
 * earlier runs of continue-as-new had a column), write-behind completions
 * across a restart, the cost of one chain step (one transaction, two rows), the outbox (in write
 * order; an entity's messages in line behind a retry), and an entity's single `steps` row.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createDurableObjectStore, migrate, MIGRATIONS, runMigrations, SCHEMA_VERSION, type DurableObjectStoreOptions } from "../../adapters/durable-object/index.ts";
import type { ClaimedActivity, InboxMessage, InstanceRecord, RunChain, StepCommit } from "../../src/index.ts";
import { row, startMessage } from "../../adapters/contract/store-contract.ts";

const T0 = Date.UTC(2026, 0, 1);

function inFreshObject<R>(fn: (state: DurableObjectState) => R | Promise<R>): Promise<R> {
  return runInDurableObject(env.INSTANCES.get(env.INSTANCES.newUniqueId()), (_o, state) => fn(state));
}

function record(etag: number, overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  return row("i", { name: "ActivityChain", executionId: "e", runtimeStatus: "Running", input: '{"count":3}', etag, historyLength: etag - 1, ...overrides });
}

const start: InboxMessage = startMessage(record(1));

const activity = (taskId: number) => ({ id: `i|e|${taskId}`, instanceId: "i", executionId: "e", taskId, name: "AddOne", input: String(taskId), enqueuedAt: T0 });

function commit(etag: number, changes: Partial<StepCommit>): StepCommit {
  return {
    instanceId: "i",
    expectedEtag: etag,
    instance: record(etag + 1),
    history: { mode: "append", events: [{ EventType: "OrchestratorStarted", EventId: -1, Timestamp: T0 }] },
    deleteMessageIds: [],
    dropExecution: null,
    messages: [],
    activities: [],
    ...changes,
  };
}

function resultOf(item: ClaimedActivity): InboxMessage {
  return {
    id: `${item.id}|result`,
    instanceId: "i",
    executionId: "e",
    visibleAt: T0,
    event: { EventType: "TaskCompleted", EventId: -1, Timestamp: T0, TaskScheduledId: item.taskId, Result: String(item.taskId + 1) },
  };
}

const claim = { instanceLimit: 10, activityLimit: 10, leaseMs: 60_000 };
const writeBehind: DurableObjectStoreOptions = { completions: "write-behind" };

describe("Durable Object store", () => {
  it("migrates once, records the version, and refuses storage from a newer schema", async () => {
    await inFreshObject((state) => {
      expect(migrate(state.storage)).toBe(SCHEMA_VERSION);
      expect(migrate(state.storage)).toBe(SCHEMA_VERSION);
      const versions = state.storage.sql.exec<{ version: number }>(`SELECT version FROM schema_version`).toArray().map((r) => r.version);
      expect(versions).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
      state.storage.sql.exec(`INSERT INTO schema_version (version) VALUES (?)`, SCHEMA_VERSION + 1);
      expect(() => migrate(state.storage)).toThrow(/newer than this code knows/);
    });
  });

  it("keeps an instance's earlier runs beside its input, written when a run ends and not in every steps row; a cold store reads them; rows from schema 4 read without", async () => {
    await inFreshObject(async (state) => {
      // Storage as schema version 4 left it (the object under test migrated its own at start: start
      // over), and an instance row without the runs column.
      const tables = state.storage.sql.exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf%' ESCAPE '\\' AND name NOT LIKE 'sqlite%'`).toArray();
      for (const { name } of tables) state.storage.sql.exec(`DROP TABLE "${name}"`);
      expect(runMigrations(state.storage, MIGRATIONS.slice(0, 4))).toBe(4);
      const old = record(2);
      const { input, ...stored } = old;
      state.storage.sql.exec(`INSERT INTO instances (instance_id, input) VALUES (?, ?)`, "i", input);
      state.storage.sql.exec(
        `INSERT INTO steps (instance_id, etag, first_index, event_count, record, events) VALUES (?, ?, 0, 1, ?, ?)`,
        "i",
        2,
        JSON.stringify(stored),
        JSON.stringify([{ EventType: "OrchestratorStarted", EventId: -1, Timestamp: T0 }]),
      );
      const store = createDurableObjectStore(state.storage, { indexShardOf: () => "index-0" });
      const read = (await store.getInstance("i"))!;
      expect(read).toEqual(old);
      expect("runs" in read).toBe(false);
      expect(migrate(state.storage)).toBe(SCHEMA_VERSION);

      // The run ends by continuing as new: its summary goes to instances.runs, once.
      const runs: RunChain = {
        olderRuns: 3,
        runs: [{ executionId: "e", startedAt: T0, endedAt: T0 + 500, input: { text: '{"count":3}', bytes: 11, truncated: false }, customStatus: null, historyLength: 4 }],
      };
      const next = record(3, { executionId: "e2", runtimeStatus: "ContinuedAsNew", input: '{"count":2}', historyLength: 0, runs });
      await store.commitSteps([commit(2, { instance: next, history: { mode: "replace", events: [] }, dropExecution: "e" })]);
      const column = () => state.storage.sql.exec<{ runs: string | null; input: string | null }>(`SELECT runs, input FROM instances WHERE instance_id = 'i'`).one();
      expect(column()).toEqual({ runs: JSON.stringify(runs), input: '{"count":2}' });
      // Steps that do not end a run write no instances row, even given an equal copy of the chain.
      await store.commitSteps([commit(3, { instance: record(4, { executionId: "e2", input: '{"count":2}', historyLength: 1, runs }) })]); // Running: an index update too
      for (const [etag, chain] of [[4, runs], [5, structuredClone(runs)]] as const) {
        const before = store.stats().rowsWritten;
        await store.commitSteps([commit(etag, { instance: record(etag + 1, { executionId: "e2", input: '{"count":2}', historyLength: etag - 2, runs: chain }) })]);
        expect(store.stats().rowsWritten - before).toBe(1); // the steps row alone
      }
      const records = state.storage.sql.exec<{ record: string }>(`SELECT record FROM steps WHERE instance_id = 'i'`).toArray();
      expect(records.length).toBeGreaterThan(0);
      for (const r of records) expect(JSON.parse(r.record)).not.toHaveProperty("runs");
      // A store that starts cold (the object restarted) reads them with the row, and in listings.
      const cold = createDurableObjectStore(state.storage);
      expect((await cold.getInstance("i"))!.runs).toEqual(runs);
      expect((await cold.listInstances({ limit: 10 })).items[0]!.runs).toEqual(runs);
      // The index is told of the status, not of the runs (listings never show them).
      const index = store.takeOutbox(Date.now(), 100).filter((e) => e.kind === "index");
      expect(index.length).toBeGreaterThan(0);
      for (const e of index) expect(e.index!.record).not.toHaveProperty("runs");
      // Purged with the row.
      await store.commitSteps([commit(6, { instance: record(7, { executionId: "e2", runtimeStatus: "Completed", historyLength: 4, runs }) })]);
      expect(await store.purgeInstance("i", ["Completed"])).toBe(true);
      expect(state.storage.sql.exec(`SELECT * FROM instances`).toArray()).toEqual([]);
    });
  });

  it("a chain step costs one transaction and two rows; completing an activity writes nothing", async () => {
    await inFreshObject(async (state) => {
      const store = createDurableObjectStore(state.storage, writeBehind);
      await store.createInstance(record(1, { runtimeStatus: "Pending", historyLength: 0 }), start, { overwritableStatuses: [] });
      await store.commitSteps([commit(1, { deleteMessageIds: [start.id], activities: [activity(0)] })]);
      let etag = 2;
      for (let task = 0; task < 5; task++) {
        const [item] = (await store.claimWork(T0, claim)).activities;
        expect(item!.taskId).toBe(task);
        const before = store.stats();
        expect(await store.completeActivity(item!, resultOf(item!))).toBe(true);
        expect(store.stats()).toEqual(before);
        const [step] = await store.loadSteps([{ instanceId: "i" }], T0);
        expect(step!.messages.map((m) => m.id)).toEqual([`${item!.id}|result`]);
        expect(await store.commitSteps([commit(etag, { deleteMessageIds: [`${item!.id}|result`], activities: [activity(task + 1)] })])).toEqual(["committed"]);
        etag++;
        const after = store.stats();
        expect(after.transactions - before.transactions).toBe(1);
        expect(after.rowsWritten - before.rowsWritten).toBe(2);
      }
      const rows = state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM activities`).one().n;
      expect(rows).toBe(1);
    });
  });

  it("reports the work a transaction left, with when it falls due, right after the commit; nothing for reads, writes that leave none, or a failed transaction", async () => {
    await inFreshObject(async (state) => {
      const reported: number[] = [];
      const store = createDurableObjectStore(state.storage, { ...writeBehind, onWork: (dueAt) => reported.push(dueAt) });
      await store.createInstance(record(1, { runtimeStatus: "Pending", historyLength: 0 }), start, { overwritableStatuses: [] });
      expect(reported).toEqual([start.visibleAt]); // the start message
      const timer: InboxMessage = { ...start, id: "timer", visibleAt: T0 + 60_000, event: { EventType: "TimerFired", EventId: -1, Timestamp: T0, TimerId: 0, FireAt: T0 + 60_000 } };
      await store.commitSteps([commit(1, { deleteMessageIds: [start.id], messages: [timer] })]);
      expect(reported.at(-1)).toBe(T0 + 60_000);
      await store.commitSteps([commit(2, { activities: [activity(0)] })]);
      expect(reported.at(-1)).toBe(0); // a queued activity: due at once
      const count = reported.length;
      await store.loadSteps([{ instanceId: "i" }], T0);
      await store.getInstance("i");
      await store.commitSteps([commit(3, {})]); // a step that leaves nothing new
      await expect(store.createInstance(record(1), start, { overwritableStatuses: [] })).rejects.toThrow(/already exists/);
      expect(reported).toHaveLength(count);
    });
  });

  it("loses an uncommitted write-behind result on restart and hands the activity out again; a completion from before the restart still applies", async () => {
    await inFreshObject(async (state) => {
      const first = createDurableObjectStore(state.storage, writeBehind);
      await first.createInstance(record(1, { runtimeStatus: "Pending", historyLength: 0 }), start, { overwritableStatuses: [] });
      await first.commitSteps([commit(1, { deleteMessageIds: [start.id], activities: [activity(0), activity(1)] })]);
      const [a, b] = (await first.claimWork(T0, claim)).activities;
      expect(await first.completeActivity(a!, resultOf(a!))).toBe(true);

      const second = createDurableObjectStore(state.storage, writeBehind); // the object restarted
      const [step] = await second.loadSteps([{ instanceId: "i" }], T0);
      expect(step!.messages).toEqual([]);
      expect(await second.nextWakeAt()).toBe(0);
      const again = (await second.claimWork(T0, claim)).activities;
      expect(again.map((x) => x.taskId)).toEqual([0, 1]);
      expect(again[0]!.dequeueCount).toBe(1);
      expect(await second.completeActivity(b!, resultOf(b!))).toBe(false); // re-leased since: the old lease lost
      expect(await second.completeActivity(again[1]!, resultOf(again[1]!))).toBe(true);
      expect(await second.completeActivity(again[1]!, resultOf(again[1]!))).toBe(false);
    });
  });

  it("accepts a completion leased before a restart while nobody holds the activity", async () => {
    await inFreshObject(async (state) => {
      const first = createDurableObjectStore(state.storage, writeBehind);
      await first.createInstance(record(1, { runtimeStatus: "Pending", historyLength: 0 }), start, { overwritableStatuses: [] });
      await first.commitSteps([commit(1, { deleteMessageIds: [start.id], activities: [activity(0)] })]);
      const [a] = (await first.claimWork(T0, claim)).activities;
      const second = createDurableObjectStore(state.storage, writeBehind);
      expect(await second.completeActivity(a!, resultOf(a!))).toBe(true);
      expect((await second.loadSteps([{ instanceId: "i" }], T0))[0]!.messages.map((m) => m.id)).toEqual([`${a!.id}|result`]);
    });
  });

  it("puts messages for other objects and index updates in the outbox, in the commit's transaction", async () => {
    await inFreshObject(async (state) => {
      const store = createDurableObjectStore(state.storage, { isLocal: (id) => id === "i", indexShardOf: () => "index-0" });
      await store.createInstance(record(1, { runtimeStatus: "Pending", historyLength: 0 }), start, { overwritableStatuses: [] });
      const toChild: InboxMessage = { ...start, id: "child|start|e|0", instanceId: "child" };
      await store.commitSteps([commit(1, { deleteMessageIds: [start.id], messages: [toChild] })]);
      const entries = store.takeOutbox(Date.now(), 100);
      expect(entries.map((e) => [e.kind, e.target])).toEqual([
        ["index", "index-0"],
        ["message", "child"],
      ]);
      expect(entries[0]!.index!.record!.runtimeStatus).toBe("Running"); // coalesced: Pending → Running
      expect(entries[1]!.message).toEqual(toChild);
      expect((await store.claimWork(T0, claim)).instanceIds).toEqual([]);
      store.settleOutbox([entries[1]!], [entries[0]!], Date.now() + 60_000);
      expect(store.takeOutbox(Date.now(), 100)).toEqual([]);
      expect(store.nextOutboxAt()).toBeGreaterThan(Date.now());
      expect(store.receiveMessages([{ ...start, id: "event-1" }], T0)).toBe(1);
      expect(store.receiveMessages([{ ...start, id: "event-1" }], T0)).toBe(0);
    });
  });

  it("hands out the outbox in write order, and keeps an entity's messages in line behind one that waits for its retry", async () => {
    await inFreshObject(async (state) => {
      const store = createDurableObjectStore(state.storage, { isLocal: () => false });
      const message = (id: string, instanceId: string): InboxMessage => ({ ...start, id, instanceId, executionId: null });
      // Ids that sort otherwise than they were written.
      await store.appendMessages([message("z1", "@counter@k"), message("b", "orchestration")]);
      await store.appendMessages([message("a2", "@counter@k")]);
      const now = Date.now();
      const first = store.takeOutbox(now, 100);
      expect(first.map((e) => e.message!.id)).toEqual(["z1", "b", "a2"]);
      // The first for the entity fails; the orchestration's is delivered.
      const retryAt = now + 60_000;
      store.settleOutbox([first[1]!], [first[0]!], retryAt);
      expect(store.takeOutbox(now, 100)).toEqual([]); // "a2" waits behind "z1"
      expect(store.nextOutboxAt()).toBe(retryAt); // not at once: nothing can leave before the retry
      await store.appendMessages([message("0", "@counter@k"), message("c", "orchestration")]);
      expect(store.takeOutbox(now, 100).map((e) => e.message!.id)).toEqual(["c"]); // an orchestration's messages do not wait
      store.settleOutbox(store.takeOutbox(now, 100), [], retryAt);
      // After a restart (a new store over the same storage), the line is still there, in order.
      const restarted = createDurableObjectStore(state.storage, { isLocal: () => false });
      expect(restarted.takeOutbox(now, 100)).toEqual([]);
      expect(restarted.nextOutboxAt()).toBe(retryAt);
      await restarted.appendMessages([message("last", "@counter@k")]);
      expect(restarted.takeOutbox(retryAt, 100).map((e) => e.message!.id)).toEqual(["z1", "a2", "0", "last"]);
    });
  });

  it("counts an entity's messages from other objects as arrived when they arrive (scheduled ones keep their time)", async () => {
    await inFreshObject(async (state) => {
      const store = createDurableObjectStore(state.storage, { indexShardOf: () => "index-0" });
      const now = T0 + 60_000;
      const to = (id: string, instanceId: string, visibleAt: number): InboxMessage => ({ ...start, id, instanceId, executionId: null, visibleAt });
      expect(store.receiveMessages([to("late-clock", "@c@k", now - 10), to("early-clock", "@c@k", now - 5_000), to("scheduled", "@c@k", now + 5_000), to("event", "i", now - 5_000)], now)).toBe(4);
      const [entity, orchestration] = await store.loadSteps([{ instanceId: "@c@k" }, { instanceId: "i" }], now + 10_000);
      expect(entity!.messages.map((m) => [m.id, m.visibleAt])).toEqual([
        ["late-clock", now],
        ["early-clock", now],
        ["scheduled", now + 5_000],
      ]);
      expect(orchestration!.messages.map((m) => [m.id, m.visibleAt])).toEqual([["event", now - 5_000]]);
      // Its index entry leaves its document out.
      const doc = JSON.stringify({ v: 1, state: "x".repeat(1000) });
      await store.commitSteps([{ ...commit(1, {}), instanceId: "@c@k", expectedEtag: null, instance: row("@c@k", { executionId: "entity", runtimeStatus: "Running", input: doc, etag: 1, historyLength: 0 }), history: { mode: "append", events: [] } }]);
      const index = store.takeOutbox(Date.now(), 100).filter((e) => e.kind === "index");
      expect(index.map((e) => [e.index!.instanceId, e.index!.record?.input])).toEqual([["@c@k", null]]);
      expect((await store.getInstance("@c@k"))?.input).toBe(doc);
    });
  });

  it("keeps one steps row per entity, however many batches it commits", async () => {
    await inFreshObject(async (state) => {
      const store = createDurableObjectStore(state.storage);
      const id = "@counter@k";
      const entity = (etag: number): InstanceRecord => row(id, { name: "Counter", executionId: "entity", runtimeStatus: "Running", input: JSON.stringify({ v: 1, n: etag }), etag, historyLength: 0 });
      const batch = (etag: number): StepCommit => ({ ...commit(etag, {}), instanceId: id, expectedEtag: etag === 1 ? null : etag - 1, instance: entity(etag), history: { mode: "append", events: [] } });
      for (let etag = 1; etag <= 5; etag++) expect(await store.commitSteps([batch(etag)])).toEqual(["committed"]);
      expect(state.storage.sql.exec<{ etag: number }>(`SELECT etag FROM steps WHERE instance_id = ?`, id).toArray()).toEqual([{ etag: 5 }]);
      expect((await store.getInstance(id))?.input).toBe(JSON.stringify({ v: 1, n: 5 }));
      expect((await createDurableObjectStore(state.storage).getInstance(id))?.etag).toBe(5);
    });
  });

  it("keeps received ids for the retention period to drop redeliveries, then prunes them", async () => {
    await inFreshObject(async (state) => {
      const DAY = 24 * 60 * 60_000;
      const store = createDurableObjectStore(state.storage, { receivedRetentionMs: 7 * DAY });
      const event = (id: string): InboxMessage => ({ ...start, id, instanceId: "other" });
      const ids = () => state.storage.sql.exec<{ id: string }>(`SELECT id FROM received ORDER BY id`).toArray().map((r) => r.id.split("\u0000")[1]);
      expect(store.receiveMessages([event("old")], T0)).toBe(1);
      expect(store.receiveMessages([event("old")], T0 + 6 * DAY)).toBe(0); // within the retention: dropped
      expect(ids()).toEqual(["old"]);
      expect(store.receiveMessages([event("new")], T0 + 7 * DAY + 1)).toBe(1); // prunes what is older
      expect(ids()).toEqual(["new"]);
      expect(store.receiveMessages([event("newer")], T0 + 7 * DAY + 2)).toBe(1); // pruned at most every 10 minutes
      expect(ids()).toEqual(["new", "newer"]);
    });
  });
});
