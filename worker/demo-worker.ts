/**
 * The repository's own Worker (`wrangler.toml`'s main, `npm start`): one user of
 * `createDurableWorker`, with the samples from `examples/` (their orchestrations, activities and
 * the `Counter` and `Account` entities) and the tutorial's starter
 * `/api/OrchestratorFunction_HttpStart`, mounted in a Hono app that also serves the demo page
 * (`demo/dist`, the ASSETS binding) with Hono's secure headers.
 *
 * No key set: it answers local requests only (npm start on 127.0.0.1), as every Worker does by
 * default; deployed, set DURABLE_EDGE_KEY (`npx wrangler secret put DURABLE_EDGE_KEY`) and give the
 * page the key, or DURABLE_EDGE_ACCESS = "open" for a public demo.
 */
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { samples } from "../examples/index.ts";
import { jsonNotFound } from "./http/index.ts";
import { createDurableWorker, type Env } from "./index.ts";

const edge = createDurableWorker({
  ...samples,
  starters: { fixed: { OrchestratorFunction_HttpStart: "OrchestratorFunction" } },
});

export const { InstanceObject, IndexShard, ActivityRunner } = edge;

type DemoEnv = Env & { ASSETS?: Fetcher };
const app = new Hono<{ Bindings: DemoEnv }>();
app.route("/", edge.app);
// The API's namespaces stay JSON, even where no route matches.
app.all("/runtime/*", jsonNotFound);
app.all("/api/*", jsonNotFound);
// The page: same-origin scripts and styles only (the timeline positions bars with style attributes).
app.use(
  "*",
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", "data:"],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
    referrerPolicy: "no-referrer",
  }),
);
app.all("*", async (c) => {
  if (!c.env.ASSETS) return c.text("The demo page is not built: npm run build:demo.", 404);
  const asset = await c.env.ASSETS.fetch(c.req.raw);
  return new Response(asset.body, asset); // mutable headers, for the secure headers
});

export default { fetch: app.fetch } satisfies ExportedHandler<DemoEnv>;
