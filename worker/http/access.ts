/**
 * @module worker/http/access — who may call the API, on Hono's own middleware.
 *
 * - **No key set**: `access` decides: `"loopback"` (default) serves only local requests (see
 *   `isLoopbackRequest`), `"open"` everyone, `"key"` no one.
 * - **A key set**: every route needs the management key (`Authorization: Bearer`, checked by Hono's
 *   `bearerAuth` with a timing-safe compare, or `x-functions-key`), the read-only key (reads only),
 *   the previous key of a rotation, `?code=<key>` when `acceptKeyInQuery` is on, or a signed URL
 *   (`exp`, `sig`: one operation on one instance, until it expires; see signing.ts).
 * - **State-changing requests from browsers** must come from the page's own origin or an origin of
 *   the `cors` allow-list (Hono's `csrf` on `Origin`/`Sec-Fetch-Site`; JSON bodies need a CORS
 *   preflight, which only allowed origins pass, through Hono's `cors`).
 */
import type { Context, MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { cors } from "hono/cors";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { timingSafeEqual } from "hono/utils/buffer";
import { HttpError } from "./errors.ts";
import { EXPIRY_PARAM, SIGNATURE_PARAM, verify, type SignedOperation } from "./signing.ts";

export const ACCESS_MODES = ["loopback", "open", "key"] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];

/** What a route does, for authorization: reads, starts, bulk purge, signals to entities, or one operation on one instance. */
export type RouteAccess = "read" | "start" | "purgeBy" | "signalEntity" | SignedOperation;

export interface Keys {
  key?: string;
  previousKey?: string;
  readOnlyKey?: string;
}

/** The access settings of one app, read per request. */
export interface AccessSettings {
  mode(c: Context): AccessMode;
  keys(c: Context): Keys;
  acceptKeyInQuery(c: Context): boolean;
  allowedOrigins(c: Context): readonly string[];
  /** The origin of the configured base URL, if any (a same-origin caller of the public address). */
  configuredOrigin(c: Context): string | undefined;
  isLoopback?: (c: Context) => boolean;
}

export const MIN_KEY_LENGTH = 16;
const TOKEN68 = /^[A-Za-z0-9._~+/-]+=*$/;

/** Why a key cannot be used (never quoting it), or undefined. */
export function keyProblem(key: string): string | undefined {
  if (key.length < MIN_KEY_LENGTH) return `is ${key.length} characters long; use at least ${MIN_KEY_LENGTH} random characters (e.g. openssl rand -base64 32)`;
  if (!TOKEN68.test(key)) return "holds characters an 'Authorization: Bearer' header cannot carry; use letters, digits and - . _ ~ + / (e.g. openssl rand -base64 32)";
  return undefined;
}

// -- loopback ------------------------------------------------------------------------------------

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export function isLoopbackAddress(ip: string): boolean {
  const a = ip.trim().toLowerCase();
  return a === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a) || /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

/**
 * The default rule of `access: "loopback"`: the request's URL names a loopback host (127.0.0.0/8,
 * `localhost`, `*.localhost`, `[::1]`) **and** it did not come from elsewhere: a `CF-Connecting-IP`
 * header, if there is one, is a loopback address. On Cloudflare every request from the internet
 * carries `CF-Connecting-IP` (set by the edge, which overwrites a client's), so a deployed Worker never
 * counts a request as local, whatever its `Host` says; `wrangler dev` sets it to the socket's peer
 * (127.0.0.1 for a local client, the LAN address for another machine). A request with neither (a
 * test's `SELF.fetch("http://localhost/…")`, a service binding's `http://127.0.0.1/…`) is local.
 * Plain Node servers build the URL from `Host`: give `isLoopback` the socket's address there.
 */
export function isLoopbackRequest(c: Context): boolean {
  let hostname: string;
  try {
    hostname = new URL(c.req.url).hostname;
  } catch {
    return false;
  }
  if (!isLoopbackHost(hostname)) return false;
  const ip = c.req.header("cf-connecting-ip");
  return ip === undefined || isLoopbackAddress(ip);
}

// -- who is calling ------------------------------------------------------------------------------

type Principal =
  | { kind: "anyone" }
  | { kind: "admin" }
  | { kind: "reader" }
  | { kind: "signed"; expires: number; signature: string; secrets: string[] };

const principals = new WeakMap<Context, Principal>();
const ANYONE: Principal = { kind: "anyone" };

const WWW_AUTHENTICATE = { "WWW-Authenticate": 'Bearer realm="durable-edge"' };

function unauthorized(message: string): HttpError {
  return new HttpError(401, "Unauthorized", message, WWW_AUTHENTICATE);
}

