/**
 * The travel routes (`worker/http/routes/travel.ts`) over memory stores, through `app.request()`:
 * export (GET snapshot, POST move), import (201 with the check-status payload; 400/409/413 with
 * `{ code, message }`), who may call them, and why they are registered before the instance routes.
 */
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../adapters/memory/index.ts";
import { humanInteraction, samples } from "../../examples/index.ts";
import { createRuntime, ManualClock, MAX_DOCUMENT_BYTES, orchestrator, Task, type InstanceDocument } from "../../src/index.ts";
import { createManagementApp } from "./app.ts";
import type { ManagementAppOptions } from "./options.ts";

const BASE = "/runtime/webhooks/durabletask";
const KEY = "k".repeat(24);
const silent = { error() {} };

/** The management app: `createManagementApp` registers the travel routes before the instance routes. */
function appWithTravel(options: ManagementAppOptions) {
  return createManagementApp(options);
}

/** A tree to move: two HumanInteraction sub-orchestrations under default ids. */
const pair = orchestrator("Pair", function* (ctx) {
  return yield* Task.all([0, 1].map(() => ctx.callSubOrchestrator(humanInteraction)));
});

function host(origin: string, options: Partial<ManagementAppOptions> = {}) {
  const clock = new ManualClock();
  const runtime = createRuntime({ store: createMemoryStore({ name: origin }), clock, ...samples, orchestrators: [...samples.orchestrators, pair], logger: { debug() {}, info() {}, warn() {}, error() {} } });
  const app = appWithTravel({ client: runtime.client, access: "open", logger: silent, ...options });
  const request = (path: string, init?: RequestInit) => app.request(`${origin}${BASE}${path}`, init);
  return { runtime, clock, client: runtime.client, app, request };
}

const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

