#!/usr/bin/env node
/**
 * `npx durable-edge …` — the Node host of the CLI in dist/src/cli.js: files, module loading and
 * fetch from Node, everything else in the platform-free core. `durable-edge help` for usage.
 */
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
let runCli;
try {
  ({ runCli } = await import("../dist/src/cli.js"));
} catch (error) {
  console.error(`durable-edge: the package is not built (${error.message}). In a checkout, run npm run build first.`);
  process.exit(2);
}
const { version } = JSON.parse(await readFile(resolve(here, "../package.json"), "utf8"));

const host = {
  cwd: process.cwd(),
  env: process.env,
  version,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  resolve: (...parts) => resolve(...parts),
  readText: (path) => readFile(path, "utf8"),
  async listDir(path) {
    if (!(await stat(path)).isDirectory()) return null;
    return readdir(path);
  },
  async writeText(path, text) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  },
  importModule: (path) => import(pathToFileURL(path).href),
  fetch: (url, init) => fetch(url, init),
};

process.exitCode = await runCli(process.argv.slice(2), host);
