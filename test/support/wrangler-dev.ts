/**
 * The real Worker under `wrangler dev` (this repository's wrangler.toml, offline, state in a
 * temporary folder), in its own process group so it is always stopped whole.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");
const OFFLINE = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true" };

export interface WranglerDev {
  origin: string;
  output(): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? ok(address.port) : fail(new Error("no free port"))));
    });
  });
}

/** `assetsDir`: serve the page from there instead of wrangler.toml's `demo/dist`; `vars`: extra Worker variables. */
export async function startWranglerDev(options: { assetsDir?: string; vars?: Record<string, string>; readyTimeoutMs?: number } = {}): Promise<WranglerDev> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
  const state = mkdtempSync(join(tmpdir(), "durable-edge-wrangler-state-"));
  const port = await freePort();
  const inspector = await freePort();
  let log = "";
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
      "dev",
      ...["--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector), "--persist-to", state, "--show-interactive-dev-session=false"],
      ...(options.assetsDir ? ["--assets", options.assetsDir] : []),
      ...Object.entries(options.vars ?? {}).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
    ],
    { cwd: ROOT, env: { ...process.env, ...OFFLINE }, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout!.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (log += d.toString()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const exited = new Promise<void>((ok) => child.once("exit", () => ok()));
      process.kill(-child.pid, "SIGTERM");
      const kill = setTimeout(() => {
        if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      }, 5_000);
      await exited;
      clearTimeout(kill);
    }
    rmSync(state, { recursive: true, force: true });
  };

  const deadline = Date.now() + readyTimeoutMs;
  while (!/Ready on/.test(log)) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`wrangler dev exited (${child.exitCode}):\n${log}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev was not ready after ${readyTimeoutMs} ms:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { origin: `http://127.0.0.1:${port}`, output: () => log, stop };
}
