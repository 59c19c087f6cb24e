/** Starting orchestrations: the tutorial's starter, the generic starters, the management start route, start-and-wait. */
import { describe, expect, it } from "vitest";
import { BASE, expectedPayload, instanceCount, json, ORIGIN, pathOf, QS, setup } from "./test-fixtures.ts";

const PAYLOAD_KEYS = [
  "id",
  "statusQueryGetUri",
  "sendEventPostUri",
  "terminatePostUri",
  "rewindPostUri",
  "purgeHistoryDeleteUri",
  "restartPostUri",
  "suspendPostUri",
  "resumePostUri",
];

describe("the tutorial: /api/OrchestratorFunction_HttpStart", () => {
  for (const method of ["GET", "POST"]) {
    it(`${method} starts OrchestratorFunction → 202 → poll → 200 Completed with the three greetings`, async () => {
      const { request, runtime } = setup();
      const res = await request("/api/OrchestratorFunction_HttpStart", { method });
      expect(res.status).toBe(202);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(res.headers.get("retry-after")).toBe("10");
      const body = (await json(res)) as Record<string, string>;
      expect(Object.keys(body)).toEqual(PAYLOAD_KEYS);
      for (const key of PAYLOAD_KEYS) expect(typeof body[key]).toBe("string");
      expect(body.id).toMatch(/^[0-9a-f]{32}$/);
      expect(body).toEqual(expectedPayload(body.id!));
      expect(res.headers.get("location")).toBe(body.statusQueryGetUri);

      // Before the runtime ran: Pending → 202 with Location = the request URL and Retry-After: 5.
      const pending = await request(pathOf(body.statusQueryGetUri!));
      expect(pending.status).toBe(202);
      expect(pending.headers.get("retry-after")).toBe("5");
      expect(pending.headers.get("location")).toBe(body.statusQueryGetUri);
      expect(((await json(pending)) as { runtimeStatus: string }).runtimeStatus).toBe("Pending");

      await runtime.drain();
      const done = await request(pathOf(body.statusQueryGetUri!));
      expect(done.status).toBe(200);
      expect(done.headers.get("location")).toBeNull();
      expect(done.headers.get("retry-after")).toBeNull();
      expect(await json(done)).toEqual({
        name: "OrchestratorFunction",
        instanceId: body.id,
        runtimeStatus: "Completed",
        input: null,
        customStatus: null,
        output: ["Hello Tokyo!", "Hello Seattle!", "Hello London!"],
        createdTime: "2026-01-01T00:00:00Z",
        lastUpdatedTime: "2026-01-01T00:00:00Z",
      });
    });
  }

  it("ignores a POST body (the template starts with no input)", async () => {
    const { request, client } = setup();
    const res = await request("/api/OrchestratorFunction_HttpStart", { method: "POST", body: "not json at all" });
    expect(res.status).toBe(202);
    const { id } = (await json(res)) as { id: string };
    expect((await client.getStatus(id))?.input).toBeNull();
  });

  it("builds the URLs from the request's origin", async () => {
    const { app } = setup();
    const res = await app.request("http://127.0.0.1:8787/api/OrchestratorFunction_HttpStart");
    const body = (await json(res)) as { id: string };
    expect(body).toEqual(expectedPayload(body.id, { origin: "http://127.0.0.1:8787" }));
  });

  it("uses the configured task hub, connection, base path and base URL", async () => {
    const { request } = setup({ taskHub: "My Hub", connection: "Conn&1", baseUrl: () => "https://public.example/" });
    const res = await request("/api/OrchestratorFunction_HttpStart");
    const body = (await json(res)) as { id: string };
    expect(body).toEqual(
      expectedPayload(body.id, { origin: "https://public.example", qs: "taskHub=My%20Hub&connection=Conn%261" }),
    );
  });

  it("can be configured away, or mapped to another orchestrator", async () => {
    const none = setup({ starters: false });
    expect((await none.request("/api/OrchestratorFunction_HttpStart")).status).toBe(404);
    expect((await none.request("/api/orchestrators/OrchestratorFunction", { method: "POST" })).status).toBe(404);

    const custom = setup({ starters: { prefix: "/start", fixed: { Parallel: "OrchestratorFunction_Parallel" }, generic: false } });
    const res = await custom.request("/start/Parallel", { method: "POST" });
    expect(res.status).toBe(202);
    const { id } = (await json(res)) as { id: string };
    await custom.runtime.drain();
    expect(await custom.client.getStatus(id)).toMatchObject({ name: "OrchestratorFunction_Parallel", runtimeStatus: "Completed" });
    expect((await custom.request("/api/OrchestratorFunction_HttpStart")).status).toBe(404);
    expect((await custom.request("/start/orchestrators/OrchestratorFunction", { method: "POST" })).status).toBe(404);
  });
});

