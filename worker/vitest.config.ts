import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { configDefaults, defineConfig } from "vitest/config";

for (const [k, v] of Object.entries({ WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true" })) process.env[k] ??= v;

/** The Worker's tests, run inside workerd with the test Worker (test/test-worker.ts, test/wrangler.toml: Durable Objects, ctx.exports). */
export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: "./test/wrangler.toml" } })],
  test: {
    name: "workerd",
    include: ["**/*.workerd.test.ts"],
    exclude: [...configDefaults.exclude, "test/leases.workerd.test.ts"], // needs the short leases of the per-instance project
    testTimeout: 60_000,
  },
});
