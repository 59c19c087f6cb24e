/**
 * `GET {base}/instances/{id}/history` on Durable Objects: the stored events of an instance from the
 * object that owns it, with epoch-ms times and task ids (what the status route's Durable Functions
 * rendering leaves out), and 404 for an unknown id.
 */
import { describe, expect, it } from "vitest";
import { BASE, call, finished, pollUntil, startOrchestration } from "./helpers.ts";

describe("the raw history route", () => {
  it("answers the stored events, ms times and task ids included", async () => {
    const started = await startOrchestration("OrchestratorFunction", null, `history-${crypto.randomUUID()}`);
    await pollUntil(started.statusQueryGetUri, finished);
    const response = await call(`${BASE}/instances/${encodeURIComponent(started.id)}/history`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { instanceId: string; events: { EventType: string; EventId: number; Timestamp: number; TaskScheduledId?: number }[] };
    expect(body.instanceId).toBe(started.id);
    const scheduled = body.events.filter((e) => e.EventType === "TaskScheduled");
    const completed = body.events.filter((e) => e.EventType === "TaskCompleted");
    expect(scheduled.map((e) => e.EventId)).toEqual([0, 1, 2]);
    expect(completed.map((e) => e.TaskScheduledId)).toEqual([0, 1, 2]);
    for (const e of body.events) expect(Number.isInteger(e.Timestamp) && e.Timestamp > 1e12).toBe(true);
    const missing = await call(`${BASE}/instances/nobody-${crypto.randomUUID()}/history`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe("InstanceNotFound");
  });
});
