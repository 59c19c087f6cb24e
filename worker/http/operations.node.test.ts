/** raiseEvent, terminate, suspend, resume, rewind, restart: every status code. */
import { describe, expect, it } from "vitest";
import { BASE, expectedPayload, json, setup } from "./test-fixtures.ts";

type Ctx = ReturnType<typeof setup>;
const JSON_HEADERS = { "content-type": "application/json" };

async function start(ctx: Ctx, name: string, id: string, input?: unknown) {
  const res = await ctx.request(`${BASE}/orchestrators/${name}/${id}`, {
    method: "POST",
    headers: JSON_HEADERS,
    ...(input === undefined ? {} : { body: JSON.stringify(input) }),
  });
  expect(res.status).toBe(202);
}
const post = (ctx: Ctx, path: string, init: RequestInit = {}) => ctx.request(`${BASE}${path}`, { method: "POST", ...init });
async function statusOf(ctx: Ctx, id: string) {
  return (await ctx.client.getStatus(id))?.runtimeStatus;
}
async function codeOf(res: Response) {
  return ((await json(res)) as { code: string }).code;
}

/** A finished trio: Completed, Failed, Terminated. */
async function finished(ctx: Ctx) {
  await start(ctx, "OrchestratorFunction", "completed");
  await start(ctx, "FailsOnce", "failed");
  await start(ctx, "HumanInteraction", "terminated");
  await ctx.runtime.drain();
  await post(ctx, "/instances/terminated/terminate");
  await ctx.runtime.drain();
  expect([await statusOf(ctx, "completed"), await statusOf(ctx, "failed"), await statusOf(ctx, "terminated")]).toEqual([
    "Completed",
    "Failed",
    "Terminated",
  ]);
}

describe("POST /instances/{id}/raiseEvent/{eventName}", () => {
  it("202 with no body; the waiting instance gets the event", async () => {
    const ctx = setup();
    await start(ctx, "HumanInteraction", "h", { timeoutSeconds: 60 });
    await ctx.runtime.drain();
    const res = await post(ctx, "/instances/h/raiseEvent/Approval", { headers: JSON_HEADERS, body: JSON.stringify({ by: "ada" }) });
    expect(res.status).toBe(202);
    expect(await res.text()).toBe("");
    await ctx.runtime.drain();
    expect(await ctx.client.getStatus("h")).toMatchObject({ runtimeStatus: "Completed", output: { approved: true, approval: { by: "ada" } } });
  });

  it("operation names are case-insensitive; an empty body is a null payload", async () => {
    const ctx = setup();
    await start(ctx, "HumanInteraction", "h");
    await ctx.runtime.drain();
    expect((await post(ctx, "/instances/h/RAISEEVENT/Approval", { headers: JSON_HEADERS })).status).toBe(202);
    await ctx.runtime.drain();
    expect((await ctx.client.getStatus("h"))?.output).toEqual({ approved: true, approval: null });
  });

  it("is accepted while Pending and Suspended", async () => {
    const ctx = setup();
    await start(ctx, "HumanInteraction", "p");
    expect((await post(ctx, "/instances/p/raiseEvent/Other", { headers: JSON_HEADERS, body: "1" })).status).toBe(202);
    await ctx.runtime.drain();
    await post(ctx, "/instances/p/suspend");
    await ctx.runtime.drain();
    expect((await post(ctx, "/instances/p/raiseEvent/Approval", { headers: JSON_HEADERS, body: '"yes"' })).status).toBe(202);
  });

  it("404 unknown, 410 for Completed, Failed and Terminated", async () => {
    const ctx = setup();
    await finished(ctx);
    const missing = await post(ctx, "/instances/nobody/raiseEvent/Approval", { headers: JSON_HEADERS, body: "{}" });
    expect(missing.status).toBe(404);
    expect(await codeOf(missing)).toBe("InstanceNotFound");
    for (const id of ["completed", "failed", "terminated"]) {
      const res = await post(ctx, `/instances/${id}/raiseEvent/Approval`, { headers: JSON_HEADERS, body: "{}" });
      expect(res.status).toBe(410);
      expect(await codeOf(res)).toBe("InstanceGone");
    }
  });

  it("400 'Only application/json request content is supported' for another or a missing content type", async () => {
    const ctx = setup();
    await start(ctx, "HumanInteraction", "h");
    const variants: Record<string, string>[] = [{ "content-type": "text/plain" }, {}, { "content-type": "application/x-www-form-urlencoded" }];
    for (const headers of variants) {
      const res = await post(ctx, "/instances/h/raiseEvent/Approval", { headers, body: "{}" });
      expect(res.status).toBe(400);
      expect(await json(res)).toEqual({ code: "UnsupportedMediaType", message: "Only application/json request content is supported" });
    }
  });

  it("GET is 405 (Allow: POST)", async () => {
    const ctx = setup();
    const res = await ctx.request(`${BASE}/instances/h/raiseEvent/Approval`);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
  });
});

