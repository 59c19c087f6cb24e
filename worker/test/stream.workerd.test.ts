/**
 * The instance stream on Durable Objects (`GET {base}/stream/instances/{id}`): the object that owns
 * the instance pushes each commit over one RPC stream (`InstanceObject.watch`), so the Worker
 * reads nothing while it waits. A 200-way fan-out's progress arrives change by change with no
 * status or history read of the object meanwhile; a reconnect with Last-Event-ID gets what
 * changed while it was away and nothing it had seen; a purge ends the object's stream; and a
 * client that leaves, or a stream that ends, leaves no subscription in the object.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { instanceStub } from "../routing.ts";
import { BASE, call, placement, pollUntil, startOrchestration, type Status } from "./helpers.ts";
import { edge } from "./test-worker.ts";
import { parseSseBlock, type SseEvent } from "../../test/support/sse.ts";

type Sse = SseEvent;

/** Reads server-sent events until `until` holds or the stream ends (then `ended`); cancels the body when told to stop. */
async function readEvents(response: Response, until: (events: Sse[]) => boolean = () => false, onEvent?: (e: Sse) => void | Promise<void>): Promise<{ events: Sse[]; ended: boolean; comments: number }> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: Sse[] = [];
  let buffer = "";
  let comments = 0;
  let ended = false;
  while (!until(events)) {
    const { value, done } = await reader.read();
    if (done) {
      ended = true;
      break;
    }
    buffer += value;
    let cut: number;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const e = parseSseBlock(block);
      if (!e) {
        comments++;
        continue;
      }
      events.push(e);
      await onEvent?.(e);
    }
  }
  if (!ended) await reader.cancel();
  return { events, ended, comments };
}

const stream = (id: string, headers: Record<string, string> = {}) => call(`${BASE}/stream/instances/${encodeURIComponent(id)}`, { headers: { accept: "text/event-stream", ...headers } });
const stats = (id: string) => instanceStub(placement, id).watchStats();
const completedIn = (e: Sse) => ((e.data as { events: { EventType: string }[] }).events ?? []).filter((h) => h.EventType === "TaskCompleted").length;

/** Polls until the object that owns `id` has no watch open (a cancelled stream is released a moment after the cancel). */
async function watchersDrain(id: string): Promise<number> {
  let watchers = -1;
  for (let i = 0; i < 400; i++) {
    watchers = (await stats(id)).watchers;
    if (watchers === 0) return 0;
    await new Promise((r) => setTimeout(r, 25));
  }
  return watchers;
}

