/**
 * @module worker/http/routes/starters — HTTP starters like the Durable Functions template's:
 * `GET|POST /api/OrchestratorFunction_HttpStart` (the tutorial's) and the generic
 * `POST /api/orchestrators/{name}[/{instanceId}]`; both answer 202 with the check-status payload.
 */
import type { Context, Hono } from "hono";
import type { Deps, ResolvedStarters } from "../options.ts";
import { parseWaitRequest, startedResponse } from "../responses.ts";
import { resource, type RouteHandler } from "../routing.ts";
import { startOrchestration } from "./orchestrators.ts";

/** Starts `orchestrator` with no input, as `StartNewAsync("OrchestratorFunction", null)` does. */
function fixedStarter(deps: Deps, orchestrator: string): RouteHandler {
  return async function httpStart(c: Context) {
    const wait = parseWaitRequest(c);
    const id = await (await deps.client(c)).startNew(orchestrator);
    return startedResponse(c, deps, id, wait);
  };
}

/** The paths the starters serve (what the management key must guard). */
export function starterPaths(starters: ResolvedStarters): string[] {
  const paths = Object.keys(starters.fixed).map((route) => `${starters.prefix}/${route}`);
  if (starters.generic) paths.push(`${starters.prefix}/orchestrators/*`);
  return paths;
}

export function registerStarterRoutes(app: Hono, deps: Deps, starters: ResolvedStarters): void {
  for (const [route, orchestrator] of Object.entries(starters.fixed)) {
    if (!/^[\w.-]+$/.test(route)) throw new TypeError(`Starter route '${route}' must be a single path segment of letters, digits, '_', '.' or '-'.`);
    const handler = fixedStarter(deps, orchestrator);
    resource(app, `${starters.prefix}/${route}`, { GET: handler, POST: handler }, { head: false });
  }
  if (starters.generic) {
    resource(app, `${starters.prefix}/orchestrators/:functionName/:instanceId?`, { POST: startOrchestration(deps) });
  }
}