describe("POST /api/orchestrators/{name}[/{instanceId}] (generic starter)", () => {
  it("starts the named orchestrator with the JSON body as input", async () => {
    const { request, runtime, client } = setup();
    const res = await request("/api/orchestrators/FanOutFanIn", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ count: 10 }),
    });
    expect(res.status).toBe(202);
    expect(res.headers.get("retry-after")).toBe("10");
    const body = (await json(res)) as { id: string };
    expect(body).toEqual(expectedPayload(body.id));
    await runtime.drain();
    expect(await client.getStatus(body.id)).toMatchObject({ runtimeStatus: "Completed", input: { count: 10 }, output: { count: 10, sum: 385 } });
  });

  it("uses the instance id from the path", async () => {
    const { request } = setup();
    const res = await request("/api/orchestrators/OrchestratorFunction/my-order-42", { method: "POST" });
    expect(res.status).toBe(202);
    expect(await json(res)).toEqual(expectedPayload("my-order-42"));
    expect(res.headers.get("location")).toBe(`${ORIGIN}${BASE}/instances/my-order-42?${QS}`);
  });

  it("is POST only: 405 with Allow", async () => {
    const { request } = setup();
    const res = await request("/api/orchestrators/OrchestratorFunction", { method: "GET" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect(await json(res)).toEqual({ code: "MethodNotAllowed", message: "GET is not allowed on this route; use POST." });
  });
});

describe(`POST ${BASE}/orchestrators/{name}[/{instanceId}]`, () => {
  it("starts with the JSON input → 202 check-status payload", async () => {
    const { request, client } = setup();
    const res = await request(`${BASE}/orchestrators/HumanInteraction/approval-1`, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify({ timeoutSeconds: 30 }),
    });
    expect(res.status).toBe(202);
    expect(res.headers.get("location")).toBe(expectedPayload("approval-1").statusQueryGetUri);
    expect(res.headers.get("retry-after")).toBe("10");
    expect(await json(res)).toEqual(expectedPayload("approval-1"));
    expect(await client.getStatus("approval-1")).toMatchObject({ name: "HumanInteraction", input: { timeoutSeconds: 30 }, runtimeStatus: "Pending" });
  });

  it("an empty body means no input (null)", async () => {
    const { request, client } = setup();
    const res = await request(`${BASE}/orchestrators/OrchestratorFunction/empty`, { method: "POST" });
    expect(res.status).toBe(202);
    expect((await client.getStatus("empty"))?.input).toBeNull();
  });

  it("accepts JSON media types only: forms and text/plain (what curl -d and other sites' pages send) are 415", async () => {
    const { request, client } = setup();
    for (const [i, type] of ["application/json", "application/vnd.api+json"].entries()) {
      const res = await request(`${BASE}/orchestrators/FanOutFanIn/t${i}`, { method: "POST", headers: { "content-type": type }, body: '{"count":2}' });
      expect(res.status).toBe(202);
      expect((await client.getStatus(`t${i}`))?.input).toEqual({ count: 2 });
    }
    for (const type of ["text/plain", "application/x-www-form-urlencoded"]) {
      const res = await request(`${BASE}/orchestrators/FanOutFanIn/refused`, { method: "POST", headers: { "content-type": type }, body: '{"count":2}' });
      expect(res.status).toBe(415);
    }
    expect(await client.getStatus("refused")).toBeUndefined();
  });

  it("passes ?version= to the instance", async () => {
    const { request, runtime } = setup();
    await request(`${BASE}/orchestrators/OrchestratorFunction/v?version=2.1`, { method: "POST" });
    expect((await runtime.store.getInstance("v"))?.version).toBe("2.1");
  });

  it("percent-encodes the instance id in the URLs", async () => {
    const { request } = setup();
    const res = await request(`${BASE}/orchestrators/OrchestratorFunction/${encodeURIComponent("a b:ü")}`, { method: "POST" });
    expect(res.status).toBe(202);
    const body = (await json(res)) as { id: string; statusQueryGetUri: string };
    expect(body.id).toBe("a b:ü");
    expect(body.statusQueryGetUri).toBe(`${ORIGIN}${BASE}/instances/a%20b%3A%C3%BC?${QS}`);
    expect((await request(pathOf(body.statusQueryGetUri))).status).toBe(202);
  });

  it("restarting a finished id overwrites it; a running one is 409", async () => {
    const { request, runtime } = setup();
    const path = `${BASE}/orchestrators/HumanInteraction/same`;
    expect((await request(path, { method: "POST" })).status).toBe(202);
    const again = await request(path, { method: "POST" });
    expect(again.status).toBe(409);
    expect(((await json(again)) as { code: string }).code).toBe("InstanceAlreadyExists");
    await request(`${BASE}/instances/same/terminate`, { method: "POST" });
    await runtime.drain();
    expect((await request(path, { method: "POST" })).status).toBe(202);
  });
});

