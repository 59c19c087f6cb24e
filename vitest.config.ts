import { defineConfig } from "vitest/config";

/**
 * One `npm test` runs every project: the Node project below (core, memory store, IndexedDB on
 * fake-indexeddb, the router over the memory store, real-Chromium tests driven by playwright-core),
 * and each folder's own project (e.g. `worker/vitest.config.ts`, which runs inside workerd).
 */
export default defineConfig({
  test: {
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
    projects: [
      {
        test: {
          name: "node",
          include: ["src/**/*.test.ts", "adapters/**/*.test.ts", "examples/**/*.test.ts", "worker/**/*.node.test.ts", "demo/**/*.node.test.ts", "test/**/*.test.ts", "testing/**/*.test.ts"],
          exclude: ["**/node_modules/**", "**/*.workerd.test.ts", "examples/*-app/**"],
          testTimeout: 30_000,
        },
      },
      "./worker/vitest.config.{ts,mts}",
      "./worker/vitest.per-instance.config.ts",
      "./adapters/*/vitest.config.{ts,mts}",
    ],
  },
});
