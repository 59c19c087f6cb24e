/**
 * @module durable-edge/worker — Durable Edge on Cloudflare Workers: a user's whole Worker is
 *
 * ```ts
 * import { createDurableWorker } from "durable-edge/worker";
 * const edge = createDurableWorker({ orchestrators: [orderFlow], activities: [reserve, charge], entities: [counter] });
 * export const { InstanceObject, IndexShard, ActivityRunner } = edge;
 * export default edge; // { fetch }: the management API and the starters
 * ```
 *
 * The classes close over the options (built by `defineInstanceObject`, `defineActivityRunner`);
 * the Hono app, the registry and one client per env are built once per isolate, not per request.
 */
import type { Hono } from "hono";
import type { EntityClient, InstanceTravel, OrchestrationClient } from "../src/index.ts";
import { defineActivityRunner, type ActivityRunnerClass } from "./activity-runner.ts";
import { resolveConfig, type DurableWorkerOptions } from "./config.ts";
import { DurableObjectClient } from "./durable-object-client.ts";
import type { Env } from "./env.ts";
import { createManagementApp, HttpError } from "./http/index.ts";
import { IndexShard } from "./index-shard.ts";
import { defineInstanceObject, type InstanceObjectClass } from "./instance-object.ts";
import { createOnceLogger, exportsProblem, MISCONFIGURED_CODE, WorkerMisconfiguredError } from "./misconfiguration.ts";

export type { BindingNames, DurableWorkerOptions, EntityOperationOptions } from "./config.ts";
export type { DurableEdgeVars, Env } from "./env.ts";
export type { AccessMode, StarterOptions } from "./http/index.ts";
export type { InstanceObject, InstanceObjectClass } from "./instance-object.ts";
export type { ActivityRunner, ActivityRunnerClass } from "./activity-runner.ts";
export type { IndexShard } from "./index-shard.ts";
export { MISCONFIGURED_CODE, WorkerMisconfiguredError } from "./misconfiguration.ts";

/** The Worker's client: orchestrations (`startNew`, `getStatus`, …), entities (`signalEntity`, `readEntityState`, …) and instance travel. */
export type DurableWorkerClient = OrchestrationClient & EntityClient & InstanceTravel;

/** What `createDurableWorker` returns: the default export of a Worker, and its classes to export. */
export interface DurableWorker<E extends object = Env> {
  /** The management API (under `basePath`) and the starters. `export default edge` serves it. */
  fetch(request: Request, env: E, ctx: ExecutionContext): Response | Promise<Response>;
  /** Export from the main module under this name, bound as `INSTANCES` (SQLite-backed). */
  readonly InstanceObject: InstanceObjectClass;
  /** Export from the main module under this name, bound as `INDEX` (SQLite-backed). */
  readonly IndexShard: typeof IndexShard;
  /** Export from the main module under this name: instance objects reach it as `ctx.exports.ActivityRunner`. */
  readonly ActivityRunner: ActivityRunnerClass;
  /**
   * The client over this env's objects, for the Worker's own handlers (crons, queue consumers,
   * other routes): orchestrations and entities. One per env object. Throws
   * `WorkerMisconfiguredError` if a binding is missing.
   */
  client(env: E): DurableWorkerClient;
  /** The Hono app `fetch` serves, to mount in your own: `parent.route("/", edge.app)`. */
  readonly app: Hono;
}

/** Builds a Worker over the given orchestrations. Checks the options at once (a `TypeError` naming the option). */
export function createDurableWorker<E extends object = Env>(options: DurableWorkerOptions<E>): DurableWorker<E> {
  const config = resolveConfig(options);
  const logOnce = createOnceLogger();
  const clients = new WeakMap<object, DurableObjectClient>();
  /** Set once a request's `ctx.exports` had the runner: the compatibility settings are the isolate's. */
  let exportsOk = false;

  /** One client per env object; throws `WorkerMisconfiguredError` when the env lacks its bindings. */
  const clientOf = (env: E): DurableObjectClient => {
    let found = clients.get(env);
    if (!found) {
      found = new DurableObjectClient(config.settings(env), config.registry);
      clients.set(env, found);
    }
    return found;
  };
  const client = (env: E): DurableWorkerClient => {
    try {
      return clientOf(env);
    } catch (error) {
      if (error instanceof WorkerMisconfiguredError) logOnce(error);
      throw error;
    }
  };

  /** Settings of the env that the management API reads per request; a bad one is answered as a misconfiguration. */
  const misconfigured = (error: unknown): never => {
    if (!(error instanceof WorkerMisconfiguredError)) throw error;
    logOnce(error);
    throw new HttpError(500, MISCONFIGURED_CODE, error.message);
  };
  const httpOf = (env: E) => {
    try {
      return config.http(env);
    } catch (error) {
      return misconfigured(error);
    }
  };
  const keysOf = (env: E) => {
    try {
      return config.keys(env);
    } catch (error) {
      return misconfigured(error);
    }
  };
  const app = createManagementApp<{ Bindings: E }>({
    // Called by the routes before they reach any object: the place to tell a misconfigured Worker.
    client: (c) => {
      try {
        const found = clientOf(c.env);
        if (!exportsOk) {
          const ctx = executionContextOf(c);
          // No ExecutionContext at all (`app.request` in a test): nothing to check here; the objects check their own.
          const problem = ctx === undefined ? null : exportsProblem(ctx);
          if (problem) throw problem;
          exportsOk = ctx !== undefined;
        }
        return found;
      } catch (error) {
        return misconfigured(error);
      }
    },
    getKey: (c) => keysOf(c.env).key,
    getPreviousKey: (c) => keysOf(c.env).previousKey,
    getReadOnlyKey: (c) => keysOf(c.env).readOnlyKey,
    access: (c) => httpOf(c.env).access,
    acceptKeyInQuery: (c) => httpOf(c.env).acceptKeyInQuery,
    baseUrl: (c) => httpOf(c.env).baseUrl,
    cors: (c) => httpOf(c.env).cors,
    signedUrlTtlSeconds: (c) => httpOf(c.env).signedUrlTtlSeconds,
    ...(options.basePath !== undefined ? { basePath: options.basePath } : {}),
    starters: options.starters ?? { fixed: {} },
  });

  return {
    fetch: (request, env, ctx) => app.fetch(request, env, ctx),
    InstanceObject: defineInstanceObject(config),
    IndexShard,
    ActivityRunner: defineActivityRunner(config),
    client,
    app,
  };
}

function executionContextOf(c: { executionCtx: unknown }): unknown {
  try {
    return c.executionCtx; // Hono's getter throws when the app was called without one
  } catch {
    return undefined;
  }
}
