/**
 * The entity routes over the memory runtime, with the samples' Counter and Account: the state
 * (`$` for the empty key, `metadata=true`), listing (filters, paging with the continuation
 * token), signals (JSON, text, no input), DELETE, unknown names, bad input, who may call, and a
 * burst of 1,000 signals over HTTP that all count.
 */
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../adapters/memory/index.ts";
import { samples } from "../../examples/index.ts";
import { createRuntime, entity, EntityId, ManualClock, orchestrator } from "../../src/index.ts";
import { createManagementApp } from "./app.ts";
import type { ManagementAppOptions, ManagementClient } from "./options.ts";
import { BASE, json, ORIGIN } from "./test-fixtures.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const KEY = "entities-management-key-0123456789";
const READER = "entities-read-only-key-0123456789";

/** Keeps what each operation received, to see how a body became an input. */
const echo = entity("Echo", (ctx) => {
  ctx.setState({ operation: ctx.operationName, hasInput: ctx.hasInput, input: ctx.getInput() ?? null });
});

/** Holds the lock of Account `held` until the event `go`. */
const holdsLock = orchestrator("HoldsLock", function* (ctx) {
  yield* ctx.lockEntities(new EntityId("Account", "held"));
  yield* ctx.waitForExternalEvent("go");
  return "released";
});

function setup(options: Partial<ManagementAppOptions> = {}) {
  const clock = new ManualClock();
  const warnings: string[] = [];
  const runtime = createRuntime({
    store: createMemoryStore(),
    clock,
    logger: { ...silent, warn: (...args: unknown[]) => warnings.push(args.map(String).join(" ")) },
    orchestrators: [...samples.orchestrators, holdsLock],
    activities: samples.activities,
    entities: [...samples.entities, echo],
  });
  const logged: unknown[][] = [];
  const app = createManagementApp({ client: runtime.client, access: "open", logger: { error: (...args) => logged.push(args) }, ...options });
  const request = (path: string, init?: RequestInit) => app.request(`${ORIGIN}${path}`, init);
  const signal = (name: string, key: string, op: string, init: RequestInit = {}) => request(`${BASE}/entities/${name}/${key}?op=${op}`, { method: "POST", ...init });
  return { app, runtime, clock, client: runtime.client, request, signal, logged, warnings };
}

