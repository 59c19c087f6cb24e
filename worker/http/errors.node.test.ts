/** The one onError: every core error code lands on its status; other errors are a logged, generic 500. Per-request clients; mounting. */
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { DurableError, ERROR_CODES, type ErrorCode } from "../../src/index.ts";
import type { ManagementClient } from "./options.ts";
import { createManagementApp } from "./app.ts";
import { jsonNotFound, STATUS_BY_CODE } from "./errors.ts";
import { BASE, expectedPayload, json, ORIGIN, setup } from "./test-fixtures.ts";

/** The runtime's real client, except that getStatus throws what the test says. */
function throwingClient(base: ManagementClient, error: unknown): ManagementClient {
  return new Proxy(base, {
    get(target, prop, receiver) {
      if (prop === "getStatus") return () => Promise.reject(error);
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const EXPECTED: Record<ErrorCode, number> = {
  InvalidInstanceId: 400,
  InvalidInput: 400,
  InvalidArgument: 400,
  UnknownOrchestrator: 400,
  UnknownEntity: 404,
  LockingRulesViolation: 409,
  PayloadTooLarge: 413,
  InstanceNotFound: 404,
  InstanceGone: 410,
  InstanceAlreadyExists: 409,
  InstanceStillRunning: 409,
  InvalidState: 409,
  Timeout: 504,
  StoreQuotaExceeded: 507,
  StoreUnavailable: 503,
  StoreClosed: 503,
  UnknownActivity: 500,
  Nondeterminism: 500,
  CustomStatusTooLarge: 500,
  StepTooLarge: 500,
  CommitFailed: 500,
};

describe("error mapping", () => {
  it("maps every DurableError code", async () => {
    expect(Object.keys(STATUS_BY_CODE).sort()).toEqual([...ERROR_CODES].sort());
    for (const code of ERROR_CODES) {
      const base = setup();
      const ctx = setup({ client: throwingClient(base.client, new DurableError(code, `details of ${code}`)) });
      const res = await ctx.request(`${BASE}/instances/abc`);
      expect(res.status, code).toBe(EXPECTED[code]);
      const body = await json(res);
      if (EXPECTED[code] === 500) {
        expect(body).toEqual({ code: "InternalError", message: "Something went wrong while processing your request." });
        expect(ctx.logged).toHaveLength(1);
      } else {
        expect(body).toEqual({ code, message: `details of ${code}` });
        expect(ctx.logged).toEqual([]);
      }
      expect(res.headers.get("retry-after")).toBe(EXPECTED[code] === 503 ? "5" : null);
    }
  });

  it("anything else is a generic 500, logged with the error, its message not leaked", async () => {
    const base = setup();
    const boom = new TypeError("secret internals at /srv/db");
    const ctx = setup({ client: throwingClient(base.client, boom) });
    const res = await ctx.request(`${BASE}/instances/abc`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ code: "InternalError", message: "Something went wrong while processing your request." });
    expect(text).not.toContain("secret");
    expect(ctx.logged).toHaveLength(1);
    // The request id (Hono's requestId, also the X-Request-Id header) ties the log line to the answer.
    expect(ctx.logged[0]?.[0]).toBe(`durable-edge http: GET ${BASE}/instances/abc failed (request ${res.headers.get("x-request-id")}):`);
    expect(ctx.logged[0]?.[1]).toBe(boom);
  });

  it("a client factory that throws is a 500 too, not an unhandled rejection", async () => {
    const ctx = setup({
      client: () => {
        throw new Error("no binding");
      },
    });
    const res = await ctx.request(`${BASE}/instances/abc`);
    expect(res.status).toBe(500);
    expect(ctx.logged).toHaveLength(1);
  });
});

describe("per-request client", () => {
  it("calls the factory with the request context, once per request, and only when a route needs it", async () => {
    const base = setup();
    const seen: unknown[] = [];
    const app = createManagementApp<{ Bindings: { TAG: string } }>({
      client: (c) => {
        seen.push(c.env.TAG);
        return base.client;
      },
      access: "open",
      logger: { error() {} },
    });
    const res = await app.request(`${ORIGIN}/api/OrchestratorFunction_HttpStart`, {}, { TAG: "env-1" });
    expect(res.status).toBe(202);
    const { id } = (await json(res)) as { id: string };
    expect((await app.request(`${ORIGIN}${BASE}/instances/${id}`, {}, { TAG: "env-2" })).status).toBe(202);
    expect(seen).toEqual(["env-1", "env-2"]);
    // Refused before the client is needed: no factory call.
    expect((await app.request(`${ORIGIN}${BASE}/instances?top=0`, {}, { TAG: "env-3" })).status).toBe(400);
    expect((await app.request(`${ORIGIN}/nope`, {}, { TAG: "env-4" })).status).toBe(404);
    expect(seen).toEqual(["env-1", "env-2"]);
  });

  it("accepts an async factory", async () => {
    const base = setup();
    const app = createManagementApp({ client: async () => base.client, access: "open", logger: { error() {} } });
    expect((await app.request(`${ORIGIN}${BASE}/instances`)).status).toBe(200);
  });
});

describe("options", () => {
  it("a custom base path moves every management route and URL", async () => {
    const ctx = setup({ basePath: "/mgmt/" });
    const res = await ctx.request("/api/OrchestratorFunction_HttpStart");
    const body = (await json(res)) as { id: string; statusQueryGetUri: string };
    expect(body.statusQueryGetUri).toBe(expectedPayload(body.id).statusQueryGetUri.replace(BASE, "/mgmt"));
    expect((await ctx.request(`/mgmt/instances/${body.id}`)).status).toBe(202);
    expect((await ctx.request(`${BASE}/instances/${body.id}`)).status).toBe(404);
  });

  it("refuses bad options at construction", () => {
    const base = setup();
    expect(() => createManagementApp({ client: base.client, basePath: "no-slash" })).toThrow(TypeError);
    expect(() => createManagementApp({ client: base.client, maxBodyBytes: -1 })).toThrow(TypeError);
    expect(() => createManagementApp({ client: base.client, starters: { fixed: { "a/b": "X" } } })).toThrow(TypeError);
    expect(() => createManagementApp({ client: undefined as unknown as ManagementClient })).toThrow(TypeError);
  });
});

describe("mounted in a parent Hono app (as the Worker does)", () => {
  it("keeps its error mapping, 405s and key check; the parent's other routes are untouched", async () => {
    const base = setup();
    const parent = new Hono();
    parent.get("/health", (c) => c.text("ok"));
    parent.get("/api/own", (c) => c.text("parent's own /api route"));
    const key = "k".repeat(32);
    parent.route("/", createManagementApp({ client: base.client, getKey: () => key, logger: { error() {} } }));
    parent.notFound(jsonNotFound);

    expect(await (await parent.request(`${ORIGIN}/health`)).text()).toBe("ok");
    expect(await (await parent.request(`${ORIGIN}/api/own`)).text()).toBe("parent's own /api route");
    expect((await parent.request(`${ORIGIN}/api/orchestrators/OrchestratorFunction`, { method: "POST" })).status).toBe(401);
    expect((await parent.request(`${ORIGIN}${BASE}/instances`)).status).toBe(401);
    const auth = { headers: { authorization: `Bearer ${key}` } };
    const missing = await parent.request(`${ORIGIN}${BASE}/instances/nobody`, auth);
    expect(missing.status).toBe(404);
    expect(((await json(missing)) as { code: string }).code).toBe("InstanceNotFound");
    const wrong = await parent.request(`${ORIGIN}${BASE}/instances`, { ...auth, method: "PUT" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, DELETE, HEAD");
    const started = await parent.request(`${ORIGIN}/api/OrchestratorFunction_HttpStart`, auth);
    expect(started.status).toBe(202);
    expect(((await json(await parent.request(`${ORIGIN}/elsewhere`))) as { code: string }).code).toBe("NotFound");
  });
});
