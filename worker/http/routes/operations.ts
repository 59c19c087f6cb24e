/**
 * @module worker/http/routes/operations — `POST {base}/instances/{id}/{operation}` (terminate,
 * suspend, resume, rewind, restart) and `POST {base}/instances/{id}/raiseEvent/{eventName}`.
 * Operation names are case-insensitive, as in Durable Functions.
 */
import type { Context, Hono, MiddlewareHandler } from "hono";
import { DurableError } from "../../../src/index.ts";
import { authorize } from "../access.ts";
import { limitBody, readEventData } from "../body.ts";
import { HttpError } from "../errors.ts";
import type { Deps } from "../options.ts";
import { startedResponse, waitRequest } from "../responses.ts";
import { methodNotAllowed } from "../routing.ts";
import { INSTANCE_PATH, RAISE_EVENT_PATH, RAISE_EVENT_QUERY, REASON_QUERY, RESTART_QUERY, type ParamSpecs } from "../schemas.ts";
import type { SignedOperation } from "../signing.ts";
import { valid, validate } from "../validation.ts";

export { MAX_REASON_LENGTH } from "../schemas.ts";

type Operation = (c: Context, deps: Deps, instanceId: string) => Promise<Response>;

function reasonOf(c: Context): string | undefined {
  return valid<{ reason: string }>(c, "query").reason;
}

/** 202 with no body: the request was accepted and the instance will act on it. */
function accepted(c: Context): Response {
  return c.body(null, 202);
}

export const INSTANCE_OPERATIONS: Record<Exclude<SignedOperation, "status" | "purge" | "raiseEvent">, { query: ParamSpecs; run: Operation }> = {
  terminate: {
    query: REASON_QUERY,
    async run(c, deps, id) {
      await (await deps.client(c)).terminate(id, reasonOf(c));
      return accepted(c);
    },
  },
  // Already suspended / not suspended: the client's InvalidState → 409 (Durable Functions: 500).
  suspend: {
    query: REASON_QUERY,
    async run(c, deps, id) {
      await (await deps.client(c)).suspend(id, reasonOf(c));
      return accepted(c);
    },
  },
  resume: {
    query: REASON_QUERY,
    async run(c, deps, id) {
      await (await deps.client(c)).resume(id, reasonOf(c));
      return accepted(c);
    },
  },
  // Completed/Terminated → InstanceGone (410); still running → InvalidState (409).
  rewind: {
    query: REASON_QUERY,
    async run(c, deps, id) {
      await (await deps.client(c)).rewind(id, reasonOf(c));
      return accepted(c);
    },
  },
  restart: {
    query: RESTART_QUERY,
    async run(c, deps, id) {
      const restartWithNewInstanceId = valid<{ restartWithNewInstanceId: boolean }>(c, "query").restartWithNewInstanceId ?? true;
      const wait = waitRequest(c);
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
  },
};

/** Runs `middleware` in order, then `handler` (a route whose chain depends on a path segment). */
async function run(c: Context, middleware: readonly MiddlewareHandler[], handler: () => Promise<Response>): Promise<Response> {
  let response: Response | undefined;
  let i = 0;
  const step = async (): Promise<void> => {
    if (i < middleware.length) await middleware[i++]!(c, step);
    else response = await handler();
  };
  await step();
  return response!;
}

function raiseEvent(deps: Deps) {
  const chain = [authorize("raiseEvent"), validate("param", RAISE_EVENT_PATH), validate("query", RAISE_EVENT_QUERY), limitBody(deps.maxBodyBytes)];
  return async function raiseEventHandler(c: Context) {
    if (c.req.param("operation")?.toLowerCase() !== "raiseevent") throw noRoute(c);
    if (c.req.method !== "POST") throw methodNotAllowed(c, ["POST"]);
    return run(c, chain, async () => {
      const { instanceId, eventName } = valid<{ instanceId: string; eventName: string }>(c, "param") as { instanceId: string; eventName: string };
      const data = await readEventData(c, deps.maxBodyBytes);
      await (await deps.client(c)).raiseEvent(instanceId, eventName, data ?? null);
      return accepted(c);
    });
  };
}

function operation(deps: Deps) {
  const chains = new Map(
    Object.entries(INSTANCE_OPERATIONS).map(([name, op]) => [
      name,
      { op, chain: [authorize(name as SignedOperation), validate("param", INSTANCE_PATH), validate("query", op.query)] },
    ]),
  );
  return async function operationHandler(c: Context) {
    const name = c.req.param("operation")?.toLowerCase() ?? "";
    const found = chains.get(name);
    if (!found) throw unknownOperation(c);
    if (c.req.method !== "POST") throw methodNotAllowed(c, ["POST"]);
    return run(c, found.chain, () => found.op.run(c, deps, (valid<{ instanceId: string }>(c, "param") as { instanceId: string }).instanceId));
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
