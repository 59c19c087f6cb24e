import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "adapters/memory/**/*.test.ts", "examples/**/*.test.ts"],
  },
});
