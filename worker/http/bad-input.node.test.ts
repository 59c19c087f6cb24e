/** Bad input over HTTP: each case is a 4xx with a JSON `{ code, message }`, never a 500, and nothing is stored. */
import { describe, expect, it } from "vitest";
import { BASE, instanceCount, json, setup } from "./test-fixtures.ts";

type Ctx = ReturnType<typeof setup>;

async function expectError(res: Response, status: number, code: string, message?: string | RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await json(res)) as { code: string; message: string };
  expect(Object.keys(body)).toEqual(["code", "message"]);
  expect(body.code).toBe(code);
  if (typeof message === "string") expect(body.message).toBe(message);
  else if (message) expect(body.message).toMatch(message);
}

/** Nothing stored, and nothing went to the error log (no 500 path was taken). */
async function expectNothingStored(ctx: Ctx) {
  expect(await instanceCount(ctx.client)).toBe(0);
  expect(ctx.logged).toEqual([]);
}

/** Bodies are sent as JSON (a start refuses other media types, see below) unless a case says otherwise. */
const start = (ctx: Ctx, path: string, init: RequestInit = {}) =>
  ctx.request(`${BASE}/orchestrators/${path}`, { method: "POST", headers: { "content-type": "application/json" }, ...init });

describe("start: bodies", () => {
  it("malformed JSON → 400 InvalidJson", async () => {
    const ctx = setup();
    for (const body of ["{", "{'a':1}", "[1,]", "undefined", "NaN"]) {
      await expectError(await start(ctx, "OrchestratorFunction", { headers: { "content-type": "application/json" }, body }), 400, "InvalidJson", /^Invalid JSON content: /);
    }
    await expectNothingStored(ctx);
  });

  it("JSON nested deeper than 64 levels → 400 (and a huge nesting cannot blow the stack)", async () => {
    const ctx = setup();
    const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
    await expectError(await start(ctx, "OrchestratorFunction", { body: deep(65) }), 400, "InvalidJson", "Invalid JSON content: nested deeper than 64 levels.");
    await expectError(await start(ctx, "OrchestratorFunction", { body: deep(400_000) }), 400, "InvalidJson");
    // Brackets inside strings do not count.
    expect((await start(ctx, "FanOutFanIn/ok", { body: JSON.stringify({ count: 1, s: "[".repeat(100) }) })).status).toBe(202);
    expect((await start(ctx, "FanOutFanIn/ok64", { body: deep(64) })).status).toBe(202);
    expect(await instanceCount(ctx.client)).toBe(2);
  });

  it("a body that is not UTF-8 → 400", async () => {
    const ctx = setup();
    const res = await start(ctx, "OrchestratorFunction", { headers: { "content-type": "application/json" }, body: new Uint8Array([0x22, 0xff, 0xfe, 0x22]) });
    await expectError(res, 400, "InvalidJson", "Invalid JSON content: the body is not valid UTF-8.");
    await expectNothingStored(ctx);
  });

  it("a content type other than JSON → 415 (forms and text/plain too: another site's page can send those)", async () => {
    const ctx = setup();
    for (const type of ["multipart/form-data; boundary=x", "application/xml", "image/png", "application/octet-stream", "text/plain", "application/x-www-form-urlencoded"]) {
      const res = await start(ctx, "OrchestratorFunction", { headers: { "content-type": type }, body: "{}" });
      await expectError(res, 415, "UnsupportedMediaType", `Content type '${type.split(";")[0]}' is not supported; send the input as application/json.`);
    }
    const untyped = await start(ctx, "OrchestratorFunction", { headers: {}, body: new Blob(["{}"]) });
    await expectError(untyped, 415, "UnsupportedMediaType", "The input has no content type; send it as application/json.");
    await expectNothingStored(ctx);
  });

  it("a body over maxBodyBytes → 413, by Content-Length or while streaming", async () => {
    const ctx = setup({ maxBodyBytes: 1000 });
    const big = JSON.stringify({ pad: "x".repeat(1000) });
    await expectError(await start(ctx, "OrchestratorFunction", { body: big }), 413, "PayloadTooLarge", "The request body is larger than the limit of 1000 bytes.");
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(new TextEncoder().encode(`"${"y".repeat(300)}"`));
        controller.close();
      },
    });
    const res = await start(ctx, "OrchestratorFunction", { body: stream, duplex: "half" } as RequestInit);
    await expectError(res, 413, "PayloadTooLarge");
    const ok = await start(ctx, "FanOutFanIn/fits", { body: JSON.stringify({ count: 1, pad: "x".repeat(900) }) });
    expect(ok.status).toBe(202);
    expect(await instanceCount(ctx.client)).toBe(1);
  });

  it("the default limit is 1 MiB", async () => {
    const ctx = setup();
    const res = await start(ctx, "OrchestratorFunction", { body: JSON.stringify("x".repeat(1024 * 1024)) });
    await expectError(res, 413, "PayloadTooLarge", "The request body is larger than the limit of 1048576 bytes.");
    await expectNothingStored(ctx);
  });

  it("an input JSON cannot hold is refused by the core before anything is stored", async () => {
    const ctx = setup();
    // 1e400 parses to Infinity, which the core refuses (InvalidInput).
    await expectError(await start(ctx, "OrchestratorFunction", { body: "[1e400]" }), 400, "InvalidInput");
    await expectNothingStored(ctx);
  });
});

