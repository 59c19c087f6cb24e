/**
 * The management API on Durable Objects: the documented status codes, listing across the index
 * shards with continuation tokens, purge (one, and by filter), and what the Worker registers.
 */
import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "./test-worker.ts";
import { BASE, call, finished, pollUntil, startOrchestration, type Status } from "./helpers.ts";
import { testOrchestrations } from "./test-orchestrations.ts";

const json = (body: unknown): RequestInit => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

async function listAll(query: string, top: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let token = "";
  let pages = 0;
  do {
    const response = await call(`${BASE}/instances?top=${top}&${query}`, token ? { headers: { "x-ms-continuation-token": token } } : {});
    expect(response.status).toBe(200);
    ids.push(...((await response.json()) as Status[]).map((s) => s.instanceId));
    token = response.headers.get("x-ms-continuation-token") ?? "";
    pages++;
  } while (token && pages < 50);
  return { ids, pages };
}

async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("management API on Durable Objects", () => {
  it("lists what the Worker registers (GET {base}/functions), from its config", async () => {
    const response = await call(`${BASE}/functions`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { orchestrators: { name: string }[]; activities: { name: string; local: boolean }[]; entities: { name: string }[] };
    expect(body.orchestrators.map((o) => o.name)).toEqual(testOrchestrations.orchestrators.map((o) => o.name));
    expect(body.activities).toEqual(testOrchestrations.activities.map((a) => ({ name: a.name, local: a.local === true })));
    expect(body.activities.find((a) => a.name === "AddOneLocal")).toEqual({ name: "AddOneLocal", local: true });
    expect(body.entities.map((e) => e.name)).toEqual(testOrchestrations.entities.map((e) => e.name));
    // Every orchestrator listed can be started by that name.
    const started = await startOrchestration(body.orchestrators.find((o) => o.name === "OrchestratorFunction")!.name);
    expect((await pollUntil(started.statusQueryGetUri, finished)).runtimeStatus).toBe("Completed");
  });

  it("requires the DURABLE_EDGE_KEY secret when it is set; the URLs it hands out are signed, never carry the key", async () => {
    const key = "a-DURABLE_EDGE_KEY-of-32-characters";
    const keyed = { ...env, DURABLE_EDGE_KEY: key };
    const send = (request: Request) => worker.fetch(request as Parameters<typeof worker.fetch>[0], keyed, createExecutionContext());
    const ask = (path: string, init: RequestInit = {}) => send(new Request(`${BASE}${path}`, init));
    const refused = await ask("/instances");
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: "Unauthorized" });
    const started = await ask("/orchestrators/OrchestratorFunction", { ...json(null), headers: { "content-type": "application/json", authorization: `Bearer ${key}` } });
    expect(started.status).toBe(202);
    const text = await started.text();
    expect(text).not.toContain(key);
    expect(started.headers.get("location")).not.toContain(key);
    const { statusQueryGetUri, terminatePostUri } = JSON.parse(text) as { statusQueryGetUri: string; terminatePostUri: string };
    const url = new URL(statusQueryGetUri);
    expect(url.searchParams.has("code")).toBe(false);
    expect(url.searchParams.get("sig")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Works as given (Web Crypto's HMAC inside workerd), and only for its own operation.
    const status = await send(new Request(statusQueryGetUri));
    expect([200, 202]).toContain(status.status);
    await status.body?.cancel();
    const swapped = await send(new Request(`${terminatePostUri.split("?")[0]}${url.search}`, { method: "POST" }));
    expect(swapped.status).toBe(401);
    await swapped.body?.cancel();
  });

  it("answers the documented status codes", async () => {
    const missing = await call(`${BASE}/instances/no-such-instance`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: "InstanceNotFound" });

    const unknown = await call(`${BASE}/orchestrators/NoSuchOrchestrator`, json(null));
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ code: "UnknownOrchestrator" });

    const id = `waiting-${crypto.randomUUID()}`;
    const started = await startOrchestration("HumanInteraction", { timeoutSeconds: 600 }, id);
    expect(started.id).toBe(id);
    const running = await eventually(() => call(started.statusQueryGetUri), (r) => r.status === 202);
    expect(running.status).toBe(202);
    expect(running.headers.get("retry-after")).toBeTruthy();
    expect(running.headers.get("location")).toBeTruthy();
    await running.body?.cancel();

    const again = await call(`${BASE}/orchestrators/HumanInteraction/${id}`, json(null));
    expect(again.status).toBe(409);
    await again.body?.cancel();

    await pollUntil(started.statusQueryGetUri, (s) => s.runtimeStatus === "Running");
    expect((await call(`${BASE}/instances/${id}/suspend?reason=pause`, { method: "POST" })).status).toBe(202);
    await pollUntil(started.statusQueryGetUri, (s) => s.runtimeStatus === "Suspended");
    expect((await call(`${BASE}/instances/${id}/suspend`, { method: "POST" })).status).toBe(409);
    expect((await call(`${BASE}/instances/${id}/resume`, { method: "POST" })).status).toBe(202);
    await pollUntil(started.statusQueryGetUri, (s) => s.runtimeStatus === "Running");

    const stillRunningPurge = await call(`${BASE}/instances/${id}`, { method: "DELETE" });
    expect(stillRunningPurge.status).toBe(409);
    await stillRunningPurge.body?.cancel();

    expect((await call(`${BASE}/instances/${id}/terminate?reason=enough`, { method: "POST" })).status).toBe(202);
    const terminated = await pollUntil(started.statusQueryGetUri, finished);
    expect(terminated.runtimeStatus).toBe("Terminated");
    expect((await call(`${BASE}/instances/${id}/terminate`, { method: "POST" })).status).toBe(410);

    const restarted = await call(`${BASE}/instances/${id}/restart`, { method: "POST" });
    expect(restarted.status).toBe(202);
    const restartedId = ((await restarted.json()) as { id: string }).id;
    expect(restartedId).not.toBe(id);
    const copy = await pollUntil(`${BASE}/instances/${restartedId}`, (s) => s.runtimeStatus === "Running");
    expect(copy.input).toEqual({ timeoutSeconds: 600 });
    expect((await call(`${BASE}/instances/${restartedId}/terminate`, { method: "POST" })).status).toBe(202);

    const purged = await call(`${BASE}/instances/${id}`, { method: "DELETE" });
    expect(purged.status).toBe(200);
    expect(await purged.json()).toEqual({ instancesDeleted: 1 });
    expect((await call(`${BASE}/instances/${id}`)).status).toBe(404);
    expect((await call(`${BASE}/instances/${id}`, { method: "DELETE" })).status).toBe(404);

    const wrongMethod = await call(`${BASE}/instances/${id}`, { method: "PUT" });
    expect(wrongMethod.status).toBe(405);
    expect((await call(`/runtime/webhooks/durabletask/nowhere`)).status).toBe(404);
  });

  it("lists instances from every index shard, in pages with continuation tokens", async () => {
    const prefix = `list-${crypto.randomUUID().slice(0, 8)}-`;
    const ids = Array.from({ length: 12 }, (_, i) => `${prefix}${String(i).padStart(2, "0")}`);
    for (const id of ids) await startOrchestration("OrchestratorFunction_Parallel", null, id);
    for (const id of ids) await pollUntil(`${BASE}/instances/${id}`, finished);
    const listed = await eventually(
      () => listAll(`instanceIdPrefix=${prefix}&runtimeStatus=Completed`, 5),
      (l) => l.ids.length === ids.length,
    );
    expect([...listed.ids].sort()).toEqual(ids);
    expect(new Set(listed.ids).size).toBe(ids.length);
    expect(listed.pages).toBeGreaterThanOrEqual(3);
    const running = await listAll(`instanceIdPrefix=${prefix}&runtimeStatus=Running`, 5);
    expect(running.ids).toEqual([]);

    const from = new Date(Date.now() - 60 * 60_000).toISOString();
    const purge = await call(`${BASE}/instances?createdTimeFrom=${from}&runtimeStatus=Completed`, { method: "DELETE" });
    expect(purge.status).toBe(200);
    expect(((await purge.json()) as { instancesDeleted: number }).instancesDeleted).toBeGreaterThanOrEqual(ids.length);
    for (const id of ids) expect((await call(`${BASE}/instances/${id}`)).status).toBe(404);
    const after = await eventually(() => listAll(`instanceIdPrefix=${prefix}`, 100), (l) => l.ids.length === 0);
    expect(after.ids).toEqual([]);
  });
});
