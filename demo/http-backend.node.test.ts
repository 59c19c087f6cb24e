/**
 * The HTTP backend against a fake fetch: time travel (the Worker's `…/instances/{id}/timetravel`
 * route) and the entity routes (`GET {base}/entities[/{name}]`, `GET|POST|DELETE
 * {base}/entities/{name}/{key}`), with the key as every call sends it; what the Worker registers
 * (`GET {base}/functions`, over the real management app too) and the fallback to the page's
 * samples where it cannot tell (404, 501); starts with and without an instance id.
 */
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../adapters/memory/index.ts";
import { samples } from "../examples/index.ts";
import { createRuntime, DurableClient, ManualClock, orchestrator, Registry } from "../src/index.ts";
import { createManagementApp } from "../worker/http/app.ts";
import { createHttpBackend, type HttpBackendOptions } from "./src/http-backend.ts";

describe("http backend, time travel", () => {
  it("reads GET {base}/instances/{id}/timetravel with the management key and returns its frames", async () => {
    const calls: { url: string; init: RequestInit | undefined }[] = [];
    const body = { instanceId: "a b", name: "Hello", frames: [{ eventIndex: 0, eventType: "OrchestratorStarted" }], logs: [] };
    const backend = createHttpBackend({
      key: () => "secret",
      fetch: async (input, init) => {
        calls.push({ url: String(input), init });
        return new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json" } });
      },
    });
    expect(await backend.timeTravel("a b")).toEqual(body);
    expect(calls.map((c) => [c.init?.method, c.url])).toEqual([["GET", "/runtime/webhooks/durabletask/instances/a%20b/timetravel"]]);
    expect((calls[0]!.init?.headers as Record<string, string>)["x-functions-key"]).toBe("secret");
  });

  it("passes the API's error on (a client that cannot replay answers 501)", async () => {
    const backend = createHttpBackend({
      fetch: async () => new Response(JSON.stringify({ code: "NotImplemented", message: "no replay here" }), { status: 501, headers: { "content-type": "application/json" } }),
    });
    await expect(backend.timeTravel("x")).rejects.toMatchObject({ code: "NotImplemented", status: 501, message: "no replay here" });
  });
});

/** A fake Worker: records each request, answers from `reply`. */
function fakeWorker(reply: (method: string, url: URL, init: RequestInit | undefined) => Response) {
  return fakeWorkerWith({}, reply);
}

