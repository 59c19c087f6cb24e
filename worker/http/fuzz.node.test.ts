/**
 * Seeded fuzzing through `app.request()`: thousands of generated requests (hostile paths, methods,
 * query strings, headers, bodies, keys and signatures) against an open app, a keyed one and the
 * default (loopback) one. None may answer 5xx, every 4xx is JSON `{ code, message }`, nothing is
 * logged as an internal error, and no answer holds a key. Replay one seed: FUZZ_SEED=1234 npx vitest
 * run --project node worker/http/fuzz.node.test.ts
 */
import { describe, expect, it } from "vitest";
import type { ManagementAppOptions } from "./options.ts";
import { BASE, setup } from "./test-fixtures.ts";

const KEY = "fuzz-management-key-0123456789ab";
const READER = "fuzz-read-only-key-0123456789abc";
const REQUESTS_PER_APP = Number(process.env.FUZZ_REQUESTS ?? 1500);
const SEEDS = process.env.FUZZ_SEED ? [Number(process.env.FUZZ_SEED)] : [20261201, 7];

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}
type Rng = ReturnType<typeof prng>;

const ORCHESTRATORS = ["OrchestratorFunction", "HumanInteraction", "FanOutFanIn", "NoSuchThing", "", "%00", "a%2Fb", "x".repeat(300)];
const IDS = ["x", "fuzz-1", "fuzz-2", "@entity", "a%2Fb", "a%5Cb", "%23", "%3F", "%00", "%0A", "%E0%A4%A", "%", "..", ".", "y".repeat(257), "ü", "%F0%9F%98%80", "a b", "%20"];
const OPERATIONS = ["terminate", "TERMINATE", "suspend", "resume", "rewind", "restart", "Restart", "raiseEvent", "raiseevent", "purge", "status", "nope", "", "%2e%2e"];
const EVENTS = ["Approval", "", "%01", "e".repeat(300), "a%2Fb"];
const ENTITIES = ["Counter", "counter", "Account", "NoSuchEntity", "a@b", "@", "%40x", "", "%00", "a%2Fb", "%20", "n".repeat(300)];
const ENTITY_KEYS = ["k", "$", "%24", "", "a%2Fb", "a%5Cb", "%23", "%3F", "%00", "%C2%85", "%E0%A4%A", "%", "..", "k".repeat(255), "ü"];
const QUERY_NAMES = [
  "showHistory", "SHOWHISTORY", "showHistoryOutput", "showInput", "returnInternalServerErrorOnFailure", "runtimeStatus", "RuntimeStatus", "createdTimeFrom",
  "createdTimeTo", "instanceIdPrefix", "top", "timeout", "pollingInterval", "reason", "version", "restartWithNewInstanceId", "taskHub", "connection",
  "code", "sig", "exp", "SIG", "__proto__", "constructor", "x", "",
  "op", "OP", "fetchState", "includeDeleted", "metadata", "lastOperationTimeFrom", "lastOperationTimeTo",
];
const QUERY_VALUES = [
  "true", "false", "TRUE", "1", "0", "yes", "", "0.1", "-1", "1e400", "NaN", "Infinity", "5", "1001", "2026-01-31", "2026-13-45T99:99:99Z", "yesterday",
  "Running,Completed", "Canceled", "Bogus", "Pending,,", "%", "%E0%A4%A", "%00", "r".repeat(5000), "A".repeat(43), "9999999999", "1",
  "add", "reset", "get", "deposit", "withdraw", "delete",
  encodeURIComponent("<script>"), "💥",
];
const CONTENT_TYPES = [
  undefined, "application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
  "application/vnd.api+json", "application/xml", "", ";", "application/json;;;", "APPLICATION/JSON",
];

