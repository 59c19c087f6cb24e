/**
 * Who may call a Worker built by createDurableWorker: with no key it serves local requests only
 * (wrangler dev, tests) unless access says otherwise, and never a request that came through
 * Cloudflare's edge; the keys, the access mode, the base URL and CORS come from options or [vars].
 */
import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createDurableWorker } from "../index.ts";
import { charge, orderFlow, reserve } from "./test-orchestrations.ts";

const PATH = "/runtime/webhooks/durabletask";
const KEY = "the-worker-key-of-this-test-0000";
type AnyEnv = Record<string, unknown>;

function worker(options: Partial<Parameters<typeof createDurableWorker>[0]> = {}) {
  const edge = createDurableWorker<AnyEnv>({ orchestrators: [orderFlow], activities: [reserve, charge], ...options });
  const send = (url: string, init: RequestInit = {}, vars: AnyEnv = {}) => edge.fetch(new Request(url, init), { ...env, ...vars }, createExecutionContext());
  return Object.assign(send, { edge });
}

async function body(res: Response): Promise<{ code: string; message: string }> {
  return (await res.json()) as { code: string; message: string };
}

describe("a Worker with no key", () => {
  it("serves localhost; refuses other hosts, and any request that came through Cloudflare's edge", async () => {
    const send = worker();
    const local = await send(`http://localhost${PATH}/instances`);
    expect(local.status).toBe(200);
    await local.body?.cancel();
    for (const [url, headers] of [
      [`https://my-orders.example.workers.dev${PATH}/instances`, {}],
      // Host says 127.0.0.1, but the edge says where it came from.
      [`http://127.0.0.1${PATH}/instances`, { "cf-connecting-ip": "198.51.100.7" }],
    ] as const) {
      const res = await send(url, { headers });
      expect(res.status, url).toBe(403);
      expect(await body(res)).toMatchObject({ code: "Forbidden", message: expect.stringMatching(/DURABLE_EDGE_KEY/) });
    }
    const start = await send(`https://my-orders.example.workers.dev/api/orchestrators/OrderFlow`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(start.status).toBe(403);
    await start.body?.cancel();
  });

  it("access 'open' (option or DURABLE_EDGE_ACCESS) serves everyone; 'key' no one; a bad value is a misconfiguration", async () => {
    const url = `https://my-orders.example.workers.dev${PATH}/instances`;
    for (const send of [worker({ access: "open" }), (u: string) => worker()(u, {}, { DURABLE_EDGE_ACCESS: "open" })]) {
      const res = await send(url);
      expect(res.status).toBe(200);
      await res.body?.cancel();
    }
    const closed = await worker()(`http://localhost${PATH}/instances`, {}, { DURABLE_EDGE_ACCESS: "key" });
    expect(closed.status).toBe(403);
    await closed.body?.cancel();
    // The option wins over the variable.
    const optionWins = await worker({ access: "loopback" })(url, {}, { DURABLE_EDGE_ACCESS: "open" });
    expect(optionWins.status).toBe(403);
    await optionWins.body?.cancel();
    const bad = await worker()(url, {}, { DURABLE_EDGE_ACCESS: "public" });
    expect(bad.status).toBe(500);
    expect(await body(bad)).toEqual({
      code: "WorkerMisconfigured",
      message: "DURABLE_EDGE_ACCESS must be one of loopback, open, key, got 'public'. Fix DURABLE_EDGE_ACCESS in wrangler.toml's [vars], or pass access to createDurableWorker (the option wins over the variable).",
    });
  });
});

describe("a Worker with keys", () => {
  it("DURABLE_EDGE_KEY, _PREVIOUS_KEY and _READ_KEY: each accepted for what it may do", async () => {
    const send = worker();
    const vars = { DURABLE_EDGE_KEY: KEY, DURABLE_EDGE_PREVIOUS_KEY: "the-key-before-the-rotation-00", DURABLE_EDGE_READ_KEY: "the-dashboard-read-only-key-00" };
    const list = (key: string) => send(`https://my-orders.example.workers.dev${PATH}/instances`, { headers: { authorization: `Bearer ${key}` } }, vars);
    for (const key of [KEY, vars.DURABLE_EDGE_PREVIOUS_KEY, vars.DURABLE_EDGE_READ_KEY]) {
      const res = await list(key);
      expect(res.status).toBe(200);
      await res.body?.cancel();
    }
    const readerStarts = await send(`https://my-orders.example.workers.dev/api/orchestrators/OrderFlow`, { method: "POST", headers: { authorization: `Bearer ${vars.DURABLE_EDGE_READ_KEY}` } }, vars);
    expect(readerStarts.status).toBe(403);
    await readerStarts.body?.cancel();
  });

  it("a key too short to sign with is a misconfiguration that names the secret, not its value", async () => {
    const res = await worker()(`http://localhost${PATH}/instances`, {}, { DURABLE_EDGE_KEY: "s3cret" });
    expect(res.status).toBe(500);
    const { code, message } = await body(res);
    expect(code).toBe("WorkerMisconfigured");
    expect(message).toMatch(/^DURABLE_EDGE_KEY is 6 characters long; use at least 16/);
    expect(message).not.toContain("s3cret");
  });

  it("?code= only with DURABLE_EDGE_KEY_IN_QUERY; URLs from DURABLE_EDGE_BASE_URL; CORS from DURABLE_EDGE_CORS_ORIGINS", async () => {
    const send = worker();
    const vars = { DURABLE_EDGE_KEY: KEY, DURABLE_EDGE_BASE_URL: "https://orders.example.com", DURABLE_EDGE_CORS_ORIGINS: "https://dash.example.com, https://ops.example.com" };
    const byCode = `https://evil.example${PATH}/instances?code=${KEY}`;
    const refused = await send(byCode, {}, vars);
    expect(refused.status).toBe(401);
    await refused.body?.cancel();
    const accepted = await send(byCode, {}, { ...vars, DURABLE_EDGE_KEY_IN_QUERY: "true" });
    expect(accepted.status).toBe(200);
    await accepted.body?.cancel();
    const started = await send(
      `https://evil.example/api/orchestrators/OrderFlow`,
      { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", host: "evil.example" }, body: '{"sku":"tea","quantity":1,"cents":1}' },
      vars,
    );
    expect(started.status).toBe(202);
    const text = await started.text();
    expect(text).not.toContain("evil.example");
    await send.edge.client({ ...env, ...vars }).waitForCompletion((JSON.parse(text) as { id: string }).id, { timeoutMs: 20_000, pollIntervalMs: 20 });
    expect(started.headers.get("location")?.startsWith(`https://orders.example.com${PATH}/instances/`)).toBe(true);
    const preflight = await send(`https://orders.example.com${PATH}/instances`, { method: "OPTIONS", headers: { origin: "https://ops.example.com", "access-control-request-method": "GET" } }, vars);
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://ops.example.com");
    const badCors = await send(`http://localhost${PATH}/instances`, {}, { DURABLE_EDGE_CORS_ORIGINS: "dash.example.com" });
    expect(badCors.status).toBe(500);
    expect((await body(badCors)).message).toMatch(/^DURABLE_EDGE_CORS_ORIGINS/);
  });
});
