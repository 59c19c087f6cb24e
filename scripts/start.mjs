#!/usr/bin/env node
/**
 * `npm start`: the Worker locally (wrangler dev, offline, state kept in .wrangler/state), serving the
 * management API, the starters and the demo page, which it builds first.
 *
 *   npm start                    http://127.0.0.1:8787
 *   PORT=9000 npm start          another port (or: npm start -- --port 9000)
 *   HOST=0.0.0.0 npm start       listen beyond loopback (or: npm start -- --ip 0.0.0.0)
 *
 * Other arguments after `--` go to `wrangler dev` as they are (e.g. `-- --var DURABLE_EDGE_KEY:secret`).
 */
import { spawn, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);

/** The path of a dependency's command (packages need not export their bin files). */
function binOf(name) {
  const manifest = require.resolve(`${name}/package.json`);
  const { bin } = require(manifest);
  return join(dirname(manifest), typeof bin === "string" ? bin : bin[name]);
}

/** Takes `--name value` or `--name=value` out of the arguments. */
function take(name) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`) return args.splice(i, 2)[1];
    if (args[i].startsWith(`--${name}=`)) return args.splice(i, 1)[0].slice(name.length + 3);
  }
  return undefined;
}

const port = take("port") ?? process.env.PORT ?? "8787";
const ip = take("ip") ?? process.env.HOST ?? "127.0.0.1";
if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
  console.error(`npm start: the port must be a number from 1 to 65535, got '${port}'.`);
  process.exit(2);
}

const vite = binOf("vite");
const built = spawnSync(process.execPath, [vite, "build", "demo", "--logLevel", "warn"], { cwd: root, stdio: "inherit" });
if (built.status !== 0) process.exit(built.status ?? 1);

const wrangler = binOf("wrangler");
const child = spawn(
  process.execPath,
  [wrangler, "dev", "--persist-to", ".wrangler/state", "--ip", ip, "--port", port, "--show-interactive-dev-session=false", ...args],
  {
    cwd: root,
    stdio: "inherit",
    env: { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true", ...process.env },
  },
);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