const asJson = (body: unknown): RequestInit => ({ headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

async function expectError(res: Response, status: number, code: string, message?: string | RegExp): Promise<void> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(body)).toEqual(["code", "message"]);
  expect(body.code).toBe(code);
  if (message !== undefined) expect(body.message).toMatch(typeof message === "string" ? new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`) : message);
}

async function expectAccepted(res: Response): Promise<void> {
  expect(res.status, await res.clone().text()).toBe(202);
  expect(await res.text()).toBe("");
}

/** Every entity the store holds, stateless ones too (to prove a refused request stored nothing). */
async function entityCount(client: ManagementClient): Promise<number> {
  return (await client.listEntities({ includeDeleted: true, pageSize: 1000 })).entities.length;
}

describe("GET {base}/entities/{name}/{key}", () => {
  it("200 with the state as the body; 404 without state; names in any case", async () => {
    const ctx = setup();
    await expectAccepted(await ctx.signal("Counter", "c1", "add", asJson(5)));
    await expectAccepted(await ctx.signal("Counter", "c1", "add", asJson(2)));
    await ctx.runtime.drain();
    for (const name of ["Counter", "counter", "COUNTER"]) {
      const res = await ctx.request(`${BASE}/entities/${name}/c1`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await res.text()).toBe("7");
    }
    await expectError(await ctx.request(`${BASE}/entities/Counter/C1`), 404, "EntityNotFound", "Entity 'Counter' with key 'C1' has no state."); // keys are case-sensitive
    await expectError(await ctx.request(`${BASE}/entities/Counter/nobody`), 404, "EntityNotFound");
    await expectError(await ctx.request(`${BASE}/entities/NeverRegistered/x`), 404, "EntityNotFound");
    const head = await ctx.request(`${BASE}/entities/Counter/c1`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("the key $ is the empty key, for state, signals, DELETE and the listing", async () => {
    const ctx = setup();
    await expectAccepted(await ctx.signal("Counter", "$", "add", asJson(3)));
    await ctx.runtime.drain();
    expect(await ctx.client.readEntityState(new EntityId("Counter", ""))).toEqual({ entityExists: true, entityState: 3 });
    expect(await (await ctx.request(`${BASE}/entities/Counter/$`)).text()).toBe("3");
    expect(await (await ctx.request(`${BASE}/entities/Counter/%24`)).text()).toBe("3");
    const listed = (await json(await ctx.request(`${BASE}/entities/Counter`))) as { entityId: { key: string } }[];
    expect(listed.map((e) => e.entityId)).toEqual([{ name: "counter", key: "" }]);
    await expectAccepted(await ctx.request(`${BASE}/entities/Counter/$`, { method: "DELETE" }));
    await ctx.runtime.drain();
    await expectError(await ctx.request(`${BASE}/entities/Counter/$`), 404, "EntityNotFound");
  });

  it("metadata=true: its state, last operation, lock holder and backlog (404 only when nothing is stored)", async () => {
    const ctx = setup();
    ctx.clock.set(Date.parse("2026-03-01T10:00:00.000Z"));
    await expectAccepted(await ctx.signal("Account", "held", "deposit", asJson(50)));
    await ctx.runtime.drain();
    const id = await ctx.client.startNew(holdsLock);
    await ctx.runtime.drain();
    await expectAccepted(await ctx.signal("Account", "held", "deposit", asJson(5))); // waits behind the lock
    await ctx.runtime.drain();
    const metadata = async () => {
      const res = await ctx.request(`${BASE}/entities/Account/held?metadata=true`);
      expect(res.status).toBe(200);
      return json(res);
    };
    expect(await metadata()).toEqual({
      entityId: { name: "account", key: "held" },
      lastOperationTime: "2026-03-01T10:00:00.000Z",
      state: { balance: 50 },
      lastOperation: "deposit",
      entityExists: true,
      lockedBy: id,
      backlogQueueSize: 1,
    });
    expect(await (await ctx.request(`${BASE}/entities/Account/held`)).text()).toBe('{"balance":50}');
    await ctx.client.raiseEvent(id, "go");
    await ctx.runtime.drain();
    expect(await metadata()).toMatchObject({ state: { balance: 55 }, lockedBy: null, backlogQueueSize: 0 });
    await expectError(await ctx.request(`${BASE}/entities/Account/nobody?metadata=true`), 404, "EntityNotFound", "Nothing is stored for entity 'Account' with key 'nobody'.");
    await expectError(await ctx.request(`${BASE}/entities/Account/held?metadata=maybe`), 400, "InvalidArgument", /'metadata' must be true or false/);
  });
});

describe("GET {base}/entities[/{name}]", () => {
  async function seeded() {
    const ctx = setup();
    const at = (iso: string) => ctx.clock.set(Date.parse(iso));
    at("2026-01-01T00:00:00.000Z");
    for (const key of ["a", "b", "c"]) await ctx.signal("Counter", key, "add", asJson(1));
    await ctx.runtime.drain();
    at("2026-01-02T00:00:00.000Z");
    await ctx.signal("Account", "x", "deposit", asJson(10));
    await ctx.signal("Counter", "b", "add", asJson(1));
    await ctx.runtime.drain();
    at("2026-01-03T00:00:00.000Z");
    await ctx.signal("Counter", "c", "delete");
    await ctx.runtime.drain();
    return ctx;
  }
  const keys = (list: unknown) => (list as { entityId: { name: string; key: string } }[]).map((e) => `${e.entityId.name}/${e.entityId.key}`);

  it("200 with Durable Functions' fields (and a dashboard's), the state only with fetchState, and an empty continuation token", async () => {
    const ctx = await seeded();
    const res = await ctx.request(`${BASE}/entities`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-ms-continuation-token")).toBe("");
    const list = (await json(res)) as Record<string, unknown>[];
    expect(keys(list).sort()).toEqual(["account/x", "counter/a", "counter/b"]); // the deleted one is left out
    expect(list.find((e) => keys([e])[0] === "counter/b")).toEqual({
      entityId: { name: "counter", key: "b" },
      lastOperationTime: "2026-01-02T00:00:00.000Z",
      lastOperation: "add",
      entityExists: true,
      lockedBy: null,
      backlogQueueSize: 0,
    });
    const withState = (await json(await ctx.request(`${BASE}/entities?fetchState=true`))) as { entityId: { key: string }; state?: unknown }[];
    expect(Object.fromEntries(withState.map((e) => [e.entityId.key, e.state]))).toEqual({ a: 1, b: 2, x: { balance: 10 } });
    const withDeleted = (await json(await ctx.request(`${BASE}/entities?includeDeleted=true&fetchState=true`))) as Record<string, unknown>[];
    expect(withDeleted.find((e) => keys([e])[0] === "counter/c")).toEqual({
      entityId: { name: "counter", key: "c" },
      lastOperationTime: "2026-01-03T00:00:00.000Z",
      lastOperation: "delete",
      entityExists: false,
      lockedBy: null,
      backlogQueueSize: 0,
    });
  });

  it("filters by name (any case) and last operation time", async () => {
    const ctx = await seeded();
    const get = async (q: string) => keys(await json(await ctx.request(`${BASE}/entities${q}`))).sort();
    expect(await get("/Counter")).toEqual(["counter/a", "counter/b"]);
    expect(await get("/ACCOUNT")).toEqual(["account/x"]);
    expect(await get("/NoSuchEntity")).toEqual([]);
    expect(await get("?lastOperationTimeFrom=2026-01-02")).toEqual(["account/x", "counter/b"]);
    expect(await get("?lastOperationTimeTo=2026-01-01T12:00:00Z")).toEqual(["counter/a"]);
    expect(await get("/Counter?LASTOPERATIONTIMEFROM=2026-01-02T00:00:00Z&lastOperationTimeTo=2026-01-02T00:00:00Z")).toEqual(["counter/b"]);
  });

  it("pages with top and x-ms-continuation-token, every entity once", async () => {
    const ctx = setup();
    for (let i = 0; i < 7; i++) await ctx.signal("Counter", `k${i}`, "add", asJson(i));
    await ctx.signal("Account", "acc", "deposit", asJson(1));
    await ctx.runtime.drain();
    for (const [path, expected] of [
      [`${BASE}/entities/Counter?top=3`, 7],
      [`${BASE}/entities?top=3&fetchState=true`, 8],
    ] as const) {
      const pages: string[][] = [];
      let token: string | null = null;
      do {
        const res: Response = await ctx.request(path, token ? { headers: { "x-ms-continuation-token": token } } : {});
        expect(res.status).toBe(200);
        token = res.headers.get("x-ms-continuation-token");
        expect(token).not.toBeNull();
        const page = keys(await json(res));
        expect(page.length).toBeLessThanOrEqual(3);
        pages.push(page);
      } while (token);
      expect(pages.length).toBeGreaterThan(2);
      expect(new Set(pages.flat()).size).toBe(expected);
      expect(pages.flat()).toHaveLength(expected);
    }
  });

  it("400 for a bad name, value or token", async () => {
    const ctx = await seeded();
    await expectError(await ctx.request(`${BASE}/entities/a@b`), 400, "InvalidArgument", /must not contain '@'/);
    await expectError(await ctx.request(`${BASE}/entities/${"n".repeat(300)}`), 400, "InvalidArgument", "The entity name is 300 characters long; the limit is 256.");
    await expectError(await ctx.request(`${BASE}/entities?top=0`), 400, "InvalidArgument", /'top' must be an integer from 1 to 1000/);
    await expectError(await ctx.request(`${BASE}/entities?top=1001`), 400, "InvalidArgument");
    await expectError(await ctx.request(`${BASE}/entities?fetchState=yes`), 400, "InvalidArgument", /'fetchState' must be true or false/);
    await expectError(await ctx.request(`${BASE}/entities?lastOperationTimeFrom=yesterday`), 400, "InvalidArgument", /'lastOperationTimeFrom' must be an ISO 8601 date/);
    await expectError(await ctx.request(`${BASE}/entities`, { headers: { "x-ms-continuation-token": "garbage" } }), 400, "InvalidArgument", /continuation token is not valid/);
    await expectError(await ctx.request(`${BASE}/entities`, { method: "POST" }), 405, "MethodNotAllowed");
  });
});

describe("POST {base}/entities/{name}/{key}?op=", () => {
  it("202, no body: JSON with a JSON media type, the text as a string otherwise, no input when empty", async () => {
    const ctx = setup();
    const stateAfter = async (init: RequestInit) => {
      await expectAccepted(await ctx.signal("Echo", "e", "note", init));
      await ctx.runtime.drain();
      return json(await ctx.request(`${BASE}/entities/Echo/e`));
    };
    expect(await stateAfter(asJson({ a: [1, 2] }))).toEqual({ operation: "note", hasInput: true, input: { a: [1, 2] } });
    expect(await stateAfter({ headers: { "content-type": "application/vnd.thing+json; charset=utf-8" }, body: '"quoted"' })).toEqual({ operation: "note", hasInput: true, input: "quoted" });
    expect(await stateAfter({ headers: { "content-type": "text/plain" }, body: '{"not":"parsed"}' })).toEqual({ operation: "note", hasInput: true, input: '{"not":"parsed"}' });
    expect(await stateAfter({ body: "plain words ü" })).toEqual({ operation: "note", hasInput: true, input: "plain words ü" });
    expect(await stateAfter({})).toEqual({ operation: "note", hasInput: false, input: null });
    expect(await stateAfter({ headers: { "content-type": "application/json" }, body: "" })).toEqual({ operation: "note", hasInput: false, input: null });
    expect(await stateAfter({ headers: { "content-type": "text/plain" }, body: "" })).toEqual({ operation: "note", hasInput: false, input: null });
    expect(await stateAfter(asJson(null))).toEqual({ operation: "note", hasInput: true, input: null });
    // The op name as given; Counter runs it.
    await expectAccepted(await ctx.signal("counter", "n", "add", asJson(4)));
    await ctx.runtime.drain();
    expect(await ctx.client.readEntityState(new EntityId("Counter", "n"))).toEqual({ entityExists: true, entityState: 4 });
  });

  it("400 for bad JSON, text that is not UTF-8, a missing op, a bad name or key; nothing is stored", async () => {
    const ctx = setup();
    const bad = (init: RequestInit) => ctx.signal("Counter", "k", "add", init);
    await expectError(await bad({ headers: { "content-type": "application/json" }, body: "{" }), 400, "InvalidJson", /^Could not parse JSON content: /);
    await expectError(await bad({ headers: { "content-type": "application/json" }, body: "[".repeat(65) + "]".repeat(65) }), 400, "InvalidJson", "Could not parse JSON content: nested deeper than 64 levels.");
    await expectError(await bad({ headers: { "content-type": "application/json" }, body: new Uint8Array([0x22, 0xff, 0x22]) }), 400, "InvalidJson", /^Invalid JSON content: the body is not valid UTF-8\.$/);
    await expectError(await bad({ headers: { "content-type": "text/plain" }, body: new Uint8Array([0x61, 0xc3]) }), 400, "InvalidInput", "The body is not valid UTF-8 text.");
    await expectError(await ctx.request(`${BASE}/entities/Counter/k`, { method: "POST", ...asJson(1) }), 400, "InvalidArgument", "Query parameter 'op' is required: the operation to signal, e.g. ?op=add.");
    await expectError(await ctx.request(`${BASE}/entities/Counter/k?op=`, { method: "POST" }), 400, "InvalidArgument", "The operation name must not be empty.");
    await expectError(await ctx.request(`${BASE}/entities/Counter/k?op=a%01b`, { method: "POST" }), 400, "InvalidArgument", /control characters/);
    await expectError(await ctx.request(`${BASE}/entities/Counter/k?op=${"o".repeat(300)}`, { method: "POST" }), 400, "InvalidArgument", /limit is 256/);
    for (const [key, problem] of [
      ["a%2Fb", /must not contain '\/'/],
      ["a%5Cb", /must not contain '\\'/],
      ["a%23b", /must not contain '#'/],
      ["a%3Fb", /must not contain '\?'/],
      ["a%00b", /control characters/],
      ["a%0Ab", /control characters/],
      ["a%C2%85b", /control characters/],
      ["k".repeat(300), /The entity key is 300 characters long; the limit is 256\./],
      ["k".repeat(250), /longer than 256 characters/], // the id @counter@kkk… is
    ] as const) {
      await expectError(await ctx.signal("Counter", key, "add", asJson(1)), 400, "InvalidArgument", problem);
    }
    for (const [name, problem] of [
      ["a@b", /must not contain '@'/],
      ["a%2Fb", /must not contain '\/'/],
      ["%01", /control characters/],
      ["%20", /non-empty name/],
    ] as const) {
      await expectError(await ctx.signal(name, "k", "add", asJson(1)), 400, "InvalidArgument", problem);
      await expectError(await ctx.request(`${BASE}/entities/${name}/k`, { method: "DELETE" }), 400, "InvalidArgument", problem);
      await expectError(await ctx.request(`${BASE}/entities/${name}/k`), 400, "InvalidArgument", problem);
    }
    await ctx.runtime.drain();
    expect(await entityCount(ctx.client)).toBe(0);
    expect(ctx.logged).toEqual([]);
  });

  it("404 for a name no registered entity has (the message lists them); accepted when the client cannot tell", async () => {
    const ctx = setup();
    await expectError(await ctx.signal("Countr", "k", "add", asJson(1)), 404, "UnknownEntity", "No entity named 'Countr' is registered. Registered: Counter, Account, Echo.");
    await expectError(await ctx.request(`${BASE}/entities/Countr/k`, { method: "DELETE" }), 404, "UnknownEntity");
    await ctx.runtime.drain();
    expect(await entityCount(ctx.client)).toBe(0);
    // A client without entityNames (or one that cannot tell): the signal is sent, as Durable Functions' client does.
    const real = ctx.client;
    for (const [key, entityNames] of [["k1", undefined], ["k2", () => undefined]] as const) {
      const blind: ManagementClient = new Proxy(real, {
        get(target, prop) {
          if (prop === "entityNames") return entityNames;
          const value = Reflect.get(target, prop) as unknown;
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      const app = createManagementApp({ client: blind, access: "open" });
      await expectAccepted(await app.request(`${ORIGIN}${BASE}/entities/Countr/${key}?op=add`, { method: "POST", ...asJson(1) }));
      await expectAccepted(await app.request(`${ORIGIN}${BASE}/entities/Countr/${key}`, { method: "DELETE" }));
    }
    await ctx.runtime.drain();
    // Both reached the runtime, which drops them (no such entity is registered) and says so.
    for (const key of ["k1", "k2"]) {
      for (const op of ["add", "delete"]) expect(ctx.warnings.filter((w) => w.includes(`signal '${op}' to '@countr@${key}' dropped`))).toHaveLength(1);
    }
    expect(ctx.warnings).toHaveLength(4);
  });

  it("413 above maxBodyBytes, with or without Content-Length", async () => {
    const ctx = setup({ maxBodyBytes: 100 });
    await expectError(await ctx.signal("Echo", "big", "note", asJson("x".repeat(200))), 413, "PayloadTooLarge", "The request body is larger than the limit of 100 bytes.");
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("y".repeat(150)));
        controller.close();
      },
    });
    await expectError(await ctx.signal("Echo", "big", "note", { body: stream, duplex: "half" } as RequestInit), 413, "PayloadTooLarge");
    await expectAccepted(await ctx.signal("Echo", "small", "note", asJson("x".repeat(50))));
    await ctx.runtime.drain();
    expect(await entityCount(ctx.client)).toBe(1);
  });

  it("a burst of 1,000 signals over HTTP: every one counts", async () => {
    const ctx = setup();
    const answers = await Promise.all(Array.from({ length: 1000 }, () => ctx.signal("Counter", "burst", "add", asJson(1))));
    expect(answers.map((res) => res.status)).toEqual(Array.from({ length: 1000 }, () => 202));
    await ctx.runtime.drain();
    const res = await ctx.request(`${BASE}/entities/Counter/burst`);
    expect(res.status).toBe(200);
    expect(await json(res)).toBe(1000);
    expect((await json(await ctx.request(`${BASE}/entities/Counter/burst?metadata=true`))) as Record<string, unknown>).toMatchObject({ backlogQueueSize: 0, lockedBy: null });
  });
});

describe("DELETE {base}/entities/{name}/{key}", () => {
  it("signals 'delete': 202, then the state is gone (for a function- and a class-style entity)", async () => {
    const ctx = setup();
    await ctx.signal("Counter", "d", "add", asJson(9));
    await ctx.signal("Account", "d", "deposit", asJson(9));
    await ctx.runtime.drain();
    for (const name of ["Counter", "Account"]) {
      await expectAccepted(await ctx.request(`${BASE}/entities/${name}/d`, { method: "DELETE" }));
      await ctx.runtime.drain();
      await expectError(await ctx.request(`${BASE}/entities/${name}/d`), 404, "EntityNotFound");
      expect(await ctx.client.getEntity(new EntityId(name, "d"))).toMatchObject({ entityExists: false, lastOperation: "delete" });
    }
    // Deleting what does not exist is still just a signal.
    await expectAccepted(await ctx.request(`${BASE}/entities/Counter/never`, { method: "DELETE" }));
    await expectError(await ctx.request(`${BASE}/entities/Counter/d`, { method: "PUT" }), 405, "MethodNotAllowed");
  });
});

describe("who may call the entity routes", () => {
  it("the read-only key reads state and lists but may not signal or delete; no key is a 401", async () => {
    const ctx = setup({ access: "key", getKey: () => KEY, getReadOnlyKey: () => READER });
    const as = (key: string) => ({ authorization: `Bearer ${key}` });
    await expectAccepted(await ctx.signal("Counter", "r", "add", { headers: { ...as(KEY), "content-type": "application/json" }, body: "2" }));
    await ctx.runtime.drain();
    expect(await (await ctx.request(`${BASE}/entities/Counter/r`, { headers: as(READER) })).text()).toBe("2");
    expect((await ctx.request(`${BASE}/entities`, { headers: { "x-functions-key": READER } })).status).toBe(200);
    expect((await ctx.request(`${BASE}/entities/Counter?fetchState=true`, { headers: as(READER) })).status).toBe(200);
    expect((await ctx.request(`${BASE}/entities/Counter/r?metadata=true`, { headers: as(READER) })).status).toBe(200);
    await expectError(await ctx.signal("Counter", "r", "add", { headers: { ...as(READER), "content-type": "application/json" }, body: "1" }), 403, "Forbidden", /read-only key/);
    await expectError(await ctx.request(`${BASE}/entities/Counter/r`, { method: "DELETE", headers: as(READER) }), 403, "Forbidden", /read-only key/);
    for (const [method, path] of [
      ["GET", `${BASE}/entities`],
      ["GET", `${BASE}/entities/Counter`],
      ["GET", `${BASE}/entities/Counter/r`],
      ["POST", `${BASE}/entities/Counter/r?op=add`],
      ["DELETE", `${BASE}/entities/Counter/r`],
    ] as const) {
      const res = await ctx.request(path, { method });
      await expectError(res, 401, "Unauthorized");
    }
    // No signed URL reaches them.
    await expectError(await ctx.request(`${BASE}/entities/Counter/r?exp=9999999999&sig=abc`), 401, "Unauthorized", /signed URL allows one operation on one instance/);
    await ctx.runtime.drain();
    expect(await ctx.client.readEntityState(new EntityId("Counter", "r"))).toEqual({ entityExists: true, entityState: 2 });
  });

  it("a text body from another site's page is refused (the cross-site check), one from the API's own origin or an allowed one is not", async () => {
    const ctx = setup({ cors: ["https://dash.example"] });
    const text = (origin: string, site: string): RequestInit => ({ headers: { "content-type": "text/plain", origin, "sec-fetch-site": site }, body: "1" });
    await expectError(await ctx.signal("Echo", "x", "note", text("https://evil.example", "cross-site")), 403, "Forbidden", /Cross-site requests/);
    await expectError(await ctx.request(`${BASE}/entities/Echo/x`, { method: "DELETE", headers: { origin: "https://evil.example" } }), 403, "Forbidden");
    expect(await entityCount(ctx.client)).toBe(0);
    await expectAccepted(await ctx.signal("Echo", "x", "note", text(ORIGIN, "same-origin")));
    await expectAccepted(await ctx.signal("Echo", "y", "note", text("https://dash.example", "cross-site")));
    await ctx.runtime.drain();
    expect(await entityCount(ctx.client)).toBe(2);
  });

  it("without a key, only local requests (the default)", async () => {
    const ctx = setup({ access: undefined });
    await expectError(await ctx.signal("Counter", "l", "add", asJson(1)), 403, "Forbidden", /only local requests/);
    expect((await ctx.app.request(`http://127.0.0.1${BASE}/entities/Counter/l?op=add`, { method: "POST", ...asJson(1) })).status).toBe(202);
    await ctx.runtime.drain();
    expect(await ctx.client.readEntityState(new EntityId("Counter", "l"))).toEqual({ entityExists: true, entityState: 1 });
  });
});
