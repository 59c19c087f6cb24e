/**
 * Who may call: no key (loopback / open / key), the management key (Bearer, x-functions-key, ?code=
 * opt-in), the previous key of a rotation, the read-only key, signed URLs (per instance, per
 * operation, expiring), cross-site requests and CORS, and URLs built from a configured base URL.
 * Every answer of this file is recorded, and none may hold a key (in its body or its headers).
 */
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { sign } from "./signing.ts";
import { BASE, expectedPayload, instanceCount, json, QS, setup } from "./test-fixtures.ts";
import type { ManagementAppOptions } from "./options.ts";

const KEY = "k3y/+ThirtyTwo-chars.of_random~0";
const PREVIOUS = "previous-key-of-the-last-rotation";
const READER = "read-only-key-for-the-dashboard";
const ALL_KEYS = [KEY, PREVIOUS, READER];

/** Every answer of this file, to scan for keys at the end. */
const answers: { what: string; text: string }[] = [];

async function recorded(what: string, res: Response): Promise<Response> {
  const body = await res.clone().text();
  answers.push({ what, text: `${[...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n\n${body}` });
  return res;
}

afterAll(() => {
  expect(answers.length).toBeGreaterThan(200);
  for (const { what, text } of answers) {
    for (const key of ALL_KEYS) {
      expect(text.includes(key) || text.includes(encodeURIComponent(key)), `${what} holds a key:\n${text}`).toBe(false);
    }
  }
});

afterEach(() => {
  vi.useRealTimers();
});

function app(options: Partial<ManagementAppOptions> = {}, origin = "https://edge.example") {
  const ctx = setup(options);
  const request = async (path: string, init?: RequestInit) =>
    recorded(`${init?.method ?? "GET"} ${path}`, await ctx.app.request(path.startsWith("http") ? path : `${origin}${path}`, init));
  return { ...ctx, request };
}

const keyed = (extra: Partial<ManagementAppOptions> = {}) => app({ access: "loopback", getKey: () => KEY, ...extra });
const bearer = (key = KEY) => ({ authorization: `Bearer ${key}` });

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await json(res)) as { code: string; message: string };
  expect(Object.keys(body)).toEqual(["code", "message"]);
  return body;
}

/** Every management and starter route, with what it needs to pass the checks. */
const ROUTES: [string, string, RequestInit?][] = [
  ["POST", `${BASE}/orchestrators/OrchestratorFunction`],
  ["POST", `${BASE}/orchestrators/OrchestratorFunction/an-id`],
  ["GET", `${BASE}/instances`],
  ["DELETE", `${BASE}/instances?createdTimeFrom=2020-01-01`],
  ["GET", `${BASE}/instances/target`],
  ["DELETE", `${BASE}/instances/target`],
  ["POST", `${BASE}/instances/target/raiseEvent/Approval`, { headers: { "content-type": "application/json" }, body: "true" }],
  ["POST", `${BASE}/instances/target/terminate`],
  ["POST", `${BASE}/instances/target/suspend`],
  ["POST", `${BASE}/instances/target/resume`],
  ["POST", `${BASE}/instances/target/rewind`],
  ["POST", `${BASE}/instances/target/restart`],
  ["GET", `${BASE}/entities`],
  ["GET", `${BASE}/entities/Counter`],
  ["GET", `${BASE}/entities/Counter/target`],
  ["POST", `${BASE}/entities/Counter/target?op=add`, { headers: { "content-type": "application/json" }, body: "1" }],
  ["DELETE", `${BASE}/entities/Counter/target`],
  ["GET", `${BASE}/functions`],
  ["GET", `${BASE}/openapi.json`],
  ["GET", "/api/OrchestratorFunction_HttpStart"],
  ["POST", "/api/OrchestratorFunction_HttpStart"],
  ["POST", "/api/orchestrators/OrchestratorFunction"],
];

