/**
 * The OpenAPI 3.1 document the app serves at `{basePath}/openapi.json`: valid against the OpenAPI
 * 3.1 schema, and true of the API: every answer of every documented route (status, required
 * headers, body) is checked against it, and every documented operation is exercised.
 */
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../adapters/memory/index.ts";
import { DurableClient, ManualClock } from "../../src/index.ts";
import { BASE, json, setup } from "./test-fixtures.ts";

type Json = Record<string, unknown>;
type Doc = { paths: Record<string, Record<string, Json>>; components: { headers: Record<string, { required?: boolean }> } };

const KEY = "the-key-of-the-openapi-test-0000";
const READER = "the-read-only-key-of-this-test-0";

async function documentOf(ctx: ReturnType<typeof setup>, headers: Record<string, string> = {}): Promise<Doc> {
  const res = await ctx.request(`${BASE}/openapi.json`, { headers });
  expect(res.status).toBe(200);
  return (await json(res)) as Doc;
}

/** Checks answers against the document, and remembers which operations and statuses were seen. */
function checker(doc: Doc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(doc as unknown as Json, "doc");
  const templates = Object.keys(doc.paths).map((template) => ({
    template,
    literal: template.split("/").filter((s) => s && !s.startsWith("{")).length,
    regex: new RegExp(`^${template.replace(/[.]/g, "\\.").replace(/\{[^}]+\}/g, "[^/]+")}/?$`),
  }));
  const seen = new Set<string>();
  const pointer = (...parts: string[]) => `doc#/${parts.map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/")}`;

  return {
    seen,
    async check(method: string, url: string, res: Response): Promise<void> {
      const path = new URL(url, "https://x").pathname;
      const match = templates.filter((t) => t.regex.test(path)).sort((a, b) => b.literal - a.literal)[0];
      expect(match, `${method} ${path} is in the document`).toBeDefined();
      const verb = method.toLowerCase() === "head" ? "get" : method.toLowerCase();
      const operation = doc.paths[match!.template]![verb] as { operationId: string; responses: Record<string, Json> } | undefined;
      const what = `${method} ${path} → ${res.status}`;
      if (!operation) {
        // A method the route does not serve: 405 with Allow (documented on every operation of the path).
        expect(res.status, what).toBe(405);
        expect(res.headers.get("allow"), what).toBeTruthy();
        return;
      }
      const key = String(res.status) in operation.responses ? String(res.status) : "default";
      expect(key === "default" && res.status < 400, `${what}: a success must be documented`).toBe(false);
      seen.add(`${operation.operationId} ${key}`);
      const response = operation.responses[key] as { headers?: Record<string, { $ref: string }>; content?: Record<string, { schema: Json }> };
      for (const [name, header] of Object.entries(response.headers ?? {})) {
        const spec = doc.components.headers[header.$ref.split("/").pop()!]!;
        if (spec.required) expect(res.headers.get(name), `${what}: header ${name}`).not.toBeNull();
      }
      const text = await res.text();
      if (response.content?.["text/event-stream"]) {
        expect(res.headers.get("content-type"), what).toMatch(/^text\/event-stream/);
        expect(text, `${what}: events`).toMatch(/^(id|event|data): /m);
        return;
      }
      const content = response.content?.["application/json"];
      if (!content || verb !== method.toLowerCase()) {
        expect(text, `${what}: no body`).toBe("");
        return;
      }
      expect(res.headers.get("content-type"), what).toMatch(/^application\/json/);
      const validate = ajv.getSchema(pointer("paths", match!.template, verb, "responses", key, "content", "application/json", "schema"))!;
      const body = JSON.parse(text) as unknown;
      expect(validate(body), `${what}: ${JSON.stringify(validate.errors)}\n${text.slice(0, 500)}`).toBe(true);
    },
  };
}

