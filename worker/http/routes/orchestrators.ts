/** @module worker/http/routes/orchestrators — `POST {base}/orchestrators/{name}[/{instanceId}]`. */
import type { Context, Hono } from "hono";
import { readBodyText, parseJsonBody, requireJsonCompatibleContent } from "../body.ts";
import type { Deps } from "../options.ts";
import { queryOf } from "../query.ts";
import { parseWaitRequest, startedResponse } from "../responses.ts";
import { resource, type RouteHandler } from "../routing.ts";
import { instanceIdSegment, nameSegment, textParam } from "../validate.ts";

/**
 * Starts `:functionName` (optionally as `:instanceId`, optionally `?version=`) with the JSON body as
 * input (empty body → no input). Everything is validated before the client is called.
 */
export function startOrchestration(deps: Deps): RouteHandler {
  return async function start(c: Context) {
    const name = nameSegment(c.req.param("functionName"), "orchestrator name");
    const rawId = c.req.param("instanceId");
    const instanceId = rawId === undefined ? undefined : instanceIdSegment(rawId);
    const version = textParam(queryOf(c).first("version"), "version", 256);
    const wait = parseWaitRequest(c);
    requireJsonCompatibleContent(c);
    const input = parseJsonBody(await readBodyText(c, deps.maxBodyBytes));
    const client = await deps.client(c);
    const id = await client.startNew(name, {
      input,
      ...(instanceId !== undefined ? { instanceId } : {}),
      ...(version !== undefined ? { version } : {}),
    });
    return startedResponse(c, deps, id, wait);
  };
}

export function registerOrchestratorRoutes(app: Hono, deps: Deps): void {
  resource(app, `${deps.basePath}/orchestrators/:functionName/:instanceId?`, { POST: startOrchestration(deps) });
}
