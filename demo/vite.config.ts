/**
 * Builds the demo page (`vite build demo` → `demo/dist`, which the Worker serves as static assets).
 * The page imports the library from its sources (relative paths), so the repository needs no build
 * step; `examples/browser-app` is the same kind of page built against the installed package.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const demoDir = dirname(fileURLToPath(import.meta.url));
const rootDir = resolve(demoDir, "..");

export default defineConfig({
  root: demoDir,
  base: "./",
  build: { outDir: resolve(demoDir, "dist"), emptyOutDir: true, target: "es2022", sourcemap: true },
  server: { fs: { allow: [rootDir] } },
});
