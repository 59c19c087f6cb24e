/** @module worker/http/options — what the host passes to `createManagementApp`, checked at once, and its resolution. */
import type { Context, Env } from "hono";
import { DEFAULT_BASE_PATH, type EntityClient, type ManagementUrlOptions, type OrchestrationClient } from "../../src/index.ts";
import { ACCESS_MODES, keyProblem, type AccessMode, type AccessSettings, type Keys } from "./access.ts";
import { DEFAULT_MAX_BODY_BYTES } from "./body.ts";
import { HttpError, type ErrorLogger } from "./errors.ts";

export interface StarterOptions {
  /** Path prefix of the starter routes. Default `/api`. */
  prefix?: string | undefined;
  /**
   * Fixed starters, `route → orchestrator`: `GET|POST {prefix}/{route}` starts the orchestrator with
   * no input and answers 202 with the check-status payload, like the Durable Functions template.
   * Default `{ OrchestratorFunction_HttpStart: "OrchestratorFunction" }` (the tutorial's).
   */
  fixed?: Record<string, string> | undefined;
  /** `POST {prefix}/orchestrators/:name[/:instanceId]`, body = JSON input. Default true. */
  generic?: boolean | undefined;
}

/** What the routes call: orchestrations and entities (`DurableClient` and the Worker's client are both). */
export type ManagementClient = OrchestrationClient & EntityClient;

/** A setting given once, or read per request (e.g. from `c.env`). */
export type PerRequest<T, E extends Env = Env> = T | ((c: Context<E>) => T);

export interface ManagementAppOptions<E extends Env = Env> {
  /** The client the routes call: one for the app, or one per request (e.g. built from `c.env`). */
  client: ManagementClient | ((c: Context<E>) => ManagementClient | Promise<ManagementClient>);
  /** Default `/runtime/webhooks/durabletask`. */
  basePath?: string | undefined;
  /** Names put into the management URLs (`taskHub=`, `connection=`). Defaults "DurableEdgeHub", "Storage". */
  taskHub?: string | undefined;
  connection?: string | undefined;
  /**
   * The management key (full control). When it returns a non-empty string, every route of this
   * app needs it (`Authorization: Bearer` or `x-functions-key`) or a signed URL the app handed out.
   * At least 16 characters that fit a Bearer header (e.g. `openssl rand -base64 32`).
   */
  getKey?: ((c: Context<E>) => string | undefined) | undefined;
  /** The key before a rotation: accepted like `getKey`'s, and URLs it signed stay valid. */
  getPreviousKey?: ((c: Context<E>) => string | undefined) | undefined;
  /** A key that may only read (status, list, the OpenAPI document). Needs `getKey` too. */
  getReadOnlyKey?: ((c: Context<E>) => string | undefined) | undefined;
  /**
   * Who may call when no key is set: `"loopback"` (default) only requests to 127.0.0.1/localhost/[::1]
   * that did not come through Cloudflare's edge; `"open"` anyone; `"key"` nobody. With a key, the key
   * (or a signed URL) is always needed.
   */
  access?: PerRequest<AccessMode, E> | undefined;
  /** Accept the key as `?code=<key>` too (Durable Functions clients that need it). Default false. URLs never carry it. */
  acceptKeyInQuery?: PerRequest<boolean, E> | undefined;
  /** How long the signed URLs the app hands out stay valid, in seconds (60 to 31,536,000). Default 604,800 (7 days). */
  signedUrlTtlSeconds?: PerRequest<number, E> | undefined;
  /**
   * Origin (and optional path prefix) the management URLs start with, e.g. `https://api.example.com`.
   * Default: the request's origin. Set it in production: then the request's `Host` never appears in an answer.
   */
  baseUrl?: string | ((c: Context<E>) => string | undefined) | undefined;
  /** Origins allowed to call cross-origin (CORS, and past the cross-site check), e.g. `["https://dash.example"]`. Default none. */
  cors?: PerRequest<readonly string[] | undefined, E> | undefined;
  /** Decides whether a request is local, for `access: "loopback"`. Default: `isLoopbackRequest` (see access.ts). */
  isLoopback?: ((c: Context<E>) => boolean) | undefined;
  /** Request bodies above this are refused with 413. Default 1 MiB. */
  maxBodyBytes?: number | undefined;
  /** Upper bound for the `timeout` of start-and-wait requests. Default 60 s. */
  maxWaitSeconds?: number | undefined;
  /** The HTTP starters under `/api`; `false` for none. */
  starters?: false | StarterOptions | undefined;
  /** Where unexpected errors are logged. Default `console`. */
  logger?: ErrorLogger | undefined;
  /** The instance stream (`GET {base}/stream/instances/{id}`): heartbeat, longest stream, and the poll interval for a client without `watch`. */
  stream?: StreamSettings | undefined;
}