describe("start: names and instance ids", () => {
  it("unknown orchestrator → 400 UnknownOrchestrator", async () => {
    const ctx = setup();
    await expectError(await start(ctx, "NoSuchThing"), 400, "UnknownOrchestrator", /^No orchestrator named 'NoSuchThing' is registered\./);
    await expectError(await ctx.request("/api/orchestrators/NoSuchThing", { method: "POST" }), 400, "UnknownOrchestrator");
    await expectNothingStored(ctx);
  });

  it("hostile or too-long instance ids → 400 InvalidInstanceId", async () => {
    const ctx = setup();
    for (const id of ["x".repeat(257), "@entity", "a%2Fb", "a%5Cb", "a%23b", "a%3Fb", "a%00b", "a%0Ab", "%20%20", "a%7Fb"]) {
      await expectError(await start(ctx, `OrchestratorFunction/${id}`), 400, "InvalidInstanceId");
    }
    expect((await start(ctx, `OrchestratorFunction/${"x".repeat(256)}`)).status).toBe(202);
    expect(await instanceCount(ctx.client)).toBe(1);
    expect(ctx.logged).toEqual([]);
  });

  it("orchestrator names: too long or with control characters → 400", async () => {
    const ctx = setup();
    await expectError(await start(ctx, "x".repeat(257)), 400, "InvalidArgument", "The orchestrator name is 257 characters long; the limit is 256.");
    await expectError(await start(ctx, "a%01b"), 400, "InvalidArgument", "The orchestrator name must not contain control characters.");
    await expectNothingStored(ctx);
  });

  it("bad wait parameters or version → 400 before anything starts", async () => {
    const ctx = setup();
    for (const q of ["timeout=-1&pollingInterval=1", "timeout=abc&pollingInterval=1", "timeout=1&pollingInterval=", "timeout=Infinity&pollingInterval=1", `version=${"v".repeat(257)}`, "returnInternalServerErrorOnFailure=maybe"]) {
      await expectError(await start(ctx, `OrchestratorFunction?${q}`), 400, "InvalidArgument");
    }
    await expectError(await ctx.request("/api/OrchestratorFunction_HttpStart?timeout=x&pollingInterval=1"), 400, "InvalidArgument");
    await expectNothingStored(ctx);
  });
});

