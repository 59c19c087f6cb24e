/**
 * @module worker/http/routes/travel — instances that travel between hosts:
 *
 * - `GET  {base}/instances/{id}/export` → 200 with the instance document, a snapshot: the
 *   instance goes on running here (for replay checks in CI, backups). A GET never changes state.
 * - `POST {base}/instances/{id}/export[?to=<where>]` → 200 with the document, and the instance is
 *   moved: stopped here in the same transaction (Terminated, output `{ movedTo, movedAt }`); later
 *   events, terminate, suspend and resume here answer 410, naming where it went. One that waits
 *   for running sub-orchestrations moves with them (a tree: `descendants`, each stopped in turn,
 *   parents first); a running sub-orchestration alone is 409, naming its tree's root.
 * - `POST {base}/instances/import[?instanceId=&onConflict=fail|replace&allowCopy=]`, body = the
 *   document (`application/json`, up to `MAX_DOCUMENT_BYTES`) → 201 with the check-status payload
 *   (`Location`: its status URL; the same document again: 201, nothing written); 400 (malformed
 *   or incompatible document, naming each field; an orchestrator not registered here), 409 (an id
 *   is in use; a snapshot without `allowCopy`; a history this host's code does not replay), 413
 *   (over the limits), 503 (a tree written part-way: send it again), each `{ code, message }`.
 *
 * - `GET  {base}/instances/{id}/timetravel` → 200 with the instance right after each event of its
 *   history (pending tasks, custom status, logs, decisions), replayed with this server's code,
 *   nothing committed (`DurableClient.timeTravel`).
 *
 * Needs a client with `exportInstance` / `importInstance` / `timeTravel` (`DurableClient`, the Worker's client);
 * another answers 501. Register these routes before the instance routes, which would otherwise
 * take `/instances/import` for an instance id and `export` for an unknown operation.
 */
import type { Context, Hono } from "hono";
import { MAX_DOCUMENT_BYTES, type InstanceTravel, type OrchestrationClient } from "../../../src/index.ts";
import { authorize } from "../access.ts";
import { limitBody, readEventData } from "../body.ts";
import { HttpError } from "../errors.ts";
import type { Deps } from "../options.ts";
import { managementPayload } from "../responses.ts";
import { resource } from "../routing.ts";
import { booleanQuery, INSTANCE_PATH, MAX_NAME_LENGTH, textQuery, type ParamSpecs } from "../schemas.ts";
import { valid, validate } from "../validation.ts";

const MAX_DESTINATION_LENGTH = 2048;

export const EXPORT_QUERY: ParamSpecs = {
  to: { schema: textQuery("destination (to)", MAX_DESTINATION_LENGTH), description: "POST only: where the instance goes (a URL, a label), recorded here with the move." },
};

export const IMPORT_QUERY: ParamSpecs = {
  instanceId: { schema: textQuery("instanceId", 256), description: "Import under this id instead of the document's.", code: "InvalidInstanceId" },
  onConflict: { schema: textQuery("onConflict", MAX_NAME_LENGTH), description: '"fail" (default): an existing instance is a 409; "replace": replaces a finished one (never a running one).', default: "fail" },
  allowCopy: { schema: booleanQuery("allowCopy"), description: "Accept a snapshot (exported without a move): runs a second copy of an instance that still runs where it was.", default: false },
};

async function travelClient(c: Context, deps: Deps): Promise<OrchestrationClient & InstanceTravel> {
  const client = (await deps.client(c)) as OrchestrationClient & Partial<InstanceTravel>;
  if (typeof client.exportInstance !== "function" || typeof client.importInstance !== "function" || typeof client.timeTravel !== "function") {
    throw new HttpError(501, "NotImplemented", "This server's client cannot export, import or replay instances.");
  }
  return client as OrchestrationClient & InstanceTravel;
}

/** Where this API lives, as written into the documents it exports (`source`). */
function here(c: Context, deps: Deps): string {
  return `${deps.publicBase(c)}${deps.basePath}`;
}

export function registerTravelRoutes(app: Hono, deps: Deps): void {
  // POST only: other methods on /instances/import go on to the instance routes (an instance may be named "import").
  app.post(
    `${deps.basePath}/instances/import`,
    // Creates an instance: the management key's, as starting one is.
    authorize("start"),
    validate("query", IMPORT_QUERY),
    limitBody(MAX_DOCUMENT_BYTES),
    async function importInstance(c: Context) {
      const q = valid<{ instanceId: string; onConflict: string; allowCopy: boolean }>(c, "query");
      const document = await readEventData(c, MAX_DOCUMENT_BYTES);
      if (document === undefined) throw new HttpError(400, "InvalidArgument", "The body must be an instance document (from GET or POST …/instances/{id}/export).");
      const client = await travelClient(c, deps);
      const id = await client.importInstance(document, {
        ...(q.instanceId !== undefined ? { instanceId: q.instanceId } : {}),
        onConflict: (q.onConflict ?? "fail") as "fail" | "replace",
        allowCopy: q.allowCopy ?? false,
      });
      const body = await managementPayload(c, deps, id);
      return c.json(body, 201, { Location: body.statusQueryGetUri });
    },
  );

  resource(app, `${deps.basePath}/instances/:instanceId/timetravel`, {
    GET: [
      authorize("read"),
      validate("param", INSTANCE_PATH),
      async function timeTravel(c: Context) {
        const { instanceId } = valid<{ instanceId: string }>(c, "param") as { instanceId: string };
        const client = await travelClient(c, deps);
        return c.json(await client.timeTravel(instanceId), 200);
      },
    ],
  });

  resource(app, `${deps.basePath}/instances/:instanceId/export`, {
    GET: [
      authorize("read"),
      validate("param", INSTANCE_PATH),
      async function exportSnapshot(c: Context) {
        const { instanceId } = valid<{ instanceId: string }>(c, "param") as { instanceId: string };
        const client = await travelClient(c, deps);
        return c.json(await client.exportInstance(instanceId, { source: here(c, deps) }), 200);
      },
    ],
    POST: [
      // Stops the instance here: the management key's.
      authorize("start"),
      validate("param", INSTANCE_PATH),
      validate("query", EXPORT_QUERY),
      async function moveInstance(c: Context) {
        const { instanceId } = valid<{ instanceId: string }>(c, "param") as { instanceId: string };
        const { to } = valid<{ to: string }>(c, "query");
        const client = await travelClient(c, deps);
        const document = await client.exportInstance(instanceId, { move: true, source: here(c, deps), ...(to ? { to } : {}) });
        return c.json(document, 200);
      },
    ],
  });
}
