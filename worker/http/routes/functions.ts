/**
 * @module worker/http/routes/functions — `GET {base}/functions`: what this server runs, from its
 * client's `registered()`: the orchestrators (each startable with `POST {base}/orchestrators/{name}`),
 * the activities (`local`: run inside the calling instance's step unless a call says otherwise)
 * and the entities, each in the order registered, built-in activities left out. Durable
 * Functions has no such route (a function app's host lists its functions and their triggers at
 * `GET /admin/functions`); the name follows the host's. For dashboards that offer every
 * orchestration to start. Read access, like the other reads; a client that cannot tell (no
 * `registered()`, or a `DurableClient` made without a registry) answers 501.
 */
import type { Context, Hono } from "hono";
import { authorize } from "../access.ts";
import { HttpError } from "../errors.ts";
import type { Deps } from "../options.ts";
import { resource } from "../routing.ts";

export function registerFunctionRoutes(app: Hono, deps: Deps): void {
  resource(app, `${deps.basePath}/functions`, {
    GET: [
      authorize("read"),
      async function registeredFunctions(c: Context) {
        const client = await deps.client(c);
        const found = typeof client.registered === "function" ? client.registered() : undefined;
        if (!found) throw new HttpError(501, "NotImplemented", "This server's client does not know which functions are registered (give it a registry, as a runtime's client has).");
        return c.json(found, 200);
      },
    ],
  });
}