function fakeWorkerWith(options: HttpBackendOptions, reply: (method: string, url: URL, init: RequestInit | undefined) => Response) {
  const calls: { method: string; url: string; headers: Record<string, string>; body: string | undefined }[] = [];
  const unauthorized: number[] = [];
  const backend = createHttpBackend({
    ...options,
    key: () => "secret-key-0123456789",
    onUnauthorized: () => unauthorized.push(1),
    fetch: async (input, init) => {
      const url = new URL(String(input), "http://worker.test");
      calls.push({ method: init?.method ?? "GET", url: `${url.pathname}${url.search}`, headers: (init?.headers ?? {}) as Record<string, string>, body: init?.body as string | undefined });
      return reply(init?.method ?? "GET", url, init);
    },
  });
  return { backend, calls, unauthorized };
}
const json = (body: unknown, status = 200, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
const BASE = "/runtime/webhooks/durabletask";

describe("http backend, entities", () => {
  it("lists GET {base}/entities with the state, paged by the continuation header both ways, the key sent", async () => {
    const pages: Record<string, Response> = {};
    const { backend, calls } = fakeWorker((_m, _url, init) => {
      const token = (init?.headers as Record<string, string>)["x-ms-continuation-token"];
      if (!token) {
        return json([
          { entityId: { name: "counter", key: "c1" }, lastOperationTime: "2026-12-01T10:00:00.000Z", state: 5, lastOperation: "add", entityExists: true, lockedBy: null, backlogQueueSize: 0 },
          // Deleted and idle: the Worker lists it (includeDeleted), the page leaves it out.
          { entityId: { name: "counter", key: "gone" }, lastOperationTime: "2026-12-01T10:00:00.000Z", lastOperation: "delete", entityExists: false, lockedBy: null, backlogQueueSize: 0 },
        ], 200, { "x-ms-continuation-token": "page-2" });
      }
      return pages[token] ?? json([{ entityId: { name: "account", key: "bob" }, lastOperationTime: null, lastOperation: null, entityExists: false, lockedBy: "holder-1", backlogQueueSize: 1 }], 200, { "x-ms-continuation-token": "" });
    });
    const first = await backend.listEntities({ name: "", pageSize: 1000 }, null);
    expect(first.continuationToken).toBe("page-2");
    expect(first.entities).toEqual([
      { instanceId: "@counter@c1", name: "counter", key: "c1", exists: true, state: 5, lastOperation: "add", lastOperationTime: "2026-12-01T10:00:00.000Z", lockedBy: null, backlog: 0 },
    ]);
    const second = await backend.listEntities({ name: "", pageSize: 1000 }, "page-2");
    expect(second.continuationToken).toBeNull();
    expect(second.entities.map((e) => [e.instanceId, e.exists, e.lockedBy, e.backlog])).toEqual([["@account@bob", false, "holder-1", 1]]);
    expect(calls.map((c) => [c.method, c.url, c.headers["x-ms-continuation-token"] ?? null])).toEqual([
      ["GET", `${BASE}/entities?fetchState=true&includeDeleted=true&top=1000`, null],
      ["GET", `${BASE}/entities?fetchState=true&includeDeleted=true&top=1000`, "page-2"],
    ]);
    expect(calls.every((c) => c.headers["x-functions-key"] === "secret-key-0123456789")).toBe(true);
    // By name: the API's own filter.
    await backend.listEntities({ name: "Counter", pageSize: 10 }, null);
    expect(calls.at(-1)!.url).toBe(`${BASE}/entities/Counter?fetchState=true&includeDeleted=true&top=10`);
  });

  it("reads one entity from GET {base}/entities/{name}/{key}?metadata=true (404: none); a Worker without metadata gives the state alone", async () => {
    const { backend, calls } = fakeWorker((_m, url) => {
      if (url.pathname === `${BASE}/entities/Account/alice`) return json({ entityId: { name: "account", key: "alice" }, lastOperationTime: "2026-12-01T10:00:00.000Z", state: { balance: 70 }, lastOperation: "withdraw", entityExists: true, lockedBy: "t1", backlogQueueSize: 2 });
      // Deleted, idle: stored, but nothing to show.
      if (url.pathname === `${BASE}/entities/Account/gone`) return json({ entityId: { name: "account", key: "gone" }, lastOperationTime: "2026-12-01T10:00:00.000Z", lastOperation: "delete", entityExists: false, lockedBy: null, backlogQueueSize: 0 });
      if (url.pathname === `${BASE}/entities/Counter/%24weird`) return json(12); // an older Worker: the state only
      return json({ code: "EntityNotFound", message: "Nothing is stored for entity 'Counter' with key 'none'." }, 404);
    });
    expect(await backend.getEntity("Account", "alice")).toEqual({ instanceId: "@account@alice", name: "account", key: "alice", exists: true, state: { balance: 70 }, lastOperation: "withdraw", lastOperationTime: "2026-12-01T10:00:00.000Z", lockedBy: "t1", backlog: 2 });
    expect(await backend.getEntity("Account", "gone")).toBeUndefined();
    expect(await backend.getEntity("Counter", "none")).toBeUndefined();
    expect(await backend.getEntity("Counter", "$weird")).toEqual({ instanceId: "@counter@$weird", name: "counter", key: "$weird", exists: true, state: 12, lastOperation: null, lastOperationTime: null, lockedBy: null, backlog: 0 });
    expect(calls.map((c) => c.url)).toEqual([
      `${BASE}/entities/Account/alice?metadata=true`,
      `${BASE}/entities/Account/gone?metadata=true`,
      `${BASE}/entities/Counter/none?metadata=true`,
      `${BASE}/entities/Counter/%24weird?metadata=true`,
    ]);
  });

  it("signals POST {base}/entities/{name}/{key}?op= with the input as JSON (none: no body), deletes with DELETE, the empty key as $", async () => {
    const { backend, calls } = fakeWorker(() => new Response(null, { status: 202 }));
    await backend.signalEntity("Counter", "c 1", "add", 5);
    await backend.signalEntity("Counter", "c1", "reset", undefined);
    await backend.signalEntity("Counter", "", "add", null);
    await backend.deleteEntity("Account", "alice");
    expect(calls.map((c) => [c.method, c.url, c.body ?? null, c.headers["content-type"] ?? null])).toEqual([
      ["POST", `${BASE}/entities/Counter/c%201?op=add`, "5", "application/json"],
      ["POST", `${BASE}/entities/Counter/c1?op=reset`, null, null],
      ["POST", `${BASE}/entities/Counter/$?op=add`, "null", "application/json"],
      ["DELETE", `${BASE}/entities/Account/alice`, null, null],
    ]);
  });

  it("refuses a bad name, key or operation before sending anything, and passes the API's errors on", async () => {
    const { backend, calls, unauthorized } = fakeWorker((method) =>
      method === "DELETE"
        ? json({ code: "Unauthorized", message: "A management key is required." }, 401)
        : json({ code: "UnknownEntity", message: "No entity named 'Thermostat' is registered. Registered: Counter, Account." }, 404),
    );
    await expect(backend.signalEntity("Counter", "a/b", "add", 1)).rejects.toMatchObject({ code: "InvalidArgument", message: expect.stringContaining("must not contain '/'") });
    await expect(backend.signalEntity("Coun@ter", "a", "add", 1)).rejects.toMatchObject({ code: "InvalidArgument" });
    await expect(backend.signalEntity("Counter", "a", " ", 1)).rejects.toMatchObject({ code: "InvalidArgument", message: "Give the operation a name, e.g. add." });
    expect(calls).toEqual([]);
    await expect(backend.signalEntity("Thermostat", "t", "set", 20)).rejects.toMatchObject({ code: "UnknownEntity", status: 404, message: expect.stringContaining("Registered: Counter, Account.") });
    await expect(backend.deleteEntity("Counter", "c1")).rejects.toMatchObject({ code: "Unauthorized", status: 401 });
    expect(unauthorized).toEqual([1]);
  });

  it("says a Worker has no entity routes when they answer 404 NotFound, rather than that the entity is missing", async () => {
    const { backend } = fakeWorker((method, url) => json({ code: "NotFound", message: `No route matches ${method} ${url.pathname}.` }, 404));
    await expect(backend.listEntities({ name: "", pageSize: 10 }, null)).rejects.toMatchObject({ code: "NoEntityRoutes", status: 404, message: expect.stringContaining("serves no entity routes") });
    await expect(backend.getEntity("Counter", "c1")).rejects.toMatchObject({ code: "NoEntityRoutes" });
    await expect(backend.signalEntity("Counter", "c1", "add", 1)).rejects.toMatchObject({ code: "NoEntityRoutes" });
  });
});

describe("http backend, what the Worker registers (GET {base}/functions)", () => {
  const known = new Registry(samples.orchestrators, samples.activities, samples.entities).registered();
  /** The backend over a management app (the router the Worker serves), as the page's fetch would reach it. */
  const over = (app: { request(input: string, init?: RequestInit): Response | Promise<Response> }, calls: string[] = []) =>
    createHttpBackend({
      baseUrl: "http://127.0.0.1",
      fallbackFunctions: known,
      fetch: async (input, init) => {
        calls.push(`${init?.method ?? "GET"} ${new URL(String(input)).pathname}`);
        return app.request(String(input), init);
      },
    });

  it("lists the Worker's own orchestrators, activities and entities, as its client's registered() has them", async () => {
    const extra = orchestrator("OnlyOnThisWorker", function* () {
      return 1;
    });
    const runtime = createRuntime({ store: createMemoryStore(), clock: new ManualClock(), orchestrators: [...samples.orchestrators, extra], activities: samples.activities, entities: samples.entities });
    const calls: string[] = [];
    const backend = over(createManagementApp({ client: runtime.client, access: "open" }), calls);
    const found = await backend.registered();
    expect(found).toEqual({ ...runtime.client.registered(), fallback: null });
    expect(found.orchestrators.map((o) => o.name)).toContain("OnlyOnThisWorker");
    expect(calls).toEqual([`GET ${BASE}/functions`]);
  });

  it("falls back to the functions the page knows, and says why, where the Worker cannot tell (501) or has no such route (404)", async () => {
    // 501: a client without a registry, from the real route.
    const bare = over(createManagementApp({ client: new DurableClient({ store: createMemoryStore(), clock: new ManualClock() }), access: "open" }));
    const unregistered = await bare.registered();
    expect({ ...unregistered, fallback: null }).toEqual({ ...known, fallback: null });
    expect(unregistered.fallback).toBe(`This Worker does not say what it registers (GET ${BASE}/functions answered 501 NotImplemented), so the page offers the samples it knows; the Worker may register others.`);

    // 404: an older Worker, whose API namespace answers JSON 404 NotFound for a route it lacks.
    const { backend: older, calls } = fakeWorkerWith({ fallbackFunctions: known }, (method, url) => json({ code: "NotFound", message: `No route matches ${method} ${url.pathname}.` }, 404));
    const listed = await older.registered();
    expect(listed.orchestrators).toEqual(known.orchestrators);
    expect(listed.entities).toEqual([{ name: "Counter" }, { name: "Account" }]);
    expect(listed.fallback).toContain("answered 404 NotFound");
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([`GET ${BASE}/functions`]);

    // Given nothing to fall back on, it offers nothing rather than guessing.
    const { backend: plain } = fakeWorker(() => json({ code: "NotFound", message: "no" }, 404));
    expect(await plain.registered()).toMatchObject({ orchestrators: [], activities: [], entities: [], fallback: expect.stringContaining("404") });
  });

  it("passes other answers on: 401 asks for the key, a body of another shape is BadResponse", async () => {
    const { backend, unauthorized } = fakeWorker(() => json({ code: "Unauthorized", message: "A management key is required." }, 401));
    await expect(backend.registered()).rejects.toMatchObject({ code: "Unauthorized", status: 401 });
    expect(unauthorized).toEqual([1]);
    const { backend: odd } = fakeWorker(() => json({ orchestrators: ["Hello"], activities: [], entities: [] }));
    await expect(odd.registered()).rejects.toMatchObject({ code: "BadResponse" });
  });

  it("starts with an instance id as POST {base}/orchestrators/{name}/{instanceId}, without one as POST {base}/orchestrators/{name}", async () => {
    const { backend, calls } = fakeWorker((_m, url) => json({ id: decodeURIComponent(url.pathname.split("/")[6] ?? "generated") }, 202));
    expect(await backend.start("FanOutFanIn", { count: 2 }, "my order 1")).toBe("my order 1");
    expect(await backend.start("FanOutFanIn", null)).toBe("generated");
    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ["POST", `${BASE}/orchestrators/FanOutFanIn/my%20order%201`, '{"count":2}'],
      ["POST", `${BASE}/orchestrators/FanOutFanIn`, "null"],
    ]);
  });
});
