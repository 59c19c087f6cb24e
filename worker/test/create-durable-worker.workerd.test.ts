/**
 * `createDurableWorker`: a Worker built from a user's own orchestrations runs them end to end (the
 * test Worker's InstanceObject and ActivityRunner know `OrderFlow`, which no sample has); its
 * `client(env)` starts and reads instances; its `app` mounts in a parent Hono app; options are
 * checked at once, with a `TypeError` that names the option.
 */
import { createExecutionContext, env } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { DurableError, entity } from "../../src/index.ts";
import { account, counter, helloSequence, sayHello } from "../../examples/index.ts";
import { resolveConfig } from "../config.ts";
import { createDurableWorker, type DurableWorkerOptions } from "../index.ts";
import { BASE, call, finished, ORIGIN, pollUntil, startOrchestration, type CheckStatus, type Status } from "./helpers.ts";

const KEY = "the-management-key-of-this-test0";
import { charge, orderFlow, reserve, type Order } from "./test-orchestrations.ts";
import { edge } from "./test-worker.ts";

const order: Order = { sku: "tea", quantity: 3, cents: 450 };
const expected = { reservation: "res-tea-3", charged: 1350 };
const json = (body: unknown): RequestInit => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("a Worker built by createDurableWorker", () => {
  it("runs the user's own orchestrations end to end: the generic starter, its objects, its activity runner", async () => {
    const started = await startOrchestration("OrderFlow", order);
    const done = await pollUntil(started.statusQueryGetUri, finished);
    expect(done).toMatchObject({ name: "OrderFlow", runtimeStatus: "Completed", input: order, output: expected });
    // Starters are the options': the tutorial's fixed starter is there because the test Worker asks for it.
    const tutorial = await call("/api/OrchestratorFunction_HttpStart", { method: "POST" });
    expect(tutorial.status).toBe(202);
    await tutorial.body?.cancel();
  });

  it("edge.client(env) starts and reads instances, one client per env", async () => {
    const client = edge.client(env);
    expect(edge.client(env)).toBe(client);
    const id = await client.startNew(orderFlow, { instanceId: `client-${crypto.randomUUID()}`, input: order });
    const done = await client.waitForCompletion(id, { timeoutMs: 20_000, pollIntervalMs: 20 });
    expect(done).toMatchObject({ instanceId: id, runtimeStatus: "Completed", output: expected });
    expect(await client.getStatus(id)).toMatchObject({ name: "OrderFlow", runtimeStatus: "Completed" });
    // The same instance over HTTP: the client and the API share the objects.
    const overHttp = (await (await call(`${BASE}/instances/${id}`)).json()) as Status;
    expect(overHttp.output).toEqual(expected);
  });

  it("knows only its own orchestrators: another Worker's client refuses OrderFlow", async () => {
    const other = createDurableWorker({ orchestrators: [helloSequence], activities: [sayHello] });
    const refused = await other.client(env).startNew("OrderFlow").then(
      () => null,
      (error: unknown) => error,
    );
    expect(DurableError.is(refused, "UnknownOrchestrator")).toBe(true);
    expect((refused as Error).message).toContain("OrchestratorFunction");
  });

  it("edge.app mounts in the user's Hono app with the user's middleware and routes", async () => {
    const parent = new Hono<{ Bindings: typeof env }>();
    parent.use(async (c, next) => {
      await next();
      c.res.headers.set("x-parent", "seen");
    });
    parent.get("/hello", (c) => c.text("hello from the parent"));
    parent.route("/", edge.app);
    const send = (path: string, init?: RequestInit) => parent.fetch(new Request(path.startsWith("http") ? path : `${ORIGIN}${path}`, init), env, createExecutionContext());

    const hello = await send("/hello");
    expect(await hello.text()).toBe("hello from the parent");
    const started = await send("/api/orchestrators/OrderFlow", json(order));
    expect(started.status).toBe(202);
    expect(started.headers.get("x-parent")).toBe("seen");
    const { statusQueryGetUri } = (await started.json()) as CheckStatus;
    expect(statusQueryGetUri.startsWith(`${BASE}/instances/`)).toBe(true);
    let status: Status | undefined;
    for (let i = 0; i < 400 && status?.runtimeStatus !== "Completed"; i++) {
      const response = await send(statusQueryGetUri);
      status = (await response.json()) as Status;
      if (status.runtimeStatus !== "Completed") await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toMatchObject({ runtimeStatus: "Completed", output: expected });
    // The app's errors keep their JSON shape under the parent.
    const missing = await send(`${BASE}/instances/no-such-instance`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: "InstanceNotFound" });
  });

  it("a management key guards only the app's routes when mounted, not the parent's", async () => {
    const keyed = createDurableWorker({ ...threeDefinitions(), managementKey: () => KEY, basePath: "/durable" });
    const parent = new Hono();
    parent.get("/public", (c) => c.text("open"));
    parent.route("/", keyed.app);
    const send = (path: string, init: RequestInit = {}) => parent.fetch(new Request(`${ORIGIN}${path}`, init), env, createExecutionContext());
    expect(await (await send("/public")).text()).toBe("open");
    expect((await send("/durable/instances")).status).toBe(401);
    const listed = await send("/durable/instances", { headers: { authorization: `Bearer ${KEY}` } });
    expect(listed.status).toBe(200);
    await listed.body?.cancel();
    // basePath moved the API: the default path is no route of this app.
    expect((await send("/runtime/webhooks/durabletask/instances", { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(404);
  });

  it("reads bindings under the names the options give", async () => {
    const renamedEnv = { ORDERS: env.INSTANCES, ORDERS_INDEX: env.INDEX, INSTANCE_PARTITIONS: env.INSTANCE_PARTITIONS, INDEX_SHARDS: env.INDEX_SHARDS };
    const renamed = createDurableWorker<typeof renamedEnv>({ orchestrators: [orderFlow], activities: [reserve, charge], bindings: { instances: "ORDERS", index: "ORDERS_INDEX" } });
    // No key, default access: local requests only (a localhost URL, no CF-Connecting-IP).
    const response = await renamed.fetch(new Request(`http://localhost/runtime/webhooks/durabletask/orchestrators/OrderFlow`, json(order)), renamedEnv, createExecutionContext());
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as CheckStatus;
    const done = await renamed.client(renamedEnv).waitForCompletion(id, { timeoutMs: 20_000, pollIntervalMs: 20 });
    expect(done.output).toEqual(expected);
  });

  it("options win over [vars], which are the fallback", () => {
    const fromVars = resolveConfig(threeDefinitions()).settings(env);
    expect(fromVars).toMatchObject({ partitions: 32, shards: 8, leaseMs: 300_000, timeoutMs: 1_800_000 });
    const fromOptions = resolveConfig({ ...threeDefinitions(), partitions: 0, indexShards: 3, activityLeaseSeconds: 10, activityTimeoutSeconds: 60 }).settings(env);
    expect(fromOptions).toMatchObject({ partitions: 0, shards: 3, leaseMs: 10_000, timeoutMs: 60_000 });
    const vars = { ...env, INSTANCE_PARTITIONS: "4", INDEX_SHARDS: "2", ACTIVITY_LEASE_SECONDS: "30", ACTIVITY_TIMEOUT_SECONDS: "90" };
    expect(resolveConfig(threeDefinitions()).settings(vars)).toMatchObject({ partitions: 4, shards: 2, leaseMs: 30_000, timeoutMs: 90_000 });
  });
});

describe("createDurableWorker checks its options at once", () => {
  const cases: [string, unknown, RegExp][] = [
    ["no options", undefined, /createDurableWorker needs options/],
    ["no orchestrators", {}, /orchestrators must be an array of orchestrator definitions/],
    ["empty orchestrators", { orchestrators: [] }, /orchestrators must hold at least one orchestrator definition/],
    ["an activity among the orchestrators", { orchestrators: [reserve] }, /orchestrators\[0\] is not an orchestrator definition/],
    ["a plain function as an activity", { orchestrators: [orderFlow], activities: [() => 1] }, /activities\[0\] is not an activity definition/],
    ["an unknown option", { ...threeDefinitions(), partition: 4 }, /unknown option 'partition'/],
    ["entities that are not an array", { ...threeDefinitions(), entities: counter }, /entities must be an array of entity definitions/],
    ["an orchestrator among the entities", { ...threeDefinitions(), entities: [counter, orderFlow] }, /entities\[1\] is not an entity definition; build it with entity\("Name"/],
    ["two entities under one name", { ...threeDefinitions(), entities: [counter, entity("counter", () => 0)] }, /createDurableWorker: Two different entities are registered under the name 'counter'/],
    ["entityOperations that are not an object", { ...threeDefinitions(), entityOperations: 100 }, /entityOperations must be \{ maxBatchSize\?, timeoutMs\? \}/],
    ["an unknown entity operation option", { ...threeDefinitions(), entityOperations: { batchSize: 10 } }, /unknown option 'entityOperations\.batchSize'/],
    ["an entity batch size of 0", { ...threeDefinitions(), entityOperations: { maxBatchSize: 0 } }, /entityOperations\.maxBatchSize must be a whole number of operations, at least 1, got 0/],
    ["a fractional entity batch size", { ...threeDefinitions(), entityOperations: { maxBatchSize: 2.5 } }, /entityOperations\.maxBatchSize must be a whole number/],
    ["an entity operation timeout as a string", { ...threeDefinitions(), entityOperations: { timeoutMs: "10s" } }, /entityOperations\.timeoutMs must be a number of milliseconds from 1 to 2147483647, got "10s"/],
    ["an entity operation timeout beyond a timer's reach", { ...threeDefinitions(), entityOperations: { timeoutMs: 2 ** 31 } }, /entityOperations\.timeoutMs must be a number of milliseconds from 1/],
    ["partitions out of range", { ...threeDefinitions(), partitions: 5000 }, /partitions must be an integer from 0 to 4096/],
    ["partitions as a string", { ...threeDefinitions(), partitions: "32" }, /partitions must be an integer/],
    ["no index shards", { ...threeDefinitions(), indexShards: 0 }, /indexShards must be an integer from 1 to 256/],
    ["a lease shorter than 3 s", { ...threeDefinitions(), activityLeaseSeconds: 1 }, /activityLeaseSeconds must be a number of seconds, at least 3/],
    ["a timeout of 0", { ...threeDefinitions(), activityTimeoutSeconds: 0 }, /activityTimeoutSeconds must be a number of seconds, at least 1/],
    ["a key that is not a function", { ...threeDefinitions(), managementKey: "secret" }, /managementKey must be a function of the env/],
    ["a base path without a slash", { ...threeDefinitions(), basePath: "durable" }, /basePath must be a path starting with '\/'/],
    ["a previous key that is not a function", { ...threeDefinitions(), previousManagementKey: "old" }, /previousManagementKey must be a function of the env/],
    ["a read-only key that is not a function", { ...threeDefinitions(), readOnlyKey: 1 }, /readOnlyKey must be a function of the env/],
    ["an unknown access mode", { ...threeDefinitions(), access: "public" }, /access must be one of 'loopback', 'open', 'key', got "public"/],
    ["acceptKeyInQuery as a string", { ...threeDefinitions(), acceptKeyInQuery: "yes" }, /acceptKeyInQuery must be true or false/],
    ["a base URL without a scheme", { ...threeDefinitions(), baseUrl: "api.example.com" }, /baseUrl must be an absolute URL/],
    ["a base URL with a query", { ...threeDefinitions(), baseUrl: "https://api.example.com/?a=1" }, /baseUrl must not have a query/],
    ["CORS origins as a string", { ...threeDefinitions(), cors: "https://dash.example" }, /cors must be an array of origins/],
    ["a CORS origin with a path", { ...threeDefinitions(), cors: ["https://dash.example/"] }, /cors\[0\] must be an origin/],
    ["a signed URL lifetime under a minute", { ...threeDefinitions(), signedUrlTtlSeconds: 10 }, /signedUrlTtlSeconds must be a whole number of seconds from 60/],
    ["a fixed starter of an unknown orchestrator", { ...threeDefinitions(), starters: { fixed: { Go: "Nope" } } }, /starters\.fixed\.Go names the orchestrator "Nope", which is not in orchestrators \(OrderFlow\)/],
    ["a starter prefix without a slash", { ...threeDefinitions(), starters: { prefix: "api" } }, /starters\.prefix must be a path starting with '\/'/],
    ["one name for both bindings", { ...threeDefinitions(), bindings: { instances: "DO", index: "DO" } }, /bindings\.instances and bindings\.index must differ/],
    ["an unknown binding", { ...threeDefinitions(), bindings: { runner: "R" } }, /unknown binding 'bindings\.runner'/],
    ["a binding name with a space", { ...threeDefinitions(), bindings: { index: "MY INDEX" } }, /bindings\.index must be a binding name/],
  ];
  for (const [what, options, message] of cases) {
    it(`refuses ${what}`, () => {
      expect(() => createDurableWorker(options as DurableWorkerOptions)).toThrow(TypeError);
      expect(() => createDurableWorker(options as DurableWorkerOptions)).toThrow(message);
    });
  }

  it("registers its entities (function and class style) with its orchestrators", () => {
    const config = resolveConfig({ ...threeDefinitions(), entities: [counter, account] });
    expect(config.entities).toEqual([counter, account]);
    expect(config.registry.entity("COUNTER")).toBe(counter);
    expect(config.registry.entityNames()).toEqual(["Counter", "Account"]);
    expect(resolveConfig(threeDefinitions()).entities).toEqual([]);
  });

  it("keeps the entityOperations it is given, for every object's runtime", () => {
    expect(resolveConfig({ ...threeDefinitions(), entityOperations: { maxBatchSize: 50, timeoutMs: 5_000 } }).entityOperations).toEqual({ maxBatchSize: 50, timeoutMs: 5_000 });
    expect(resolveConfig({ ...threeDefinitions(), entityOperations: { maxBatchSize: 1 } }).entityOperations).toEqual({ maxBatchSize: 1 });
    expect(resolveConfig(threeDefinitions()).entityOperations).toEqual({}); // the core's defaults
  });

  it("accepts a Worker with no activities and no starters", () => {
    const worker = createDurableWorker({ orchestrators: [orderFlow], starters: false });
    expect(typeof worker.fetch).toBe("function");
    expect(worker.IndexShard).toBe(edge.IndexShard);
    expect(worker.InstanceObject).not.toBe(edge.InstanceObject); // each Worker's class closes over its own options
  });
});

function threeDefinitions(): DurableWorkerOptions {
  return { orchestrators: [orderFlow], activities: [reserve, charge] };
}