/** One request to every route (on instance "k"), but the stream, which stays open for a running instance. */
const EVERY_ROUTE = [
      ["POST", `${BASE}/orchestrators/OrchestratorFunction`],
      ["POST", `${BASE}/orchestrators/OrchestratorFunction/x`],
      ["GET", `${BASE}/instances`],
      ["DELETE", `${BASE}/instances`],
      ["GET", `${BASE}/instances/k`],
      ["DELETE", `${BASE}/instances/k`],
      ["POST", `${BASE}/instances/k/raiseEvent/E`],
      ...["terminate", "suspend", "resume", "rewind", "restart"].map((op) => ["POST", `${BASE}/instances/k/${op}`]),
      ["GET", `${BASE}/instances/k/export`],
      ["POST", `${BASE}/instances/k/export`],
      ["POST", `${BASE}/instances/import`],
      ["GET", `${BASE}/instances/k/timetravel`],
  ["GET", `${BASE}/instances/k/history`],
      ["GET", `${BASE}/entities`],
      ["GET", `${BASE}/entities/Counter`],
      ["GET", `${BASE}/entities/Counter/k`],
      ["POST", `${BASE}/entities/Counter/k?op=add`],
      ["DELETE", `${BASE}/entities/Counter/k`],
      ["GET", `${BASE}/functions`],
      ["GET", `${BASE}/openapi.json`],
      ["GET", "/api/OrchestratorFunction_HttpStart"],
      ["POST", "/api/OrchestratorFunction_HttpStart"],
      ["POST", "/api/orchestrators/OrchestratorFunction"],
      ["POST", "/api/orchestrators/OrchestratorFunction/x"],
] as const;