describe("export and import over HTTP", () => {
  it("GET export is a snapshot; POST export moves; POST import answers 201 with the check-status payload", async () => {
    const a = host("https://a.example");
    const b = host("https://b.example");
    await a.client.startNew(humanInteraction, { instanceId: "hi-1" });
    await a.runtime.drain();

    const snapshot = await a.request("/instances/hi-1/export");
    expect(snapshot.status).toBe(200);
    const snap = (await snapshot.json()) as InstanceDocument;
    expect(snap).toMatchObject({ format: "durable-edge/instance", moved: false, source: `https://a.example${BASE}`, instance: { instanceId: "hi-1", runtimeStatus: "Running" } });
    expect((await a.client.getStatus("hi-1"))!.runtimeStatus).toBe("Running");

    const moved = await a.request("/instances/hi-1/export?to=https://b.example", { method: "POST" });
    expect(moved.status).toBe(200);
    const doc = (await moved.json()) as InstanceDocument;
    expect(doc.moved).toBe(true);
    expect((await a.client.getStatus("hi-1"))!.output).toMatchObject({ movedTo: "https://b.example" });
    const gone = await a.request("/instances/hi-1/raiseEvent/Approval", post({ ok: true }));
    expect(gone.status).toBe(410);
    expect(await gone.json()).toMatchObject({ code: "InstanceGone", message: expect.stringContaining("moved to https://b.example") });

    const imported = await b.request("/instances/import", post(doc));
    expect(imported.status).toBe(201);
    const payload = (await imported.json()) as { id: string; statusQueryGetUri: string };
    expect(payload.id).toBe("hi-1");
    expect(imported.headers.get("location")).toBe(payload.statusQueryGetUri);
    expect(payload.statusQueryGetUri.startsWith(`https://b.example${BASE}/instances/hi-1?`)).toBe(true);

    await b.runtime.drain();
    expect((await b.request("/instances/hi-1/raiseEvent/Approval", post({ by: "ada" }))).status).toBe(202);
    await b.runtime.drain();
    const status = await b.request("/instances/hi-1?showHistory=true");
    expect(status.status).toBe(200);
    const body = (await status.json()) as { runtimeStatus: string; output: unknown; historyEvents: { EventType: string; Data?: string }[] };
    expect(body).toMatchObject({ runtimeStatus: "Completed", output: { approved: true, approval: { by: "ada" } } });
    expect(body.historyEvents.find((e) => e.EventType === "GenericEvent")!.Data).toContain(`"importedFrom":"https://a.example${BASE}"`);
    await a.runtime.stop();
    await b.runtime.stop();
  });

  it("a tree over HTTP: POST export moves the parent with its running sub-orchestrations (version 2, descendants); POST import takes it whole; a child alone is 409", async () => {
    const a = host("https://a.example");
    const b = host("https://b.example");
    await a.client.startNew(pair, { instanceId: "pair-1" });
    await a.runtime.drain();
    const children = (await a.client.exportInstance("pair-1")).children.map((c) => c.instanceId);
    const alone = await a.request(`/instances/${encodeURIComponent(children[0]!)}/export`, { method: "POST" });
    expect(alone.status).toBe(409);
    expect(await alone.json()).toMatchObject({ code: "InvalidState", message: expect.stringContaining("Move the root of its tree instead, 'pair-1'") });

    const moved = await a.request("/instances/pair-1/export?to=https://b.example", { method: "POST" });
    expect(moved.status).toBe(200);
    const doc = (await moved.json()) as InstanceDocument;
    expect(doc).toMatchObject({ version: 2, moved: true });
    expect(doc.descendants!.map((d) => d.instance.instanceId)).toEqual(children);
    const gone = await a.request(`/instances/${encodeURIComponent(children[1]!)}/raiseEvent/Approval`, post({ late: true }));
    expect(gone.status).toBe(410);

    expect((await b.request("/instances/import", post(doc))).status).toBe(201);
    await b.runtime.drain();
    for (const child of children) expect((await b.request(`/instances/${encodeURIComponent(child)}/raiseEvent/Approval`, post(JSON.stringify(child)))).status).toBe(202);
    await b.runtime.drain();
    expect(await (await b.request("/instances/pair-1")).json()).toMatchObject({ runtimeStatus: "Completed", output: children.map((c) => ({ approved: true, approval: c })) });
    await a.runtime.stop();
    await b.runtime.stop();
  });

  it("import refusals: 400 (malformed, naming the field; not JSON), 409 (in use; a snapshot), 413 (too large), nothing stored", async () => {
    const a = host("https://a.example");
    const b = host("https://b.example");
    await a.client.startNew(humanInteraction, { instanceId: "hi-2" });
    await a.runtime.drain();
    const snap = (await (await a.request("/instances/hi-2/export")).json()) as InstanceDocument;

    const copy = await b.request("/instances/import", post(snap));
    expect(copy.status).toBe(409);
    expect(await copy.json()).toMatchObject({ code: "InvalidState", message: expect.stringContaining("snapshot") });

    const malformed = structuredClone(snap) as any;
    malformed.history[1].Name = 7;
    malformed.version = 1;
    const bad = await b.request("/instances/import?allowCopy=true", post(malformed));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: "InvalidArgument", message: expect.stringContaining("history[1].Name must be a non-empty string") });

    const newer = await b.request("/instances/import", post({ ...snap, version: 9 }));
    expect(newer.status).toBe(400);
    expect(await newer.json()).toMatchObject({ message: expect.stringContaining("format version 9") });

    expect((await b.request("/instances/import", post("{nope"))).status).toBe(400);
    expect((await b.request("/instances/import", { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" })).status).toBe(400);
    expect((await b.request("/instances/import?instanceId=a%2Fb&allowCopy=true", post(snap))).status).toBe(400);

    const large = structuredClone(snap) as any;
    large.instance.input = JSON.stringify("x".repeat(300 * 1024));
    const tooLarge = await b.request("/instances/import?allowCopy=true", post(large));
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.json()).toMatchObject({ code: "PayloadTooLarge", message: expect.stringContaining("instance.input is 300 KiB") });
    const huge = await b.request("/instances/import", post("x".repeat(MAX_DOCUMENT_BYTES + 1)));
    expect(huge.status).toBe(413);

    expect((await b.client.listInstances()).instances).toEqual([]);

    expect((await b.request("/instances/import?allowCopy=true", post(snap))).status).toBe(201);
    // The same document again (its answer lost, say): 201, and nothing is written twice.
    const imported = await b.client.getHistory("hi-2");
    expect((await b.request("/instances/import?allowCopy=true", post(snap))).status).toBe(201);
    expect(await b.client.getHistory("hi-2")).toEqual(imported);
    const again = await b.request("/instances/import?allowCopy=true", post({ ...snap, exportedAt: new Date(Date.parse(snap.exportedAt) + 1).toISOString() }));
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ code: "InstanceAlreadyExists" });
    const renamed = await b.request("/instances/import?allowCopy=true&instanceId=hi-2-copy", post(snap));
    expect(renamed.status).toBe(201);
    expect(((await renamed.json()) as { id: string }).id).toBe("hi-2-copy");
    await a.runtime.stop();
    await b.runtime.stop();
  });

  it("export of an unknown instance is 404, of a moved one 410; export and import of an instance named 'import' still work", async () => {
    const a = host("https://a.example");
    expect((await a.request("/instances/nope/export")).status).toBe(404);
    await a.client.startNew(humanInteraction, { instanceId: "import" });
    await a.runtime.drain();
    expect((await a.request("/instances/import")).status).toBe(202); // GET: that instance's status
    expect((await a.request("/instances/import/export", { method: "POST" })).status).toBe(200);
    const again = await a.request("/instances/import/export", { method: "POST" });
    expect(again.status).toBe(410);
    expect((await a.request("/instances/import/export", { method: "DELETE" })).status).toBe(405);
    await a.runtime.stop();
  });

  it("with a key: reading a snapshot takes the read-only key or the management key; moving and importing take the management key", async () => {
    const a = host("https://a.example", { getKey: () => KEY, getReadOnlyKey: () => "r".repeat(24) });
    await a.client.startNew(humanInteraction, { instanceId: "hi-3" });
    await a.runtime.drain();
    expect((await a.request("/instances/hi-3/export")).status).toBe(401);
    expect((await a.request("/instances/hi-3/export", { headers: { authorization: `Bearer ${"r".repeat(24)}` } })).status).toBe(200);
    expect((await a.request("/instances/hi-3/export", { method: "POST", headers: { authorization: `Bearer ${"r".repeat(24)}` } })).status).toBe(403);
    const moved = await a.request("/instances/hi-3/export", { method: "POST", headers: { authorization: `Bearer ${KEY}` } });
    expect(moved.status).toBe(200);
    const doc = await moved.json();
    expect((await a.request("/instances/import", post(doc, { authorization: `Bearer ${"r".repeat(24)}` }))).status).toBe(403);
    expect((await a.request("/instances/import", post(doc, { authorization: `Bearer ${KEY}` }))).status).toBe(409); // the moved tombstone is here
    expect((await a.request("/instances/import?onConflict=replace", post(doc, { authorization: `Bearer ${KEY}` }))).status).toBe(201);
    await a.runtime.stop();
  });

  it("GET timetravel: the instance right after each event, replayed with this server's code, nothing committed", async () => {
    const a = host("https://a.example");
    await a.client.startNew(humanInteraction, { instanceId: "tt-1", input: { timeoutSeconds: 60 } });
    await a.runtime.drain();
    const before = await a.client.getHistory("tt-1");
    const response = await a.request("/instances/tt-1/timetravel");
    expect(response.status).toBe(200);
    const travel = (await response.json()) as { instanceId: string; frames: { eventType: string; pending: { kind: string }[]; customStatus: unknown }[] };
    expect(travel.instanceId).toBe("tt-1");
    expect(travel.frames.map((f) => f.eventType)).toEqual(before.map((e) => e.EventType));
    expect(travel.frames.at(-1)!.pending.map((p) => p.kind)).toEqual(["event", "timer"]);
    expect(travel.frames.at(-1)!.customStatus).toMatchObject({ waitingFor: "Approval" });
    expect(await a.client.getHistory("tt-1")).toEqual(before);
    expect((await a.request("/instances/nope/timetravel")).status).toBe(404);
    await a.runtime.stop();
  });

  it("the travel routes answer before the instance routes: /instances/import is not taken for an instance id", async () => {
    const runtime = createRuntime({ store: createMemoryStore(), ...samples });
    const app = createManagementApp({ client: runtime.client, access: "open" as const, logger: silent });
    const refused = await app.request(`https://x.example${BASE}/instances/import`, post({}));
    expect(refused.status).toBe(400); // the import route read the (malformed) document
    expect(((await refused.json()) as { code: string }).code).toBe("InvalidArgument");
    const unknown = await app.request(`https://x.example${BASE}/instances/some-id/export`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { code: string }).code).toBe("InstanceNotFound");
  });
});