describe("POST /instances/{id}/terminate", () => {
  it("202; the instance ends Terminated with the reason as output", async () => {
    const ctx = setup();
    await start(ctx, "HumanInteraction", "t");
    await ctx.runtime.drain();
    const res = await post(ctx, "/instances/t/terminate?reason=no%20longer%20needed");
    expect(res.status).toBe(202);
    expect(await res.text()).toBe("");
    await ctx.runtime.drain();
    expect(await ctx.client.getStatus("t")).toMatchObject({ runtimeStatus: "Terminated", output: "no longer needed" });
  });

  it("404 unknown; 410 once finished", async () => {
    const ctx = setup();
    await finished(ctx);
    expect((await post(ctx, "/instances/nobody/terminate")).status).toBe(404);
    for (const id of ["completed", "failed", "terminated"]) {
      const res = await post(ctx, `/instances/${id}/Terminate`);
      expect(res.status).toBe(410);
      expect(await json(res)).toEqual({ code: "InstanceGone", message: `Cannot terminate instance '${id}': it is ${await statusOf(ctx, id)}.` });
    }
  });
});

describe("POST /instances/{id}/suspend and /resume", () => {
  it("suspend 202 → Suspended; resume 202 → Running; events wait while suspended", async () => {
    const ctx = setup();
    await start(ctx, "HumanInteraction", "s", { timeoutSeconds: 60 });
    await ctx.runtime.drain();
    expect((await post(ctx, "/instances/s/suspend?reason=lunch")).status).toBe(202);
    await ctx.runtime.drain();
    expect(await statusOf(ctx, "s")).toBe("Suspended");
    await post(ctx, "/instances/s/raiseEvent/Approval", { headers: JSON_HEADERS, body: "true" });
    await ctx.runtime.drain();
    expect(await statusOf(ctx, "s")).toBe("Suspended");
    expect((await post(ctx, "/instances/s/RESUME?reason=back")).status).toBe(202);
    await ctx.runtime.drain();
    expect(await ctx.client.getStatus("s")).toMatchObject({ runtimeStatus: "Completed", output: { approved: true, approval: true } });
  });

  it("409 (not 500 as in Durable Functions) to suspend a suspended instance or resume a running one", async () => {
    const ctx = setup();
    await start(ctx, "HumanInteraction", "s");
    await ctx.runtime.drain();
    const notSuspended = await post(ctx, "/instances/s/resume");
    expect(notSuspended.status).toBe(409);
    expect(await json(notSuspended)).toEqual({
      code: "InvalidState",
      message: "Instance 's' is Running, not Suspended; only a suspended instance can be resumed.",
    });
    await post(ctx, "/instances/s/suspend");
    await ctx.runtime.drain();
    const twice = await post(ctx, "/instances/s/suspend");
    expect(twice.status).toBe(409);
    expect(await json(twice)).toEqual({ code: "InvalidState", message: "Instance 's' is already suspended; resume it first." });
  });

  it("404 unknown; 410 once finished", async () => {
    const ctx = setup();
    await finished(ctx);
    for (const op of ["suspend", "resume"]) {
      expect((await post(ctx, `/instances/nobody/${op}`)).status).toBe(404);
      for (const id of ["completed", "failed", "terminated"]) expect((await post(ctx, `/instances/${id}/${op}`)).status).toBe(410);
    }
  });
});