/** How the instance stream behaves (all in milliseconds, each positive). */
export interface StreamSettings {
  /** How often the instance is read for a client without `watch` (default 250 ms). */
  pollMs?: number | undefined;
  /** How long one stream stays open before the client is asked to reconnect (default 60 s). */
  maxMs?: number | undefined;
  /** How often a comment is sent while nothing changes (default 5 s): it bounds how long a watch outlives a client that left. */
  heartbeatMs?: number | undefined;
}

/** Starter options with every default filled in. */
export interface ResolvedStarters {
  prefix: string;
  fixed: Record<string, string>;
  generic: boolean;
}

export const DEFAULT_STARTERS: ResolvedStarters = {
  prefix: "/api",
  fixed: { OrchestratorFunction_HttpStart: "OrchestratorFunction" },
  generic: true,
};

export const DEFAULT_MAX_WAIT_SECONDS = 60;
export const DEFAULT_SIGNED_URL_TTL_SECONDS = 7 * 24 * 3600;
export const MIN_SIGNED_URL_TTL_SECONDS = 60;
export const MAX_SIGNED_URL_TTL_SECONDS = 365 * 24 * 3600;

/** What the route modules get: settings plus per-request helpers. */
export interface Deps {
  basePath: string;
  maxBodyBytes: number;
  maxWaitMs: number;
  logger: ErrorLogger;
  access: AccessSettings;
  /** The request's client (built once per request). */
  client(c: Context): Promise<ManagementClient>;
  /** How this request's management URLs are built: the configured origin (else the request's), base path, hub, connection. */
  urlOptions(c: Context, options?: { returnInternalServerErrorOnFailure?: boolean }): ManagementUrlOptions;
  /** The origin (and prefix) answers put in URLs: the configured base URL, else the request's origin. */
  publicBase(c: Context): string;
  /** Seconds a signed URL made now stays valid. */
  signedUrlTtlSeconds(c: Context): number;
}

/** `/a/b/` → `/a/b`; `""` or `/` → `""` (routes at the root). */
export function normalizePath(path: string, what: string): string {
  if (typeof path !== "string" || (path !== "" && !path.startsWith("/")) || /[?#\s]/.test(path)) {
    throw new TypeError(`${what} must be a path starting with '/', got ${JSON.stringify(path)}.`);
  }
  return path.replace(/\/+$/, "");
}

/** Problems of a base URL, or undefined: absolute http(s), no query or fragment, no credentials. */
export function baseUrlProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return `must be a URL such as 'https://api.example.com', got ${describe(value)}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be an absolute URL such as 'https://api.example.com', got ${JSON.stringify(value)}`;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return `must be an http or https URL, got ${JSON.stringify(value)}`;
  if (url.search || url.hash || value.includes("?") || value.includes("#")) return `must not have a query or fragment, got ${JSON.stringify(value)}`;
  if (url.username || url.password) return "must not hold credentials";
  return undefined;
}

/** Problems of a CORS origin, or undefined: `scheme://host[:port]`, exactly as browsers send `Origin`. */
export function originProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return `must be an origin such as 'https://dash.example', got ${describe(value)}`;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || url.origin !== value) {
    return `must be an origin such as 'https://dash.example' (scheme, host and port only, no trailing slash), got ${JSON.stringify(value)}`;
  }
  return undefined;
}

