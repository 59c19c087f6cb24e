/** Status, list (filters, paging, continuation token) and purge. */
import { describe, expect, it } from "vitest";
import type { ManagementClient } from "./options.ts";
import { BASE, instanceCount, json, setup } from "./test-fixtures.ts";

/** The client's methods bound to it, so single ones can be replaced. */
function bind(client: ManagementClient): ManagementClient {
  return {
    startNew: client.startNew.bind(client),
    getStatus: client.getStatus.bind(client),
    listInstances: client.listInstances.bind(client),
    raiseEvent: client.raiseEvent.bind(client),
    terminate: client.terminate.bind(client),
    suspend: client.suspend.bind(client),
    resume: client.resume.bind(client),
    rewind: client.rewind.bind(client),
    restart: client.restart.bind(client),
    purge: client.purge.bind(client),
    purgeBy: client.purgeBy.bind(client),
    waitForCompletion: client.waitForCompletion.bind(client),
    signalEntity: client.signalEntity.bind(client),
    readEntityState: client.readEntityState.bind(client),
    getEntity: client.getEntity.bind(client),
    listEntities: client.listEntities.bind(client),
    cleanEntityStorage: client.cleanEntityStorage.bind(client),
  };
}

type Status = { instanceId: string; runtimeStatus: string; name: string; input?: unknown; historyEvents?: Record<string, unknown>[] };

