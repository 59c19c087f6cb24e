/**
 * `handOver(id, { to, key })` from the browser host (fake-indexeddb, in Node) to a Worker-like
 * management API over a memory runtime (its fetch is `app.request`): the instance moves in one
 * call and completes there; a refusal or an unreachable Worker puts it back in the tab; an answer
 * lost on the way leaves it stopped here, with the document on the error.
 */
import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import { humanInteraction, samples } from "../../examples/index.ts";
import { createMemoryStore } from "../memory/index.ts";
import { createRuntime, DurableError, orchestrator, Task, type InstanceDocument } from "../../src/index.ts";
import { accessGuard } from "../../worker/http/access.ts";
import { createManagementApp } from "../../worker/http/app.ts";
import { managementErrorHandler } from "../../worker/http/errors.ts";
import { resolveDeps, type ManagementAppOptions } from "../../worker/http/options.ts";
import { registerTravelRoutes } from "../../worker/http/routes/travel.ts";
import { createBrowserRuntime, type BrowserRuntime } from "./browser.ts";

const KEY = "w".repeat(24);
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const closing: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(closing.splice(0).map((c) => c()));
});

/** Exclusive locks granted at once (one tab). */
const locks = {
  request: (_name: string, _options: LockOptions, callback: LockGrantedCallback<unknown>) => Promise.resolve(callback({ name: "x", mode: "exclusive" } as Lock)),
  query: async () => ({ held: [], pending: [] }),
} as unknown as LockManager;

/** A tree: two HumanInteraction sub-orchestrations, `{id}:a` and `{id}:b`. */
const pair = orchestrator("Pair", function* (ctx) {
  return yield* Task.all(["a", "b"].map((k) => ctx.callSubOrchestrator(humanInteraction, null, `${ctx.instanceId}:${k}`)));
});
const definitions = { ...samples, orchestrators: [...samples.orchestrators, pair] };

function tab(): BrowserRuntime {
  const host = createBrowserRuntime({ dbName: `tab-${Math.random()}`, indexedDB: new IDBFactory(), locks, logger: silent, ...definitions });
  closing.push(() => host.close());
  return host;
}

function worker() {
  const runtime = createRuntime({ store: createMemoryStore({ name: "worker" }), ...definitions, logger: silent });
  runtime.start();
  closing.push(() => runtime.stop());
  const options: ManagementAppOptions = { client: runtime.client, getKey: () => KEY, logger: { error() {} } };
  const deps = resolveDeps(options);
  const app = new Hono();
  app.use(`${deps.basePath}/*`, accessGuard(deps.access));
  registerTravelRoutes(app, deps);
  app.route("/", createManagementApp(options));
  app.onError(managementErrorHandler(deps.logger));
  const requests: string[] = [];
  const fetch = async (url: string, init: RequestInit) => {
    requests.push(`${init.method} ${url}`);
    return app.request(url, init);
  };
  return { runtime, client: runtime.client, fetch, requests };
}