export function ttlProblem(value: unknown): string | undefined {
  if (typeof value !== "number" || !Number.isInteger(value) || value < MIN_SIGNED_URL_TTL_SECONDS || value > MAX_SIGNED_URL_TTL_SECONDS) {
    return `must be a whole number of seconds from ${MIN_SIGNED_URL_TTL_SECONDS} to ${MAX_SIGNED_URL_TTL_SECONDS}, got ${describe(value)}`;
  }
  return undefined;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return "an array";
  return value === null ? "null" : typeof value === "object" ? "an object" : String(value);
}

const CLIENTS = new WeakMap<Context, Promise<ManagementClient>>();

const OPTION_NAMES = [
  "client",
  "basePath",
  "taskHub",
  "connection",
  "getKey",
  "getPreviousKey",
  "getReadOnlyKey",
  "access",
  "acceptKeyInQuery",
  "signedUrlTtlSeconds",
  "baseUrl",
  "cors",
  "isLoopback",
  "maxBodyBytes",
  "maxWaitSeconds",
  "starters",
  "logger",
  "stream",
];

/** A per-request setting: the value itself (checked now), or a function whose answer is checked per request. */
function perRequest<T>(value: unknown, fallback: T, option: string, problem: (v: unknown) => string | undefined): (c: Context) => T {
  if (value === undefined) return () => fallback;
  if (typeof value !== "function") {
    const why = problem(value);
    if (why) throw new TypeError(`createManagementApp: ${option} ${why}.`);
    return () => value as T;
  }
  const read = value as (c: Context) => unknown;
  return (c) => {
    const got = read(c);
    if (got === undefined) return fallback;
    const why = problem(got);
    if (why) throw new HttpError(500, "Misconfigured", `The management API is misconfigured: ${option} ${why}.`);
    return got as T;
  };
}

function optionalFunction(value: unknown, option: string, example: string): void {
  if (value !== undefined && typeof value !== "function") throw new TypeError(`createManagementApp: ${option} must be a function of the request context, e.g. ${example}.`);
}

