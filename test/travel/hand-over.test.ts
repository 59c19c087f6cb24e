/**
 * Histories that travel, end to end, on real hosts: two `wrangler dev` Workers (two state
 * folders) running worker/test/travel-worker.ts, and a real Chromium tab (IndexedDB) on the first.
 *
 * - Tab → Worker: an instance waiting for an event in the tab is handed over (`handOver`); the
 *   event is raised on the Worker; it completes there with the tab's earlier history intact, and
 *   never runs again in the tab.
 * - Worker → Worker: moved over HTTP (POST …/export, POST …/import) between the two state folders.
 * - Worker → memory: moved out of a Worker into a memory runtime in this process.
 * - Trees (a parent with its running sub-orchestrations, test/travel/tree.ts): handed over from the
 *   tab, and moved Worker → Worker; the children complete where they arrive, the parent with them.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryStore } from "../../adapters/memory/index.ts";
import { samples } from "../../examples/index.ts";
import { createRuntime, replayHistory, type HistoryEvent, type InstanceDocument } from "../../src/index.ts";
import { launchChromium, requireChromium } from "../support/chromium.ts";
import { spawnGroup, type GroupProcess } from "../support/processes.ts";
import { freePort, WRANGLER_OFFLINE_ENV } from "../support/wrangler-dev.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const BASE = "/runtime/webhooks/durabletask";

interface Edge {
  origin: string;
  proc: GroupProcess;
  state: string;
}

/** `wrangler dev` of test/travel/wrangler.toml on its own port and state folder (and, with `assets`, the tab's page). */
async function startEdge(assets?: string): Promise<Edge> {
  const state = mkdtempSync(join(tmpdir(), "durable-edge-travel-state-"));
  const [port, inspector] = [await freePort(), await freePort()];
  const proc = spawnGroup(
    process.execPath,
    [
      join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
      "dev",
      ...["--config", join(ROOT, "test/travel/wrangler.toml"), "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector)],
      ...["--persist-to", state, "--show-interactive-dev-session=false"],
      ...(assets ? ["--assets", assets] : []),
    ],
    { cwd: ROOT, env: WRANGLER_OFFLINE_ENV },
  );
  const deadline = Date.now() + 120_000;
  while (!/Ready on/.test(proc.output())) {
    if (proc.child.exitCode !== null || Date.now() > deadline) {
      await proc.stop();
      throw new Error(`wrangler dev did not start:\n${proc.output()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { origin: `http://127.0.0.1:${port}`, proc, state };
}

async function api(edge: Edge, path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(`${edge.origin}${BASE}${path}`, init);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const json = (body: unknown): RequestInit => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const statusOf = (edge: Edge, id: string, wanted: string) =>
  until(`${id} ${wanted} on ${edge.origin}`, async () => {
    const { status, body } = await api(edge, `/instances/${encodeURIComponent(id)}?showHistory=true&showHistoryOutput=true`);
    return (status === 200 || status === 202) && body.runtimeStatus === wanted ? body : undefined;
  });

let edge1: Edge;
let edge2: Edge;
let assets: string;

beforeAll(async () => {
  assets = mkdtempSync(join(tmpdir(), "durable-edge-travel-page-"));
  const page = await build({ entryPoints: [join(ROOT, "test/travel/tab-page.ts")], bundle: true, format: "esm", platform: "browser", target: "es2022", write: false, logLevel: "silent" });
  writeFileSync(join(assets, "page.js"), page.outputFiles[0]!.text);
  writeFileSync(join(assets, "index.html"), `<!doctype html><meta charset="utf-8"><title>travel</title><script type="module" src="/page.js"></script>`);
  [edge1, edge2] = await Promise.all([startEdge(assets), startEdge()]);
}, 240_000);

afterAll(async () => {
  await Promise.all([edge1?.proc.stop(), edge2?.proc.stop()]);
  for (const dir of [edge1?.state, edge2?.state, assets]) if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs `use` with the travel tab open on the first Worker and ready; the browser closes after. */
async function withTravelTab(use: (page: Page) => Promise<void>): Promise<void> {
  const browser: Browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${edge1.origin}/`);
    await page.waitForFunction(() => (window as unknown as { travelReady?: boolean }).travelReady === true);
    await use(page);
  } finally {
    await browser.close();
  }
}

describe("instances that travel between real hosts", () => {
  const hasChromium = requireChromium("the tab → Worker hand-over test");

  it.runIf(hasChromium)("tab → Worker: handed over while waiting for an event; completes on the Worker with the tab's history; never runs again in the tab", async () => {
    await withTravelTab(async (page) => {
      const id = "tab-order-1";
      await page.evaluate((id) => (window as any).travel.start(id), id);
      const tabHistory = (await page.evaluate((id) => (window as any).travel.history(id), id)) as HistoryEvent[];
      expect(tabHistory.map((e) => e.EventType)).toEqual(["OrchestratorStarted", "ExecutionStarted", "TimerCreated", "OrchestratorCompleted"]);

      const result = await page.evaluate((id) => (window as any).travel.handOver(id), id);
      expect(result.instanceId).toBe(id);
      expect(result.managementUrls.statusQueryGetUri).toContain(`${edge1.origin}${BASE}/instances/${id}?`);
      expect(await page.evaluate((id) => (window as any).travel.status(id), id)).toMatchObject({ runtimeStatus: "Terminated", output: { movedTo: `${edge1.origin}${BASE}` } });

      await statusOf(edge1, id, "Running");
      expect((await api(edge1, `/instances/${id}/raiseEvent/Approval`, json({ by: "ada" }))).status).toBe(202);
      const done = await statusOf(edge1, id, "Completed");
      expect(done.output).toEqual({ approved: true, approval: { by: "ada" } });
      // The tab's earlier history is the start of the Worker's: same start time, the same timer.
      const started = tabHistory.find((e) => e.EventType === "ExecutionStarted")!;
      const rows = done.historyEvents as { EventType: string; Timestamp: string; Data?: string; FireAt?: string }[];
      expect(rows[0]).toMatchObject({ EventType: "ExecutionStarted", Timestamp: new Date(started.Timestamp).toISOString().replace(/\.\d{3}Z$/, "Z") });
      const timer = tabHistory.find((e) => e.EventType === "TimerCreated") as Extract<HistoryEvent, { EventType: "TimerCreated" }>;
      expect(rows.find((r) => r.EventType === "TimerCreated")!.FireAt).toBe(new Date(timer.FireAt).toISOString());
      expect(rows.find((r) => r.EventType === "GenericEvent")!.Data).toContain('"importedFrom":"browser:travel-tab"');
      const exported = (await api(edge1, `/instances/${id}/export`)).body as InstanceDocument;
      expect(exported.history.slice(0, tabHistory.length)).toEqual(tabHistory);
      expect(replayHistory(samples.orchestrators, exported).ok).toBe(true);

      // Nothing more in the tab: the event is refused there, and its history does not grow.
      expect(await page.evaluate((id) => (window as any).travel.raiseEvent(id, "Approval", {}), id)).toMatch(/^refused: .*moved to/);
      await new Promise((r) => setTimeout(r, 1000));
      expect(((await page.evaluate((id) => (window as any).travel.history(id), id)) as HistoryEvent[]).length).toBe(tabHistory.length + 4);
    });
  }, 120_000);

  it.runIf(hasChromium)("tab → Worker, a tree: a parent handed over with its two running sub-orchestrations; approved on the Worker, it completes there", async () => {
    await withTravelTab(async (page) => {
      const id = "tab-pair-1";
      await page.evaluate((id) => (window as any).travel.startTree(id), id);
      const result = await page.evaluate((id) => (window as any).travel.handOver(id), id);
      expect(result.instanceId).toBe(id);
      for (const member of [id, `${id}:a`, `${id}:b`]) {
        expect(await page.evaluate((m) => (window as any).travel.status(m), member)).toMatchObject({ runtimeStatus: "Terminated", output: { movedTo: `${edge1.origin}${BASE}` } });
      }
      for (const child of [`${id}:a`, `${id}:b`]) {
        await statusOf(edge1, child, "Running");
        expect((await api(edge1, `/instances/${encodeURIComponent(child)}/raiseEvent/Approval`, json(child))).status).toBe(202);
      }
      const done = await statusOf(edge1, id, "Completed");
      expect(done.output).toEqual([
        { approved: true, approval: `${id}:a` },
        { approved: true, approval: `${id}:b` },
      ]);
      expect(await page.evaluate((m) => (window as any).travel.raiseEvent(m, "Approval", {}), `${id}:a`)).toMatch(/^refused: .*moved to/);
    });
  }, 120_000);

  it("Worker → Worker, a tree: the parent moved over HTTP with its running sub-orchestrations; they complete on the second Worker, and the parent with them", async () => {
    const id = "edge-pair-1";
    expect((await api(edge1, `/orchestrators/Pair/${id}`, json(null))).status).toBe(202);
    for (const member of [id, `${id}:a`, `${id}:b`]) await statusOf(edge1, member, "Running");
    const moved = await api(edge1, `/instances/${id}/export?to=${encodeURIComponent(edge2.origin)}`, { method: "POST" });
    expect(moved.status).toBe(200);
    expect((moved.body as InstanceDocument).descendants!.map((d) => d.instance.instanceId)).toEqual([`${id}:a`, `${id}:b`]);
    expect((await api(edge2, "/instances/import", json(moved.body))).status).toBe(201);
    for (const child of [`${id}:a`, `${id}:b`]) {
      await statusOf(edge2, child, "Running");
      expect((await api(edge2, `/instances/${encodeURIComponent(child)}/raiseEvent/Approval`, json("yes"))).status).toBe(202);
    }
    expect((await statusOf(edge2, id, "Completed")).output).toEqual([
      { approved: true, approval: "yes" },
      { approved: true, approval: "yes" },
    ]);
    for (const member of [id, `${id}:a`, `${id}:b`]) expect((await statusOf(edge1, member, "Terminated")).output).toMatchObject({ movedTo: edge2.origin });
  }, 60_000);

  it("Worker → Worker (two state folders): moved over HTTP, completes on the second, refused on the first", async () => {
    const id = "edge-order-1";
    expect((await api(edge1, `/orchestrators/HumanInteraction/${id}`, json({ timeoutSeconds: 3600 }))).status).toBe(202);
    const before = await statusOf(edge1, id, "Running");
    const moved = await api(edge1, `/instances/${id}/export?to=${encodeURIComponent(edge2.origin)}`, { method: "POST" });
    expect(moved.status).toBe(200);
    const imported = await api(edge2, "/instances/import", json(moved.body));
    expect(imported.status).toBe(201);
    expect(imported.body.statusQueryGetUri).toContain(`${edge2.origin}${BASE}/instances/${id}?`);
    await statusOf(edge2, id, "Running");
    expect((await api(edge2, `/instances/${id}/raiseEvent/Approval`, json("yes"))).status).toBe(202);
    const done = await statusOf(edge2, id, "Completed");
    expect(done.output).toEqual({ approved: true, approval: "yes" });
    expect(done.historyEvents[0]).toEqual(before.historyEvents[0]);
    expect((await statusOf(edge1, id, "Terminated")).output).toMatchObject({ movedTo: edge2.origin });
    const refused = await api(edge1, `/instances/${id}/raiseEvent/Approval`, json("again"));
    expect(refused.status).toBe(410);
    expect(refused.body.message).toContain(`moved to ${edge2.origin}`);
  }, 60_000);

  it("Worker → memory: moved out of the Worker into a memory runtime, completes there", async () => {
    const id = "edge-order-2";
    expect((await api(edge2, `/orchestrators/HumanInteraction/${id}`, json({ timeoutSeconds: 3600 }))).status).toBe(202);
    await statusOf(edge2, id, "Running");
    const moved = await api(edge2, `/instances/${id}/export?to=memory`, { method: "POST" });
    expect(moved.status).toBe(200);
    const runtime = createRuntime({ store: createMemoryStore(), ...samples });
    await runtime.client.importInstance(moved.body);
    await runtime.client.raiseEvent(id, "Approval", { by: "memory" });
    await runtime.drain();
    expect(await runtime.client.getStatus(id)).toMatchObject({ runtimeStatus: "Completed", output: { approved: true, approval: { by: "memory" } } });
    expect((await runtime.client.getHistory(id)).slice(0, (moved.body as InstanceDocument).history.length)).toEqual((moved.body as InstanceDocument).history);
    expect((await statusOf(edge2, id, "Terminated")).output).toMatchObject({ movedTo: "memory" });
  }, 60_000);
});
