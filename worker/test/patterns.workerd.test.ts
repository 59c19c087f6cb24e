/**
 * The orchestration patterns end to end on Durable Objects: timers through alarms, events to a
 * waiting instance, a sub-orchestration on another object, a 1,000-way fan-out, and every object
 * aborted mid-orchestration.
 */
import { abortAllDurableObjects, env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { abortWhileRunning, alarmOnceArmed, BASE, call, finished, objectNameOf, placement, pollUntil, startOrchestration, type Status } from "./helpers.ts";
import { instanceStub } from "../routing.ts";
import { RESUME_AFTER_MS } from "../instance-object.ts";

describe("orchestration patterns on Durable Objects", () => {
  it("fires a durable timer through the object's alarm (HumanInteraction times out)", async () => {
    const started = await startOrchestration("HumanInteraction", { timeoutSeconds: 1 });
    const waiting = await pollUntil(started.statusQueryGetUri, (s) => s.runtimeStatus === "Running");
    expect(waiting.customStatus).toMatchObject({ waitingFor: "Approval" });
    // Armed once the object finished its round (after delivering its outbox), not with the commit.
    await alarmOnceArmed(instanceStub(placement, started.id));
    // The object keeps its name, for an alarm that wakes it without one.
    const kept = await runInDurableObject(instanceStub(placement, started.id), (_o, state) =>
      state.storage.sql.exec<{ value: string }>(`SELECT value FROM object_meta WHERE key = 'instance_id'`).toArray().map((r) => r.value),
    );
    expect(kept).toEqual([objectNameOf(started.id)]);
    const done = await pollUntil(started.statusQueryGetUri, finished, 15_000);
    expect(done.runtimeStatus).toBe("Completed");
    expect(done.output).toEqual({ approved: false, timedOut: true });
  });

  it("delivers raiseEvent to a waiting instance (HumanInteraction approved)", async () => {
    const started = await startOrchestration("HumanInteraction", { timeoutSeconds: 600 });
    await pollUntil(started.statusQueryGetUri, (s) => s.runtimeStatus === "Running");
    // The commit armed a fallback alarm (RESUME_AFTER_MS away). An alarm that fires early (or
    // twice) finds nothing due and arms the timer's own.
    const stub = instanceStub(placement, started.id);
    await alarmOnceArmed(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const timerAt = await alarmOnceArmed(stub, (at) => at > Date.now() + 500_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, (_o, state) => state.storage.getAlarm())).toBe(timerAt);
    expect((await pollUntil(started.statusQueryGetUri, () => true)).runtimeStatus).toBe("Running");
    expect(await runInDurableObject(stub, (_o, state) => state.id.name)).toBe(objectNameOf(started.id));
    const sendUrl = started.sendEventPostUri.replace("{eventName}", "Approval");
    const raised = await call(sendUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ by: "alice" }) });
    expect(raised.status).toBe(202);
    const done = await pollUntil(started.statusQueryGetUri, finished);
    expect(done.runtimeStatus).toBe("Completed");
    expect(done.output).toEqual({ approved: true, approval: { by: "alice" } });
    const late = await call(sendUrl, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(late.status).toBe(410);
  });

  it("an object that dies after a commit, before its round arms the alarm, wakes through the fallback alarm and re-arms its timer", async () => {
    const id = `fallback-${crypto.randomUUID()}`;
    const stub = instanceStub(placement, id);
    // This object's rounds end before arming the alarm, as if a deploy cut each one short after its commit.
    await runInDurableObject(stub, (object) => {
      (object as unknown as { armAlarm: () => Promise<void> }).armAlarm = async () => undefined;
    });
    const started = await startOrchestration("HumanInteraction", { timeoutSeconds: 600 }, id);
    const waiting = await pollUntil(started.statusQueryGetUri, (s) => s.runtimeStatus === "Running");
    expect(waiting.customStatus).toMatchObject({ waitingFor: "Approval" });
    const fallback = await alarmOnceArmed(stub);
    expect(fallback).toBeLessThanOrEqual(Date.now() + RESUME_AFTER_MS);

    await abortAllDurableObjects(); // it dies, and no request comes to wake it
    const revived = instanceStub(placement, id); // (stubs from before the abort are broken)
    expect(await runDurableObjectAlarm(revived)).toBe(true); // the fallback alarm wakes a fresh object
    const timerAt = await alarmOnceArmed(revived, (at) => at > Date.now() + 500_000); // which arms the timer's own alarm
    expect(timerAt).toBeLessThanOrEqual(Date.now() + 600_000);
    const sendUrl = started.sendEventPostUri.replace("{eventName}", "Approval");
    expect((await call(sendUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ by: "bob" }) })).status).toBe(202);
    const done = await pollUntil(started.statusQueryGetUri, finished);
    expect(done.output).toEqual({ approved: true, approval: { by: "bob" } });
  });

  it("runs a sub-orchestration on another object and hands its result back", async () => {
    // A parent whose child lives in another object (with partitions, another partition).
    let parentId: string;
    do parentId = `parent-${crypto.randomUUID()}`;
    while (objectNameOf(parentId) === objectNameOf(`${parentId}:child`));
    const started = await startOrchestration("HelloSubOrchestration", null, parentId);
    const done = await pollUntil(started.statusQueryGetUri, finished);
    expect(done.runtimeStatus).toBe("Completed");
    const childId = `${started.id}:child`;
    expect(done.output).toEqual({ childId, greetings: ["Hello Tokyo!", "Hello Seattle!", "Hello London!"] });
    const child = (await (await call(`${BASE}/instances/${encodeURIComponent(childId)}`)).json()) as Status;
    expect(child.runtimeStatus).toBe("Completed");
    const parentObject = env.INSTANCES.idFromName(objectNameOf(started.id));
    const childObject = env.INSTANCES.idFromName(objectNameOf(childId));
    expect(parentObject.equals(childObject)).toBe(false);
    const childRows = await runInDurableObject(env.INSTANCES.get(childObject), (_o, state) =>
      state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM instances WHERE instance_id = ?`, childId).one().n,
    );
    expect(childRows).toBe(1);
  });

  it("cascades terminate and raiseEvent across objects: parent terminated → child terminated", async () => {
    const started = await startOrchestration("ApprovalParent", { timeoutSeconds: 600 }, `approver-${crypto.randomUUID()}`);
    const childUrl = `${BASE}/instances/${encodeURIComponent(`${started.id}:approval`)}`;
    await pollUntil(childUrl, (s) => s.runtimeStatus === "Running");
    expect((await call(`${BASE}/instances/${started.id}/terminate?reason=cancelled`, { method: "POST" })).status).toBe(202);
    expect((await pollUntil(started.statusQueryGetUri, finished)).runtimeStatus).toBe("Terminated");
    expect((await pollUntil(childUrl, finished)).runtimeStatus).toBe("Terminated");

    const second = await startOrchestration("ApprovalParent", { timeoutSeconds: 600 }, `approver-${crypto.randomUUID()}`);
    const secondChild = `${BASE}/instances/${encodeURIComponent(`${second.id}:approval`)}`;
    await pollUntil(secondChild, (s) => s.runtimeStatus === "Running");
    const raised = await call(`${secondChild}/raiseEvent/Approval`, { method: "POST", headers: { "content-type": "application/json" }, body: '"ok"' });
    expect(raised.status).toBe(202);
    const parent = await pollUntil(second.statusQueryGetUri, finished);
    expect(parent.runtimeStatus).toBe("Completed");
    expect(parent.output).toEqual({ approved: true, approval: "ok" });
  });

  it("completes a 1,000-way fan-out", async () => {
    const started = await startOrchestration("FanOutFanIn", { count: 1000 });
    const done = await pollUntil(started.statusQueryGetUri, finished, 50_000);
    expect(done.runtimeStatus).toBe("Completed");
    expect(done.output).toEqual({ count: 1000, sum: (1000 * 1001 * 2001) / 6 });
  });

  it("completes with a correct history when every Durable Object is aborted mid-orchestration", async () => {
    const count = 200;
    const started = await startOrchestration("ActivityChain", { count });
    const aborts = await abortWhileRunning(started.statusQueryGetUri);
    expect(aborts).toBeGreaterThan(0);
    const done = await pollUntil(started.statusQueryGetUri, finished, 40_000);
    expect(done.runtimeStatus).toBe("Completed");
    expect(done.output).toBe(count);
    const full = (await (await call(`${started.statusQueryGetUri}&showHistory=true&showHistoryOutput=true`)).json()) as Status;
    const results = full.historyEvents!.filter((e) => e.EventType === "TaskCompleted").map((e) => e.Result);
    expect(results).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    expect(full.historyEvents!.filter((e) => e.EventType === "ExecutionCompleted")).toHaveLength(1);
  });
});
