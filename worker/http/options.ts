/** @module worker/http/options — what the host passes to `createManagementApp`, and its resolution. */
import type { Context, Env } from "hono";
import { DEFAULT_BASE_PATH, type ManagementUrlOptions, type OrchestrationClient } from "../../src/index.ts";
import { DEFAULT_MAX_BODY_BYTES } from "./body.ts";
import type { ErrorLogger } from "./errors.ts";

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

export interface ManagementAppOptions<E extends Env = Env> {
  /** The client the routes call: one for the app, or one per request (e.g. built from `c.env`). */
  client: OrchestrationClient | ((c: Context<E>) => OrchestrationClient | Promise<OrchestrationClient>);
  /** Default `/runtime/webhooks/durabletask`. */
  basePath?: string | undefined;
  /** Names put into the management URLs (`taskHub=`, `connection=`). Defaults "DurableEdgeHub", "Storage". */
  taskHub?: string | undefined;
  connection?: string | undefined;
  /**
   * The management key. When it returns a non-empty string, every route of this app needs it
   * (`Authorization: Bearer`, `x-functions-key` or `?code=`), and management URLs carry `code=`.
   */
  getKey?: ((c: Context<E>) => string | undefined) | undefined;
  /** Request bodies above this are refused with 413. Default 1 MiB. */
  maxBodyBytes?: number | undefined;
  /** Upper bound for the `timeout` of start-and-wait requests. Default 60 s. */
  maxWaitSeconds?: number | undefined;
  /** Origin the management URLs start with. Default: the request's origin. */
  baseUrl?: ((c: Context<E>) => string) | undefined;
  /** The HTTP starters under `/api`; `false` for none. */
  starters?: false | StarterOptions | undefined;
  /** Where unexpected errors are logged. Default `console`. */
  logger?: ErrorLogger | undefined;
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

/** What the route modules get: settings plus per-request helpers. */
export interface Deps {
  basePath: string;
  maxBodyBytes: number;
  maxWaitMs: number;
  logger: ErrorLogger;
  /** The request's client (built once per request). */
  client(c: Context): Promise<OrchestrationClient>;
  /** How this request's management URLs are built: its origin, the base path, hub, connection, `code=`. */
  urlOptions(c: Context, options?: { returnInternalServerErrorOnFailure?: boolean }): ManagementUrlOptions;
}

/** `/a/b/` → `/a/b`; `""` or `/` → `""` (routes at the root). */
export function normalizePath(path: string, what: string): string {
  if (typeof path !== "string" || (path !== "" && !path.startsWith("/")) || /[?#\s]/.test(path)) {
    throw new TypeError(`${what} must be a path starting with '/', got ${JSON.stringify(path)}.`);
  }
  return path.replace(/\/+$/, "");
}

const CLIENTS = new WeakMap<Request, Promise<OrchestrationClient>>();

export function resolveDeps<E extends Env>(options: ManagementAppOptions<E>): Deps {
  const source = options.client;
  if (!source || (typeof source !== "function" && typeof source !== "object")) {
    throw new TypeError("createManagementApp needs a client (an OrchestrationClient, or a function of the request context returning one).");
  }
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 0) throw new TypeError(`maxBodyBytes must be a non-negative integer, got ${maxBodyBytes}.`);
  const maxWaitSeconds = options.maxWaitSeconds ?? DEFAULT_MAX_WAIT_SECONDS;
  if (!(maxWaitSeconds >= 0)) throw new TypeError(`maxWaitSeconds must be a non-negative number, got ${maxWaitSeconds}.`);
  const basePath = normalizePath(options.basePath ?? DEFAULT_BASE_PATH, "basePath");
  const asHostContext = (c: Context) => c as unknown as Context<E>;
  return {
    basePath,
    maxBodyBytes,
    maxWaitMs: maxWaitSeconds * 1000,
    logger: options.logger ?? console,
    client(c) {
      let client = CLIENTS.get(c.req.raw);
      if (!client) {
        client = Promise.resolve(typeof source === "function" ? source(asHostContext(c)) : source);
        CLIENTS.set(c.req.raw, client);
      }
      return client;
    },
    urlOptions(c, extra = {}) {
      const key = options.getKey?.(asHostContext(c));
      return {
        baseUrl: options.baseUrl ? options.baseUrl(asHostContext(c)) : new URL(c.req.url).origin,
        basePath,
        ...(options.taskHub !== undefined ? { taskHub: options.taskHub } : {}),
        ...(options.connection !== undefined ? { connection: options.connection } : {}),
        ...(key ? { code: key } : {}),
        ...(extra.returnInternalServerErrorOnFailure ? { returnInternalServerErrorOnFailure: true } : {}),
      };
    },
  };
}
