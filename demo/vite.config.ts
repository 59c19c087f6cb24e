/**
 * Builds the demo page (`vite build demo` → `demo/dist`, which the Worker serves as static assets).
 * The page imports the library by its package name; the aliases below resolve `durable-edge` and
 * its subpaths (`/browser`, `/examples`, …) through the package's own `exports` map, as a user's
 * app would after `npm install durable-edge`.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type Alias } from "vite";

const demoDir = dirname(fileURLToPath(import.meta.url));
const rootDir = resolve(demoDir, "..");

export function packageAliases(root: string): Alias[] {
  const pkg = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")) as { name: string; exports: Record<string, unknown> };
  return Object.entries(pkg.exports)
    .filter((entry): entry is [string, string] => typeof entry[1] === "string" && entry[1].endsWith(".ts"))
    .map(([subpath, target]) => ({
      find: new RegExp(`^${(pkg.name + subpath.slice(1)).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`),
      replacement: resolve(root, target),
    }));
}

export default defineConfig({
  root: demoDir,
  base: "./",
  resolve: { alias: packageAliases(rootDir) },
  build: { outDir: resolve(demoDir, "dist"), emptyOutDir: true, target: "es2022", sourcemap: true },
  server: { fs: { allow: [rootDir] } },
});