describe("instance routes: ids, events, query values", () => {
  it("hostile ids on status, purge and operations → 400", async () => {
    const ctx = setup();
    const long = "y".repeat(300);
    await expectError(await ctx.request(`${BASE}/instances/${long}`), 400, "InvalidInstanceId", "Instance ID is 300 characters long; the limit is 256.");
    await expectError(await ctx.request(`${BASE}/instances/a%2Fb`, { method: "DELETE" }), 400, "InvalidInstanceId");
    for (const op of ["terminate", "suspend", "resume", "rewind", "restart"]) {
      await expectError(await ctx.request(`${BASE}/instances/${long}/${op}`, { method: "POST" }), 400, "InvalidInstanceId");
    }
    await expectError(
      await ctx.request(`${BASE}/instances/%40e/raiseEvent/Approval`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }),
      400,
      "InvalidInstanceId",
    );
    expect(ctx.logged).toEqual([]);
  });

  it("raiseEvent: invalid JSON, oversized body, bad event name → 4xx and the event is not delivered", async () => {
    const ctx = setup({ maxBodyBytes: 100 });
    await start(ctx, "HumanInteraction/h");
    await ctx.runtime.drain();
    const raise = (name: string, body: string, type = "application/json") =>
      ctx.request(`${BASE}/instances/h/raiseEvent/${name}`, { method: "POST", headers: { "content-type": type }, body });
    await expectError(await raise("Approval", "{nope"), 400, "InvalidJson", /^Invalid JSON content: /);
    await expectError(await raise("Approval", JSON.stringify("z".repeat(200))), 413, "PayloadTooLarge");
    await expectError(await raise("e".repeat(257), "1"), 400, "InvalidArgument", "The event name is 257 characters long; the limit is 256.");
    await expectError(await raise("a%0Db", "1"), 400, "InvalidArgument", "The event name must not contain control characters.");
    await expectError(await raise("%20", "1"), 400, "InvalidArgument", "The event name must not be empty.");
    await ctx.runtime.drain();
    expect((await ctx.client.getStatus("h"))?.runtimeStatus).toBe("Running");
    expect((await ctx.runtime.store.getHistory("h")).some((e) => e.EventType === "EventRaised")).toBe(false);
    expect(ctx.logged).toEqual([]);
  });

  it("unreadable query values → 400 naming the parameter", async () => {
    const ctx = setup();
    await start(ctx, "OrchestratorFunction/x");
    const cases: [string, string, string][] = [
      ["GET", `/instances/x?showHistory=yes`, `Query parameter 'showHistory' must be true or false; got "yes".`],
      ["GET", `/instances/x?showInput=2`, `Query parameter 'showInput' must be true or false; got "2".`],
      ["GET", `/instances?top=0`, `Query parameter 'top' must be an integer from 1 to 1000; got "0".`],
      ["GET", `/instances?top=1001`, `Query parameter 'top' must be an integer from 1 to 1000; got "1001".`],
      ["GET", `/instances?top=2.5`, `Query parameter 'top' must be an integer from 1 to 1000; got "2.5".`],
      ["GET", `/instances?runtimeStatus=Bogus`, `Query parameter 'runtimeStatus' must be one of Pending, Running, Completed, ContinuedAsNew, Failed, Terminated, Suspended; got "Bogus".`],
      ["GET", `/instances?createdTimeFrom=yesterday`, `Query parameter 'createdTimeFrom' must be an ISO 8601 date, e.g. 2026-01-31T12:00:00Z; got "yesterday".`],
      ["GET", `/instances?createdTimeTo=2026-13-45`, `Query parameter 'createdTimeTo' must be a valid date; got "2026-13-45".`],
      ["GET", `/instances?instanceIdPrefix=${"p".repeat(257)}`, "instanceIdPrefix is longer than an instance ID can be (256)."],
      ["DELETE", `/instances?createdTimeFrom=soon`, `Query parameter 'createdTimeFrom' must be an ISO 8601 date, e.g. 2026-01-31T12:00:00Z; got "soon".`],
      ["POST", `/instances/x/terminate?reason=${"r".repeat(4097)}`, "The reason is 4097 characters long; the limit is 4096."],
      ["POST", `/instances/x/restart?restartWithNewInstanceId=nah`, `Query parameter 'restartWithNewInstanceId' must be true or false; got "nah".`],
    ];
    for (const [method, path, message] of cases) {
      await expectError(await ctx.request(`${BASE}${path}`, { method }), 400, "InvalidArgument", message);
    }
    expect(await instanceCount(ctx.client)).toBe(1);
    expect((await ctx.client.getStatus("x"))?.runtimeStatus).toBe("Pending");
    expect(ctx.logged).toEqual([]);
  });

  it("a forged continuation token → 400", async () => {
    const ctx = setup();
    for (const token of ["garbage", "zz.", "x".repeat(3000)]) {
      const res = await ctx.request(`${BASE}/instances`, { headers: { "x-ms-continuation-token": token } });
      await expectError(res, 400, "InvalidArgument", "The continuation token is not valid; pass back the token a previous page returned.");
    }
    expect(ctx.logged).toEqual([]);
  });
});