describe("without a key", () => {
  it("default (loopback): local requests pass, others get 403 and nothing starts", async () => {
    const ctx = app({ access: undefined });
    for (const origin of ["http://127.0.0.1:8787", "http://localhost:8787", "http://[::1]:8787", "http://127.5.6.7", "http://app.localhost"]) {
      expect((await ctx.request(`${origin}${BASE}/instances`)).status, origin).toBe(200);
    }
    for (const origin of ["https://edge.example", "http://192.168.1.20:8787", "http://10.0.0.1", "http://127.0.0.1.evil.example"]) {
      const res = await ctx.request(`${origin}/api/OrchestratorFunction_HttpStart`);
      expect(res.status, origin).toBe(403);
      expect(await errorOf(res)).toMatchObject({ code: "Forbidden", message: expect.stringMatching(/only local requests/) });
    }
    expect(await instanceCount(ctx.client)).toBe(0);
  });

  it("every route refuses a non-local caller, whatever the Host header says", async () => {
    const ctx = app({ access: undefined });
    for (const [method, path, init] of ROUTES) {
      const res = await ctx.request(path, { ...init, method, headers: { ...(init?.headers as object), host: "127.0.0.1" } });
      expect(res.status, `${method} ${path}`).toBe(403);
    }
    expect(await instanceCount(ctx.client)).toBe(0);
  });

  it("a request that came through Cloudflare's edge (CF-Connecting-IP) is never local; wrangler dev's 127.0.0.1 is", async () => {
    const ctx = app({ access: undefined });
    const local = "http://127.0.0.1:8787/api/OrchestratorFunction_HttpStart";
    for (const ip of ["203.0.113.9", "2001:db8::1", "192.168.1.20", ""]) {
      expect((await ctx.request(local, { headers: { "cf-connecting-ip": ip } })).status, ip).toBe(403);
    }
    for (const ip of ["127.0.0.1", "::1", "::ffff:127.0.0.1"]) {
      expect((await ctx.request(local, { headers: { "cf-connecting-ip": ip } })).status, ip).toBe(202);
    }
    expect(await instanceCount(ctx.client)).toBe(3);
  });

  it("access: 'open' serves everyone; access: 'key' no one", async () => {
    const open = app({ access: "open" });
    expect((await open.request("https://edge.example/api/OrchestratorFunction_HttpStart", { headers: { "cf-connecting-ip": "203.0.113.9" } })).status).toBe(202);
    const closed = app({ access: "key" });
    const res = await closed.request("http://127.0.0.1/api/OrchestratorFunction_HttpStart");
    expect(res.status).toBe(403);
    expect((await errorOf(res)).message).toMatch(/No management key is set/);
    expect(await instanceCount(closed.client)).toBe(0);
  });

  it("isLoopback replaces the rule (a Node server passes the socket's address)", async () => {
    const ctx = app({ access: "loopback", isLoopback: (c) => c.req.header("x-test-peer") === "127.0.0.1" });
    expect((await ctx.request("http://127.0.0.1/api/OrchestratorFunction_HttpStart")).status).toBe(403);
    expect((await ctx.request("https://edge.example/api/OrchestratorFunction_HttpStart", { headers: { "x-test-peer": "127.0.0.1" } })).status).toBe(202);
  });

  it("the URLs carry no signature", async () => {
    const ctx = app({ access: "open" });
    const body = (await json(await ctx.request("/api/OrchestratorFunction_HttpStart"))) as { id: string };
    expect(body).toEqual(expectedPayload(body.id));
  });
});