export const MISSING_KEY_MESSAGE = "This endpoint needs the management key: send 'Authorization: Bearer <key>' (or 'x-functions-key: <key>'), or use a URL this API handed out.";
const INVALID_KEY_MESSAGE = "The management key is not valid.";

/** The key a token is, if any (each compared in full, timing-safe). */
async function roleOf(token: string, keys: Keys): Promise<"admin" | "reader" | undefined> {
  let role: "admin" | "reader" | undefined;
  for (const [secret, r] of [[keys.key, "admin"], [keys.previousKey, "admin"], [keys.readOnlyKey, "reader"]] as const) {
    if (secret !== undefined && (await timingSafeEqual(secret, token)) && role === undefined) role = r;
  }
  return role;
}

/** Hono's bearer-auth on one header; the role of the key it accepted, or a 401 of ours. */
function keyHeader(headerName: string, prefix: string) {
  const roles = new WeakMap<Context, "admin" | "reader">();
  const keysOf = new WeakMap<Context, Keys>();
  const check = bearerAuth({
    headerName,
    prefix,
    realm: "durable-edge",
    verifyToken: async (token, c) => {
      const role = await roleOf(token, keysOf.get(c) ?? {});
      if (role) roles.set(c, role);
      return role !== undefined;
    },
  });
  return async (c: Context, keys: Keys): Promise<"admin" | "reader"> => {
    keysOf.set(c, keys);
    try {
      await check(c, async () => {});
    } catch (error) {
      if (error instanceof HTTPException && error.status < 500) throw unauthorized(INVALID_KEY_MESSAGE);
      throw error;
    }
    const role = roles.get(c);
    if (!role) throw unauthorized(INVALID_KEY_MESSAGE);
    return role;
  };
}

const authorizationHeader = keyHeader("Authorization", "Bearer");
const functionsKeyHeader = keyHeader("x-functions-key", "");

/** The first value of a query parameter, its name in any case. */
function queryValue(c: Context, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, value] of new URL(c.req.url).searchParams) if (k.toLowerCase() === wanted) return value;
  return undefined;
}

async function authenticate(c: Context, keys: Keys, settings: AccessSettings): Promise<Principal> {
  const authorization = c.req.header("authorization");
  if (authorization !== undefined && /^\s*bearer(\s|$)/i.test(authorization)) {
    return { kind: await authorizationHeader(c, keys) };
  }
  if (c.req.header("x-functions-key") !== undefined) return { kind: await functionsKeyHeader(c, keys) };
  const signature = queryValue(c, SIGNATURE_PARAM);
  if (signature !== undefined) {
    const exp = queryValue(c, EXPIRY_PARAM) ?? "";
    const expires = /^\d{1,12}$/.test(exp) ? Number(exp) : NaN;
    if (!Number.isSafeInteger(expires)) throw unauthorized("The signed URL is not valid: its 'exp' is missing or not a time.");
    if (expires * 1000 < Date.now()) {
      throw unauthorized(`The signed URL expired at ${new Date(expires * 1000).toISOString()}; ask for a new one with the key (start, or the status of a running instance).`);
    }
    return { kind: "signed", expires, signature, secrets: [keys.key, keys.previousKey].filter((k): k is string => k !== undefined) };
  }
  const code = queryValue(c, "code");
  if (code !== undefined) {
    if (!settings.acceptKeyInQuery(c)) {
      throw unauthorized("The key is not accepted in the URL ('?code=') here: send it as 'Authorization: Bearer <key>' or 'x-functions-key: <key>' (or turn on acceptKeyInQuery).");
    }
    const role = await roleOf(code, keys);
    if (!role) throw unauthorized(INVALID_KEY_MESSAGE);
    return { kind: role };
  }
  throw unauthorized(MISSING_KEY_MESSAGE);
}

/**
 * The app-wide check on the app's own paths: decides who is calling (or refuses), for `authorize`
 * on each route to say whether that caller may do what the route does.
 */
export function accessGuard(settings: AccessSettings): MiddlewareHandler {
  const isLocal = settings.isLoopback ?? isLoopbackRequest;
  return async function access(c, next) {
    const keys = settings.keys(c);
    if (keys.key === undefined) {
      const mode = settings.mode(c);
      if (mode === "open" || (mode === "loopback" && isLocal(c))) {
        principals.set(c, ANYONE);
        return next();
      }
      throw new HttpError(
        403,
        "Forbidden",
        mode === "key"
          ? "No management key is set, and this API serves no one without one. Set the key (DURABLE_EDGE_KEY)."
          : "No management key is set, so this API answers only local requests (127.0.0.1, localhost). Set a key (DURABLE_EDGE_KEY) to use it from elsewhere, or set access to 'open' to serve everyone without one.",
      );
    }
    principals.set(c, await authenticate(c, keys, settings));
    await next();
  };
}

