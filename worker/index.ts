/**
 * The Worker: the Durable Functions management API (Hono, `worker/http`) over instances that live
 * in Durable Objects, the tutorial's HTTP starter, and the static demo page (`demo/dist`).
 *
 * Exports the Durable Object classes (`InstanceObject`, `IndexShard`) and the `ActivityRunner`
 * entrypoint that instance objects reach through `ctx.exports.ActivityRunner`.
 */
import { Registry } from "../src/index.ts";
import { createManagementApp } from "./http/index.ts";
import { DurableObjectClient } from "./durable-object-client.ts";
import type { Env } from "./env.ts";
import { orchestrations } from "./orchestrations.ts";

export { InstanceObject } from "./instance-object.ts";
export { IndexShard } from "./index-shard.ts";
export { ActivityRunner } from "./activity-runner.ts";
export type { Env } from "./env.ts";

const registry = new Registry(orchestrations.orchestrators, orchestrations.activities);

const app = createManagementApp<{ Bindings: Env }>({
  client: (c) => new DurableObjectClient(c.env, registry),
  getKey: (c) => c.env.DURABLE_EDGE_KEY || undefined,
});

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