describe("POST /instances/{id}/rewind", () => {
  it("202 for a Failed instance, which then runs the failed activity again and completes", async () => {
    const ctx = setup();
    await start(ctx, "FailsOnce", "f");
    await ctx.runtime.drain();
    expect(await statusOf(ctx, "f")).toBe("Failed");
    const res = await post(ctx, "/instances/f/rewind?reason=fixed");
    expect(res.status).toBe(202);
    expect(await res.text()).toBe("");
    await ctx.runtime.drain();
    expect(await ctx.client.getStatus("f")).toMatchObject({ runtimeStatus: "Completed", output: "ok x" });
  });

  it("404 unknown; 410 for Completed and Terminated; 409 while running", async () => {
    const ctx = setup();
    await finished(ctx);
    expect((await post(ctx, "/instances/nobody/rewind")).status).toBe(404);
    for (const id of ["completed", "terminated"]) {
      const res = await post(ctx, `/instances/${id}/rewind`);
      expect(res.status).toBe(410);
      expect(await codeOf(res)).toBe("InstanceGone");
    }
    await start(ctx, "HumanInteraction", "running");
    await ctx.runtime.drain();
    const running = await post(ctx, "/instances/running/rewind");
    expect(running.status).toBe(409);
    expect(await json(running)).toEqual({ code: "InvalidState", message: "Instance 'running' is Running; only Failed instances can be rewound." });
  });
});

describe("POST /instances/{id}/restart", () => {
  it("202 check-status payload for a new instance id (the default), with the original input", async () => {
    const ctx = setup();
    await start(ctx, "FanOutFanIn", "orig", { count: 4 });
    await ctx.runtime.drain();
    const res = await post(ctx, "/instances/orig/restart");
    expect(res.status).toBe(202);
    expect(res.headers.get("retry-after")).toBe("10");
    const body = (await json(res)) as { id: string };
    expect(body.id).not.toBe("orig");
    expect(body).toEqual(expectedPayload(body.id));
    expect(res.headers.get("location")).toBe(expectedPayload(body.id).statusQueryGetUri);
    await ctx.runtime.drain();
    expect(await ctx.client.getStatus(body.id)).toMatchObject({ name: "FanOutFanIn", input: { count: 4 }, runtimeStatus: "Completed" });
  });

  it("restartWithNewInstanceId=false reuses the id once finished; 409 while it runs", async () => {
    const ctx = setup();
    await start(ctx, "OrchestratorFunction", "same");
    await start(ctx, "HumanInteraction", "live");
    await ctx.runtime.drain();
    const res = await post(ctx, "/instances/same/restart?restartWithNewInstanceId=false");
    expect(res.status).toBe(202);
    expect(await json(res)).toEqual(expectedPayload("same"));
    expect(await statusOf(ctx, "same")).toBe("Pending");
    const live = await post(ctx, "/instances/live/restart?restartWithNewInstanceId=false");
    expect(live.status).toBe(409);
    expect(await codeOf(live)).toBe("InstanceStillRunning");
  });

  it("400 'InstanceId does not match a valid orchestration instance.' for an unknown id", async () => {
    const ctx = setup();
    const res = await post(ctx, "/instances/nobody/restart");
    expect(res.status).toBe(400);
    expect(await json(res)).toEqual({ code: "InstanceNotFound", message: "InstanceId does not match a valid orchestration instance." });
  });
});

describe("unknown operations and wrong methods", () => {
  it("404 for an unknown operation, 405 (Allow: POST) for GET on a known one", async () => {
    const ctx = setup();
    const unknown = await post(ctx, "/instances/x/explode");
    expect(unknown.status).toBe(404);
    expect(await codeOf(unknown)).toBe("NotFound");
    for (const op of ["terminate", "suspend", "resume", "rewind", "restart"]) {
      const res = await ctx.request(`${BASE}/instances/x/${op}`);
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
    }
    const put = await ctx.request(`${BASE}/instances/x`, { method: "PUT" });
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("GET, DELETE, HEAD");
  });
});
