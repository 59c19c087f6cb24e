/**
 * The Worker of the hand-over test (test/travel/hand-over.test.ts, under wrangler dev): `createDurableWorker` over the samples (and a tree to move, test/travel/tree.ts), with the travel routes
 * (`registerTravelRoutes`) in front of its management API, as `createManagementApp` will register
 * them itself. Loopback access (no key): the test calls it on 127.0.0.1.
 */
import { Hono, type Context } from "hono";
import { travelDefinitions } from "../../test/travel/tree.ts";
import { accessGuard, crossSiteGuard } from "../http/access.ts";
import { jsonNotFound, managementErrorHandler } from "../http/errors.ts";
import { resolveDeps } from "../http/options.ts";
import { registerTravelRoutes } from "../http/routes/travel.ts";
import { createDurableWorker } from "../index.ts";

const edge = createDurableWorker({ ...travelDefinitions });
const deps = resolveDeps({ client: (c: Context) => edge.client(c.env as Cloudflare.Env) });
const app = new Hono({ strict: false });
app.use(`${deps.basePath}/*`, accessGuard(deps.access), crossSiteGuard(deps.access));
registerTravelRoutes(app, deps);
app.route("/", edge.app);
app.notFound(jsonNotFound);
app.onError(managementErrorHandler(deps.logger));

export const { InstanceObject, IndexShard, ActivityRunner } = edge;
export default { fetch: (request, env, ctx) => app.fetch(request, env, ctx) } satisfies ExportedHandler<Cloudflare.Env>;