export function resolveDeps<E extends Env>(options: ManagementAppOptions<E>): Deps {
  if (typeof options !== "object" || options === null) throw new TypeError("createManagementApp needs options: createManagementApp({ client }).");
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key)) throw new TypeError(`createManagementApp: unknown option '${key}'. Options: ${OPTION_NAMES.join(", ")}.`);
  }
  const source = options.client;
  if (!source || (typeof source !== "function" && typeof source !== "object")) {
    throw new TypeError("createManagementApp needs a client (an OrchestrationClient and EntityClient such as runtime.client, or a function of the request context returning one).");
  }
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 0) throw new TypeError(`createManagementApp: maxBodyBytes must be a non-negative integer, got ${maxBodyBytes}.`);
  const maxWaitSeconds = options.maxWaitSeconds ?? DEFAULT_MAX_WAIT_SECONDS;
  if (typeof maxWaitSeconds !== "number" || !(maxWaitSeconds >= 0)) throw new TypeError(`createManagementApp: maxWaitSeconds must be a non-negative number, got ${maxWaitSeconds}.`);
  const basePath = normalizePath(options.basePath ?? DEFAULT_BASE_PATH, "basePath");
  for (const [name, value] of [["taskHub", options.taskHub], ["connection", options.connection]] as const) {
    if (value !== undefined && (typeof value !== "string" || value === "")) throw new TypeError(`createManagementApp: ${name} must be a non-empty string.`);
  }
  optionalFunction(options.getKey, "getKey", "(c) => c.env.DURABLE_EDGE_KEY");
  optionalFunction(options.getPreviousKey, "getPreviousKey", "(c) => c.env.DURABLE_EDGE_PREVIOUS_KEY");
  optionalFunction(options.getReadOnlyKey, "getReadOnlyKey", "(c) => c.env.DURABLE_EDGE_READ_KEY");
  optionalFunction(options.isLoopback, "isLoopback", "(c) => isLoopbackRequest(c)");
  if (options.logger !== undefined && typeof options.logger?.error !== "function") throw new TypeError("createManagementApp: logger must have an error(...args) method (e.g. console).");

  const mode = perRequest<AccessMode>(options.access, "loopback", "access", (v) =>
    typeof v === "string" && (ACCESS_MODES as readonly string[]).includes(v) ? undefined : `must be one of ${ACCESS_MODES.map((m) => `'${m}'`).join(", ")}, got ${describe(v)}`,
  );
  const acceptKeyInQuery = perRequest<boolean>(options.acceptKeyInQuery, false, "acceptKeyInQuery", (v) => (typeof v === "boolean" ? undefined : `must be true or false, got ${describe(v)}`));
  const ttl = perRequest<number>(options.signedUrlTtlSeconds, DEFAULT_SIGNED_URL_TTL_SECONDS, "signedUrlTtlSeconds", ttlProblem);
  const cors = perRequest<readonly string[]>(options.cors, [], "cors", (v) => {
    if (!Array.isArray(v)) return `must be an array of origins such as ['https://dash.example'], got ${describe(v)}`;
    for (const [i, origin] of v.entries()) {
      const why = originProblem(origin);
      if (why) return `[${i}] ${why}`;
    }
    return undefined;
  });
  const baseUrl = perRequest<string | undefined>(options.baseUrl, undefined, "baseUrl", baseUrlProblem);
  const hostContext = (c: Context) => c as unknown as Context<E>;
  const readKey = (get: ((c: Context<E>) => string | undefined) | undefined, c: Context): string | undefined => {
    const value = get?.(hostContext(c));
    if (value === undefined || value === null || value === "") return undefined;
    return value;
  };
  const keyCache = new WeakMap<Context, Keys>();
  const keys = (c: Context): Keys => {
    const cached = keyCache.get(c);
    if (cached) return cached;
    const found: Keys = {};
    const key = readKey(options.getKey, c);
    const previousKey = readKey(options.getPreviousKey, c);
    const readOnlyKey = readKey(options.getReadOnlyKey, c);
    for (const [name, value] of [["getKey", key], ["getPreviousKey", previousKey], ["getReadOnlyKey", readOnlyKey]] as const) {
      if (value === undefined) continue;
      const why = typeof value === "string" ? keyProblem(value) : `must return a string, got ${describe(value)}`;
      if (why) throw new HttpError(500, "Misconfigured", `The management API is misconfigured: the key of ${name} ${why}.`);
    }
    if (!key && (previousKey || readOnlyKey)) {
      throw new HttpError(500, "Misconfigured", "The management API is misconfigured: a previous or read-only key is set, but no management key (getKey).");
    }
    if (key && readOnlyKey === key) throw new HttpError(500, "Misconfigured", "The management API is misconfigured: the read-only key is the management key.");
    if (key) found.key = key;
    if (previousKey) found.previousKey = previousKey;
    if (readOnlyKey) found.readOnlyKey = readOnlyKey;
    keyCache.set(c, found);
    return found;
  };
  const publicBase = (c: Context) => (baseUrl(c) ?? new URL(c.req.url).origin).replace(/\/+$/, "");
  const isLoopback = options.isLoopback;

  return {
    basePath,
    maxBodyBytes,
    maxWaitMs: maxWaitSeconds * 1000,
    logger: options.logger ?? console,
    access: {
      mode,
      keys,
      acceptKeyInQuery,
      allowedOrigins: cors,
      configuredOrigin: (c) => {
        const base = baseUrl(c);
        return base === undefined ? undefined : new URL(base).origin;
      },
      ...(isLoopback ? { isLoopback: (c: Context) => isLoopback(hostContext(c)) === true } : {}),
    },
    client(c) {
      let client = CLIENTS.get(c);
      if (!client) {
        client = Promise.resolve(typeof source === "function" ? source(hostContext(c)) : source);
        CLIENTS.set(c, client);
      }
      return client;
    },
    publicBase,
    signedUrlTtlSeconds: ttl,
    urlOptions(c, extra = {}) {
      return {
        baseUrl: publicBase(c),
        basePath,
        ...(options.taskHub !== undefined ? { taskHub: options.taskHub } : {}),
        ...(options.connection !== undefined ? { connection: options.connection } : {}),
        ...(extra.returnInternalServerErrorOnFailure ? { returnInternalServerErrorOnFailure: true } : {}),
      };
    },
  };
}
