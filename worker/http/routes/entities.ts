/**
 * @module worker/http/routes/entities — Durable Functions' entity routes:
 * `GET {base}/entities/{name}/{key}` (the state; `?metadata=true`: its lock, backlog and last
 * operation too), `GET {base}/entities[/{name}]` (a page of
 * entities), `POST {base}/entities/{name}/{key}?op=` (a signal) and `DELETE {base}/entities/{name}/{key}`
 * (the signal "delete"). The key `$` is the empty key. Reads need read access (the read-only key
 * may); signals need the management key. No signed URL reaches them.
 */
import type { Context, Hono } from "hono";
import { DurableError, EntityId, type EntityMetadata } from "../../../src/index.ts";
import { authorize } from "../access.ts";
import { limitBody, readSignalInput } from "../body.ts";
import { HttpError } from "../errors.ts";
import type { Deps, ManagementClient } from "../options.ts";
import { resource } from "../routing.ts";
import { DEFAULT_PAGE_SIZE, ENTITY_LIST_QUERY, ENTITY_NAME_PATH, ENTITY_PATH, ENTITY_QUERY, ENTITY_STATE_QUERY, LIST_HEADERS, SIGNAL_QUERY } from "../schemas.ts";
import { valid, validate } from "../validation.ts";
import { CONTINUATION_HEADER } from "./instances.ts";

type ListQuery = { lastOperationTimeFrom: Date; lastOperationTimeTo: Date; top: number; fetchState: boolean; includeDeleted: boolean };

/** The entity the path names (the name and key were validated; the id's length is checked here). */
function entityOf(c: Context): EntityId {
  const { entityName, entityKey } = valid<{ entityName: string; entityKey: string }>(c, "param") as { entityName: string; entityKey: string };
  return new EntityId(entityName, entityKey);
}

/** An entity in a listing: Durable Functions' fields first, then what a dashboard needs. */
function listed(m: EntityMetadata): Record<string, unknown> {
  return {
    entityId: { name: m.entityId.name, key: m.entityId.key },
    lastOperationTime: m.lastOperationTime,
    ...(m.state !== undefined ? { state: m.state } : {}),
    lastOperation: m.lastOperation,
    entityExists: m.entityExists,
    lockedBy: m.lockedBy,
    backlogQueueSize: m.backlogQueueSize,
  };
}

const MAX_NAMES_SHOWN = 20;

/** A signal no registered entity would take is a 404 (when the client can tell which are registered). */
function assertRegistered(client: ManagementClient, name: string): void {
  const names = typeof client.entityNames === "function" ? client.entityNames() : undefined;
  if (!names) return;
  const wanted = name.toLowerCase();
  if (names.some((n) => n.toLowerCase() === wanted)) return;
  const shown = names.length === 0 ? "none" : names.slice(0, MAX_NAMES_SHOWN).join(", ") + (names.length > MAX_NAMES_SHOWN ? ", …" : "");
  throw new DurableError("UnknownEntity", `No entity named '${name}' is registered. Registered: ${shown}.`);
}

export function registerEntityRoutes(app: Hono, deps: Deps): void {
  const list = async function listEntities(c: Context) {
    const q = valid<ListQuery>(c, "query");
    const name = c.req.param("entityName") === undefined ? undefined : (valid<{ entityName: string }>(c, "param").entityName as string);
    const token = valid<{ [CONTINUATION_HEADER]: string }>(c, "header")[CONTINUATION_HEADER]?.trim() || null;
    const page = await (await deps.client(c)).listEntities({
      ...(name !== undefined ? { entityName: name } : {}),
      ...(q.lastOperationTimeFrom ? { lastOperationFrom: q.lastOperationTimeFrom } : {}),
      ...(q.lastOperationTimeTo ? { lastOperationTo: q.lastOperationTimeTo } : {}),
      pageSize: q.top ?? DEFAULT_PAGE_SIZE,
      continuationToken: token,
      fetchState: q.fetchState ?? false,
      includeDeleted: q.includeDeleted ?? false,
    });
    // As GET instances: always present, empty on the last page.
    return c.json(page.entities.map(listed), 200, { [CONTINUATION_HEADER]: page.continuationToken ?? "" });
  };
  resource(app, `${deps.basePath}/entities`, {
    GET: [authorize("read"), validate("query", ENTITY_LIST_QUERY), validate("header", LIST_HEADERS), list],
  });
  resource(app, `${deps.basePath}/entities/:entityName`, {
    GET: [authorize("read"), validate("param", ENTITY_NAME_PATH), validate("query", ENTITY_LIST_QUERY), validate("header", LIST_HEADERS), list],
  });

  resource(app, `${deps.basePath}/entities/:entityName/:entityKey`, {
    GET: [
      authorize("read"),
      validate("param", ENTITY_PATH),
      validate("query", ENTITY_STATE_QUERY),
      async function readEntityState(c: Context) {
        const id = entityOf(c);
        const client = await deps.client(c);
        if (valid<{ metadata: boolean }>(c, "query").metadata) {
          const metadata = await client.getEntity(id, { includeState: true });
          if (!metadata) throw new HttpError(404, "EntityNotFound", `Nothing is stored for entity '${id.name}' with key '${id.key}'.`);
          return c.json(listed(metadata), 200);
        }
        const found = await client.readEntityState(id);
        if (!found.entityExists) throw new HttpError(404, "EntityNotFound", `Entity '${id.name}' with key '${id.key}' has no state.`);
        return c.json(found.entityState ?? null, 200);
      },
    ],
    POST: [
      authorize("signalEntity"),
      validate("param", ENTITY_PATH),
      validate("query", SIGNAL_QUERY),
      limitBody(deps.maxBodyBytes),
      async function signalEntity(c: Context) {
        const id = entityOf(c);
        const op = valid<{ op: string }>(c, "query").op;
        if (op === undefined) throw new HttpError(400, "InvalidArgument", "Query parameter 'op' is required: the operation to signal, e.g. ?op=add.");
        const body = await readSignalInput(c, deps.maxBodyBytes);
        const client = await deps.client(c);
        assertRegistered(client, id.name);
        if ("input" in body) await client.signalEntity(id, op, body.input);
        else await client.signalEntity(id, op);
        return c.body(null, 202);
      },
    ],
    DELETE: [
      authorize("signalEntity"),
      validate("param", ENTITY_PATH),
      validate("query", ENTITY_QUERY),
      async function deleteEntity(c: Context) {
        const id = entityOf(c);
        const client = await deps.client(c);
        assertRegistered(client, id.name);
        await client.signalEntity(id, "delete");
        return c.body(null, 202);
      },
    ],
  });
}
