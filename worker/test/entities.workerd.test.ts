/**
 * Durable entities on the Worker: each entity `@name@key` lives in a Durable Object as an instance
 * does (its partition here; its own object in the "workerd-per-instance" project), and every
 * message between objects goes through the sender's outbox. Signals from the Worker's client and
 * from orchestrations in other objects are counted exactly; critical sections between accounts
 * keep their total and release every lock; a throwing operation changes nothing; an object
 * aborted in the middle of a batch loses no operation and applies none twice; an async operation
 * over the Worker's `entityOperations.timeoutMs` fails and is rolled back; entities are
 * listed page by page across the index shards (and never as orchestrations); and
 * `cleanEntityStorage` removes idle entities and releases orphaned locks.
 */
import { abortAllDurableObjects, env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DurableError, EntityId, entityId, entityInstanceId, type OrchestrationStatus, type StepCommit } from "../../src/index.ts";
import { account, counter, counterAggregation, transferFunds } from "../../examples/index.ts";
import { indexShardName, instanceStub } from "../routing.ts";
import { finished, objectNameOf, placement, pollUntil, startOrchestration } from "./helpers.ts";
import { callsCounterBadly, holdsLock, ledger, ledgerRuns, listed, type LedgerAppend } from "./test-orchestrations.ts";
import { edge } from "./test-worker.ts";
import { signalMessage } from "../../src/entities/entity-client.ts";

const client = edge.client(env);
const run = () => crypto.randomUUID().slice(0, 8);

/** Polls `read` until `done` holds for its value; fails after `timeoutMs` with the last value. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 500)}`);
}

function completion(instanceId: string, timeoutMs = 60_000): Promise<OrchestrationStatus> {
  return client.waitForCompletion(instanceId, { timeoutMs, pollIntervalMs: 25 });
}

/** SQL on the object that holds `instanceId` (its partition, or its own object). */
function inObjectOf<T>(instanceId: string, fn: (sql: SqlStorage) => T): Promise<T> {
  return runInDurableObject(instanceStub(placement, instanceId), (_object, state) => fn(state.storage.sql));
}

