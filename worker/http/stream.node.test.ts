/**
 * The instance stream route (`routes/stream.ts`) over the memory runtime, with the settings of
 * `createManagementApp({ stream })`: each commit pushed by the client's `watch` (the route reads
 * nothing itself), heartbeat comments while nothing changes, `gone` for a purge the watch reports,
 * the watch released when the client leaves and when `maxMs` ends the stream, a client without
 * `watch` read every `pollMs`, and the settings checked.
 */
import { describe, expect, it } from "vitest";
import type { InstanceWatch, WatchOptions } from "../../src/index.ts";
import { createManagementApp } from "./app.ts";
import type { ManagementClient } from "./options.ts";
import { BASE, setup } from "./test-fixtures.ts";
import { parseSseBlock, type SseEvent } from "../../test/support/sse.ts";

type Sse = SseEvent;
type Item = { kind: "event"; e: Sse } | { kind: "comment" } | { kind: "done" };

/** Reads a server-sent event stream one item (an event or a comment) at a time. */
function sseReader(response: Response) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const next = async (): Promise<Item> => {
    for (;;) {
      const cut = buffer.indexOf("\n\n");
      if (cut >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const e = parseSseBlock(block);
        return e ? { kind: "event", e } : { kind: "comment" };
      }
      const { value, done } = await reader.read();
      if (done) return { kind: "done" };
      buffer += value;
    }
  };
  /** The next event, skipping comments (undefined once the stream ended). */
  const event = async (): Promise<Sse | undefined> => {
    for (;;) {
      const item = await next();
      if (item.kind === "event") return item.e;
      if (item.kind === "done") return undefined;
    }
  };
  return { next, event, cancel: () => reader.cancel() };
}

/**
 * The runtime's client, counting its reads and open watches; `gate` holds every `next()` of a
 * watch after its first until opened; `watchless` hides `watch` (a client that cannot push).
 */