describe("start and wait (timeout + pollingInterval)", () => {
  it("answers 200 with the output when it completes in time", async () => {
    const { request, runtime } = setup();
    runtime.start();
    try {
      const res = await request(`${BASE}/orchestrators/OrchestratorFunction/waited?timeout=5&pollingInterval=0.1`, { method: "POST" });
      expect(res.status).toBe(200);
      expect(res.headers.get("location")).toBeNull();
      expect(await json(res)).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
    } finally {
      await runtime.stop();
    }
  });

  it("answers the 202 check-status payload when it does not complete in time", async () => {
    const { request, runtime } = setup();
    runtime.start();
    try {
      const started = Date.now();
      const res = await request(`${BASE}/orchestrators/HumanInteraction/slow?timeout=0.3&pollingInterval=0.1`, { method: "POST" });
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(res.status).toBe(202);
      expect(res.headers.get("retry-after")).toBe("10");
      expect(await json(res)).toEqual(expectedPayload("slow"));
    } finally {
      await runtime.stop();
    }
  });

  it("a Failed instance answers like the status route: 200, or 500 with returnInternalServerErrorOnFailure", async () => {
    for (const [query, code] of [["", 200], ["&returnInternalServerErrorOnFailure=true", 500]] as const) {
      const { request, runtime } = setup();
      runtime.start();
      try {
        const res = await request(`${BASE}/orchestrators/FailsOnce/f?timeout=5&pollingInterval=0.1${query}`, { method: "POST" });
        expect(res.status).toBe(code);
        expect(await json(res)).toMatchObject({ instanceId: "f", runtimeStatus: "Failed" });
      } finally {
        await runtime.stop();
      }
    }
  });

  it("the wait is capped at maxWaitSeconds", async () => {
    const { request, runtime } = setup({ maxWaitSeconds: 0.2 });
    runtime.start();
    try {
      const started = Date.now();
      const res = await request(`${BASE}/orchestrators/HumanInteraction/capped?timeout=30&pollingInterval=0.1`, { method: "POST" });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(res.status).toBe(202);
      expect(await json(res)).toEqual(expectedPayload("capped"));
    } finally {
      await runtime.stop();
    }
  });

  it("restart can wait too", async () => {
    const { request, runtime } = setup();
    runtime.start();
    try {
      await request(`${BASE}/orchestrators/OrchestratorFunction/r1?timeout=5&pollingInterval=0.1`, { method: "POST" });
      const res = await request(`${BASE}/instances/r1/restart?timeout=5&pollingInterval=0.1`, { method: "POST" });
      expect(res.status).toBe(200);
      expect(await json(res)).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
    } finally {
      await runtime.stop();
    }
  });

  it("only one of timeout / pollingInterval: no wait", async () => {
    const { request } = setup();
    const res = await request(`${BASE}/orchestrators/HumanInteraction/one?timeout=5`, { method: "POST" });
    expect(res.status).toBe(202);
    expect(await json(res)).toEqual(expectedPayload("one"));
  });

  it("returnInternalServerErrorOnFailure=true is carried into the status URL", async () => {
    const { request } = setup();
    const res = await request(`${BASE}/orchestrators/HumanInteraction/ise?returnInternalServerErrorOnFailure=true`, { method: "POST" });
    const body = (await json(res)) as { statusQueryGetUri: string };
    expect(body.statusQueryGetUri).toBe(`${ORIGIN}${BASE}/instances/ise?${QS}&returnInternalServerErrorOnFailure=true`);
    expect(res.headers.get("location")).toBe(body.statusQueryGetUri);
  });

  it("a polling interval longer than the timeout is a 400, and nothing is started", async () => {
    const { request, client } = setup();
    const res = await request(`${BASE}/orchestrators/OrchestratorFunction/x?timeout=1&pollingInterval=2`, { method: "POST" });
    expect(res.status).toBe(400);
    expect(await json(res)).toEqual({ code: "InvalidArgument", message: "Total timeout 1 should be bigger than retry timeout 2." });
    expect(await instanceCount(client)).toBe(0);
  });
});
