/**
 * @module worker/http/app — the Durable Functions HTTP management API as a Hono app, over any
 * `OrchestrationClient` (the memory runtime in tests, Durable Objects in the Worker).
 */
import { Hono, type Env } from "hono";
import { requireManagementKey, type KeySource } from "./auth.ts";
import { jsonNotFound, managementErrorHandler } from "./errors.ts";
import { DEFAULT_STARTERS, normalizePath, resolveDeps, type ManagementAppOptions, type ResolvedStarters, type StarterOptions } from "./options.ts";
import { registerInstanceRoutes } from "./routes/instances.ts";
import { registerOperationRoutes } from "./routes/operations.ts";
import { registerOrchestratorRoutes } from "./routes/orchestrators.ts";
import { registerStarterRoutes, starterPaths } from "./routes/starters.ts";

/**
 * Builds the app. Serve it as is (`export default { fetch: app.fetch }`) or mount it in another
 * Hono app (`parent.route("/", app)`; give the parent `jsonNotFound` as its `notFound`).
 */
export function createManagementApp<E extends Env = Env>(options: ManagementAppOptions<E>): Hono {
  const deps = resolveDeps(options);
  const starters = resolveStarters(options.starters);
  const app = new Hono({ strict: false });

  if (options.getKey) {
    // Only this app's own paths: mounted in a parent, the parent's other routes stay as they are.
    const managementKey = requireManagementKey(options.getKey as KeySource);
    app.use(`${deps.basePath}/*`, managementKey);
    for (const path of starters ? starterPaths(starters) : []) app.use(path, managementKey);
  }

  registerOrchestratorRoutes(app, deps);
  registerInstanceRoutes(app, deps);
  registerOperationRoutes(app, deps);
  if (starters) registerStarterRoutes(app, deps, starters);

  app.notFound(jsonNotFound);
  app.onError(managementErrorHandler(deps.logger));
  return app;
}

function resolveStarters(starters: false | StarterOptions | undefined): ResolvedStarters | null {
  if (starters === false) return null;
  return {
    prefix: normalizePath(starters?.prefix ?? DEFAULT_STARTERS.prefix, "starters.prefix"),
    fixed: starters?.fixed ?? DEFAULT_STARTERS.fixed,
    generic: starters?.generic ?? DEFAULT_STARTERS.generic,
  };
}
