import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

for (const [k, v] of Object.entries({ WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true" })) process.env[k] ??= v;

/**
 * The orchestration patterns, the tutorial, the entities and the instance stream again inside workerd, with one Durable
 * Object per instance and per entity (`INSTANCE_PARTITIONS` "0") instead of the partitions `test/wrangler.toml` configures, with
 * activity leases of 3 s (renewed by the runners' heartbeat) and an activity timeout of 6 s, where
 * the lease tests run.
 */
export default defineConfig({
  plugins: [
    cloudflareTest({ wrangler: { configPath: "./test/wrangler.toml" }, miniflare: { bindings: { INSTANCE_PARTITIONS: "0", ACTIVITY_LEASE_SECONDS: "3", ACTIVITY_TIMEOUT_SECONDS: "6" } } }),
  ],
  test: {
    name: "workerd-per-instance",
    include: ["test/patterns.workerd.test.ts", "test/tutorial.workerd.test.ts", "test/leases.workerd.test.ts", "test/entities.workerd.test.ts", "test/stream.workerd.test.ts"],
    testTimeout: 60_000,
  },
});
