/**
 * A real Worker under `wrangler dev` (this repository's wrangler.toml, or another project's with
 * `cwd`), offline, state in a temporary folder, in its own process group so it is always stopped whole.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnGroup } from "./processes.ts";

const ROOT = resolve(import.meta.dirname, "../..");
/** What keeps wrangler off the network: no metrics, no `cf` fetch, no banner (and its update check). */
export const WRANGLER_OFFLINE_ENV = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true" };

export interface WranglerDev {
  origin: string;
  output(): string;
  stop(): Promise<void>;
}

/** A port nobody listens on at 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? ok(address.port) : fail(new Error("no free port"))));
    });
  });
}

export interface WranglerDevOptions {
  /** The project to run: its wrangler.toml and its own `node_modules/wrangler`. Default: this repository. */
  cwd?: string;
  /** Another wrangler file of the project (`--config`, e.g. `worker/test/wrangler.toml`); default: the project's wrangler.toml. */
  config?: string;
  /** Serve the page from there instead of wrangler.toml's assets directory. */
  assetsDir?: string;
  /** Extra Worker variables. */
  vars?: Record<string, string>;
  readyTimeoutMs?: number;
  /** Keep the state in this folder (and keep it after `stop`); default: a temporary folder, deleted on stop. */
  persistTo?: string;
}

export async function startWranglerDev(options: WranglerDevOptions = {}): Promise<WranglerDev> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
  const cwd = options.cwd ?? ROOT;
  const state = options.persistTo ?? mkdtempSync(join(tmpdir(), "durable-edge-wrangler-state-"));
  const port = await freePort();
  const inspector = await freePort();
  const proc = spawnGroup(
    process.execPath,
    [
      join(cwd, "node_modules/wrangler/bin/wrangler.js"),
      "dev",
      ...(options.config ? ["--config", options.config] : []),
      ...["--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector), "--persist-to", state, "--show-interactive-dev-session=false"],
      ...(options.assetsDir ? ["--assets", options.assetsDir] : []),
      ...Object.entries(options.vars ?? {}).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
    ],
    { cwd, env: WRANGLER_OFFLINE_ENV },
  );
  const log = proc.output;
  const stop = async () => {
    await proc.stop();
    if (!options.persistTo) rmSync(state, { recursive: true, force: true });
  };

  const deadline = Date.now() + readyTimeoutMs;
  while (!/Ready on/.test(log())) {
    if (proc.child.exitCode !== null) {
      await stop();
      throw new Error(`wrangler dev exited (${proc.child.exitCode}):\n${log()}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev was not ready after ${readyTimeoutMs} ms:\n${log()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { origin: `http://127.0.0.1:${port}`, output: log, stop };
}
