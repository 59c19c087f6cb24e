/** The optional management key. */
import { describe, expect, it } from "vitest";
import { constantTimeEqual } from "./auth.ts";
import { BASE, expectedPayload, instanceCount, json, pathOf, QS, setup } from "./test-fixtures.ts";

const KEY = "s3cret/+key";
const ENCODED_KEY = encodeURIComponent(KEY);

describe("without a key", () => {
  it("every route is open", async () => {
    const ctx = setup();
    expect((await ctx.request(`${BASE}/instances`)).status).toBe(200);
    expect((await ctx.request("/api/OrchestratorFunction_HttpStart")).status).toBe(202);
  });

  it("a getKey that returns undefined or '' leaves it open", async () => {
    for (const key of [undefined, ""]) {
      const ctx = setup({ getKey: () => key });
      const res = await ctx.request("/api/OrchestratorFunction_HttpStart");
      expect(res.status).toBe(202);
      const body = (await json(res)) as { id: string };
      expect(body).toEqual(expectedPayload(body.id));
    }
  });
});

describe("with a key", () => {
  const keyed = () => setup({ getKey: () => KEY });

  it("401 JSON without the key, on management and starter routes alike, and nothing is started", async () => {
    const ctx = keyed();
    for (const [method, path] of [
      ["GET", `${BASE}/instances`],
      ["GET", `${BASE}/instances/x`],
      ["POST", `${BASE}/orchestrators/OrchestratorFunction`],
      ["POST", `${BASE}/instances/x/terminate`],
      ["DELETE", `${BASE}/instances/x`],
      ["GET", "/api/OrchestratorFunction_HttpStart"],
      ["POST", "/api/orchestrators/OrchestratorFunction"],
    ] as const) {
      const res = await ctx.request(path, { method });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="durable-edge"');
      expect(await json(res)).toEqual({
        code: "Unauthorized",
        message: "This endpoint needs the management key: send 'Authorization: Bearer <key>' or add '?code=<key>'.",
      });
    }
    expect(await instanceCount(ctx.client)).toBe(0);
  });

  it("401 for a wrong key in any of the three places", async () => {
    const ctx = keyed();
    const inits: RequestInit[] = [
      { headers: { authorization: "Bearer nope" } },
      { headers: { "x-functions-key": "nope" } },
      { headers: { authorization: `Basic ${KEY}` } },
    ];
    for (const init of inits) {
      const res = await ctx.request(`${BASE}/instances`, init);
      expect(res.status).toBe(401);
    }
    const query = await ctx.request(`${BASE}/instances?code=${ENCODED_KEY}x`);
    expect(query.status).toBe(401);
    expect(await json(query)).toEqual({ code: "Unauthorized", message: "The management key is not valid." });
  });

  it("accepts Authorization: Bearer, x-functions-key and ?code=", async () => {
    const ctx = keyed();
    expect((await ctx.request(`${BASE}/instances`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
    expect((await ctx.request(`${BASE}/instances`, { headers: { authorization: `bearer   ${KEY}` } })).status).toBe(200);
    expect((await ctx.request(`${BASE}/instances`, { headers: { "x-functions-key": KEY } })).status).toBe(200);
    expect((await ctx.request(`${BASE}/instances?code=${ENCODED_KEY}`)).status).toBe(200);
  });

  it("the check-status URLs carry code= and work as they are", async () => {
    const ctx = keyed();
    const res = await ctx.request("/api/OrchestratorFunction_HttpStart", { headers: { authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(202);
    const body = (await json(res)) as Record<string, string> & { id: string };
    expect(body).toEqual(expectedPayload(body.id, { qs: `${QS}&code=${ENCODED_KEY}` }));
    expect(res.headers.get("location")).toBe(body.statusQueryGetUri);
    await ctx.runtime.drain();
    const status = await ctx.request(pathOf(body.statusQueryGetUri!));
    expect(status.status).toBe(200);
    expect(((await json(status)) as { output: unknown }).output).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
    const restart = await ctx.request(pathOf(body.restartPostUri!), { method: "POST" });
    expect(restart.status).toBe(202);
    const purge = await ctx.request(pathOf(body.purgeHistoryDeleteUri!), { method: "DELETE" });
    expect(purge.status).toBe(200);
  });

  it("the key can come from the request (e.g. c.env), per request", async () => {
    const ctx = setup({ getKey: (c) => (c.env as { KEY?: string } | undefined)?.KEY });
    expect((await ctx.app.request("https://h.example/runtime/webhooks/durabletask/instances", {}, { KEY: "k1" })).status).toBe(401);
    expect((await ctx.app.request("https://h.example/runtime/webhooks/durabletask/instances?code=k1", {}, { KEY: "k1" })).status).toBe(200);
    expect((await ctx.app.request("https://h.example/runtime/webhooks/durabletask/instances", {}, {})).status).toBe(200);
  });

  it("unknown routes outside the app's paths are not guarded (404, not 401)", async () => {
    const ctx = keyed();
    expect((await ctx.request("/elsewhere")).status).toBe(404);
    expect((await ctx.request("/api/elsewhere")).status).toBe(404);
    expect((await ctx.request(`${BASE}/elsewhere`)).status).toBe(401); // the management namespace is guarded
  });
});

describe("constantTimeEqual", () => {
  it("compares exactly", () => {
    expect(constantTimeEqual("abc", "abc")).toBe(true);
    expect(constantTimeEqual("abc", "abd")).toBe(false);
    expect(constantTimeEqual("ab", "abc")).toBe(false);
    expect(constantTimeEqual("abcd", "abc")).toBe(false);
    expect(constantTimeEqual("", "a")).toBe(false);
    expect(constantTimeEqual("ü", "ü")).toBe(true);
  });
});
