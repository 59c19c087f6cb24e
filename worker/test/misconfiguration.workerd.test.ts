/**
 * A misconfigured Worker answers `{ code: "WorkerMisconfigured", message }` (500) that says exactly
 * what to add, before it calls into any object, and logs it once; `edge.client(env)` throws the same.
 */
import { createExecutionContext, env } from "cloudflare:test";
import { Hono } from "hono";
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { createDurableWorker, MISCONFIGURED_CODE, WorkerMisconfiguredError, type DurableWorker } from "../index.ts";
/** The default access serves local requests only when no key is set: these fresh Workers are asked on localhost. */
const BASE = "http://localhost/runtime/webhooks/durabletask";
import { charge, orderFlow, reserve } from "./test-orchestrations.ts";
import { edge as testWorker } from "./test-worker.ts";

/** Any env: these Workers are called with envs that lack what `Env` promises. */
type AnyEnv = object;

/** A fresh Worker per test: what it logged, and whether it already saw a good `ctx.exports`, are its own. */
function freshWorker(): DurableWorker<AnyEnv> {
  return createDurableWorker<AnyEnv>({ orchestrators: [orderFlow], activities: [reserve, charge] });
}

function envWithout(...names: string[]): AnyEnv {
  const copy: Record<string, unknown> = { ...env };
  for (const name of names) delete copy[name];
  return copy;
}

