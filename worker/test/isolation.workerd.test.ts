/**
 * One bad instance never stops its partition (32 partitions, as `npm start` runs): an 800 KB event
 * is refused at the API with 413, and a 30,000-way fan-out fails alone with StepTooLarge, while
 * instances in the same partition object run to completion; and an outbox message the target
 * refuses does not hold back the other messages to that target.
 */
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { instanceStub } from "../routing.ts";
import { call, finished, objectNameOf, placement, pollUntil, startOrchestration, type CheckStatus } from "./helpers.ts";

/** `count` fresh instance ids that all live in the partition of `anchor`. */
function idsInPartitionOf(anchor: string, count: number, prefix: string): string[] {
  const ids: string[] = [];
  for (let i = 0; ids.length < count; i++) {
    const id = `${prefix}-${i}-${crypto.randomUUID().slice(0, 8)}`;
    if (objectNameOf(id) === objectNameOf(anchor)) ids.push(id);
  }
  return ids;
}

async function neighboursComplete(started: CheckStatus[]): Promise<void> {
  for (const s of started) {
    const done = await pollUntil(s.statusQueryGetUri, finished);
    expect(done.runtimeStatus).toBe("Completed");
    expect(done.output).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
  }
}

describe("isolation in a partition", () => {
  it("an 800 KB event is refused with 413 and nothing changes; the waiting instance and its neighbours go on", async () => {
    const waiting = await startOrchestration("HumanInteraction", { timeoutSeconds: 600 }, `waiting-${crypto.randomUUID()}`);
    await pollUntil(waiting.statusQueryGetUri, (s) => s.runtimeStatus === "Running");
    const sendUrl = waiting.sendEventPostUri.replace("{eventName}", "Approval");
    const refused = await call(sendUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify("a".repeat(800 * 1024)) });
    expect(refused.status).toBe(413);
    const body = (await refused.json()) as { code: string; message: string };
    expect(body.code).toBe("PayloadTooLarge");
    expect(body.message).toMatch(/The data of event 'Approval' is 800 KiB of JSON; the limit is 256 KiB/);
    const neighbours = await Promise.all(idsInPartitionOf(waiting.id, 3, "hello").map((id) => startOrchestration("OrchestratorFunction", null, id)));
    await neighboursComplete(neighbours);
    const accepted = await call(sendUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify("yes") });
    expect(accepted.status).toBe(202);
    const done = await pollUntil(waiting.statusQueryGetUri, finished);
    expect(done.output).toEqual({ approved: true, approval: "yes" });
  });

  it("a 30,000-way fan-out fails alone with StepTooLarge; instances in its partition complete", async () => {
    const hugeId = `huge-${crypto.randomUUID()}`;
    const [first, ...rest] = idsInPartitionOf(hugeId, 4, "hello");
    const before = await startOrchestration("OrchestratorFunction", null, first);
    const huge = await startOrchestration("FanOutFanIn", { count: 30_000 }, hugeId);
    const after = await Promise.all(rest.map((id) => startOrchestration("OrchestratorFunction", null, id)));
    const failed = await pollUntil(huge.statusQueryGetUri, finished);
    expect(failed.runtimeStatus).toBe("Failed");
    const status = (await (await call(huge.statusQueryGetUri)).json()) as { failureDetails?: { ErrorType: string; ErrorMessage: string } };
    expect(status.failureDetails?.ErrorType).toBe("StepTooLarge");
    expect(status.failureDetails?.ErrorMessage).toMatch(/schedules 30,000 actions/);
    await neighboursComplete([before, ...after]);
    // And the partition is not wedged: a new instance there completes too.
    await neighboursComplete([await startOrchestration("OrchestratorFunction", null, idsInPartitionOf(hugeId, 1, "late")[0])]);
  });

  it("an undeliverable outbox message does not hold back the others to the same target", async () => {
    const waiting = await startOrchestration("HumanInteraction", { timeoutSeconds: 600 }, `target-${crypto.randomUUID()}`);
    await pollUntil(waiting.statusQueryGetUri, (s) => s.runtimeStatus === "Running");
    // A sender in another partition, with two messages for the waiting instance in its outbox:
    // one the target refuses (it names another instance), then the approval.
    let senderId: string;
    do senderId = `sender-${crypto.randomUUID()}`;
    while (objectNameOf(senderId) === objectNameOf(waiting.id));
    const sender = await startOrchestration("OrchestratorFunction", null, senderId);
    await pollUntil(sender.statusQueryGetUri, finished);
    const stub = instanceStub(placement, senderId);
    const now = Date.now();
    const event = (id: string, instanceId: string, data: string) => ({
      id,
      instanceId,
      executionId: null,
      visibleAt: now,
      event: { EventType: "EventRaised", EventId: -1, Timestamp: now, Name: "Approval", Input: JSON.stringify(data) },
    });
    await runInDurableObject(stub, (_object, state) => {
      const insert = `INSERT INTO outbox (id, kind, target, payload, rev, due_at) VALUES (?, 'message', ?, ?, 0, 0)`;
      state.storage.sql.exec(insert, `m\u0000${waiting.id}\u0000poison`, waiting.id, JSON.stringify(event("poison", "someone-else", "no")));
      state.storage.sql.exec(insert, `m\u0000${waiting.id}\u0000good`, waiting.id, JSON.stringify(event("good", waiting.id, "yes")));
    });
    await abortAllDurableObjects(); // the sender starts again and reads its outbox from storage
    const revived = instanceStub(placement, senderId); // (stubs from before the abort are broken)
    await runDurableObjectAlarm(revived);
    const done = await pollUntil(waiting.statusQueryGetUri, finished);
    expect(done.output).toEqual({ approved: true, approval: "yes" });
    const left = await runInDurableObject(revived, (_object, state) =>
      state.storage.sql.exec<{ id: string; attempts: number }>(`SELECT id, attempts FROM outbox WHERE kind = 'message'`).toArray(),
    );
    expect(left).toEqual([{ id: `m\u0000${waiting.id}\u0000poison`, attempts: 1 }]); // kept, retried with backoff
  });
});
