/**
 * Smoke test: runs the real Worker the way a user does (`wrangler dev` with this repository's
 * wrangler.toml, offline, state in a temporary directory) and walks the tutorial over HTTP.
 * The server runs in its own process group and is always stopped, whatever the outcome.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const OFFLINE = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true" };

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? ok(address.port) : fail(new Error("no port"))));
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((ok) => child.once("exit", () => ok()));
  process.kill(-child.pid, "SIGTERM");
  const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(-child.pid, "SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

describe("wrangler dev serves the tutorial", () => {
  let server: ChildProcess | undefined;
  let origin = "";
  let output = "";
  const state = mkdtempSync(join(tmpdir(), "durable-edge-smoke-"));

  beforeAll(async () => {
    // wrangler.toml serves the demo page from demo/dist; `npm start` builds it first, and so do we.
    if (!existsSync(join(ROOT, "demo/dist/index.html"))) {
      execFileSync(process.execPath, [join(ROOT, "node_modules/vite/bin/vite.js"), "build", "demo", "--logLevel", "warn"], { cwd: ROOT, stdio: "inherit", timeout: 120_000 });
    }
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    server = spawn(
      process.execPath,
      [join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", state, "--show-interactive-dev-session=false", "--inspector-port", String(await freePort())],
      { cwd: ROOT, env: { ...process.env, ...OFFLINE }, detached: true, stdio: ["ignore", "pipe", "pipe"] },
    );
    server.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    server.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    const deadline = Date.now() + 90_000;
    while (!/Ready on/.test(output)) {
      if (server.exitCode !== null) throw new Error(`wrangler dev exited (${server.exitCode}):\n${output}`);
      if (Date.now() > deadline) throw new Error(`wrangler dev was not ready after 90 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 220_000);

  afterAll(async () => {
    if (server) await stop(server);
    rmSync(state, { recursive: true, force: true });
  }, 20_000);

  it("starts the tutorial (202), and its status URL ends Completed with the three greetings", async () => {
    const start = await fetch(`${origin}/api/OrchestratorFunction_HttpStart`, { method: "POST" });
    expect(start.status).toBe(202);
    const payload = (await start.json()) as { id: string; statusQueryGetUri: string };
    expect(start.headers.get("location")).toBe(payload.statusQueryGetUri);
    expect(payload.statusQueryGetUri.startsWith(origin)).toBe(true);
    const deadline = Date.now() + 20_000;
    let status: { runtimeStatus: string; output: unknown } = { runtimeStatus: "Pending", output: null };
    let code = 0;
    while (Date.now() < deadline) {
      const response = await fetch(payload.statusQueryGetUri);
      code = response.status;
      status = (await response.json()) as typeof status;
      if (status.runtimeStatus === "Completed" || status.runtimeStatus === "Failed") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(code).toBe(200);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
    const missing = await fetch(`${origin}/runtime/webhooks/durabletask/instances/nope`);
    expect(missing.status).toBe(404);
  }, 30_000);
});