describe("with a key", () => {
  it("every route: no key, a wrong key, a key in the wrong scheme → 401 JSON with WWW-Authenticate; nothing stored", async () => {
    const ctx = keyed();
    await ctx.client.startNew("HumanInteraction", { instanceId: "target", input: { timeoutSeconds: 60 } });
    await ctx.runtime.drain();
    const attempts: [string, Record<string, string>, RegExp][] = [
      ["no key", {}, /needs the management key/],
      ["wrong bearer", bearer("x".repeat(32)), /not valid/],
      ["wrong x-functions-key", { "x-functions-key": "y".repeat(32) }, /not valid/],
      ["a key in Basic", { authorization: `Basic ${KEY}` }, /needs the management key/],
      ["an empty bearer", { authorization: "Bearer " }, /not valid/],
    ];
    for (const [method, path, init] of ROUTES) {
      for (const [what, headers, message] of attempts) {
        const res = await ctx.request(path, { ...init, method, headers: { ...(init?.headers as object), ...headers } });
        expect(res.status, `${what}: ${method} ${path}`).toBe(401);
        expect(res.headers.get("www-authenticate")).toBe('Bearer realm="durable-edge"');
        expect(await errorOf(res)).toMatchObject({ code: "Unauthorized", message: expect.stringMatching(message) });
      }
    }
    expect(await instanceCount(ctx.client)).toBe(1);
    expect((await ctx.client.getStatus("target"))?.runtimeStatus).toBe("Running");
  });

  it("accepts the key as Authorization: Bearer (any case, extra spaces) and x-functions-key", async () => {
    const ctx = keyed();
    for (const headers of [bearer(), { authorization: `bearer   ${KEY}` }, { "x-functions-key": KEY }]) {
      expect((await ctx.request(`${BASE}/instances`, { headers })).status).toBe(200);
    }
  });

  it("?code=<key> is refused unless acceptKeyInQuery is on", async () => {
    const off = keyed();
    const refused = await off.request(`${BASE}/instances?code=${encodeURIComponent(KEY)}`);
    expect(refused.status).toBe(401);
    expect((await errorOf(refused)).message).toMatch(/not accepted in the URL/);
    const on = keyed({ acceptKeyInQuery: true });
    expect((await on.request(`${BASE}/instances?code=${encodeURIComponent(KEY)}`)).status).toBe(200);
    expect((await on.request(`${BASE}/instances?CODE=${encodeURIComponent(KEY)}`)).status).toBe(200);
    expect((await on.request(`${BASE}/instances?code=${"z".repeat(32)}`)).status).toBe(401);
    // Even then, the URLs it hands out are signed, never code=.
    const started = (await json(await on.request(`/api/OrchestratorFunction_HttpStart?code=${encodeURIComponent(KEY)}`))) as Record<string, string>;
    for (const url of Object.values(started)) expect(new URL(url, "https://x").searchParams.has("code")).toBe(false);
  });

  it("the check-status URLs are signed per operation; each works as given, for its own operation only", async () => {
    const ctx = keyed();
    const res = await ctx.request(`${BASE}/orchestrators/HumanInteraction/h1`, { method: "POST", headers: { ...bearer(), "content-type": "application/json" }, body: '{"timeoutSeconds":60}' });
    expect(res.status).toBe(202);
    const urls = (await json(res)) as Record<string, string>;
    expect(res.headers.get("location")).toBe(urls.statusQueryGetUri);
    const now = Math.floor(Date.now() / 1000);
    for (const [name, url] of Object.entries(urls)) {
      if (name === "id") continue;
      const u = new URL(url.replace("{eventName}", "E").replace("{text}", "r"));
      // Durable Functions' paths and parameters, then the signature.
      expect(u.searchParams.get("taskHub")).toBe("DurableEdgeHub");
      expect(u.searchParams.get("connection")).toBe("Storage");
      expect(Number(u.searchParams.get("exp"))).toBeGreaterThanOrEqual(now + 7 * 24 * 3600 - 5);
      expect(u.searchParams.get("sig")).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(url.startsWith(expectedPayload("h1")[name as "statusQueryGetUri"].split("?")[0]!)).toBe(true);
    }
    await ctx.runtime.drain();
    const path = (url: string) => url.replace("https://edge.example", "").replace("{eventName}", "Approval").replace("{text}", "why");
    const status = await ctx.request(path(urls.statusQueryGetUri!));
    expect(status.status).toBe(202);
    // Polling goes on with the same signed URL.
    expect(status.headers.get("location")).toBe(urls.statusQueryGetUri);
    // A status URL cannot terminate; a terminate URL cannot read; an event URL cannot purge.
    const swaps: [string, string, string][] = [
      ["POST", `${BASE}/instances/h1/terminate`, urls.statusQueryGetUri!],
      ["GET", `${BASE}/instances/h1`, urls.terminatePostUri!],
      ["DELETE", `${BASE}/instances/h1`, urls.sendEventPostUri!],
      ["POST", `${BASE}/instances/h1/suspend`, urls.resumePostUri!],
      ["POST", `${BASE}/instances/h1/rewind`, urls.restartPostUri!],
    ];
    for (const [method, target, from] of swaps) {
      const query = new URL(from.replace("{eventName}", "E")).search;
      const refused = await ctx.request(`${target}${query}`, { method });
      expect(refused.status, `${method} ${target} with ${from}`).toBe(401);
      expect((await errorOf(refused)).message).toMatch(/signature is not valid/);
    }
    expect((await ctx.client.getStatus("h1"))?.runtimeStatus).toBe("Running");
    // Each URL for its own operation.
    expect((await ctx.request(path(urls.sendEventPostUri!), { method: "POST", headers: { "content-type": "application/json" }, body: "true" })).status).toBe(202);
    await ctx.runtime.drain();
    expect((await ctx.client.getStatus("h1"))?.runtimeStatus).toBe("Completed");
    const restarted = await ctx.request(path(urls.restartPostUri!), { method: "POST" });
    expect(restarted.status).toBe(202);
    const next = (await json(restarted)) as Record<string, string>;
    expect(new URL(next.statusQueryGetUri!).searchParams.get("sig")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await ctx.request(path(urls.purgeHistoryDeleteUri!), { method: "DELETE" })).status).toBe(200);
    expect((await ctx.request(path(next.terminatePostUri!), { method: "POST" })).status).toBe(202);
    await ctx.runtime.drain();
    expect((await ctx.request(path(next.suspendPostUri!), { method: "POST" })).status).toBe(410);
  });

  it("a signed URL of one instance does not work on another, nor on lists, starts or bulk purge", async () => {
    const ctx = keyed();
    await ctx.client.startNew("HumanInteraction", { instanceId: "other", input: { timeoutSeconds: 60 } });
    const mine = (await json(await ctx.request(`${BASE}/orchestrators/HumanInteraction/mine`, { method: "POST", headers: bearer() }))) as Record<string, string>;
    const q = (url: string) => new URL(url.replace("{eventName}", "E")).search;
    for (const [method, path, from] of [
      ["POST", `${BASE}/instances/other/terminate`, mine.terminatePostUri!],
      ["GET", `${BASE}/instances/other`, mine.statusQueryGetUri!],
      ["DELETE", `${BASE}/instances/other`, mine.purgeHistoryDeleteUri!],
      ["POST", `${BASE}/instances/other/raiseEvent/E`, mine.sendEventPostUri!],
      ["POST", `${BASE}/instances/mine2/restart`, mine.restartPostUri!],
    ] as const) {
      const res = await ctx.request(`${path}${q(from)}`, { method, headers: { "content-type": "application/json" }, body: method === "GET" ? null : "1" });
      expect(res.status, `${method} ${path}`).toBe(401);
    }
    for (const [method, path] of [
      ["GET", `${BASE}/instances`],
      ["GET", `${BASE}/functions`],
      ["DELETE", `${BASE}/instances?createdTimeFrom=2020-01-01`],
      ["POST", `${BASE}/orchestrators/OrchestratorFunction/x`],
      ["POST", "/api/OrchestratorFunction_HttpStart"],
    ] as const) {
      const sep = path.includes("?") ? "&" : "?";
      const res = await ctx.request(`${path}${sep}${q(mine.terminatePostUri!).slice(1)}`, { method });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect((await errorOf(res)).message).toMatch(/one operation on one instance/);
    }
    expect(await instanceCount(ctx.client)).toBe(2);
    expect((await ctx.client.getStatus("other"))?.runtimeStatus).toBe("Pending");
  });

  it("an expired signature, a tampered one, or one without its expiry → 401", async () => {
    const ctx = keyed({ signedUrlTtlSeconds: 60 });
    const urls = (await json(await ctx.request(`${BASE}/orchestrators/HumanInteraction/e1`, { method: "POST", headers: bearer() }))) as Record<string, string>;
    const terminate = urls.terminatePostUri!.replace("https://edge.example", "").replace("{text}", "late");
    const exp = Number(new URL(urls.terminatePostUri!).searchParams.get("exp"));
    expect(exp - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(60);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime((exp + 1) * 1000);
    const late = await ctx.request(terminate, { method: "POST" });
    expect(late.status).toBe(401);
    expect((await errorOf(late)).message).toMatch(/expired at/);
    vi.useRealTimers();
    // Moving the expiry breaks the signature; so does dropping it.
    const moved = terminate.replace(`exp=${exp}`, `exp=${exp + 3600}`);
    expect((await ctx.request(moved, { method: "POST" })).status).toBe(401);
    expect((await ctx.request(terminate.replace(`exp=${exp}&`, ""), { method: "POST" })).status).toBe(401);
    expect((await ctx.request(terminate.replace(/sig=[^&]+/, `sig=${"A".repeat(43)}`), { method: "POST" })).status).toBe(401);
    // A signature of the right shape made with another key.
    const forged = await sign("some-other-key-entirely-0000000000", "e1", "terminate", exp);
    expect((await ctx.request(terminate.replace(/sig=[^&]+/, `sig=${forged}`), { method: "POST" })).status).toBe(401);
    expect((await ctx.client.getStatus("e1"))?.runtimeStatus).toBe("Pending");
    expect((await ctx.request(terminate, { method: "POST" })).status).toBe(202);
  });

  it("rotation: the previous key is accepted, and URLs it signed stay valid", async () => {
    let current = PREVIOUS;
    let previous: string | undefined;
    const ctx = app({ getKey: () => current, getPreviousKey: () => previous });
    const old = (await json(await ctx.request(`${BASE}/orchestrators/HumanInteraction/rot`, { method: "POST", headers: bearer(PREVIOUS) }))) as Record<string, string>;
    current = KEY;
    previous = PREVIOUS;
    expect((await ctx.request(`${BASE}/instances`, { headers: bearer(PREVIOUS) })).status).toBe(200);
    expect((await ctx.request(`${BASE}/instances`, { headers: bearer(KEY) })).status).toBe(200);
    expect((await ctx.request(old.statusQueryGetUri!)).status).toBe(202);
    // Once the previous key is dropped, its URLs stop working.
    previous = undefined;
    expect((await ctx.request(old.statusQueryGetUri!)).status).toBe(401);
    expect((await ctx.request(`${BASE}/instances`, { headers: bearer(PREVIOUS) })).status).toBe(401);
  });

  it("the read-only key reads (and gets signed status URLs) but changes nothing", async () => {
    const ctx = keyed({ getReadOnlyKey: () => READER });
    await ctx.client.startNew("HumanInteraction", { instanceId: "r1", input: { timeoutSeconds: 60 } });
    expect((await ctx.request(`${BASE}/instances`, { headers: bearer(READER) })).status).toBe(200);
    expect((await ctx.request(`${BASE}/openapi.json`, { headers: { "x-functions-key": READER } })).status).toBe(200);
    expect((await ctx.request(`${BASE}/functions`, { headers: bearer(READER) })).status).toBe(200);
    const status = await ctx.request(`${BASE}/instances/r1?showInput=false`, { headers: bearer(READER) });
    expect(status.status).toBe(202);
    const location = status.headers.get("location")!;
    expect(new URL(location).searchParams.get("showInput")).toBe("false");
    expect((await ctx.request(location)).status).toBe(202);
    for (const [method, path, init] of ROUTES.filter(([m, p]) => m !== "GET" || p.includes("HttpStart"))) {
      const res = await ctx.request(path.replace("target", "r1"), { ...init, method, headers: { ...(init?.headers as object), ...bearer(READER) } });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect((await errorOf(res)).message).toMatch(/read-only key/);
    }
    expect(await instanceCount(ctx.client)).toBe(1);
    expect((await ctx.client.getStatus("r1"))?.runtimeStatus).toBe("Pending");
  });

  it("keys that cannot be safe are a 500 naming the problem (never the key)", async () => {
    for (const [options, message] of [
      [{ getKey: () => "short" }, /5 characters long; use at least 16/],
      [{ getKey: () => "this key has spaces in it!" }, /Authorization: Bearer' header cannot carry/],
      [{ getPreviousKey: () => PREVIOUS }, /no management key/],
      [{ getKey: () => KEY, getReadOnlyKey: () => KEY }, /read-only key is the management key/],
    ] as const) {
      const ctx = app(options);
      const res = await ctx.request(`${BASE}/instances`);
      expect(res.status).toBe(500);
      expect(await errorOf(res)).toMatchObject({ code: "Misconfigured", message: expect.stringMatching(message) });
    }
  });
});

describe("cross-site requests", () => {
  const EVIL = "https://evil.example";
  const simple: [string, Record<string, string>, BodyInit | null][] = [
    ["a form", { "content-type": "application/x-www-form-urlencoded" }, '{"a":1}='],
    ["text/plain", { "content-type": "text/plain" }, '{"a":1}'],
    ["no body", {}, null],
  ];

  for (const mode of ["open", "loopback"] as const) {
    it(`${mode}: simple requests from another site to every state-changing route → 403, nothing changes`, async () => {
      const ctx = app({ access: mode }, "http://127.0.0.1:8787");
      await ctx.client.startNew("HumanInteraction", { instanceId: "target", input: { timeoutSeconds: 60 } });
      await ctx.runtime.drain();
      // DELETE is never a simple request (browsers preflight it), but it is refused the same.
      for (const [method, path] of ROUTES.filter(([m]) => m !== "GET")) {
        for (const [what, headers, body] of simple) {
          for (const site of [{ origin: EVIL, "sec-fetch-site": "cross-site" }, { origin: EVIL }, { origin: "http://localhost:8787", "sec-fetch-site": "same-site" }]) {
            const res = await ctx.request(path, { method, headers: { ...headers, ...site }, body });
            expect(res.status, `${what} ${method} ${path} ${JSON.stringify(site)}`).toBe(403);
            expect((await errorOf(res)).message).toMatch(/Cross-site requests/);
          }
        }
      }
      // A link or an image on another site does not start the GET starter either.
      const img = await ctx.request("/api/OrchestratorFunction_HttpStart", { headers: { "sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors" } });
      expect(img.status).toBe(403);
      expect(await instanceCount(ctx.client)).toBe(1);
      await ctx.runtime.drain();
      expect((await ctx.client.getStatus("target"))?.runtimeStatus).toBe("Running");
      expect((await ctx.runtime.store.getHistory("target")).some((e) => e.EventType === "EventRaised")).toBe(false);
      // The same requests from the page's own origin, or typed into the address bar, pass.
      expect((await ctx.request("/api/OrchestratorFunction_HttpStart", { headers: { "sec-fetch-site": "none" } })).status).toBe(202);
      const own = await ctx.request(`${BASE}/instances/target/suspend`, { method: "POST", headers: { origin: "http://127.0.0.1:8787", "sec-fetch-site": "same-origin" } });
      expect(own.status).toBe(202);
    });
  }

  it("a key does not make a cross-site request pass; the configured base URL's origin counts as the page's own", async () => {
    const ctx = keyed({ baseUrl: "https://api.example" });
    const start = (origin: string) => ctx.request("/api/OrchestratorFunction_HttpStart", { method: "POST", headers: { ...bearer(), origin } });
    expect((await start(EVIL)).status).toBe(403);
    expect((await start("https://api.example")).status).toBe(202);
    expect((await start("https://edge.example")).status).toBe(202);
  });

  it("CORS is off by default; an allowed origin passes the preflight and the cross-site check, others do not", async () => {
    const none = app({ access: "open" });
    const preflight = (origin: string) => ({
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
    });
    const off = await none.request(`${BASE}/instances/x/terminate`, preflight("https://dash.example"));
    expect(off.headers.get("access-control-allow-origin")).toBeNull();
    expect(off.status).toBeGreaterThanOrEqual(400);

    const ctx = keyed({ cors: ["https://dash.example"] });
    const ok = await ctx.request(`${BASE}/instances/x/terminate`, preflight("https://dash.example"));
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://dash.example");
    expect(ok.headers.get("access-control-allow-methods")).toContain("POST");
    expect(ok.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
    const other = await ctx.request(`${BASE}/instances/x/terminate`, preflight(EVIL));
    expect(other.headers.get("access-control-allow-origin")).toBeNull();

    const started = await ctx.request("/api/OrchestratorFunction_HttpStart", { method: "POST", headers: { ...bearer(), origin: "https://dash.example", "sec-fetch-site": "cross-site" } });
    expect(started.status).toBe(202);
    expect(started.headers.get("access-control-allow-origin")).toBe("https://dash.example");
    expect(started.headers.get("access-control-expose-headers")).toContain("Location");
    const refused = await ctx.request(`${BASE}/instances`, { headers: { origin: "https://dash.example" } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-allow-origin")).toBe("https://dash.example"); // the dashboard can read why
    // A plain OPTIONS (no preflight) still gets the route's 405.
    expect((await ctx.request(`${BASE}/instances`, { method: "OPTIONS", headers: bearer() })).status).toBe(405);
  });
});

describe("URLs from a configured base URL", () => {
  it("a spoofed Host never appears in an answer", async () => {
    const ctx = app({ access: "open", baseUrl: "https://api.example/durable" });
    const evil = "https://evil.example";
    const seen: string[] = [];
    const send = async (path: string, init: RequestInit = {}) => {
      const res = await ctx.request(`${evil}${path}`, { ...init, headers: { ...(init.headers as object), host: "evil.example", "x-forwarded-host": "evil.example" } });
      seen.push(`${[...res.headers].join("\n")}\n${await res.clone().text()}`);
      return res;
    };
    const started = await send(`${BASE}/orchestrators/HumanInteraction/b1`, { method: "POST" });
    const body = (await json(started)) as Record<string, string>;
    expect(body).toEqual(expectedPayload("b1", { origin: "https://api.example/durable" }));
    expect(started.headers.get("location")).toBe(`https://api.example/durable${BASE}/instances/b1?${QS}`);
    const running = await send(`${BASE}/instances/b1?showHistory=true`);
    expect(running.status).toBe(202);
    expect(running.headers.get("location")).toBe(`https://api.example/durable${BASE}/instances/b1?showHistory=true`);
    await send(`${BASE}/instances/b1/restart`, { method: "POST" });
    await send("/api/OrchestratorFunction_HttpStart");
    await send(`${BASE}/nope`);
    await send(`${BASE}/instances/nobody`);
    await send(`${BASE}/openapi.json`);
    for (const text of seen) expect(text).not.toContain("evil.example");
  });

  it("refuses a base URL that is not an absolute http(s) URL", () => {
    const ctx = setup();
    for (const baseUrl of ["api.example", "ftp://api.example", "https://api.example/?x=1", "https://u:p@api.example"]) {
      expect(() => setup({ client: ctx.client, baseUrl })).toThrow(TypeError);
    }
  });
});
