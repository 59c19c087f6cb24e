/**
 * @module worker/http/routes/history — `GET {base}/instances/{id}/history`: the current execution's
 * history as the store holds it (Durable Task event types, epoch-ms `Timestamp`s, `EventId` and
 * `TaskScheduledId`, JSON-text payloads), for tools that need more than the status route's
 * Durable Functions rendering (`showHistory`: whole seconds, completed tasks only, no ids): the
 * dashboard's timeline, replay checks, debugging. Read access, like the status route.
 *
 * Register it before the instance routes, which would answer `/instances/{id}/history` first.
 */
import type { Context, Hono } from "hono";
import type { HistoryEvent, OrchestrationClient } from "../../../src/index.ts";
import { authorize } from "../access.ts";
import { HttpError } from "../errors.ts";
import type { Deps } from "../options.ts";
import { resource } from "../routing.ts";
import { INSTANCE_PATH } from "../schemas.ts";
import { valid, validate } from "../validation.ts";

type WithHistory = OrchestrationClient & { getHistory(instanceId: string): Promise<HistoryEvent[]> };

export function registerHistoryRoutes(app: Hono, deps: Deps): void {
  resource(app, `${deps.basePath}/instances/:instanceId/history`, {
    GET: [
      authorize("read"),
      validate("param", INSTANCE_PATH),
      async function rawHistory(c: Context) {
        const { instanceId } = valid<{ instanceId: string }>(c, "param") as { instanceId: string };
        const client = (await deps.client(c)) as OrchestrationClient & Partial<WithHistory>;
        if (typeof client.getHistory !== "function") throw new HttpError(501, "NotImplemented", "This server's client cannot read raw histories.");
        // getHistory answers InstanceNotFound (404) for an unknown id.
        return c.json({ instanceId, events: await client.getHistory(instanceId) }, 200);
      },
    ],
  });
}