async function start(ctx: ReturnType<typeof setup>, name: string, id: string, input?: unknown) {
  const res = await ctx.request(`${BASE}/orchestrators/${name}/${id}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    ...(input === undefined ? {} : { body: JSON.stringify(input) }),
  });
  expect(res.status).toBe(202);
}

describe(`GET ${BASE}/instances/{id}`, () => {
  it("404 with a JSON body for an unknown id", async () => {
    const { request } = setup();
    const res = await request(`${BASE}/instances/nobody`);
    expect(res.status).toBe(404);
    expect(await json(res)).toEqual({ code: "InstanceNotFound", message: "No instance with ID 'nobody' found." });
  });

  it("202 + Location (the request URL, without code=) + Retry-After: 5 for Pending, Running and Suspended", async () => {
    const ctx = setup();
    await start(ctx, "HumanInteraction", "h", { timeoutSeconds: 60 });
    const url = `${BASE}/instances/h?showInput=false&code=ignored`;
    const expectStillRunning = async (status: string) => {
      const res = await ctx.request(url);
      expect(res.status).toBe(202);
      // Durable Functions echoes the request URL, key included; we never put a key in an answer.
      expect(res.headers.get("location")).toBe(`https://edge.example${BASE}/instances/h?showInput=false`);
      expect(res.headers.get("retry-after")).toBe("5");
      expect(((await json(res)) as Status).runtimeStatus).toBe(status);
    };
    await expectStillRunning("Pending");
    await ctx.runtime.drain();
    await expectStillRunning("Running");
    await ctx.request(`${BASE}/instances/h/suspend`, { method: "POST" });
    await ctx.runtime.drain();
    await expectStillRunning("Suspended");
  });

  it("200 for Completed and Terminated; Failed → 200, or 500 with returnInternalServerErrorOnFailure", async () => {
    const ctx = setup();
    await start(ctx, "OrchestratorFunction", "done");
    await start(ctx, "HumanInteraction", "term");
    await start(ctx, "FailsOnce", "failed");
    await ctx.runtime.drain();
    await ctx.request(`${BASE}/instances/term/terminate?reason=stop`, { method: "POST" });
    await ctx.runtime.drain();

    const done = await ctx.request(`${BASE}/instances/done`);
    expect([done.status, ((await json(done)) as Status).runtimeStatus]).toEqual([200, "Completed"]);
    const term = await ctx.request(`${BASE}/instances/term`);
    expect(term.status).toBe(200);
    expect(await json(term)).toMatchObject({ runtimeStatus: "Terminated", output: "stop" });
    const failed = await ctx.request(`${BASE}/instances/failed`);
    expect(failed.status).toBe(200);
    expect(failed.headers.get("location")).toBeNull();
    const body = (await json(failed)) as Status & { output: unknown };
    expect(body.runtimeStatus).toBe("Failed");
    const failed500 = await ctx.request(`${BASE}/instances/failed?returnInternalServerErrorOnFailure=true`);
    expect(failed500.status).toBe(500);
    expect(await json(failed500)).toEqual(body);
    // The flag changes nothing for other statuses.
    expect((await ctx.request(`${BASE}/instances/done?returnInternalServerErrorOnFailure=true`)).status).toBe(200);
  });

  it("status JSON: the Durable Functions keys, second-precision UTC times, no historyEvents unless asked", async () => {
    const ctx = setup();
    ctx.clock.set(Date.UTC(2026, 2, 4, 5, 6, 7, 890));
    await start(ctx, "FanOutFanIn", "shape", { count: 3 });
    ctx.clock.advance(2_000);
    await ctx.runtime.drain();
    const res = await ctx.request(`${BASE}/instances/shape`);
    const body = (await json(res)) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(["name", "instanceId", "runtimeStatus", "input", "customStatus", "output", "createdTime", "lastUpdatedTime"]);
    expect(body).toEqual({
      name: "FanOutFanIn",
      instanceId: "shape",
      runtimeStatus: "Completed",
      input: { count: 3 },
      customStatus: { scheduled: 3 },
      output: { count: 3, sum: 14 },
      createdTime: "2026-03-04T05:06:07Z",
      lastUpdatedTime: "2026-03-04T05:06:09Z",
    });
    const hidden = (await json(await ctx.request(`${BASE}/instances/shape?showInput=false`))) as Record<string, unknown>;
    expect(hidden.input).toBeNull();
  });

  it("showHistory: historyEvents in the Durable Functions shape; results only with showHistoryOutput", async () => {
    const ctx = setup();
    await start(ctx, "OrchestratorFunction", "hist");
    await ctx.runtime.drain();
    const t = "2026-01-01T00:00:00Z";
    const plain = (await json(await ctx.request(`${BASE}/instances/hist?showHistory=true`))) as Status;
    expect(plain.historyEvents).toEqual([
      { EventType: "ExecutionStarted", FunctionName: "OrchestratorFunction", Timestamp: t, Input: null },
      ...["Tokyo", "Seattle", "London"].map((city) => ({
        EventType: "TaskCompleted",
        FunctionName: "OrchestratorFunction_Hello",
        ScheduledTime: t,
        Input: city,
        Timestamp: t,
      })),
      { EventType: "ExecutionCompleted", OrchestrationStatus: "Completed", Timestamp: t },
    ]);
    const withOutput = (await json(await ctx.request(`${BASE}/instances/hist?showHistory=TRUE&showHistoryOutput=true&showInput=false`))) as Status;
    expect(withOutput.historyEvents).toEqual([
      { EventType: "ExecutionStarted", FunctionName: "OrchestratorFunction", Timestamp: t },
      ...["Tokyo", "Seattle", "London"].map((city) => ({
        EventType: "TaskCompleted",
        FunctionName: "OrchestratorFunction_Hello",
        ScheduledTime: t,
        Result: `Hello ${city}!`,
        Timestamp: t,
      })),
      { EventType: "ExecutionCompleted", OrchestrationStatus: "Completed", Timestamp: t, Result: ["Hello Tokyo!", "Hello Seattle!", "Hello London!"] },
    ]);
  });

  it("query parameter names are case-insensitive, as in Durable Functions", async () => {
    const ctx = setup();
    await start(ctx, "OrchestratorFunction", "ci");
    await ctx.runtime.drain();
    const body = (await json(await ctx.request(`${BASE}/instances/ci?SHOWHISTORY=true&showinput=false`))) as Status;
    expect(body.historyEvents?.length).toBe(5);
    expect(body.input).toBeNull();
  });

  it("ContinuedAsNew is still running: 202", async () => {
    const ctx = setup();
    await start(ctx, "OrchestratorFunction", "can");
    const real = ctx.client;
    const app = (await import("./app.ts")).createManagementApp({
      client: { ...bind(real), getStatus: async (id, o) => ({ ...(await real.getStatus(id, o))!, runtimeStatus: "ContinuedAsNew" as const }) },
    });
    const res = await app.request(`http://127.0.0.1${BASE}/instances/can`); // default access: loopback only
    expect(res.status).toBe(202);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(((await json(res)) as Status).runtimeStatus).toBe("ContinuedAsNew");
  });

  it("showRuns=true (Durable Edge's own) adds the runs of a continue-as-new chain; without it the body is Durable Functions' status payload", async () => {
    const ctx = setup();
    ctx.clock.set(Date.UTC(2026, 2, 4, 5, 6, 7, 0));
    await start(ctx, "Monitor", "mon", { intervalSeconds: 1, checksLeft: 2 });
    // Two checks, each a run that waits a second and continues as new; the third run completes.
    for (let i = 0; i < 3; i++) {
      await ctx.runtime.drain();
      ctx.clock.advance(1000);
    }
    await ctx.runtime.drain();
    const plain = (await json(await ctx.request(`${BASE}/instances/mon`))) as Record<string, unknown>;
    expect(Object.keys(plain)).toEqual(["name", "instanceId", "runtimeStatus", "input", "customStatus", "output", "createdTime", "lastUpdatedTime"]);
    expect(plain).toMatchObject({ runtimeStatus: "Completed", input: { intervalSeconds: 1, checksLeft: 0, checks: 2 }, output: { checks: 2 } });
    expect(await json(await ctx.request(`${BASE}/instances/mon?showRuns=false`))).toEqual(plain);

    const res = await ctx.request(`${BASE}/instances/mon?showruns=TRUE&showHistory=true`);
    expect(res.status).toBe(200);
    const { runs, historyEvents, ...rest } = (await json(res)) as Record<string, unknown> & { runs: Record<string, unknown> & { previous: Record<string, unknown>[] } };
    expect(rest).toEqual(plain);
    expect(historyEvents).toBeDefined();
    const current = (await ctx.client.getHistory("mon")).find((e) => e.EventType === "ExecutionStarted")!;
    expect(current.EventType === "ExecutionStarted" && current.OrchestrationInstance.ExecutionId).toBe(runs.executionId);
    expect(runs).toMatchObject({ run: 3, startedTime: "2026-03-04T05:06:09.000Z", olderRuns: 0 });
    expect(runs.previous).toEqual([
      {
        run: 1,
        executionId: expect.any(String),
        startedTime: "2026-03-04T05:06:07.000Z",
        endedTime: "2026-03-04T05:06:08.000Z",
        input: { text: '{"intervalSeconds":1,"checksLeft":2}', bytes: 36, truncated: false },
        continuedWith: { text: '{"intervalSeconds":1,"checksLeft":1,"checks":1}', bytes: 47, truncated: false },
        continuedAs: { run: 2, executionId: runs.previous[1]!.executionId },
        customStatus: { text: '{"lastCheck":{"check":1,"healthy":true},"checksLeft":1}', bytes: 55, truncated: false },
        historyLength: expect.any(Number),
      },
      {
        run: 2,
        executionId: expect.any(String),
        startedTime: "2026-03-04T05:06:08.000Z",
        endedTime: "2026-03-04T05:06:09.000Z",
        input: { text: '{"intervalSeconds":1,"checksLeft":1,"checks":1}', bytes: 47, truncated: false },
        continuedWith: { text: '{"intervalSeconds":1,"checksLeft":0,"checks":2}', bytes: 47, truncated: false },
        continuedAs: { run: 3, executionId: runs.executionId },
        customStatus: { text: '{"lastCheck":{"check":2,"healthy":true},"checksLeft":0}', bytes: 55, truncated: false },
        historyLength: expect.any(Number),
      },
    ]);
    // The list never carries them.
    const listed = (await json(await ctx.request(`${BASE}/instances?showRuns=true`))) as Record<string, unknown>[];
    expect(listed.map((s) => Object.keys(s).includes("runs"))).toEqual([false]);
    // A value the parameter cannot be is a 400 naming it, as for the other flags.
    const bad = await ctx.request(`${BASE}/instances/mon?showRuns=maybe`);
    expect(bad.status).toBe(400);
    expect(((await json(bad)) as { message: string }).message).toMatch(/showRuns/);
  });

  it("HEAD answers like GET, without a body", async () => {
    const ctx = setup();
    await start(ctx, "OrchestratorFunction", "head");
    const res = await ctx.request(`${BASE}/instances/head`, { method: "HEAD" });
    expect(res.status).toBe(202);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(await res.text()).toBe("");
  });
});

