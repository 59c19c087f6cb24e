/**
 * @module worker/http/routes/starters — HTTP starters like the Durable Functions template's:
 * `GET|POST /api/OrchestratorFunction_HttpStart` (the tutorial's) and the generic
 * `POST /api/orchestrators/{name}[/{instanceId}]`; both answer 202 with the check-status payload.
 */
import type { Context, Hono } from "hono";
import { authorize } from "../access.ts";
import type { Deps, ResolvedStarters } from "../options.ts";
import { startedResponse, waitRequest } from "../responses.ts";
import { resource, type RouteChain } from "../routing.ts";
import { FIXED_START_QUERY } from "../schemas.ts";
import { validate } from "../validation.ts";
import { startOrchestration } from "./orchestrators.ts";

/** Starts `orchestrator` with no input, as `StartNewAsync("OrchestratorFunction", null)` does (a body is ignored). */
function fixedStarter(deps: Deps, orchestrator: string): RouteChain {
  return [
    authorize("start"),
    validate("query", FIXED_START_QUERY),
    async function httpStart(c: Context) {
      const wait = waitRequest(c);
      const id = await (await deps.client(c)).startNew(orchestrator);
      return startedResponse(c, deps, id, wait);
    },
  ];
}

/** The fixed starters' paths (GET changes state there: the cross-site check covers it). */
export function fixedStarterPaths(starters: ResolvedStarters): string[] {
  return Object.keys(starters.fixed).map((route) => `${starters.prefix}/${route}`);
}

/** The paths the starters serve (what the access checks must guard). */
export function starterPaths(starters: ResolvedStarters): string[] {
  const paths = fixedStarterPaths(starters);
  if (starters.generic) paths.push(`${starters.prefix}/orchestrators/*`);
  return paths;
}

export function checkFixedRoutes(starters: ResolvedStarters): void {
  for (const route of Object.keys(starters.fixed)) {
    if (!/^[\w.-]+$/.test(route)) throw new TypeError(`Starter route '${route}' must be a single path segment of letters, digits, '_', '.' or '-'.`);
  }
}

export function registerStarterRoutes(app: Hono, deps: Deps, starters: ResolvedStarters): void {
  for (const [route, orchestrator] of Object.entries(starters.fixed)) {
    const chain = fixedStarter(deps, orchestrator);
    resource(app, `${starters.prefix}/${route}`, { GET: chain, POST: chain }, { head: false });
  }
  if (starters.generic) {
    resource(app, `${starters.prefix}/orchestrators/:functionName/:instanceId?`, { POST: startOrchestration(deps) });
  }
}
