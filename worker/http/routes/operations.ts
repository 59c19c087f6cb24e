/**
 * @module worker/http/routes/operations — `POST {base}/instances/{id}/{operation}` (terminate,
 * suspend, resume, rewind, restart) and `POST {base}/instances/{id}/raiseEvent/{eventName}`.
 * Operation names are case-insensitive, as in Durable Functions.
 */
import type { Context, Hono } from "hono";
import { DurableError } from "../../../src/index.ts";
import { parseJsonBody, readBodyText, requireJsonContent } from "../body.ts";
import { HttpError } from "../errors.ts";
import type { Deps } from "../options.ts";
import { booleanParam, queryOf } from "../query.ts";
import { parseWaitRequest, startedResponse } from "../responses.ts";
import { methodNotAllowed, type RouteHandler } from "../routing.ts";
import { instanceIdSegment, nameSegment, textParam } from "../validate.ts";

/** Reasons land in history; keep them to a sane size. */
export const MAX_REASON_LENGTH = 4096;

type Operation = (c: Context, deps: Deps, instanceId: string) => Promise<Response>;

function reasonOf(c: Context): string | undefined {
  return textParam(queryOf(c).first("reason"), "reason", MAX_REASON_LENGTH);
}

/** 202 with no body: the request was accepted and the instance will act on it. */
function accepted(c: Context): Response {
  return c.body(null, 202);
}

const OPERATIONS: Record<string, Operation> = {
  async terminate(c, deps, id) {
    const reason = reasonOf(c);
    await (await deps.client(c)).terminate(id, reason);
    return accepted(c);
  },
  // Already suspended / not suspended: the client's InvalidState → 409 (Durable Functions: 500).
  async suspend(c, deps, id) {
    const reason = reasonOf(c);
    await (await deps.client(c)).suspend(id, reason);
    return accepted(c);
  },
  async resume(c, deps, id) {
    const reason = reasonOf(c);
    await (await deps.client(c)).resume(id, reason);
    return accepted(c);
  },
  // Completed/Terminated → InstanceGone (410); still running → InvalidState (409).
  async rewind(c, deps, id) {
    const reason = reasonOf(c);
    await (await deps.client(c)).rewind(id, reason);
    return accepted(c);
  },
  async restart(c, deps, id) {
    const restartWithNewInstanceId = booleanParam(queryOf(c), "restartWithNewInstanceId", true);
    const wait = parseWaitRequest(c);
    let newId: string;
    try {
      newId = await (await deps.client(c)).restart(id, { restartWithNewInstanceId });
    } catch (error) {
      if (DurableError.is(error, "InstanceNotFound")) {
        throw new HttpError(400, "InstanceNotFound", "InstanceId does not match a valid orchestration instance.");
      }
      throw error;
    }
    return startedResponse(c, deps, newId, wait);
  },
};

function raiseEvent(deps: Deps): RouteHandler {
  return async function raiseEventHandler(c: Context) {
    if (c.req.param("operation")?.toLowerCase() !== "raiseevent") throw noRoute(c);
    if (c.req.method !== "POST") throw methodNotAllowed(c, ["POST"]);
    const instanceId = instanceIdSegment(c.req.param("instanceId"));
    const eventName = nameSegment(c.req.param("eventName"), "event name");
    requireJsonContent(c);
    const data = parseJsonBody(await readBodyText(c, deps.maxBodyBytes));
    await (await deps.client(c)).raiseEvent(instanceId, eventName, data ?? null);
    return accepted(c);
  };
}

function operation(deps: Deps): RouteHandler {
  return async function operationHandler(c: Context) {
    const name = c.req.param("operation")?.toLowerCase() ?? "";
    const op = Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name] : undefined;
    if (!op) throw unknownOperation(c);
    if (c.req.method !== "POST") throw methodNotAllowed(c, ["POST"]);
    return op(c, deps, instanceIdSegment(c.req.param("instanceId")));
  };
}

function noRoute(c: Context): HttpError {
  const path = c.req.path.length > 200 ? `${c.req.path.slice(0, 200)}…` : c.req.path;
  return new HttpError(404, "NotFound", `No route matches ${c.req.method} ${path}.`);
}

function unknownOperation(c: Context): HttpError {
  const op = (c.req.param("operation") ?? "").slice(0, 64);
  return new HttpError(
    404,
    "NotFound",
    `Unknown instance operation '${op}'. Use raiseEvent/{eventName}, terminate, suspend, resume, rewind or restart.`,
  );
}

export function registerOperationRoutes(app: Hono, deps: Deps): void {
  app.all(`${deps.basePath}/instances/:instanceId/:operation`, operation(deps));
  app.all(`${deps.basePath}/instances/:instanceId/:operation/:eventName`, raiseEvent(deps));
}