describe(`GET ${BASE}/instances`, () => {
  async function seed() {
    const ctx = setup();
    // a-1 … a-5 one second apart, then b-1; a-2 and a-4 run to completion, the rest wait.
    for (const [i, id] of ["a-1", "a-2", "a-3", "a-4", "a-5", "b-1"].entries()) {
      ctx.clock.set(Date.UTC(2026, 0, 1, 0, 0, i));
      await start(ctx, id === "a-2" || id === "a-4" ? "OrchestratorFunction" : "HumanInteraction", id, { n: i });
    }
    await ctx.runtime.drain();
    return ctx;
  }
  const ids = (list: unknown) => (list as Status[]).map((s) => s.instanceId);

  it("200 with every instance (no history) and an empty continuation token", async () => {
    const ctx = await seed();
    const res = await ctx.request(`${BASE}/instances`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-ms-continuation-token")).toBe("");
    const list = (await json(res)) as Status[];
    expect(ids(list)).toEqual(["a-1", "a-2", "a-3", "a-4", "a-5", "b-1"]);
    expect(list[1]).toEqual({
      name: "OrchestratorFunction",
      instanceId: "a-2",
      runtimeStatus: "Completed",
      input: { n: 1 },
      customStatus: null,
      output: ["Hello Tokyo!", "Hello Seattle!", "Hello London!"],
      createdTime: "2026-01-01T00:00:01Z",
      lastUpdatedTime: "2026-01-01T00:00:05Z",
    });
  });

  it("pages with top and x-ms-continuation-token", async () => {
    const ctx = await seed();
    const pages: string[][] = [];
    let token: string | null = null;
    do {
      const res: Response = await ctx.request(`${BASE}/instances?top=4`, token ? { headers: { "x-ms-continuation-token": token } } : {});
      expect(res.status).toBe(200);
      token = res.headers.get("x-ms-continuation-token");
      expect(token).not.toBeNull();
      pages.push(ids(await json(res)));
    } while (token);
    expect(pages).toEqual([["a-1", "a-2", "a-3", "a-4"], ["a-5", "b-1"]]);
  });

  it("filters by runtimeStatus (comma-separated and/or repeated, any case), prefix and created time", async () => {
    const ctx = await seed();
    const get = async (q: string) => ids(await json(await ctx.request(`${BASE}/instances?${q}`)));
    expect(await get("runtimeStatus=Completed")).toEqual(["a-2", "a-4"]);
    expect(await get("runtimeStatus=running")).toEqual(["a-1", "a-3", "a-5", "b-1"]);
    expect(await get("runtimeStatus=Completed,Failed&runtimeStatus=Terminated")).toEqual(["a-2", "a-4"]);
    expect(await get("runtimeStatus=Canceled")).toEqual([]);
    expect(await get("instanceIdPrefix=b-")).toEqual(["b-1"]);
    expect(await get("createdTimeFrom=2026-01-01T00:00:02Z&createdTimeTo=2026-01-01T00:00:04Z")).toEqual(["a-3", "a-4", "a-5"]);
    expect(await get("createdTimeFrom=2026-01-01T00:00:04")).toEqual(["a-5", "b-1"]); // no zone: UTC
    expect(await get("createdTimeTo=2026-01-01T01:00:01%2B01:00")).toEqual(["a-1", "a-2"]);
    expect(await get("runtimeStatus=Running&instanceIdPrefix=a&top=1")).toEqual(["a-1"]);
  });

  it("showInput=false hides inputs", async () => {
    const ctx = await seed();
    const list = (await json(await ctx.request(`${BASE}/instances?showInput=false`))) as Status[];
    expect(list.map((s) => s.input)).toEqual([null, null, null, null, null, null]);
  });
});

describe(`DELETE ${BASE}/instances/{id} (purge)`, () => {
  it("200 {instancesDeleted: 1} for a finished instance, then 404", async () => {
    const ctx = setup();
    await start(ctx, "OrchestratorFunction", "p");
    await ctx.runtime.drain();
    const res = await ctx.request(`${BASE}/instances/p`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"instancesDeleted":1}');
    expect((await ctx.request(`${BASE}/instances/p`)).status).toBe(404);
    const again = await ctx.request(`${BASE}/instances/p`, { method: "DELETE" });
    expect(again.status).toBe(404);
    expect(await json(again)).toEqual({ code: "InstanceNotFound", message: "No instance with ID 'p' found." });
  });

  it("409 for a running instance (terminate it first), which stays", async () => {
    const ctx = setup();
    await start(ctx, "HumanInteraction", "running");
    await ctx.runtime.drain();
    const res = await ctx.request(`${BASE}/instances/running`, { method: "DELETE" });
    expect(res.status).toBe(409);
    expect(((await json(res)) as { code: string }).code).toBe("InstanceStillRunning");
    expect(await instanceCount(ctx.client)).toBe(1);
  });
});

describe(`DELETE ${BASE}/instances (purge by filter)`, () => {
  it("400 without createdTimeFrom, with the Durable Functions message", async () => {
    const { request } = setup();
    const res = await request(`${BASE}/instances`, { method: "DELETE" });
    expect(res.status).toBe(400);
    expect(await json(res)).toEqual({ code: "InvalidArgument", message: "Please provide value for 'createdTimeFrom' parameter." });
  });

  it("200 with the count of finished instances deleted in the window; 404 when none", async () => {
    const ctx = setup();
    for (const [i, id] of ["old", "mid", "new"].entries()) {
      ctx.clock.set(Date.UTC(2026, 0, 1 + i));
      await start(ctx, "OrchestratorFunction", id);
    }
    await start(ctx, "HumanInteraction", "live");
    await ctx.runtime.drain();
    const res = await ctx.request(`${BASE}/instances?createdTimeFrom=2026-01-02T00:00:00Z`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ instancesDeleted: 2 });
    expect(ids(await json(await ctx.request(`${BASE}/instances`)))).toEqual(["old", "live"]);

    const none = await ctx.request(`${BASE}/instances?createdTimeFrom=2026-01-02T00:00:00Z`, { method: "DELETE" });
    expect(none.status).toBe(404);
    expect(((await json(none)) as { code: string }).code).toBe("InstanceNotFound");
    const notThatStatus = await ctx.request(`${BASE}/instances?createdTimeFrom=2025-01-01&runtimeStatus=Failed`, { method: "DELETE" });
    expect(notThatStatus.status).toBe(404);
    const byStatus = await ctx.request(`${BASE}/instances?createdTimeFrom=2025-01-01&createdTimeTo=2026-01-01T12:00:00Z&runtimeStatus=Completed`, { method: "DELETE" });
    expect(await json(byStatus)).toEqual({ instancesDeleted: 1 });
    expect(ids(await json(await ctx.request(`${BASE}/instances`)))).toEqual(["live"]);
  });

  function ids(list: unknown) {
    return (list as Status[]).map((s) => s.instanceId);
  }
});
