/**
 * `GET {base}/functions` over the memory runtime: the orchestrators, activities (with `local`) and
 * entities the client's registry holds, in the order registered and without built-ins; read
 * access; 501 from a client that cannot tell.
 */
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../adapters/memory/index.ts";
import { activity, createRuntime, DurableClient, entity, ManualClock, orchestrator } from "../../src/index.ts";
import { createManagementApp } from "./app.ts";
import { BASE, json } from "./test-fixtures.ts";

const remote = activity("Remote", (n: number) => n + 1);
const inStep = activity("InStep", (n: number) => n * 2, { local: true });
const flow = orchestrator("Flow", function* (ctx) {
  return yield* ctx.callActivity(inStep, yield* ctx.callActivity(remote, 1));
});
const other = orchestrator("Other", function* () {
  return 1;
});
const tally = entity("Tally", (ctx) => ctx.setState(((ctx.getState() as number | undefined) ?? 0) + 1));

describe("GET {base}/functions", () => {
  it("lists what the client's registry holds, in the order registered, without built-in activities", async () => {
    const runtime = createRuntime({ store: createMemoryStore(), clock: new ManualClock(), orchestrators: [other, flow], activities: [remote, inStep], entities: [tally] });
    const app = createManagementApp({ client: runtime.client, access: "open" });
    const res = await app.request(`${BASE}/functions`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      orchestrators: [{ name: "Other" }, { name: "Flow" }],
      activities: [
        { name: "Remote", local: false },
        { name: "InStep", local: true },
      ],
      entities: [{ name: "Tally" }],
    });
    expect(runtime.client.registered()).toEqual(await json(await app.request(`${BASE}/functions`)));
  });

  it("needs read access (the read-only key reads it), and a client that cannot tell answers 501", async () => {
    const runtime = createRuntime({ store: createMemoryStore(), orchestrators: [flow], activities: [remote, inStep] });
    const key = "the-management-key-of-this-test";
    const reader = "the-read-only-key-of-this-test";
    const app = createManagementApp({ client: runtime.client, getKey: () => key, getReadOnlyKey: () => reader });
    expect((await app.request(`https://edge.example${BASE}/functions`)).status).toBe(401);
    expect((await app.request(`https://edge.example${BASE}/functions`, { headers: { authorization: `Bearer ${reader}` } })).status).toBe(200);
    expect((await app.request(`https://edge.example${BASE}/functions`, { method: "DELETE", headers: { authorization: `Bearer ${key}` } })).status).toBe(405);

    const bare = createManagementApp({ client: new DurableClient({ store: createMemoryStore(), clock: new ManualClock() }), access: "open" });
    const res = await bare.request(`${BASE}/functions`);
    expect(res.status).toBe(501);
    expect(await json(res)).toMatchObject({ code: "NotImplemented", message: expect.stringMatching(/does not know which functions are registered/) });
  });
});
