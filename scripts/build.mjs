#!/usr/bin/env node
/**
 * `npm run build`: the package as users install it, in dist/. Plain `tsc`, one output file per source
 * module (ESM JavaScript, `.d.ts`, declaration and source maps), in two passes: everything but the
 * Worker host against the DOM and ECMAScript libraries, and `durable-edge/worker` against the
 * Workers types. Then one fix-up tsc does not make: relative `.ts` specifiers in declaration files
 * become `.js` (`rewriteRelativeImportExtensions` rewrites them in JavaScript only).
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

rmSync(dist, { recursive: true, force: true });
for (const project of ["tsconfig.build.json", "worker/tsconfig.build.json"]) {
  // stdout stays clean (npm pack --json prints there): tsc's diagnostics go to stderr.
  const run = spawnSync(process.execPath, [tsc, "-p", join(root, project)], { cwd: root, stdio: ["ignore", 2, 2] });
  if (run.status !== 0) {
    console.error(`build: tsc -p ${project} failed.`);
    process.exit(run.status ?? 1);
  }
}

/** `from "./x.ts"`, `import("../y.ts")` → `.js`; package specifiers are left alone. */
const RELATIVE_TS = /((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']*?)\.ts(["'])/g;
let declarations = 0;
for (const file of walk(dist)) {
  if (!file.endsWith(".d.ts")) continue;
  const text = readFileSync(file, "utf8");
  const fixed = text.replace(RELATIVE_TS, "$1$2.js$3");
  if (fixed !== text) writeFileSync(file, fixed);
  declarations++;
}
console.error(`build: dist/ written (${declarations} declaration files).`);

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}