function path(r: Rng): string {
  const id = () => r.pick(IDS);
  const choices: (() => string)[] = [
    () => `${BASE}/orchestrators/${r.pick(ORCHESTRATORS)}`,
    () => `${BASE}/orchestrators/${r.pick(ORCHESTRATORS)}/${id()}`,
    () => `${BASE}/instances`,
    () => `${BASE}/instances/`,
    () => `${BASE}/instances/${id()}`,
    () => `${BASE}/instances/${id()}/${r.pick(OPERATIONS)}`,
    () => `${BASE}/instances/${id()}/raiseEvent/${r.pick(EVENTS)}`,
    () => `${BASE}/instances/${id()}/${r.pick(OPERATIONS)}/${r.pick(EVENTS)}/extra`,
    () => `${BASE}/openapi.json`,
    () => `${BASE}/${r.pick(["functions", "functions/", "Functions", "functions/x", "functions/%2e%2e"])}`,
    () => `${BASE}`,
    () => `${BASE}/${r.pick(["entities", "entities/", "makeprimary", "..", "%2e%2e/instances", "instances//x"])}`,
    () => `${BASE}/entities/${r.pick(ENTITIES)}`,
    () => `${BASE}/entities/${r.pick(ENTITIES)}/${r.pick(ENTITY_KEYS)}`,
    () => `${BASE}/entities/${r.pick(ENTITIES)}/${r.pick(ENTITY_KEYS)}`,
    () => `${BASE}/entities/${r.pick(ENTITIES)}/${r.pick(ENTITY_KEYS)}/${r.pick(["extra", ""])}`,
    () => "/api/OrchestratorFunction_HttpStart",
    () => `/api/orchestrators/${r.pick(ORCHESTRATORS)}`,
    () => `/api/orchestrators/${r.pick(ORCHESTRATORS)}/${id()}`,
    () => `/api/${r.pick(["unknown", "orchestrators", "OrchestratorFunction_HttpStart/x"])}`,
    () => r.pick(["/", "/nope", "//", "/runtime", `${BASE}/instances/${"z".repeat(5000)}`]),
  ];
  return r.pick(choices)();
}

function query(r: Rng): string {
  if (r.chance(0.3)) return "";
  const parts: string[] = [];
  for (let i = r.int(5); i >= 0; i--) {
    const name = r.pick(QUERY_NAMES);
    // Keys go where keys go (an error message quotes other parameters' values back to their sender).
    const value = name.toLowerCase() === "code" && r.chance(0.5) ? r.pick([KEY, READER]) : r.pick(QUERY_VALUES);
    parts.push(r.chance(0.1) ? name : `${name}=${value}`);
  }
  if (r.chance(0.05)) parts.push("&&=&");
  return `?${parts.join("&")}`;
}

function headers(r: Rng): Record<string, string> {
  const h: Record<string, string> = {};
  const type = r.pick(CONTENT_TYPES);
  if (type !== undefined) h["content-type"] = type;
  if (r.chance(0.25)) h.authorization = r.pick([`Bearer ${KEY}`, `Bearer ${READER}`, "Bearer nope", "Bearer", `Basic ${KEY}`, `bearer ${KEY}x`, "Bearer \u00e9", `Bearer ${"a".repeat(5000)}`]);
  if (r.chance(0.15)) h["x-functions-key"] = r.pick([KEY, READER, "", "nope", " "]);
  if (r.chance(0.2)) h.origin = r.pick(["https://evil.example", "https://edge.example", "null", "https://dash.example", ""]);
  if (r.chance(0.2)) h["sec-fetch-site"] = r.pick(["cross-site", "same-site", "same-origin", "none", "bogus"]);
  if (r.chance(0.1)) h["cf-connecting-ip"] = r.pick(["127.0.0.1", "203.0.113.9", "", "::1", "garbage"]);
  if (r.chance(0.1)) h["x-ms-continuation-token"] = r.pick(["", "garbage", "zz.", "x".repeat(3000), "eyJ9"]);
  if (r.chance(0.05)) h["access-control-request-method"] = r.pick(["POST", "DELETE", "PUT"]);
  if (r.chance(0.05)) h["x-request-id"] = r.pick(["abc", "<x>", "a".repeat(300)]);
  return h;
}

