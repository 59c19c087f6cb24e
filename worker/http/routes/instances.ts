/**
 * @module worker/http/routes/instances — status (`GET /instances/{id}`), list (`GET /instances`),
 * purge one (`DELETE /instances/{id}`) and purge by filter (`DELETE /instances`).
 */
import type { Context, Hono } from "hono";
import { DurableError, type PurgeFilter } from "../../../src/index.ts";
import { HttpError } from "../errors.ts";
import type { Deps } from "../options.ts";
import { booleanParam, dateParam, integerParam, queryOf, runtimeStatusParam } from "../query.ts";
import { statusResponse } from "../responses.ts";
import { resource } from "../routing.ts";
import { instanceIdSegment } from "../validate.ts";

export const CONTINUATION_HEADER = "x-ms-continuation-token";
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
const MAX_TOKEN_LENGTH = 2048;

function notFound(instanceId: string): DurableError {
  return new DurableError("InstanceNotFound", `No instance with ID '${instanceId}' found.`);
}

export function registerInstanceRoutes(app: Hono, deps: Deps): void {
  resource(app, `${deps.basePath}/instances`, {
    GET: async function listInstances(c: Context) {
      const q = queryOf(c);
      const runtimeStatus = runtimeStatusParam(q);
      const createdTimeFrom = dateParam(q, "createdTimeFrom");
      const createdTimeTo = dateParam(q, "createdTimeTo");
      const pageSize = integerParam(q, "top", 1, MAX_PAGE_SIZE) ?? DEFAULT_PAGE_SIZE;
      const showInput = booleanParam(q, "showInput", true);
      const instanceIdPrefix = q.first("instanceIdPrefix");
      if (instanceIdPrefix !== undefined && instanceIdPrefix.length > 256) {
        throw new HttpError(400, "InvalidArgument", "instanceIdPrefix is longer than an instance ID can be (256).");
      }
      const token = c.req.header(CONTINUATION_HEADER)?.trim() || null;
      if (token !== null && token.length > MAX_TOKEN_LENGTH) {
        throw new HttpError(400, "InvalidArgument", "The continuation token is not valid; pass back the token a previous page returned.");
      }
      // Only "Canceled" was asked for: no instance can be in it.
      if (runtimeStatus !== undefined && runtimeStatus.length === 0) return c.json([], 200, { [CONTINUATION_HEADER]: "" });
      const client = await deps.client(c);
      const page = await client.listInstances({
        ...(runtimeStatus ? { runtimeStatus } : {}),
        ...(createdTimeFrom ? { createdTimeFrom } : {}),
        ...(createdTimeTo ? { createdTimeTo } : {}),
        ...(instanceIdPrefix ? { instanceIdPrefix } : {}),
        pageSize,
        continuationToken: token,
        showInput,
      });
      // Always present, empty on the last page (clients stop on a falsy token).
      return c.json(page.instances, 200, { [CONTINUATION_HEADER]: page.continuationToken ?? "" });
    },
    DELETE: async function purgeInstances(c: Context) {
      const q = queryOf(c);
      const createdTimeFrom = dateParam(q, "createdTimeFrom");
      if (!createdTimeFrom) throw new HttpError(400, "InvalidArgument", "Please provide value for 'createdTimeFrom' parameter.");
      const createdTimeTo = dateParam(q, "createdTimeTo");
      const runtimeStatus = runtimeStatusParam(q);
      const client = await deps.client(c);
      const filter: PurgeFilter = { createdTimeFrom, createdTimeTo: createdTimeTo ?? new Date() };
      if (runtimeStatus) filter.runtimeStatus = runtimeStatus;
      const result = runtimeStatus?.length === 0 ? { instancesDeleted: 0 } : await client.purgeBy(filter);
      if (result.instancesDeleted === 0) throw new DurableError("InstanceNotFound", "No instances matched the filter; nothing was purged.");
      return c.json({ instancesDeleted: result.instancesDeleted }, 200);
    },
  });

  resource(app, `${deps.basePath}/instances/:instanceId`, {
    GET: async function getStatus(c: Context) {
      const instanceId = instanceIdSegment(c.req.param("instanceId"));
      const q = queryOf(c);
      const options = {
        showHistory: booleanParam(q, "showHistory", false),
        showHistoryOutput: booleanParam(q, "showHistoryOutput", false),
        showInput: booleanParam(q, "showInput", true),
      };
      const returnISE = booleanParam(q, "returnInternalServerErrorOnFailure", false);
      const client = await deps.client(c);
      const status = await client.getStatus(instanceId, options);
      if (!status) throw notFound(instanceId);
      return statusResponse(c, status, returnISE);
    },
    DELETE: async function purgeInstance(c: Context) {
      const instanceId = instanceIdSegment(c.req.param("instanceId"));
      const client = await deps.client(c);
      const result = await client.purge(instanceId);
      if (result.instancesDeleted === 0) throw notFound(instanceId);
      return c.json({ instancesDeleted: result.instancesDeleted }, 200);
    },
  });
}