const inboxRows = (instanceId: string) => inObjectOf(instanceId, (sql) => sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM inbox WHERE instance_id = ?`, instanceId).one().n);

/** `count` new orchestration ids whose objects are not the one that holds `entity`. */
function idsElsewhere(entity: string, count: number, prefix: string): string[] {
  const ids: string[] = [];
  while (ids.length < count) {
    const id = `${prefix}-${ids.length}-${run()}`;
    if (objectNameOf(id) !== objectNameOf(entity)) ids.push(id);
  }
  return ids;
}

describe("entities on Durable Objects", () => {
  it("counts 1,000 concurrent signals exactly: 500 from the Worker's client, 500 from orchestrations in other objects", async () => {
    const key = `hits-${run()}`;
    const id = entityId(counter, key);
    const target = entityInstanceId(id);
    const senders = idsElsewhere(target, 5, "aggregate");
    await Promise.all([
      ...Array.from({ length: 500 }, () => client.signalEntity(id, "add", 1)),
      ...senders.map((instanceId) => client.startNew(counterAggregation, { instanceId, input: { key, signals: 100 } })),
    ]);
    for (const instanceId of senders) {
      const done = await completion(instanceId);
      expect(done.runtimeStatus).toBe("Completed");
      // Its `get` was sent after its 100 signals, through the same outbox: it sees all of them.
      expect(done.output as number).toBeGreaterThanOrEqual(100);
    }
    const state = await eventually(() => client.readEntityState<number>(id), (s) => (s.entityState ?? 0) >= 1000, "1,000 adds");
    expect(state).toEqual({ entityExists: true, entityState: 1000 });
    expect(await inboxRows(target)).toBe(0); // nothing more on its way in
    expect(await client.readEntityState(id)).toEqual({ entityExists: true, entityState: 1000 });
    // An entity keeps no history: one `steps` row however many batches it ran.
    expect(await inObjectOf(target, (sql) => sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM steps WHERE instance_id = ?`, target).one().n)).toBe(1);
    expect(await client.getEntity(id)).toMatchObject({ entityId: { name: "counter", key }, entityExists: true, lastOperation: expect.any(String), lockedBy: null, backlogQueueSize: 0, state: 1000 });
  });

  it("moves money in 200 critical sections between 10 accounts: the total stays, nothing deadlocks, every lock is released", { timeout: 180_000 }, async () => {
    const prefix = `acct-${run()}`;
    const accounts = Array.from({ length: 10 }, (_, i) => entityId(account, `${prefix}-${i}`));
    await Promise.all(accounts.map((a) => client.signalEntity(a, "deposit", 100)));
    for (const a of accounts) await eventually(() => client.readEntityState<{ balance: number }>(a), (s) => s.entityState?.balance === 100, `the deposit to ${a.key}`);
    const transfers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => client.startNew(transferFunds, { input: { from: `${prefix}-${i % 10}`, to: `${prefix}-${(i * 7 + 3) % 10}`, amount: 1 + (i % 37) } })),
    );
    const outcomes = [];
    for (const instanceId of transfers) outcomes.push(await completion(instanceId, 150_000));
    expect(outcomes.filter((s) => s.runtimeStatus !== "Completed")).toEqual([]);
    expect(outcomes.filter((s) => s.output === true).length).toBeGreaterThan(0);
    // The releases leave with each transfer's last step; once they arrive, no account is locked or has anything queued.
    let total = 0;
    for (const a of accounts) {
      const meta = await eventually(() => client.getEntity<{ balance: number }>(a), (m) => m?.lockedBy === null, `the release of ${a.key}`);
      expect(meta).toMatchObject({ lockedBy: null, backlogQueueSize: 0, entityExists: true });
      total += meta!.state!.balance;
    }
    expect(total).toBe(1000);
  });

  it("rolls back an operation that throws: the state is as before it, and only that call fails", async () => {
    const key = `strict-${run()}`;
    const [caller] = idsElsewhere(entityInstanceId(entityId(counter, key)), 1, "bad-call");
    await client.startNew(callsCounterBadly, { instanceId: caller!, input: key });
    const done = await completion(caller!);
    expect(done.output).toEqual({ caught: "TypeError", value: 1 });
    expect(await client.readEntityState(entityId(counter, key))).toEqual({ entityExists: true, entityState: 1 });
    // In one batch: a signal whose operation changes the state and then throws keeps nothing of its change.
    const list = entityId(ledger, `rollback-${run()}`);
    await client.signalEntity(list, "append", { value: 1, ms: 0 } satisfies LedgerAppend);
    await client.signalEntity(list, "corrupt");
    await client.signalEntity(list, "append", { value: 2, ms: 0 } satisfies LedgerAppend);
    const state = await eventually(() => client.readEntityState<number[]>(list), (s) => (s.entityState?.length ?? 0) >= 2, "two appends");
    expect(state.entityState).toEqual([1, 2]);
    expect((await client.getEntity(list))?.lastOperation).toBe("append");
  });

  it("applies createDurableWorker({ entityOperations }) in the objects: an async operation over its timeoutMs fails and is rolled back", async () => {
    const list = entityId(ledger, `timeout-${run()}`);
    await client.signalEntity(list, "append", { value: 1, ms: 0 } satisfies LedgerAppend);
    await client.signalEntity(list, "append", { value: 2, ms: 1_500 } satisfies LedgerAppend); // the test Worker's timeoutMs is 1,000
    await client.signalEntity(list, "append", { value: 3, ms: 0 } satisfies LedgerAppend);
    const state = await eventually(() => client.readEntityState<number[]>(list), (s) => (s.entityState ?? []).includes(3), "the append after the slow one");
    expect(state.entityState).toEqual([1, 3]);
  });

  it("loses no operation and applies none twice when the object is aborted in the middle of a batch", async () => {
    const key = `aborted-${run()}`;
    const list = entityId(ledger, key);
    const target = entityInstanceId(list);
    const copies = entityId(counter, `${key}-copies`);
    const before = ledgerRuns.started;
    // Sent one after the other: the ledger must hold them in this order. Each takes 20 ms, so a batch of them takes a while.
    for (let value = 0; value < 40; value++) await client.signalEntity(list, "append", { value, ms: 20, copyTo: copies.key } satisfies LedgerAppend);
    for (let abort = 0; abort < 3; abort++) {
      // Wait until a batch is under way (operations ran, nothing of this batch committed), then abort every object.
      const startedAt = ledgerRuns.started;
      await eventually(async () => ledgerRuns.started, (n) => n >= startedAt + 3, "a batch under way", 10_000);
      await abortAllDurableObjects();
      await client.readEntityState(list); // a request wakes the object, which runs its inbox again
    }
    const state = await eventually(() => client.readEntityState<number[]>(list), (s) => (s.entityState?.length ?? 0) >= 40, "40 appends");
    expect(state.entityState).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(await inboxRows(target)).toBe(0);
    // Aborted batches ran again: more runs than operations applied.
    expect(ledgerRuns.started - before).toBeGreaterThan(40);
    // The signals its operations sent left with the commits only: exactly one per append.
    const copied = await eventually(() => client.readEntityState<number>(copies), (s) => (s.entityState ?? 0) >= 40, "40 copies");
    expect(copied.entityState).toBe(40);
    const outbox = await inObjectOf(target, (sql) => sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM outbox WHERE kind = 'message'`).one().n);
    expect(outbox).toBe(0);
    expect(await inboxRows(entityInstanceId(copies))).toBe(0);
    expect((await client.readEntityState<number>(copies)).entityState).toBe(40);
  });

  it("delivers an entity's messages from one sender in order: one its object refuses holds back the later ones", async () => {
    const key = `line-${run()}`;
    const target = entityInstanceId(entityId(counter, key));
    // A sender in another object, with two signals for the Counter in its outbox: one its object
    // refuses (it names another entity), then a good one.
    const [senderId] = idsElsewhere(target, 1, "sender");
    const sender = await startOrchestration("OrchestratorFunction", null, senderId);
    await pollUntil(sender.statusQueryGetUri, finished);
    const now = Date.now();
    const signal = (id: string, instanceId: string) => ({
      id,
      instanceId,
      executionId: null,
      visibleAt: now,
      event: { EventType: "EventRaised", EventId: -1, Timestamp: now, Name: "op", Input: JSON.stringify({ id, op: "add", signal: true, input: "1", timestamp: now }) },
    });
    await runInDurableObject(instanceStub(placement, senderId!), (_object, state) => {
      const insert = `INSERT INTO outbox (id, kind, target, payload, rev, due_at, seq) VALUES (?, 'message', ?, ?, 0, 0, ?)`;
      // Ids that sort before what was written first: the write order is what counts.
      state.storage.sql.exec(insert, `m\u0000${target}\u0000z-refused`, target, JSON.stringify(signal("z-refused", "@counter@someone-else")), 1_000_000_001);
      state.storage.sql.exec(insert, `m\u0000${target}\u0000a-good`, target, JSON.stringify(signal("a-good", target)), 1_000_000_002);
    });
    await abortAllDurableObjects(); // the sender starts again and reads its outbox from storage
    await runDurableObjectAlarm(instanceStub(placement, senderId!));
    const waiting = () =>
      inObjectOf(senderId!, (sql) => sql.exec<{ id: string; attempts: number }>(`SELECT id, attempts FROM outbox WHERE kind = 'message' ORDER BY seq`).toArray());
    expect(await waiting()).toEqual([
      { id: `m\u0000${target}\u0000z-refused`, attempts: 1 },
      { id: `m\u0000${target}\u0000a-good`, attempts: 1 }, // not sent after the refusal: it waits its turn
    ]);
    expect(await client.readEntityState(entityId(counter, key))).toEqual({ entityExists: false });
    // Once the first can go (here: mended), both go, in order.
    await inObjectOf(senderId!, (sql) => sql.exec(`UPDATE outbox SET payload = ?, due_at = 0 WHERE id = ?`, JSON.stringify(signal("z-refused", target)), `m\u0000${target}\u0000z-refused`));
    await abortAllDurableObjects();
    await runDurableObjectAlarm(instanceStub(placement, senderId!));
    expect(await eventually(() => client.readEntityState<number>(entityId(counter, key)), (s) => s.entityState === 2, "both signals")).toEqual({ entityExists: true, entityState: 2 });
    expect(await waiting()).toEqual([]);
  });

  it("runs signals in the order they arrive, whatever the clock of the isolate that sent them", async () => {
    const list = entityId(ledger, `clocks-${run()}`);
    const target = entityInstanceId(list);
    const now = Date.now();
    // Three signals that arrive together, in this order, from callers whose clocks disagree (due already, stamped in the past).
    const sent = [
      signalMessage(list, "append", { value: 1, ms: 0 }, { at: now - 10 }, now),
      signalMessage(list, "append", { value: 2, ms: 0 }, { at: now - 1000 }, now),
      signalMessage(list, "append", { value: 3, ms: 0 }, { at: now - 500 }, now),
    ];
    expect((await instanceStub(placement, target).signalEntity(target, sent)).ok).toBe(true);
    const state = await eventually(() => client.readEntityState<number[]>(list), (s) => (s.entityState?.length ?? 0) >= 3, "three appends");
    expect(state.entityState).toEqual([1, 2, 3]);
  });

  it("lists entities page by page across the index shards, never among orchestrations", async () => {
    const prefix = `page-${run()}`;
    const ids = Array.from({ length: 30 }, (_, i) => entityId(listed, `${prefix}-${String(i).padStart(2, "0")}`));
    expect(new Set(ids.map((id) => indexShardName(entityInstanceId(id), placement.shards))).size).toBeGreaterThan(1);
    await Promise.all(ids.map((id, i) => client.signalEntity(id, "set", { n: i })));
    const listAll = async (pageSize: number) => {
      const keys: string[] = [];
      let pages = 0;
      let continuationToken: string | null = null;
      do {
        const page = await client.listEntities({ entityName: "Listed", pageSize, continuationToken, fetchState: true });
        pages++;
        for (const e of page.entities) if (e.entityId.key.startsWith(prefix)) keys.push(e.entityId.key);
        continuationToken = page.continuationToken;
      } while (continuationToken);
      return { keys, pages };
    };
    // The index learns of a new entity through its object's outbox: a listing may lag by one delivery.
    const listedAll = await eventually(() => listAll(7), (r) => r.keys.length >= 30, "30 listed entities");
    expect(listedAll.keys.sort()).toEqual(ids.map((id) => id.key).sort());
    expect(listedAll.pages).toBeGreaterThanOrEqual(5);
    const first = await client.listEntities({ entityName: "listed", pageSize: 1000, fetchState: true });
    const mine = first.entities.filter((e) => e.entityId.key.startsWith(prefix));
    expect(mine.find((e) => e.entityId.key === `${prefix}-07`)).toMatchObject({ entityId: { name: "listed" }, entityExists: true, state: { n: 7 }, lastOperation: "set" });
    expect(first.entities.every((e) => e.entityId.name === "listed")).toBe(true);
    // Without a name: every entity, Listed and others.
    const any = await client.listEntities({ pageSize: 1000 });
    expect(any.entities.some((e) => e.entityId.name === "listed")).toBe(true);
    expect(any.entities.every((e) => e.state === undefined)).toBe(true);
    // A deleted one drops out, unless asked for.
    await client.signalEntity(ids[0]!, "delete");
    await eventually(() => client.readEntityState(ids[0]!), (s) => !s.entityExists, "the delete");
    expect((await listAll(1000)).keys).not.toContain(ids[0]!.key);
    const withDeleted = await client.listEntities({ entityName: "Listed", pageSize: 1000, includeDeleted: true });
    expect(withDeleted.entities.some((e) => e.entityId.key === ids[0]!.key && !e.entityExists)).toBe(true);
    // Orchestration listings never show an entity, and refuse to be asked for them.
    let token: string | null = null;
    do {
      const page = await client.listInstances({ pageSize: 1000, continuationToken: token });
      expect(page.instances.filter((s) => s.instanceId.startsWith("@"))).toEqual([]);
      token = page.continuationToken;
    } while (token);
    await expect(client.listInstances({ instanceIdPrefix: "@listed@" })).rejects.toMatchObject({ code: "InvalidArgument" });
    await expect(client.getStatus(entityInstanceId(ids[1]!))).rejects.toMatchObject({ code: "InvalidInstanceId" });
    await expect(client.listEntities({ pageSize: 0 })).rejects.toMatchObject({ code: "InvalidArgument" });
  });

  it("cleanEntityStorage removes idle entities and releases locks whose orchestration is gone, and no others", async () => {
    const prefix = `clean-${run()}`;
    const kept = entityId(listed, `${prefix}-kept`);
    const emptied = entityId(listed, `${prefix}-emptied`);
    await client.signalEntity(kept, "set", "stays");
    await client.signalEntity(emptied, "set", "goes");
    await client.signalEntity(emptied, "delete");
    // A lock whose holder is running (waiting for "go"): not orphaned.
    const heldKey = `${prefix}-held`;
    const holder = `holder-${run()}`;
    await client.startNew(holdsLock, { instanceId: holder, input: heldKey });
    const held = new EntityId("Counter", heldKey);
    await eventually(() => client.getEntity(held), (m) => m?.lockedBy === holder, "the holder's lock");
    // A lock whose holder is gone: an entity that believes a purged orchestration holds it, with a signal queued behind.
    const orphan = new EntityId("Counter", `${prefix}-orphan`);
    const orphanId = entityInstanceId(orphan);
    const gone = `gone-${run()}`;
    await runInDurableObject(instanceStub(placement, orphanId), async (object) => {
      const store = (object as unknown as { store: { commitSteps(c: StepCommit[]): Promise<unknown> } }).store;
      const now = Date.now();
      const doc = { v: 1, exists: false, state: null, lock: { instanceId: gone, executionId: "e", requestId: "r-1", lockset: [orphanId] }, queue: [], released: [], lastOperation: null, lastOperationAt: null };
      const record = { instanceId: orphanId, name: "Counter", version: null, executionId: "entity", runtimeStatus: "Running" as const, input: JSON.stringify(doc), output: null, customStatus: null, failureDetails: null, parentInstanceId: null, createdAt: now, lastUpdatedAt: now, completedAt: null, etag: 1, historyLength: 0 };
      await store.commitSteps([{ instanceId: orphanId, expectedEtag: null, instance: record, history: { mode: "append", events: [] }, deleteMessageIds: [], dropExecution: null, messages: [], activities: [] }]);
    });
    await client.signalEntity(orphan, "add", 5);
    await eventually(() => client.getEntity(orphan), (m) => m?.backlogQueueSize === 1, "the signal queued behind the orphaned lock");
    await eventually(() => client.readEntityState(emptied), (s) => !s.entityExists, "the delete");
    // The index must know every one of them before cleaning (it learns through the outbox).
    await eventually(
      () => client.listEntities({ pageSize: 1000, includeDeleted: true }),
      (p) => [kept, emptied, held, orphan].every((e) => p.entities.some((m) => m.entityId.key === e.key)),
      "the index to list them",
    );

    const result = await client.cleanEntityStorage();
    expect(result.emptyEntitiesRemoved).toBeGreaterThanOrEqual(1);
    expect(result.orphanedLocksReleased).toBeGreaterThanOrEqual(1);
    expect(await client.getEntity(emptied)).toBeUndefined();
    expect(await client.getEntity(kept)).toMatchObject({ entityExists: true, state: "stays" });
    // The orphaned lock is released and what waited behind it runs; the running holder keeps its lock.
    expect(await eventually(() => client.getEntity(orphan), (m) => m?.lockedBy === null, "the orphan's release")).toMatchObject({ backlogQueueSize: 0, state: 5 });
    expect(await client.getEntity(held)).toMatchObject({ lockedBy: holder });
    await eventually(() => client.listEntities({ pageSize: 1000, includeDeleted: true }), (p) => !p.entities.some((m) => m.entityId.key === emptied.key), "the index to forget the removed one");
    // Once the holder finishes, its lock goes with it, and the Counter it held is idle: the next clean removes it.
    await client.raiseEvent(holder, "go");
    expect((await completion(holder)).output).toBe("released");
    await eventually(() => client.getEntity(held), (m) => m?.lockedBy === null, "the holder's release");
    await eventually(() => client.cleanEntityStorage().then(() => client.getEntity(held)), (m) => m === undefined, "the held Counter's removal");
  });

  it("refuses what names no entity, with the error a caller can act on", async () => {
    await expect(client.signalEntity("not-an-entity", "add", 1)).rejects.toMatchObject({ code: "InvalidArgument" });
    await expect(client.readEntityState({ name: "Counter", key: "a/b" })).rejects.toMatchObject({ code: "InvalidArgument" });
    await expect(client.signalEntity(new EntityId("Counter", "x"), "")).rejects.toMatchObject({ code: "InvalidArgument" });
    expect(await client.getEntity(entityId(counter, `never-${run()}`))).toBeUndefined();
    expect(await client.readEntityState(entityId(counter, `never-${run()}`))).toEqual({ entityExists: false });
    const error = await client.raiseEvent("@counter@x", "e").catch((e: unknown) => e);
    expect(DurableError.is(error, "InvalidInstanceId")).toBe(true);
  });
});