const READS = new Set<RouteAccess>(["read", "status"]);

/** Per route: may the caller `accessGuard` found do this? Signed URLs are checked here, against the route's own instance id. */
export function authorize(what: RouteAccess): MiddlewareHandler {
  return async function authorized(c, next) {
    const who = principals.get(c) ?? ANYONE;
    switch (who.kind) {
      case "anyone":
      case "admin":
        return next();
      case "reader":
        if (READS.has(what)) return next();
        throw new HttpError(403, "Forbidden", "The read-only key can read statuses, entity states and lists only; this needs the management key.");
      case "signed": {
        if (what === "read" || what === "start" || what === "purgeBy" || what === "signalEntity") {
          throw unauthorized("A signed URL allows one operation on one instance; this route needs the management key.");
        }
        const instanceId = c.req.param("instanceId") ?? "";
        if (!(await verify(who.secrets, instanceId, what, who.expires, who.signature))) {
          throw unauthorized(`The signature is not valid for the '${what}' operation of this instance.`);
        }
        return next();
      }
    }
  };
}

/** True when the request was authenticated by a key (so the answer may hand out freshly signed URLs). */
export function calledWithKey(c: Context): boolean {
  const who = principals.get(c);
  return who?.kind === "admin" || who?.kind === "reader";
}

// -- cross-site requests and CORS ------------------------------------------------------------------

function isAllowedOrigin(origin: string, c: Context, settings: AccessSettings): boolean {
  if (origin === new URL(c.req.url).origin || origin === settings.configuredOrigin(c)) return true;
  return settings.allowedOrigins(c).includes(origin);
}

const SAFE_METHODS = /^(GET|HEAD|OPTIONS)$/;

function crossSite(): HttpError {
  return new HttpError(
    403,
    "Forbidden",
    "Cross-site requests may not change anything here: call from the API's own origin or an origin of its CORS allow-list.",
  );
}

/**
 * Refuses state-changing requests a browser sends on behalf of another site: Hono's `csrf` on
 * `Origin` and `Sec-Fetch-Site` (what simple requests — forms, `text/plain`, no body — carry), and,
 * for GET starters, `Sec-Fetch-Site` alone (a link or an image must not start anything). Requests
 * with neither header come from no browser (curl, servers) and pass; JSON bodies need a preflight,
 * which only origins of the allow-list pass.
 */
export function crossSiteGuard(settings: AccessSettings, options: { getChangesState?: boolean } = {}): MiddlewareHandler {
  const check = csrf({
    origin: (origin, c) => isAllowedOrigin(origin, c, settings),
    secFetchSite: (site) => site === "same-origin",
  });
  return async function crossSiteCheck(c, next) {
    const method = c.req.method;
    const origin = c.req.header("origin");
    const site = c.req.header("sec-fetch-site");
    if (origin === undefined && site === undefined) return next();
    if (!SAFE_METHODS.test(method)) {
      try {
        await check(c, async () => {});
      } catch (error) {
        if (error instanceof HTTPException && error.status === 403) throw crossSite();
        throw error;
      }
    } else if (options.getChangesState && method === "GET" && site !== undefined && site !== "same-origin" && site !== "none") {
      if (origin === undefined || !isAllowedOrigin(origin, c, settings)) throw crossSite();
    }
    return next();
  };
}

export const CORS_ALLOW_HEADERS = ["Authorization", "Content-Type", "x-functions-key", "x-ms-continuation-token", "X-Request-Id"];
export const CORS_EXPOSE_HEADERS = ["Location", "Retry-After", "x-ms-continuation-token", "X-Request-Id", "Allow", "WWW-Authenticate"];

/** Hono's `cors` for the allow-list: answers preflights, and lets allowed origins read the answers. */
export function corsMiddleware(settings: AccessSettings): MiddlewareHandler {
  const handler = cors({
    origin: (origin, c) => (origin !== "" && settings.allowedOrigins(c).includes(origin) ? origin : null),
    allowMethods: ["GET", "HEAD", "POST", "DELETE"],
    allowHeaders: CORS_ALLOW_HEADERS,
    exposeHeaders: CORS_EXPOSE_HEADERS,
    maxAge: 600,
  });
  return async function corsPolicy(c, next) {
    // A plain OPTIONS (no preflight) goes to the routes, which answer 405 with Allow.
    if (c.req.method === "OPTIONS" && c.req.header("access-control-request-method") === undefined) return next();
    return handler(c, next);
  };
}
