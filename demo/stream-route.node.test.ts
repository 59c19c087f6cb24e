/**
 * The instance stream route (`worker/http/routes/stream.ts`) on the management app over the memory
 * runtime: a `status` event per change while a fan-out runs, `end` when it finishes, resume with
 * `Last-Event-ID` (nothing resent for a state already seen), `gone` when purged mid-stream, 404 for
 * an unknown id, and the management key guarding it like the status route.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryStore } from "../adapters/memory/index.ts";
import { samples } from "../examples/index.ts";
import { activity, createRuntime, orchestrator, Task, type Runtime } from "../src/index.ts";
import { createManagementApp } from "../worker/http/app.ts";
import type { ManagementAppOptions } from "../worker/http/options.ts";
import { parseSseBlock, type SseEvent } from "../test/support/sse.ts";

const BASE = "/runtime/webhooks/durabletask";
const gates: (() => void)[] = [];
const gated = activity("Gated", (n: number) => new Promise<number>((resolve) => gates.push(() => resolve(n * n))));
const fan = orchestrator("GatedFan", function* (ctx) {
  const n = ctx.getInput<number>() ?? 3;
  const all = yield* Task.all(Array.from({ length: n }, (_, i) => ctx.callActivity(gated, i + 1)));
  return all.reduce((a, b) => a + b, 0);
});
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const runtimes: Runtime[] = [];

function setup(options: Partial<ManagementAppOptions> = {}) {
  const runtime = createRuntime({ store: createMemoryStore(), orchestrators: [...samples.orchestrators, fan], activities: [...samples.activities, gated], logger: silent });
  runtimes.push(runtime);
  runtime.start();
  const appOptions: ManagementAppOptions = { client: runtime.client, access: "open", logger: { error() {} }, stream: { pollMs: 20, maxMs: 5_000 }, ...options };
  const app = createManagementApp(appOptions);
  return { app, runtime };
}

afterEach(async () => {
  gates.splice(0).forEach((g) => g());
  await Promise.all(runtimes.splice(0).map((r) => r.stop()));
});

type Sse = SseEvent;

/** Reads server-sent events from a response until `until` says stop (or the stream ends). */
async function readEvents(response: Response, until: (events: Sse[]) => boolean, onEvent?: (e: Sse) => void): Promise<Sse[]> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: Sse[] = [];
  let buffer = "";
  while (!until(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let cut: number;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const e = parseSseBlock(block);
      if (!e) continue; // a comment (heartbeat)
      events.push(e);
      onEvent?.(e);
    }
  }
  await reader.cancel().catch(() => {});
  return events;
}

describe("instance stream route", () => {
  it("sends the status each time it changes while a fan-out runs, then ends", async () => {
    const { app, runtime } = setup();
    const id = await runtime.client.startNew(fan, { input: 3 });
    const response = await app.request(`http://127.0.0.1${BASE}/stream/instances/${id}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const completedCounts: number[] = [];
    const events = await readEvents(response, (es) => es.some((e) => e.event === "end"), (e) => {
      if (e.event !== "status") return;
      const status = e.data as { historyEvents: { EventType: string }[] };
      completedCounts.push(status.historyEvents.filter((h) => h.EventType === "TaskCompleted").length);
      // Release one square per status seen, so every step is its own change.
      setTimeout(() => gates.shift()?.(), 30);
    });
    expect(events.at(-1)).toMatchObject({ event: "end", data: { instanceId: id, runtimeStatus: "Completed" } });
    const statuses = events.filter((e) => e.event === "status");
    expect((statuses.at(-1)!.data as { output: number }).output).toBe(14);
    // Progress arrived step by step, each version once.
    expect(completedCounts).toEqual([...completedCounts].sort((a, b) => a - b));
    expect(completedCounts).toContain(1);
    expect(completedCounts).toContain(2);
    expect(new Set(statuses.map((e) => e.id)).size).toBe(statuses.length);
  });

  it("resumes after a reconnect: with Last-Event-ID, a state already seen is not sent again", async () => {
    const { app, runtime } = setup();
    const id = await runtime.client.startNew(fan, { input: 2 });
    const url = `http://127.0.0.1${BASE}/stream/instances/${id}`;
    // Wait until the two squares are scheduled, then read the first version.
    let first: Sse[] = [];
    for (let i = 0; i < 50 && gates.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    first = await readEvents(await app.request(url), (es) => es.length >= 1);
    const seen = first[0]!.id!;
    const again = await app.request(url, { headers: { "last-event-id": seen } });
    setTimeout(() => gates.splice(0).forEach((g) => g()), 100);
    const resumed = await readEvents(again, (es) => es.some((e) => e.event === "end"));
    expect(resumed.filter((e) => e.event === "status").map((e) => e.id)).not.toContain(seen);
    expect(resumed.filter((e) => e.event === "status").length).toBeGreaterThanOrEqual(1);
  });

  it("says 'gone' when the instance is purged mid-stream, and 404 for an id it does not know", async () => {
    const { app, runtime } = setup();
    const id = await runtime.client.startNew(fan, { input: 1 });
    const response = await app.request(`http://127.0.0.1${BASE}/stream/instances/${id}`);
    const events = await readEvents(response, (es) => es.some((e) => e.event === "gone"), (e) => {
      if (e.event === "status" && (e.data as { runtimeStatus: string }).runtimeStatus === "Running") {
        void runtime.client.terminate(id, "test").then(async () => {
          for (let i = 0; i < 50; i++) {
            if ((await runtime.client.getStatus(id))?.runtimeStatus === "Terminated") break;
            await new Promise((r) => setTimeout(r, 5));
          }
          // Purge before the stream sees Terminated (it polls every 20 ms): it may see either.
          await runtime.client.purge(id);
        });
      }
    }).catch(() => []);
    expect(events.some((e) => e.event === "gone" || e.event === "end")).toBe(true);
    const missing = await app.request(`http://127.0.0.1${BASE}/stream/instances/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe("InstanceNotFound");
  });

  it("is guarded by the management key like the status route", async () => {
    const key = "a-management-key-of-enough-length";
    const { app, runtime } = setup({ access: undefined, getKey: () => key });
    const id = await runtime.client.startNew("OrchestratorFunction");
    expect((await app.request(`http://127.0.0.1${BASE}/stream/instances/${id}`)).status).toBe(401);
    const ok = await app.request(`http://127.0.0.1${BASE}/stream/instances/${id}`, { headers: { "x-functions-key": key } });
    expect(ok.status).toBe(200);
    await ok.body?.cancel();
  });
});
