/**
 * Smoke test: runs the real Worker the way a user does (`wrangler dev` with this repository's
 * wrangler.toml, offline, state in a temporary directory), walks the tutorial over HTTP and runs
 * the entity samples.
 * The server runs in its own process group and is always stopped, whatever the outcome.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWranglerDev, type WranglerDev } from "../test/support/wrangler-dev.ts";

const ROOT = resolve(import.meta.dirname, "..");

describe("wrangler dev serves the tutorial", () => {
  let server: WranglerDev | undefined;
  let origin = "";

  beforeAll(async () => {
    // wrangler.toml serves the demo page from demo/dist; `npm start` builds it first, and so do we.
    if (!existsSync(join(ROOT, "demo/dist/index.html"))) {
      execFileSync(process.execPath, [join(ROOT, "node_modules/vite/bin/vite.js"), "build", "demo", "--logLevel", "warn"], { cwd: ROOT, stdio: "inherit", timeout: 120_000 });
    }
    server = await startWranglerDev();
    origin = server.origin;
  }, 220_000);

  afterAll(async () => {
    await server?.stop();
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

  it("runs the entity samples: CounterAggregation signals the Counter and reads its total back", async () => {
    const key = `smoke-${Date.now()}`;
    const start = await fetch(`${origin}/api/orchestrators/CounterAggregation`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key, signals: 5 }) });
    expect(start.status).toBe(202);
    const { statusQueryGetUri } = (await start.json()) as { statusQueryGetUri: string };
    const deadline = Date.now() + 20_000;
    let status: { runtimeStatus: string; output: unknown } = { runtimeStatus: "Pending", output: null };
    while (Date.now() < deadline) {
      status = (await (await fetch(statusQueryGetUri)).json()) as typeof status;
      if (status.runtimeStatus === "Completed" || status.runtimeStatus === "Failed") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toMatchObject({ runtimeStatus: "Completed", output: 5 });
  }, 30_000);
});
