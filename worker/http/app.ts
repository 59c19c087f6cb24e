/**
 * @module worker/http/app — the Durable Functions HTTP management API as a Hono app, over any
 * `OrchestrationClient` and `EntityClient` (the memory runtime in tests, Durable Objects in the Worker).
 */
import { Hono, type Env } from "hono";
import { requestId } from "hono/request-id";
import { accessGuard, authorize, corsMiddleware, crossSiteGuard } from "./access.ts";
import { jsonNotFound, managementErrorHandler } from "./errors.ts";
import { openApiDocument } from "./openapi.ts";
import { DEFAULT_STARTERS, normalizePath, resolveDeps, type ManagementAppOptions, type ResolvedStarters, type StarterOptions, type StreamSettings } from "./options.ts";
import { registerEntityRoutes } from "./routes/entities.ts";
import { registerFunctionRoutes } from "./routes/functions.ts";
import { registerInstanceRoutes } from "./routes/instances.ts";
import { registerOperationRoutes } from "./routes/operations.ts";
import { registerHistoryRoutes } from "./routes/history.ts";
import { registerOrchestratorRoutes } from "./routes/orchestrators.ts";
import { registerStreamRoutes } from "./routes/stream.ts";
import { registerTravelRoutes } from "./routes/travel.ts";
import { checkFixedRoutes, fixedStarterPaths, registerStarterRoutes, starterPaths } from "./routes/starters.ts";
import { resource } from "./routing.ts";

/**
 * Builds the app. Serve it as is (`export default { fetch: app.fetch }`) or mount it in another
 * Hono app (`parent.route("/", app)`; give the parent `jsonNotFound` as its `notFound`).
 */
export function createManagementApp<E extends Env = Env>(options: ManagementAppOptions<E>): Hono {
  const deps = resolveDeps(options);
  const starters = resolveStarters(options.starters);
  const app = new Hono({ strict: false });

  // Only this app's own paths: mounted in a parent, the parent's other routes stay as they are.
  const guarded = [`${deps.basePath}/*`, ...(starters ? starterPaths(starters) : [])];
  const changesStateOnGet = new Set(starters ? fixedStarterPaths(starters) : []);
  const access = accessGuard(deps.access);
  const crossSite = crossSiteGuard(deps.access);
  const crossSiteWithGet = crossSiteGuard(deps.access, { getChangesState: true });
  const corsPolicy = options.cors !== undefined ? corsMiddleware(deps.access) : undefined;
  for (const path of guarded) {
    app.use(path, requestId());
    if (corsPolicy) app.use(path, corsPolicy);
    app.use(path, access);
    app.use(path, changesStateOnGet.has(path) ? crossSiteWithGet : crossSite);
  }

  registerOrchestratorRoutes(app, deps);
  registerFunctionRoutes(app, deps);
  let document: Record<string, unknown> | undefined;
  resource(app, `${deps.basePath}/openapi.json`, {
    GET: [authorize("read"), (c) => c.json((document ??= openApiDocument(deps.basePath, starters)), 200)],
  });
  // Before the instance routes, which would take `/instances/import` for an instance id.
  registerTravelRoutes(app, deps);
  registerHistoryRoutes(app, deps);
  registerStreamRoutes(app, deps, streamSettings(options.stream));
  registerInstanceRoutes(app, deps);
  registerOperationRoutes(app, deps);
  registerEntityRoutes(app, deps);
  if (starters) registerStarterRoutes(app, deps, starters);

  app.notFound(jsonNotFound);
  app.onError(managementErrorHandler(deps.logger));
  return app;
}

function streamSettings(stream: ManagementAppOptions["stream"]): StreamSettings {
  if (stream === undefined) return {};
  if (typeof stream !== "object" || stream === null) throw new TypeError("createManagementApp: stream must be { pollMs?, maxMs?, heartbeatMs? }.");
  for (const key of Object.keys(stream)) {
    if (key !== "pollMs" && key !== "maxMs" && key !== "heartbeatMs") throw new TypeError(`createManagementApp: unknown option 'stream.${key}'; there are stream.pollMs, stream.maxMs and stream.heartbeatMs.`);
  }
  return stream;
}

function resolveStarters(starters: false | StarterOptions | undefined): ResolvedStarters | null {
  if (starters === false) return null;
  if (starters !== undefined && (typeof starters !== "object" || starters === null)) throw new TypeError("createManagementApp: starters must be false or { prefix?, fixed?, generic? }.");
  const resolved = {
    prefix: normalizePath(starters?.prefix ?? DEFAULT_STARTERS.prefix, "starters.prefix"),
    fixed: starters?.fixed ?? DEFAULT_STARTERS.fixed,
    generic: starters?.generic ?? DEFAULT_STARTERS.generic,
  };
  checkFixedRoutes(resolved);
  return resolved;
}