function instrumented(client: ManagementClient, options: { gate?: Promise<void>; watchless?: boolean } = {}) {
  const counts = { reads: 0, openWatches: 0 };
  const wrapped = new Proxy(client, {
    get(target, key) {
      if (key === "getStatus" || key === "getHistory") {
        return (...args: unknown[]) => {
          counts.reads++;
          return (target as unknown as Record<string, (...a: unknown[]) => unknown>)[key]!(...args);
        };
      }
      if (key === "watch") {
        if (options.watchless) return undefined;
        return (instanceId: string, watchOptions?: WatchOptions): InstanceWatch => {
          const inner = target.watch!(instanceId, watchOptions);
          counts.openWatches++;
          let first = true;
          let open = true;
          const close = () => {
            if (open) counts.openWatches--;
            open = false;
          };
          const watch: InstanceWatch = {
            [Symbol.asyncIterator]: () => watch,
            async next() {
              if (!first) await options.gate;
              first = false;
              const result = await inner.next();
              if (result.done) close();
              return result;
            },
            async return() {
              close();
              return inner.return();
            },
          };
          return watch;
        };
      }
      const value = Reflect.get(target, key) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { client: wrapped, counts };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
}

describe("the instance stream route", () => {
  it("pushes each commit through the client's watch, reading nothing itself, with heartbeat comments while nothing changes", async () => {
    const ctx = setup();
    const { client, counts } = instrumented(ctx.client);
    const app = createManagementApp({ client, access: "open", stream: { heartbeatMs: 10 } });
    const id = await ctx.client.startNew("HumanInteraction", { instanceId: "watched", input: { timeoutSeconds: 600 } });
    await ctx.runtime.drain();
    const response = await app.request(`${BASE}/stream/instances/${id}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const sse = sseReader(response);
    const first = (await sse.event())!;
    expect(first).toMatchObject({ event: "status", id: expect.any(String), data: { runtimeStatus: "Running" } });
    expect((first.data as { events: { EventType: string }[] }).events.map((e) => e.EventType)).toContain("TimerCreated");
    // Nothing changes: comments only.
    expect([await sse.next(), await sse.next(), await sse.next()]).toEqual([{ kind: "comment" }, { kind: "comment" }, { kind: "comment" }]);
    await ctx.client.raiseEvent(id, "Approval", true);
    await ctx.runtime.drain();
    const done = (await sse.event())!;
    expect(done).toMatchObject({ event: "status", data: { runtimeStatus: "Completed" } });
    expect(await sse.event()).toMatchObject({ event: "end", data: { instanceId: id, runtimeStatus: "Completed" } });
    expect(await sse.event()).toBeUndefined();
    expect(counts.reads).toBe(0);
    expect(counts.openWatches).toBe(0);
  });

  it("says 'gone' when the watch reports the instance purged, and lets go of it", async () => {
    const ctx = setup();
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { client, counts } = instrumented(ctx.client, { gate });
    const app = createManagementApp({ client, access: "open" });
    const id = await ctx.client.startNew("HumanInteraction", { instanceId: "purged", input: { timeoutSeconds: 600 } });
    await ctx.runtime.drain();
    const sse = sseReader(await app.request(`${BASE}/stream/instances/${id}`));
    expect(await sse.event()).toMatchObject({ event: "status", data: { runtimeStatus: "Running" } });
    // While the route waits at the gate, the instance is terminated and purged: its next read finds it gone.
    await ctx.client.terminate(id, "stop");
    await ctx.runtime.drain();
    expect((await ctx.client.purge(id)).instancesDeleted).toBe(1);
    open();
    expect(await sse.event()).toEqual({ event: "gone", data: { instanceId: id } });
    expect(await sse.event()).toBeUndefined();
    expect(counts.openWatches).toBe(0);
  });

  it("lets go of the watch when the client leaves, and when maxMs ends the stream", async () => {
    const ctx = setup();
    const { client, counts } = instrumented(ctx.client);
    const app = createManagementApp({ client, access: "open", stream: { maxMs: 50, heartbeatMs: 10 } });
    const id = await ctx.client.startNew("HumanInteraction", { instanceId: "left", input: { timeoutSeconds: 600 } });
    await ctx.runtime.drain();
    const leaving = sseReader(await app.request(`${BASE}/stream/instances/${id}`));
    expect((await leaving.event())?.event).toBe("status");
    expect(counts.openWatches).toBe(1);
    await leaving.cancel();
    await until(() => counts.openWatches === 0);
    expect(counts.openWatches).toBe(0);

    const staying = sseReader(await app.request(`${BASE}/stream/instances/${id}`));
    expect((await staying.event())?.event).toBe("status");
    expect(await staying.event()).toBeUndefined(); // closed at maxMs, without 'end': the client reconnects
    expect(counts.openWatches).toBe(0);
  });

  it("reads a client without watch every pollMs: the same events", async () => {
    const ctx = setup();
    const { client, counts } = instrumented(ctx.client, { watchless: true });
    const app = createManagementApp({ client, access: "open", stream: { pollMs: 5 } });
    const id = await ctx.client.startNew("HumanInteraction", { instanceId: "polled", input: { timeoutSeconds: 600 } });
    await ctx.runtime.drain();
    const sse = sseReader(await app.request(`${BASE}/stream/instances/${id}`));
    const first = (await sse.event())!;
    expect(first).toMatchObject({ event: "status", data: { runtimeStatus: "Running", events: expect.any(Array) } });
    const readsBefore = counts.reads;
    await until(() => counts.reads >= readsBefore + 4); // polled: status and history each time
    await ctx.client.raiseEvent(id, "Approval", true);
    await ctx.runtime.drain();
    expect(await sse.event()).toMatchObject({ event: "status", data: { runtimeStatus: "Completed" } });
    expect((await sse.event())?.event).toBe("end");
    expect(counts.reads).toBeGreaterThanOrEqual(readsBefore + 4);
    const missing = await app.request(`${BASE}/stream/instances/nobody`);
    expect(missing.status).toBe(404);
  });

  it("checks its settings when the app is made", () => {
    const ctx = setup();
    expect(() => createManagementApp({ client: ctx.client, stream: { heartbeatMs: 0 } })).toThrow("createManagementApp: stream.heartbeatMs must be a positive number of milliseconds");
    expect(() => createManagementApp({ client: ctx.client, stream: { maxMs: Number.NaN } })).toThrow(/stream\.maxMs must be a positive number/);
    expect(() => createManagementApp({ client: ctx.client, stream: { pollMS: 5 } as never })).toThrow("unknown option 'stream.pollMS'");
    expect(() => createManagementApp({ client: ctx.client, stream: 5 as never })).toThrow("stream must be { pollMs?, maxMs?, heartbeatMs? }");
  });
});