describe("the OpenAPI document", () => {
  it("is a valid OpenAPI 3.1 document of every route", async () => {
    const doc = await documentOf(setup());
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect((doc as unknown as { openapi: string }).openapi).toBe("3.1.0");
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations).toEqual(
      expect.arrayContaining([
        `POST ${BASE}/orchestrators/{functionName}`,
        `POST ${BASE}/orchestrators/{functionName}/{instanceId}`,
        `GET ${BASE}/instances`,
        `DELETE ${BASE}/instances`,
        `GET ${BASE}/instances/{instanceId}`,
        `DELETE ${BASE}/instances/{instanceId}`,
        `POST ${BASE}/instances/{instanceId}/raiseEvent/{eventName}`,
        ...["terminate", "suspend", "resume", "rewind", "restart"].map((op) => `POST ${BASE}/instances/{instanceId}/${op}`),
        `GET ${BASE}/instances/{instanceId}/export`,
        `POST ${BASE}/instances/{instanceId}/export`,
        `POST ${BASE}/instances/import`,
        `GET ${BASE}/instances/{instanceId}/timetravel`,
        `GET ${BASE}/instances/{instanceId}/history`,
        `GET ${BASE}/stream/instances/{instanceId}`,
        `GET ${BASE}/entities`,
        `GET ${BASE}/entities/{entityName}`,
        `GET ${BASE}/entities/{entityName}/{entityKey}`,
        `POST ${BASE}/entities/{entityName}/{entityKey}`,
        `DELETE ${BASE}/entities/{entityName}/{entityKey}`,
        `GET ${BASE}/functions`,
        `GET ${BASE}/openapi.json`,
        "GET /api/OrchestratorFunction_HttpStart",
        "POST /api/OrchestratorFunction_HttpStart",
        "POST /api/orchestrators/{functionName}",
        "POST /api/orchestrators/{functionName}/{instanceId}",
      ]),
    );
    expect(operations).toHaveLength(29);
  });

  it("follows the app's base path and starters", async () => {
    const ctx = setup({ basePath: "/mgmt", starters: { prefix: "/go", fixed: { Hello: "OrchestratorFunction" }, generic: false } });
    const res = await ctx.request("/mgmt/openapi.json");
    const paths = Object.keys(((await json(res)) as Doc).paths);
    expect(paths).toContain("/mgmt/instances/{instanceId}");
    expect(paths).toContain("/go/Hello");
    expect(paths.some((p) => p.startsWith(BASE) || p.startsWith("/api/"))).toBe(false);
  });

  it("every route's real answers (codes, headers, bodies) match it", async () => {
    const ctx = setup({ maxBodyBytes: 2000 });
    const doc = await documentOf(ctx);
    const { check, seen } = checker(doc);
    const send = async (method: string, path: string, init: RequestInit = {}) => {
      const res = await ctx.request(path, { ...init, method });
      await check(method, path, res.clone());
      return res;
    };
    const jsonBody = (body: unknown): RequestInit => ({ headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const run = async () => {
      await ctx.runtime.drain();
    };

    // Starts.
    await send("POST", `${BASE}/orchestrators/HumanInteraction`, jsonBody({ timeoutSeconds: 600 }));
    await send("POST", `${BASE}/orchestrators/HumanInteraction/waiting`, jsonBody({ timeoutSeconds: 600 }));
    await send("POST", `${BASE}/orchestrators/HumanInteraction/waiting`, jsonBody({ timeoutSeconds: 600 })); // 409
    await send("POST", `${BASE}/orchestrators/NoSuch`); // 400
    await send("POST", `${BASE}/orchestrators/NoSuch/x`); // 400
    await send("POST", `${BASE}/orchestrators/OrchestratorFunction/big`, jsonBody("x".repeat(3000))); // 413
    await send("POST", `${BASE}/orchestrators/OrchestratorFunction/form`, { headers: { "content-type": "text/plain" }, body: "1" }); // 415
    await send("GET", `${BASE}/orchestrators/OrchestratorFunction`); // 405
    await send("POST", "/api/OrchestratorFunction_HttpStart");
    await send("GET", "/api/OrchestratorFunction_HttpStart");
    await send("HEAD", "/api/OrchestratorFunction_HttpStart"); // 405
    await send("GET", "/api/OrchestratorFunction_HttpStart?timeout=x&pollingInterval=1"); // 400
    await send("POST", "/api/orchestrators/FanOutFanIn", jsonBody({ count: 3 }));
    await send("POST", "/api/orchestrators/FanOutFanIn/fan", jsonBody({ count: 3 }));
    await send("POST", "/api/orchestrators/Nope/x"); // 400
    await send("POST", "/api/orchestrators/Nope"); // 400
    await send("POST", "/api/orchestrators/FanOutFanIn/fan", jsonBody({ count: 3 })); // 409 (still pending)
    await send("POST", "/api/orchestrators/FanOutFanIn/big", jsonBody("x".repeat(3000))); // 413
    await send("POST", "/api/orchestrators/FanOutFanIn/form", { headers: { "content-type": "application/x-www-form-urlencoded" }, body: "a=1" }); // 415
    await send("POST", "/api/orchestrators/FanOutFanIn", { headers: { "content-type": "text/plain" }, body: "1" }); // 415
    await send("POST", `${BASE}/orchestrators/OrchestratorFunction`, { headers: { "content-type": "text/plain" }, body: "1" }); // 415
    await send("POST", `${BASE}/orchestrators/OrchestratorFunction`, jsonBody("y".repeat(3000))); // 413

    // Status, list, events, operations.
    await send("GET", `${BASE}/instances/waiting`); // 202 Pending
    await run();
    await send("GET", `${BASE}/instances/waiting?showHistory=true&showHistoryOutput=true`); // 202 Running
    // A continue-as-new chain's runs (showRuns): a Monitor of two one-second checks.
    await send("POST", `${BASE}/orchestrators/Monitor/mon`, jsonBody({ intervalSeconds: 1, checksLeft: 2 }));
    for (let i = 0; i < 3; i++) {
      await run();
      ctx.clock.advance(1000);
    }
    await run();
    const chain = (await json(await send("GET", `${BASE}/instances/mon?showRuns=true`))) as { runs?: { run: number } }; // 200 with runs
    expect(chain.runs?.run).toBe(3);
    await send("HEAD", `${BASE}/instances/waiting`);
    await send("GET", `${BASE}/instances/fan`); // 200
    await send("GET", `${BASE}/instances/nobody`); // 404
    await send("GET", `${BASE}/instances/${"x".repeat(300)}`); // 400
    await send("GET", `${BASE}/instances?top=2`);
    await send("GET", `${BASE}/instances?top=0`); // 400
    await send("GET", `${BASE}/instances?runtimeStatus=Canceled`);
    await send("POST", `${BASE}/instances`); // 405
    await send("POST", `${BASE}/instances/waiting/raiseEvent/Approval`, { headers: { "content-type": "text/plain" }, body: "1" }); // 400
    await send("POST", `${BASE}/instances/nobody/raiseEvent/Approval`, jsonBody(true)); // 404
    await send("POST", `${BASE}/instances/waiting/raiseEvent/Approval`, jsonBody("z".repeat(3000))); // 413
    await send("POST", `${BASE}/instances/waiting/suspend?reason=pause`);
    await run();
    await send("POST", `${BASE}/instances/waiting/suspend`); // 409
    await send("GET", `${BASE}/instances/waiting`); // 202 Suspended
    await send("POST", `${BASE}/instances/waiting/resume`);
    await run();
    await send("POST", `${BASE}/instances/waiting/resume`); // 409
    await send("POST", `${BASE}/instances/waiting/rewind`); // 409 still running
    await send("DELETE", `${BASE}/instances/waiting`); // 409 still running
    await send("POST", `${BASE}/instances/waiting/restart?restartWithNewInstanceId=false`); // 409 same id running
    await send("POST", `${BASE}/instances/waiting/raiseEvent/Approval`, jsonBody(true)); // 202
    await run();
    await send("GET", `${BASE}/instances/waiting`); // 200 Completed
    await send("POST", `${BASE}/instances/waiting/raiseEvent/Approval`, jsonBody(true)); // 410
    for (const op of ["terminate", "suspend", "resume", "rewind"]) {
      await send("POST", `${BASE}/instances/waiting/${op}`); // 410
      await send("POST", `${BASE}/instances/nobody/${op}`); // 404
      await send("GET", `${BASE}/instances/waiting/${op}`); // 405
    }
    await send("POST", `${BASE}/instances/nobody/restart`); // 400
    await send("POST", `${BASE}/instances/waiting/restart`); // 202
    await send("POST", `${BASE}/instances/waiting/terminate?reason=stop`); // 202 (the restart's new id is elsewhere; this one is Completed: 410)
    const restarted = (await json(await send("POST", `${BASE}/instances/fan/restart`))) as { id: string };
    await send("POST", `${BASE}/instances/${restarted.id}/terminate?reason=stop`); // 202
    await send("POST", `${BASE}/instances/${"x".repeat(300)}/terminate`); // 400
    await run();

    // Failures: rewind, and the 500 of returnInternalServerErrorOnFailure.
    await send("POST", `${BASE}/orchestrators/FailsOnce/failing`);
    await run();
    await send("GET", `${BASE}/instances/failing`); // 200 Failed
    await send("GET", `${BASE}/instances/failing?returnInternalServerErrorOnFailure=true`); // 500 with the status
    await send("POST", `${BASE}/instances/failing/rewind?reason=again`); // 202
    await run();

    // Start-and-wait: 200 with the output, and the 500 of a Failed instance.
    ctx.runtime.start();
    try {
      ctx.flaky.failuresLeft = 1;
      await send("POST", `${BASE}/orchestrators/OrchestratorFunction/waited?timeout=5&pollingInterval=0.1`);
      await send("POST", "/api/OrchestratorFunction_HttpStart?timeout=5&pollingInterval=0.1");
      await send("GET", "/api/OrchestratorFunction_HttpStart?timeout=5&pollingInterval=0.1");
      await send("POST", "/api/orchestrators/OrchestratorFunction?timeout=5&pollingInterval=0.1");
      await send("POST", "/api/orchestrators/OrchestratorFunction/w2?timeout=5&pollingInterval=0.1");
      await send("POST", `${BASE}/orchestrators/OrchestratorFunction?timeout=5&pollingInterval=0.1`);
      await send("POST", `${BASE}/orchestrators/FailsOnce/f2?timeout=5&pollingInterval=0.1&returnInternalServerErrorOnFailure=true`); // 500
      ctx.flaky.failuresLeft = 1;
      await send("POST", `${BASE}/orchestrators/FailsOnce?timeout=5&pollingInterval=0.1&returnInternalServerErrorOnFailure=true`); // 500
      ctx.flaky.failuresLeft = 1;
      await send("POST", `/api/orchestrators/FailsOnce/f3?timeout=5&pollingInterval=0.1&returnInternalServerErrorOnFailure=true`); // 500
      ctx.flaky.failuresLeft = 1;
      await send("POST", `/api/orchestrators/FailsOnce?timeout=5&pollingInterval=0.1&returnInternalServerErrorOnFailure=true`); // 500
      await send("POST", `${BASE}/instances/waited/restart?timeout=5&pollingInterval=0.1`); // 200
      ctx.flaky.failuresLeft = 1;
      await send("POST", `${BASE}/instances/f2/restart?timeout=5&pollingInterval=0.1&returnInternalServerErrorOnFailure=true`); // 500
      ctx.flaky.failuresLeft = 1;
      await send("GET", `/api/OrchestratorFunction_HttpStart?timeout=abc&pollingInterval=1`); // 400
    } finally {
      await ctx.runtime.stop();
    }

    // Instances that travel: snapshot, time travel, stream, move, import.
    await send("GET", `${BASE}/instances/fan/export`); // 200
    await send("GET", `${BASE}/instances/nobody/export`); // 404
    await send("GET", `${BASE}/instances/${"x".repeat(300)}/export`); // 400
    await send("GET", `${BASE}/instances/fan/timetravel`); // 200
    await send("GET", `${BASE}/instances/nobody/timetravel`); // 404
    await send("GET", `${BASE}/instances/${"x".repeat(300)}/timetravel`); // 400
    await send("GET", `${BASE}/instances/fan/history`); // 200
    await send("GET", `${BASE}/instances/nobody/history`); // 404
    await send("GET", `${BASE}/instances/${"x".repeat(300)}/history`); // 400
    await send("GET", `${BASE}/stream/instances/fan`); // 200: its status, then 'end' (it has finished)
    await send("GET", `${BASE}/stream/instances/nobody`); // 404
    await send("GET", `${BASE}/stream/instances/${"x".repeat(300)}`); // 400
    await send("POST", `${BASE}/orchestrators/HumanInteraction/traveller`, jsonBody({ timeoutSeconds: 600 }));
    await run();
    const moved = (await json(await send("POST", `${BASE}/instances/traveller/export?to=elsewhere`))) as { instance: Record<string, unknown> }; // 200
    await send("POST", `${BASE}/instances/traveller/export`); // 410: moved away already
    await send("POST", `${BASE}/instances/nobody/export`); // 404
    await send("POST", `${BASE}/instances/import`, jsonBody({ format: "durable-edge/instance" })); // 400
    await send("POST", `${BASE}/instances/import`, jsonBody(moved)); // 409: the moved instance's tombstone holds its id
    await send("POST", `${BASE}/instances/import?instanceId=arrived`, jsonBody(moved)); // 201
    const oversized = { ...moved, instance: { ...moved.instance, input: JSON.stringify("p".repeat(300 * 1024)) } };
    await send("POST", `${BASE}/instances/import?instanceId=too-big`, jsonBody(oversized)); // 413: a value over the limits

    // Entities: signals, state, lists, delete.
    await send("POST", `${BASE}/entities/Counter/c?op=add`, jsonBody(2)); // 202
    await send("POST", `${BASE}/entities/Counter/$?op=add`, { headers: { "content-type": "text/plain" }, body: "text" }); // 202 (the text is the input)
    await send("POST", `${BASE}/entities/Account/a?op=deposit`, jsonBody(5)); // 202
    await send("POST", `${BASE}/entities/Counter/c?op=add`, { headers: { "content-type": "application/json" }, body: "{" }); // 400
    await send("POST", `${BASE}/entities/NoSuch/c?op=add`, jsonBody(1)); // 404
    await send("POST", `${BASE}/entities/Counter/c?op=add`, jsonBody("e".repeat(3000))); // 413
    await run();
    await send("GET", `${BASE}/entities/Counter/c`); // 200
    await send("GET", `${BASE}/entities/Counter/c?metadata=true`); // 200
    await send("HEAD", `${BASE}/entities/Counter/c`);
    await send("GET", `${BASE}/entities/Counter/nobody`); // 404
    await send("GET", `${BASE}/entities/Counter/a%2Fb`); // 400
    await send("GET", `${BASE}/entities?fetchState=true`); // 200
    await send("GET", `${BASE}/entities?top=1`); // 200 with a token
    await send("GET", `${BASE}/entities?includeDeleted=true`); // 200
    await send("GET", `${BASE}/entities?top=0`); // 400
    await send("GET", `${BASE}/entities/Counter?fetchState=true`); // 200
    await send("GET", `${BASE}/entities/a@b`); // 400
    await send("PUT", `${BASE}/entities/Counter/c`); // 405
    await send("DELETE", `${BASE}/entities/Account/a`); // 202
    await send("DELETE", `${BASE}/entities/NoSuch/a`); // 404
    await send("DELETE", `${BASE}/entities/Account/${"x".repeat(300)}`); // 400
    await run();

    // Purge.
    await send("DELETE", `${BASE}/instances/waited`); // 200
    await send("DELETE", `${BASE}/instances/waited`); // 404
    await send("DELETE", `${BASE}/instances`); // 400
    await send("DELETE", `${BASE}/instances?createdTimeFrom=2000-01-01`); // 200
    await send("DELETE", `${BASE}/instances?createdTimeFrom=2000-01-01`); // 404
    await send("GET", `${BASE}/openapi.json`);
    await send("POST", `${BASE}/openapi.json`); // 405

    // What the server runs; 501 from a client that cannot tell (a DurableClient without a registry).
    await send("GET", `${BASE}/functions`); // 200
    await send("HEAD", `${BASE}/functions`);
    await send("POST", `${BASE}/functions`); // 405
    const bare = setup({ client: new DurableClient({ store: createMemoryStore(), clock: new ManualClock() }) });
    const unregistered = await bare.request(`${BASE}/functions`);
    await check("GET", `${BASE}/functions`, unregistered); // 501

    // With keys: 401 (and its WWW-Authenticate), 403 for the read-only key, signed URLs.
    const keyed = setup({ access: "key", getKey: () => KEY, getReadOnlyKey: () => READER });
    const guarded = checker(await documentOf(keyed, { authorization: `Bearer ${READER}` }));
    const keyedSend = async (method: string, path: string, init: RequestInit = {}) => {
      const res = await keyed.request(path, { ...init, method });
      await guarded.check(method, path, res.clone());
      return res;
    };
    const started = (await json(await keyedSend("POST", `${BASE}/orchestrators/HumanInteraction/k`, { headers: { authorization: `Bearer ${KEY}` } }))) as Record<string, string>;
    await keyedSend("GET", new URL(started.statusQueryGetUri!).pathname + new URL(started.statusQueryGetUri!).search);
    for (const [method, path] of EVERY_ROUTE) {
      await keyedSend(method, path); // 401
      await keyedSend(method, path, { headers: { authorization: `Bearer ${READER}` } }); // 403 for writes, else an answer
    }
    for (const s of guarded.seen) seen.add(s);

    // With no key and access "key": every route is a 403.
    const closed = setup({ access: "key" });
    const closedCheck = checker(doc);
    for (const [method, path] of [...EVERY_ROUTE, ["GET", `${BASE}/stream/instances/k`] as const]) {
      const res = await closed.request(path, { method });
      expect(res.status).toBe(403);
      await closedCheck.check(method, path, res);
    }
    for (const s of [...guarded.seen, ...closedCheck.seen]) seen.add(s);

    // Every operation was exercised: each of its successes, and at least one error; every status the document names was seen.
    const documented = Object.values(doc.paths).flatMap((methods) =>
      Object.values(methods).flatMap((o) => Object.keys((o as { responses: Json }).responses).map((s) => `${(o as { operationId: string }).operationId} ${s}`)),
    );
    expect(documented.filter((d) => / 2\d\d$/.test(d) && !seen.has(d))).toEqual([]);
    const operationIds = new Set(documented.map((d) => d.split(" ")[0]!));
    for (const id of operationIds) expect([...seen].some((s) => s.startsWith(`${id} 4`)), `${id} answered an error`).toBe(true);
    const statuses = new Set(documented.map((d) => d.split(" ")[1]!).filter((s) => s !== "default" && s !== "503"));
    expect([...statuses].filter((status) => ![...seen].some((s) => s.endsWith(` ${status}`)))).toEqual([]);
  }, 30_000);
});