describe("the instance stream, pushed by the instance's Durable Object", () => {
  it("a 200-way fan-out's changes arrive as they are committed, with no read of the object while it runs", async () => {
    const id = `stream-fan-${crypto.randomUUID()}`;
    const before = await stats(id);
    // 200 activities at once, whose results come back over a second: many commits while it runs.
    const started = await startOrchestration("StaggeredFanOut", { count: 200, spreadMs: 1000 }, id);
    const response = await stream(started.id);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const { events, ended } = await readEvents(response);
    expect(ended).toBe(true);
    const after = await stats(id);

    const statuses = events.filter((e) => e.event === "status");
    expect(events.at(-1)).toMatchObject({ event: "end", data: { instanceId: id, runtimeStatus: "Completed" } });
    expect((statuses.at(-1)!.data as Status).output).toEqual({ count: 200 });
    // Each status carries the stored history (the raw events the dashboard draws), its done count only growing.
    const done = statuses.map(completedIn);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(done.at(-1)).toBe(200);
    const running = statuses.filter((e) => (e.data as Status).runtimeStatus === "Running" && completedIn(e) < 200);
    expect(running.length, `statuses while running: ${done.join(",")}`).toBeGreaterThanOrEqual(5);
    expect(new Set(statuses.map((e) => e.id)).size).toBe(statuses.length);
    // Pushed: the object sent at least one change per status; the route read no status or history of it.
    expect(after.notifications - before.notifications).toBeGreaterThanOrEqual(statuses.length);
    expect(after.reads - before.reads).toBe(0);
    expect(await watchersDrain(id)).toBe(0);
  });

  it("a reconnect with Last-Event-ID gets the change made while it was away, and nothing it had seen", async () => {
    const started = await startOrchestration("HumanInteraction", { timeoutSeconds: 600 }, `stream-resume-${crypto.randomUUID()}`);
    await pollUntil(started.statusQueryGetUri, (s) => s.runtimeStatus === "Running");
    const first = await readEvents(await stream(started.id), (es) => es.length >= 1);
    const seen = first.events[0]!;
    expect(seen).toMatchObject({ event: "status", data: { runtimeStatus: "Running" } });

    // Nothing changed: the reconnect sends nothing until something does (here: the approval).
    const again = await stream(started.id, { "last-event-id": seen.id! });
    expect(again.status).toBe(200);
    const approve = await call(`${BASE}/instances/${started.id}/raiseEvent/Approval`, { method: "POST", headers: { "content-type": "application/json" }, body: "true" });
    expect(approve.status).toBe(202);
    const resumed = await readEvents(again);
    expect(resumed.ended).toBe(true);
    const resumedStatuses = resumed.events.filter((e) => e.event === "status");
    expect(resumedStatuses.map((e) => e.id)).not.toContain(seen.id);
    expect(resumedStatuses.at(-1)!.data).toMatchObject({ runtimeStatus: "Completed" });
    expect(resumed.events.at(-1)).toMatchObject({ event: "end", data: { runtimeStatus: "Completed" } });

    // Away while it finished: the reconnect with the old id gets the final state at once, then 'end'.
    const late = await readEvents(await stream(started.id, { "last-event-id": seen.id! }));
    expect(late.events.map((e) => e.event)).toEqual(["status", "end"]);
    expect(late.events[0]!.data).toMatchObject({ runtimeStatus: "Completed" });
    // With the final id: only 'end'.
    const current = await readEvents(await stream(started.id, { "last-event-id": late.events[0]!.id! }));
    expect(current.events.map((e) => e.event)).toEqual(["end"]);
  });

  it("a purge ends the object's stream with a change without status, and releases it", async () => {
    const started = await startOrchestration("HumanInteraction", { timeoutSeconds: 600 }, `stream-purge-${crypto.randomUUID()}`);
    await pollUntil(started.statusQueryGetUri, (s) => s.runtimeStatus === "Running");
    const stub = instanceStub(placement, started.id);
    const reader = (await stub.watch(started.id, { history: true })).pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    const nextLine = async (): Promise<{ status?: Status; history?: unknown[] } | "closed"> => {
      for (;;) {
        const cut = buffer.indexOf("\n");
        if (cut >= 0) {
          const line = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 1);
          return JSON.parse(line) as { status?: Status };
        }
        const { value, done } = await reader.read();
        if (done) return "closed";
        buffer += value;
      }
    };
    expect(await nextLine()).toMatchObject({ status: { runtimeStatus: "Running" }, history: expect.any(Array) });
    expect((await stats(started.id)).watchers).toBe(1);
    expect((await call(`${BASE}/instances/${started.id}/terminate?reason=stop`, { method: "POST" })).status).toBe(202);
    let line = await nextLine();
    while (line !== "closed" && line.status?.runtimeStatus !== "Terminated") line = await nextLine();
    expect(line).toMatchObject({ status: { runtimeStatus: "Terminated" } });
    expect((await call(`${BASE}/instances/${started.id}`, { method: "DELETE" })).status).toBe(200);
    expect(await nextLine()).toEqual({}); // gone: no status
    expect(await nextLine()).toBe("closed");
    expect(await watchersDrain(started.id)).toBe(0);
  });

  it("clients that disconnect release the object's subscriptions; an unknown id is 404 with none left open", async () => {
    const started = await startOrchestration("HumanInteraction", { timeoutSeconds: 600 }, `stream-leave-${crypto.randomUUID()}`);
    await pollUntil(started.statusQueryGetUri, (s) => s.runtimeStatus === "Running");
    const clients = await Promise.all([stream(started.id), stream(started.id), stream(started.id)]);
    const readers = clients.map((c) => c.body!.getReader());
    for (const r of readers) expect(new TextDecoder().decode((await r.read()).value)).toMatch(/^event: status\n/);
    expect((await stats(started.id)).watchers).toBe(3);
    await Promise.all(readers.map((r) => r.cancel()));
    // The Worker notices at its next heartbeat (a write that fails), and lets go of the object's watch.
    expect(await watchersDrain(started.id)).toBe(0);

    const missing = `stream-nobody-${crypto.randomUUID()}`;
    const response = await stream(missing);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { code: string }).code).toBe("InstanceNotFound");
    expect((await stats(missing)).watchers).toBe(0);
  });

  it("the Worker's client: return() ends the object's watch at once, also while a next() waits", async () => {
    const started = await startOrchestration("HumanInteraction", { timeoutSeconds: 600 }, `stream-client-${crypto.randomUUID()}`);
    await pollUntil(started.statusQueryGetUri, (s) => s.runtimeStatus === "Running");
    const client = edge.client(env);
    const watch = client.watch!(started.id, { history: true });
    const first = await watch.next();
    expect(first.value?.status?.runtimeStatus).toBe("Running");
    expect(first.value?.history?.some((e) => e.EventType === "ExecutionStarted")).toBe(true);
    const waiting = watch.next();
    expect((await stats(started.id)).watchers).toBe(1);
    await watch.return();
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect((await stats(started.id)).watchers).toBe(0); // no wait: unwatch reached the object before return() resolved
    await expect(client.watch!("@counter@k").next()).rejects.toMatchObject({ code: "InvalidInstanceId" });
  });
});
