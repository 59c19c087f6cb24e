/** @module worker/http/routes/orchestrators — `POST {base}/orchestrators/{name}[/{instanceId}]`. */
import type { Context, Hono } from "hono";
import { authorize } from "../access.ts";
import { limitBody, readStartInput } from "../body.ts";
import type { Deps } from "../options.ts";
import { startedResponse, waitRequest } from "../responses.ts";
import { resource, type RouteChain } from "../routing.ts";
import { START_QUERY, START_WITH_ID_PATH } from "../schemas.ts";
import { valid, validate } from "../validation.ts";

/**
 * Starts `:functionName` (optionally as `:instanceId`, optionally `?version=`) with the JSON body as
 * input (empty body → no input). Everything is validated before the client is called.
 */
export function startOrchestration(deps: Deps): RouteChain {
  return [
    authorize("start"),
    validate("param", START_WITH_ID_PATH),
    validate("query", START_QUERY),
    limitBody(deps.maxBodyBytes),
    async function start(c: Context) {
      const { functionName, instanceId } = valid<{ functionName: string; instanceId: string }>(c, "param");
      const version = valid<{ version: string }>(c, "query").version;
      const wait = waitRequest(c);
      const input = await readStartInput(c, deps.maxBodyBytes);
      const client = await deps.client(c);
      const id = await client.startNew(functionName!, {
        input,
        ...(instanceId !== undefined ? { instanceId } : {}),
        ...(version !== undefined ? { version } : {}),
      });
      return startedResponse(c, deps, id, wait);
    },
  ];
}

export function registerOrchestratorRoutes(app: Hono, deps: Deps): void {
  resource(app, `${deps.basePath}/orchestrators/:functionName/:instanceId?`, { POST: startOrchestration(deps) });
}
