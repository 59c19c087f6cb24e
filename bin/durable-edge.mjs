#!/usr/bin/env node
/**
 * `npx durable-edge …` — the Node host of the CLI in dist/src/cli.js: files, module loading and
 * fetch from Node, everything else in the platform-free core. `durable-edge help` for usage.
 */
import { spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
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
  serveStateDir,
};

/**
 * `export --from <wrangler state folder>`: copies the folder (so it is never written: the Worker's
 * alarms would otherwise move its instances on) and serves the copy with this project's Worker,
 * `wrangler dev` from the project's own wrangler, offline, on a free loopback port.
 */
async function serveStateDir(dir, { config }) {
  let wrangler;
  try {
    wrangler = join(dirname(createRequire(join(process.cwd(), "package.json")).resolve("wrangler/package.json")), "bin/wrangler.js");
  } catch {
    throw new Error("wrangler is not installed in this project (npm install -D wrangler), and it is what serves the folder.");
  }
  const copy = await mkdtemp(join(tmpdir(), "durable-edge-export-"));
  await cp(dir, copy, { recursive: true });
  const port = await freePort();
  const inspector = await freePort();
  const args = [wrangler, "dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector), "--persist-to", copy, "--show-interactive-dev-session=false"];
  if (config) args.push("--config", config);
  const child = spawn(process.execPath, args, {
    cwd: process.cwd(),
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true" },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  const exited = new Promise((done) => child.once("exit", done));
  const kill = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const stop = async () => {
    kill("SIGTERM");
    const timer = setTimeout(() => kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
    kill("SIGKILL");
    await rm(copy, { recursive: true, force: true });
  };
  process.once("exit", () => kill("SIGKILL"));
  const deadline = Date.now() + 90_000;
  while (!/Ready on/.test(log)) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`wrangler dev exited (${child.exitCode}):\n${log.trim().split("\n").slice(-15).join("\n")}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev was not ready after 90 s:\n${log.trim().split("\n").slice(-15).join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url: `http://127.0.0.1:${port}`, stop };
}

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

process.exitCode = await runCli(process.argv.slice(2), host);
