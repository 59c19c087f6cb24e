/**
 * The repository's own Worker (`wrangler.toml`'s main, `npm start`): one user of
 * `createDurableWorker`, with the samples from `examples/` and the tutorial's starter
 * `/api/OrchestratorFunction_HttpStart`. The demo page is served next to it as static assets.
 */
import { samples } from "../examples/index.ts";
import { createDurableWorker, type Env } from "./index.ts";

const edge = createDurableWorker({
  ...samples,
  starters: { fixed: { OrchestratorFunction_HttpStart: "OrchestratorFunction" } },
});

export const { InstanceObject, IndexShard, ActivityRunner } = edge;
export default edge satisfies ExportedHandler<Env>;