describe("routes and methods", () => {
  it("unknown routes → 404 JSON (Durable Functions sends an empty 404)", async () => {
    const ctx = setup();
    for (const path of ["/", "/nope", `${BASE}`, `${BASE}/nope`, `${BASE}/instances/a/b/c/d`, `${BASE}/entities/x/y/z`, `${BASE}/makeprimary`, "/api/unknown/x/y"]) {
      const res = await ctx.request(path);
      await expectError(res, 404, "NotFound");
    }
    expect(await json(await ctx.request("/nope"))).toEqual({ code: "NotFound", message: "No route matches GET /nope." });
    const extra = await ctx.request(`${BASE}/instances/x/terminate/now`, { method: "POST" });
    expect(await json(extra)).toEqual({ code: "NotFound", message: `No route matches POST ${BASE}/instances/x/terminate/now.` });
  });

  it("wrong methods → 405 with Allow", async () => {
    const ctx = setup();
    const cases: [string, string, string][] = [
      ["GET", `${BASE}/orchestrators/OrchestratorFunction`, "POST"],
      ["PUT", `${BASE}/orchestrators/OrchestratorFunction/id`, "POST"],
      ["POST", `${BASE}/instances`, "GET, DELETE, HEAD"],
      ["PATCH", `${BASE}/instances/x`, "GET, DELETE, HEAD"],
      ["DELETE", `${BASE}/instances/x/terminate`, "POST"],
      ["PUT", `${BASE}/instances/x/raiseEvent/E`, "POST"],
      ["DELETE", "/api/OrchestratorFunction_HttpStart", "GET, POST"],
      ["OPTIONS", `${BASE}/instances`, "GET, DELETE, HEAD"],
    ];
    for (const [method, path, allow] of cases) {
      const res = await ctx.request(path, { method });
      await expectError(res, 405, "MethodNotAllowed", `${method} is not allowed on this route; use ${allow}.`);
      expect(res.headers.get("allow")).toBe(allow);
    }
    await expectNothingStored(ctx);
  });

  it("HEAD does not start the tutorial's orchestration (405, Allow: GET, POST)", async () => {
    const ctx = setup();
    const res = await ctx.request("/api/OrchestratorFunction_HttpStart", { method: "HEAD" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, POST");
    await expectNothingStored(ctx);
  });

  it("a trailing slash is the same route", async () => {
    const ctx = setup();
    expect((await ctx.request(`${BASE}/instances/`)).status).toBe(200);
    expect((await ctx.request(`${BASE}/orchestrators/OrchestratorFunction/slash/`, { method: "POST" })).status).toBe(202);
  });

  it("malformed percent-encoding in the path is not a 500", async () => {
    const ctx = setup();
    const res = await ctx.request(`${BASE}/instances/%E0%A4%A`);
    expect([400, 404]).toContain(res.status);
    expect(ctx.logged).toEqual([]);
  });
});