/** A fetch handler's ctx as an old compatibility date gives it: no `exports`. */
function ctxWithoutExports(): ExecutionContext {
  return { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
}

async function misconfigured(response: Response): Promise<string> {
  expect(response.status).toBe(500);
  expect(response.headers.get("content-type")).toMatch(/application\/json/);
  const body = (await response.json()) as { code: string; message: string };
  expect(body.code).toBe(MISCONFIGURED_CODE);
  return body.message;
}

const start = (id = `misconfigured-${crypto.randomUUID()}`) =>
  new Request(`${BASE}/orchestrators/OrderFlow/${id}`, { method: "POST", headers: { "content-type": "application/json" }, body: "null" });

describe("a misconfigured Worker", () => {
  let errors: MockInstance<typeof console.error>;
  beforeEach(() => {
    errors = vi.spyOn(console, "error").mockImplementation(() => {});
  });
  afterEach(() => errors.mockRestore());

  const logged = () => errors.mock.calls.map((args) => args.join(" ")).filter((line) => line.includes("misconfigured"));

  it("without the INSTANCES binding: says which binding, the block to add, and the migration; logs it once", async () => {
    const worker = freshWorker();
    const bad = envWithout("INSTANCES");
    const message = await misconfigured(await worker.fetch(start(), bad, createExecutionContext()));
    expect(message).toContain("no Durable Object binding 'INSTANCES'");
    expect(message).toContain('[[durable_objects.bindings]]\nname = "INSTANCES"\nclass_name = "InstanceObject"');
    expect(message).toContain('new_sqlite_classes = ["InstanceObject", "IndexShard"]');
    expect(message).toContain("export const { InstanceObject, IndexShard, ActivityRunner } = edge;");
    expect(message).not.toContain('name = "INDEX"'); // that one is there
    // Again, and on another route: the same answer, logged only once.
    expect(await misconfigured(await worker.fetch(new Request(`${BASE}/instances`), bad, createExecutionContext()))).toBe(message);
    expect(logged()).toEqual([`durable-edge: the Worker is misconfigured. ${message}`]);
  });

  it("without both bindings: names both, with both blocks", async () => {
    const message = await misconfigured(await freshWorker().fetch(start(), envWithout("INSTANCES", "INDEX"), createExecutionContext()));
    expect(message).toContain("'INSTANCES' (where orchestration instances live) and 'INDEX' (the instance index)");
    expect(message).toContain('name = "INSTANCES"\nclass_name = "InstanceObject"');
    expect(message).toContain('name = "INDEX"\nclass_name = "IndexShard"');
  });

  it("with renamed bindings: the message uses the names the options give", async () => {
    const worker = createDurableWorker<AnyEnv>({ orchestrators: [orderFlow], activities: [reserve, charge], bindings: { instances: "ORDERS", index: "ORDERS_INDEX" } });
    const message = await misconfigured(await worker.fetch(start(), { ...env }, createExecutionContext()));
    expect(message).toContain('name = "ORDERS"\nclass_name = "InstanceObject"');
    expect(message).toContain('name = "ORDERS_INDEX"\nclass_name = "IndexShard"');
  });

  it("with a binding that is not a Durable Object namespace: says what it is and what to bind instead", async () => {
    const message = await misconfigured(await freshWorker().fetch(start(), { ...env, INDEX: "8" }, createExecutionContext()));
    expect(message).toContain("The binding 'INDEX' (the instance index) is a string (a [vars] entry?), not a Durable Object namespace.");
    expect(message).toContain('[[durable_objects.bindings]]\nname = "INDEX"\nclass_name = "IndexShard"');
    const kvLike = { get() {}, put() {} };
    const other = await misconfigured(await freshWorker().fetch(start(), { ...env, INSTANCES: kvLike }, createExecutionContext()));
    expect(other).toContain("The binding 'INSTANCES' (where orchestration instances live) is an object, not a Durable Object namespace.");
  });

  it("with a [vars] value that does not parse: names the variable and the option", async () => {
    const message = await misconfigured(await freshWorker().fetch(start(), { ...env, INDEX_SHARDS: "many" }, createExecutionContext()));
    expect(message).toBe("INDEX_SHARDS must be an integer from 1 to 256, got 'many'. Fix INDEX_SHARDS in wrangler.toml's [vars], or pass indexShards to createDurableWorker (the option wins over the variable).");
    const lease = await misconfigured(await freshWorker().fetch(start(), { ...env, ACTIVITY_LEASE_SECONDS: "1" }, createExecutionContext()));
    expect(lease).toContain("ACTIVITY_LEASE_SECONDS must be a number of seconds, at least 3; got '1'.");
    expect(lease).toContain("pass activityLeaseSeconds to createDurableWorker");
  });

  it("with a ctx that has no exports (an old compatibility date): says which date or flag, and calls no object", async () => {
    const worker = freshWorker();
    const id = `no-exports-${crypto.randomUUID()}`;
    const message = await misconfigured(await worker.fetch(start(id), env, ctxWithoutExports()));
    expect(message).toContain('compatibility_date = "2025-11-17" or later');
    expect(message).toContain('compatibility_flags = ["enable_ctx_exports"]');
    expect(await misconfigured(await worker.fetch(start(id), env, ctxWithoutExports()))).toBe(message);
    expect(logged()).toHaveLength(1);
    // Refused before any object was called: the instance was never created.
    expect(await testWorker.client(env).getStatus(id)).toBeUndefined();
  });

  it("with ctx.exports but no ActivityRunner (not exported from the main module): says what to export", async () => {
    const ctx = { ...ctxWithoutExports(), exports: { InstanceObject: {}, IndexShard: {} } } as unknown as ExecutionContext;
    const message = await misconfigured(await freshWorker().fetch(start(), env, ctx));
    expect(message).toContain("ctx.exports has no ActivityRunner");
    expect(message).toContain("export const { InstanceObject, IndexShard, ActivityRunner } = edge;");
  });

  it("answers the same when its app is mounted in a parent Hono app", async () => {
    const parent = new Hono();
    parent.route("/", freshWorker().app);
    const message = await misconfigured(await parent.fetch(start(), envWithout("INSTANCES"), createExecutionContext()));
    expect(message).toContain("no Durable Object binding 'INSTANCES'");
  });

  it("asks for the management key first: a caller without it learns nothing about the configuration", async () => {
    const worker = createDurableWorker<AnyEnv>({ orchestrators: [orderFlow], activities: [reserve, charge], managementKey: () => "a-management-key-of-32-characters" });
    const refused = await worker.fetch(new Request(`${BASE}/instances`), envWithout("INSTANCES"), createExecutionContext());
    expect(refused.status).toBe(401);
    expect(JSON.stringify(await refused.json())).not.toContain("INSTANCES");
  });

  it("edge.client(env) throws the same error, logged once", () => {
    const worker = freshWorker();
    const bad = envWithout("INDEX");
    const thrown = (() => {
      try {
        worker.client(bad);
      } catch (error) {
        return error;
      }
      return null;
    })();
    expect(thrown).toBeInstanceOf(WorkerMisconfiguredError);
    expect((thrown as WorkerMisconfiguredError).code).toBe(MISCONFIGURED_CODE);
    expect((thrown as Error).message).toContain('name = "INDEX"\nclass_name = "IndexShard"');
    expect(() => worker.client(bad)).toThrow(WorkerMisconfiguredError);
    expect(logged()).toHaveLength(1);
  });

  it("a well-configured Worker answers as usual (the real ctx has exports.ActivityRunner)", async () => {
    const response = await freshWorker().fetch(new Request(`${BASE}/instances/nothing-here`), env, createExecutionContext());
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: "InstanceNotFound" });
    expect(logged()).toEqual([]);
  });
});