function body(r: Rng): BodyInit | undefined {
  switch (r.int(12)) {
    case 0:
      return JSON.stringify({ timeoutSeconds: 1, count: r.int(5) });
    case 1:
      return "{";
    case 2:
      return "[".repeat(r.pick([65, 1000, 100_000])) + "]".repeat(3);
    case 3:
      return new Uint8Array([0x22, 0xff, 0xfe, 0x22]);
    case 4:
      return JSON.stringify("x".repeat(r.pick([10, 3000, 70_000])));
    case 5:
      return "null";
    case 6:
      return "[1e400]";
    case 7:
      return "a=1&b=2";
    case 8:
      return "";
    default:
      return undefined;
  }
}

const METHODS = ["GET", "GET", "POST", "POST", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"];

const APPS: Record<string, Partial<ManagementAppOptions>> = {
  open: { access: "open", maxWaitSeconds: 0, maxBodyBytes: 64 * 1024 },
  keyed: { getKey: () => KEY, getReadOnlyKey: () => READER, acceptKeyInQuery: true, cors: ["https://dash.example"], baseUrl: "https://api.example", maxWaitSeconds: 0, maxBodyBytes: 64 * 1024 },
  loopback: { access: undefined, maxWaitSeconds: 0, maxBodyBytes: 64 * 1024 },
};

describe("fuzzing the API", () => {
  for (const seed of SEEDS) {
    for (const [name, options] of Object.entries(APPS)) {
      it(`${name} app, seed ${seed}: no 5xx, every 4xx a JSON { code, message }, no key in any answer`, async () => {
        const ctx = setup(options);
        const r = prng(seed);
        const counts = new Map<number, number>();
        for (let i = 0; i < REQUESTS_PER_APP; i++) {
          const method = r.pick(METHODS);
          const origin = r.pick(["https://edge.example", "http://127.0.0.1:8787", "http://localhost", "https://evil.example"]);
          const url = `${origin}${path(r)}${query(r)}`;
          const init: RequestInit = { method, headers: headers(r) };
          const b = method === "GET" || method === "HEAD" ? undefined : body(r);
          if (b !== undefined) init.body = b;
          const what = `seed ${seed} #${i}: ${method} ${url.slice(0, 300)} ${JSON.stringify(init.headers).slice(0, 300)}`;
          let res: Response;
          try {
            res = await ctx.app.request(url, init);
          } catch (error) {
            throw new Error(`${what} threw: ${String(error)}`);
          }
          counts.set(res.status, (counts.get(res.status) ?? 0) + 1);
          const text = await res.text();
          expect(res.status, `${what}\n${text.slice(0, 300)}`).toBeLessThan(500);
          expect(res.status, what).toBeGreaterThanOrEqual(200);
          const headerText = [...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
          expect(text.includes(KEY) || headerText.includes(KEY) || text.includes(READER) || headerText.includes(READER), `${what} leaks a key`).toBe(false);
          if (res.status >= 400 && method !== "HEAD") {
            expect(res.headers.get("content-type"), what).toMatch(/^application\/json/);
            const parsed = JSON.parse(text) as Record<string, unknown>;
            expect(Object.keys(parsed), `${what}\n${text}`).toEqual(["code", "message"]);
            expect(typeof parsed.code === "string" && typeof parsed.message === "string" && parsed.message !== "", what).toBe(true);
          }
          if (i % 200 === 199) await ctx.runtime.drain();
        }
        expect(ctx.logged, `seed ${seed}: internal errors were logged`).toEqual([]);
        // The run reached past the checks: starts, reads and refusals of each kind.
        const seen = [...counts.keys()];
        expect(seen.some((s) => s < 300), `seed ${seed}: ${JSON.stringify([...counts])}`).toBe(true);
        expect(seen.filter((s) => s >= 400).length).toBeGreaterThan(3);
      }, 120_000);
    }
  }
});