async function running(host: BrowserRuntime, id: string) {
  await host.whenLeader();
  await host.client.startNew(humanInteraction, { instanceId: id });
  for (let i = 0; (await host.client.getStatus(id))?.runtimeStatus !== "Running"; i++) {
    if (i > 200) throw new Error("never ran");
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("handOver from a tab to a Worker", () => {
  it("moves the instance in one call; the event is raised on the Worker; it completes there, and never runs again in the tab", async () => {
    const host = tab();
    const w = worker();
    await running(host, "order-1");
    const before = await host.client.getHistory("order-1");
    const seen: string[] = [];
    host.onChange((row) => seen.push(`${row.instanceId}:${row.runtimeStatus}`));

    const result = await host.handOver("order-1", { to: "https://worker.example", key: KEY, fetch: w.fetch });
    expect(result.instanceId).toBe("order-1");
    expect(result.managementUrls.statusQueryGetUri).toMatch(/^https:\/\/worker\.example\/runtime\/webhooks\/durabletask\/instances\/order-1\?/);
    expect(w.requests).toEqual([
      "GET https://worker.example/runtime/webhooks/durabletask/instances/order-1", // can it take it? (404: yes)
      "POST https://worker.example/runtime/webhooks/durabletask/instances/import?onConflict=fail",
    ]);
    expect(seen).toContain("order-1:Terminated");
    expect((await host.client.getStatus("order-1"))!.output).toMatchObject({ movedTo: "https://worker.example/runtime/webhooks/durabletask" });

    await w.client.raiseEvent("order-1", "Approval", { by: "ada" });
    const done = await w.client.waitForCompletion("order-1", { timeoutMs: 5000, pollIntervalMs: 10 });
    expect(done.output).toEqual({ approved: true, approval: { by: "ada" } });
    const there = await w.client.getHistory("order-1");
    expect(there.slice(0, before.length)).toEqual(before);
    expect(there.find((e) => e.EventType === "GenericEvent")).toMatchObject({ Data: expect.stringContaining('"importedFrom":"browser:tab-') });
    expect((await host.client.getHistory("order-1")).length).toBe(before.length + 4);
    const refused = await host.client.raiseEvent("order-1", "Approval", {}).catch((e: unknown) => e);
    expect(DurableError.is(refused, "InstanceGone")).toBe(true);
  });

  it("a Worker that refuses it (a wrong key; an id in use) leaves it running in the tab", async () => {
    const host = tab();
    const w = worker();
    await running(host, "order-2");
    const wrongKey = await host.handOver("order-2", { to: "https://worker.example", key: "x".repeat(24), fetch: w.fetch }).catch((e: unknown) => e);
    expect(wrongKey).toBeInstanceOf(Error);
    expect((wrongKey as Error).message).toContain("refused instance 'order-2' (401)");
    expect((wrongKey as Error).message).toContain("It stays in this tab, unchanged.");
    expect((await host.client.getStatus("order-2"))!.runtimeStatus).toBe("Running");

    await w.client.startNew(humanInteraction, { instanceId: "order-2" });
    const inUse = await host.handOver("order-2", { to: "https://worker.example/", key: KEY, fetch: w.fetch }).catch((e: unknown) => e);
    expect(DurableError.is(inUse, "InstanceAlreadyExists")).toBe(true);
    expect((await host.client.getStatus("order-2"))!.runtimeStatus).toBe("Running");
    await host.client.raiseEvent("order-2", "Approval", "here");
    expect((await host.client.waitForCompletion("order-2", { timeoutMs: 5000, pollIntervalMs: 10 })).output).toEqual({ approved: true, approval: "here" });
  });

  it("an unreachable Worker changes nothing; an import that fails on the way puts it back; an answer lost on the way leaves it stopped, with the document", async () => {
    const host = tab();
    const w = worker();
    await running(host, "order-3");
    const down = () => Promise.reject(new TypeError("fetch failed"));
    const unreachable = await host.handOver("order-3", { to: "https://worker.example", fetch: down }).catch((e: unknown) => e);
    expect(DurableError.is(unreachable, "StoreUnavailable")).toBe(true);
    expect((unreachable as Error).message).toContain("Could not reach https://worker.example/runtime/webhooks/durabletask (fetch failed); 'order-3' stays in this tab, unchanged.");
    expect((await host.client.getStatus("order-3"))!.runtimeStatus).toBe("Running");

    // The import request fails before the Worker got it (its status says 404): back in the tab.
    const postFails = async (url: string, init: RequestInit) => {
      if (init.method === "POST") throw new TypeError("connection reset");
      return w.fetch(url, init);
    };
    const failed = await host.handOver("order-3", { to: "https://worker.example", key: KEY, fetch: postFails }).catch((e: unknown) => e);
    expect((failed as Error).message).toContain("It stays in this tab.");
    expect((await host.client.getStatus("order-3"))!.runtimeStatus).toBe("Running");

    // The import lands, its answer does not, and the Worker cannot be asked: stopped here, the document on the error.
    let landed = false;
    const answerLost = async (url: string, init: RequestInit) => {
      if (landed) throw new TypeError("network down");
      const response = await w.fetch(url, init);
      if (init.method === "POST") {
        landed = true;
        throw new TypeError("connection reset");
      }
      return response;
    };
    const lost = (await host.handOver("order-3", { to: "https://worker.example", key: KEY, fetch: answerLost }).catch((e: unknown) => e)) as DurableError & { document?: unknown };
    expect(lost.message).toContain("the Worker may have it");
    expect(lost.document).toMatchObject({ moved: true, instance: { instanceId: "order-3" } });
    expect((await host.client.getStatus("order-3"))!.runtimeStatus).toBe("Terminated");
    expect((await w.client.getStatus("order-3"))!.runtimeStatus).toBe("Running"); // it runs there, once
  });

  it("a parent waiting for sub-orchestrations goes with them; a server error once the Worker has them leaves the tab stopped, and the same document imports once", async () => {
    const host = tab();
    const w = worker();
    await host.whenLeader();
    await host.client.startNew(pair, { instanceId: "pair-1" });
    const ids = ["pair-1", "pair-1:a", "pair-1:b"];
    for (let i = 0; !(await Promise.all(ids.map((id) => host.client.getStatus(id)))).every((s) => s?.runtimeStatus === "Running"); i++) {
      if (i > 200) throw new Error("never ran");
      await new Promise((r) => setTimeout(r, 5));
    }
    // The Worker imports it, then answers 500 (its answer to a tree written part-way, say).
    const serverError = async (url: string, init: RequestInit) => {
      const response = await w.fetch(url, init);
      if (init.method !== "POST") return response;
      return new Response(JSON.stringify({ code: "StoreUnavailable", message: "could not write 'pair-1:b'" }), { status: 503, headers: { "content-type": "application/json" } });
    };
    const error = (await host.handOver("pair-1", { to: "https://worker.example", key: KEY, fetch: serverError }).catch((e: unknown) => e)) as DurableError & { document?: InstanceDocument };
    expect(error.message).toContain("the Worker may have it, or part of its tree");
    expect(error.document!.descendants!.map((d) => d.instance.instanceId)).toEqual(["pair-1:a", "pair-1:b"]);
    for (const id of ids) expect((await host.client.getStatus(id))!.runtimeStatus).toBe("Terminated"); // not put back: it runs there
    // Sent again, it is imported once.
    expect(await w.client.importInstance(error.document)).toBe("pair-1");
    for (const id of ["pair-1:a", "pair-1:b"]) await w.client.raiseEvent(id, "Approval", id);
    const done = await w.client.waitForCompletion("pair-1", { timeoutMs: 5000, pollIntervalMs: 10 });
    expect(done.output).toEqual([
      { approved: true, approval: "pair-1:a" },
      { approved: true, approval: "pair-1:b" },
    ]);
    expect((await w.client.getHistory("pair-1")).filter((e) => e.EventType === "GenericEvent")).toHaveLength(1);
  });

  it("a refused tree is put back whole", async () => {
    const host = tab();
    const w = worker();
    await host.whenLeader();
    await host.client.startNew(pair, { instanceId: "pair-2" });
    for (let i = 0; (await host.client.getStatus("pair-2:b"))?.runtimeStatus !== "Running"; i++) {
      if (i > 200) throw new Error("never ran");
      await new Promise((r) => setTimeout(r, 5));
    }
    await w.client.startNew(humanInteraction, { instanceId: "pair-2:b" }); // one id of the tree is in use there
    const refused = await host.handOver("pair-2", { to: "https://worker.example", key: KEY, fetch: w.fetch }).catch((e: unknown) => e);
    expect(DurableError.is(refused, "InstanceAlreadyExists")).toBe(true);
    expect(await w.client.getStatus("pair-2")).toBeUndefined();
    for (const id of ["pair-2:a", "pair-2:b"]) await host.client.raiseEvent(id, "Approval", "here");
    const done = await host.client.waitForCompletion("pair-2", { timeoutMs: 5000, pollIntervalMs: 10 });
    expect(done.output).toEqual([
      { approved: true, approval: "here" },
      { approved: true, approval: "here" },
    ]);
  });
});
