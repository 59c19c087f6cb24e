/**
 * @module worker/http/routes/instances — status (`GET /instances/{id}`), list (`GET /instances`),
 * purge one (`DELETE /instances/{id}`) and purge by filter (`DELETE /instances`).
 */
import type { Context, Hono } from "hono";
import { DurableError, type PurgeFilter, type RuntimeStatus } from "../../../src/index.ts";
import { authorize } from "../access.ts";
import { HttpError } from "../errors.ts";
import type { Deps } from "../options.ts";
import { statusResponse } from "../responses.ts";
import { resource } from "../routing.ts";
import { DEFAULT_PAGE_SIZE, INSTANCE_PATH, LIST_HEADERS, LIST_QUERY, PURGE_BY_QUERY, PURGE_QUERY, STATUS_QUERY } from "../schemas.ts";
import { valid, validate } from "../validation.ts";

export const CONTINUATION_HEADER = "x-ms-continuation-token";

function notFound(instanceId: string): DurableError {
  return new DurableError("InstanceNotFound", `No instance with ID '${instanceId}' found.`);
}

type ListQuery = {
  runtimeStatus: RuntimeStatus[];
  createdTimeFrom: Date;
  createdTimeTo: Date;
  instanceIdPrefix: string;
  showInput: boolean;
  top: number;
};

export function registerInstanceRoutes(app: Hono, deps: Deps): void {
  resource(app, `${deps.basePath}/instances`, {
    GET: [
      authorize("read"),
      validate("query", LIST_QUERY),
      validate("header", LIST_HEADERS),
      async function listInstances(c: Context) {
        const q = valid<ListQuery>(c, "query");
        const token = valid<{ [CONTINUATION_HEADER]: string }>(c, "header")[CONTINUATION_HEADER]?.trim() || null;
        // Only "Canceled" was asked for: no instance can be in it.
        if (q.runtimeStatus !== undefined && q.runtimeStatus.length === 0) return c.json([], 200, { [CONTINUATION_HEADER]: "" });
        const client = await deps.client(c);
        const page = await client.listInstances({
          ...(q.runtimeStatus ? { runtimeStatus: q.runtimeStatus } : {}),
          ...(q.createdTimeFrom ? { createdTimeFrom: q.createdTimeFrom } : {}),
          ...(q.createdTimeTo ? { createdTimeTo: q.createdTimeTo } : {}),
          ...(q.instanceIdPrefix ? { instanceIdPrefix: q.instanceIdPrefix } : {}),
          pageSize: q.top ?? DEFAULT_PAGE_SIZE,
          continuationToken: token,
          showInput: q.showInput ?? true,
        });
        // Always present, empty on the last page (clients stop on a falsy token).
        return c.json(page.instances, 200, { [CONTINUATION_HEADER]: page.continuationToken ?? "" });
      },
    ],
    DELETE: [
      authorize("purgeBy"),
      validate("query", PURGE_BY_QUERY),
      async function purgeInstances(c: Context) {
        const q = valid<ListQuery>(c, "query");
        if (!q.createdTimeFrom) throw new HttpError(400, "InvalidArgument", "Please provide value for 'createdTimeFrom' parameter.");
        const filter: PurgeFilter = { createdTimeFrom: q.createdTimeFrom, createdTimeTo: q.createdTimeTo ?? new Date() };
        if (q.runtimeStatus) filter.runtimeStatus = q.runtimeStatus;
        const result = q.runtimeStatus?.length === 0 ? { instancesDeleted: 0 } : await (await deps.client(c)).purgeBy(filter);
        if (result.instancesDeleted === 0) throw new DurableError("InstanceNotFound", "No instances matched the filter; nothing was purged.");
        return c.json({ instancesDeleted: result.instancesDeleted }, 200);
      },
    ],
  });

  resource(app, `${deps.basePath}/instances/:instanceId`, {
    GET: [
      authorize("status"),
      validate("param", INSTANCE_PATH),
      validate("query", STATUS_QUERY),
      async function getStatus(c: Context) {
        const { instanceId } = valid<{ instanceId: string }>(c, "param") as { instanceId: string };
        const q = valid<{ showHistory: boolean; showHistoryOutput: boolean; showInput: boolean; showRuns: boolean; returnInternalServerErrorOnFailure: boolean }>(c, "query");
        const client = await deps.client(c);
        const status = await client.getStatus(instanceId, {
          showHistory: q.showHistory ?? false,
          showHistoryOutput: q.showHistoryOutput ?? false,
          showInput: q.showInput ?? true,
          // Durable Edge's own (a dashboard's): only asked for does the body carry more than Durable Functions'.
          ...(q.showRuns ? { showRuns: true } : {}),
        });
        if (!status) throw notFound(instanceId);
        return statusResponse(c, deps, status, q.returnInternalServerErrorOnFailure ?? false);
      },
    ],
    DELETE: [
      authorize("purge"),
      validate("param", INSTANCE_PATH),
      validate("query", PURGE_QUERY),
      async function purgeInstance(c: Context) {
        const { instanceId } = valid<{ instanceId: string }>(c, "param") as { instanceId: string };
        const result = await (await deps.client(c)).purge(instanceId);
        if (result.instancesDeleted === 0) throw notFound(instanceId);
        return c.json({ instancesDeleted: result.instancesDeleted }, 200);
      },
    ],
  });
}
