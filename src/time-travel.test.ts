/**
 * Time travel: for the samples (and a sample that logs), the state each frame shows equals what
 * the orchestrator held when that event was first processed, as recorded during the real run:
 * its custom status and status at every commit, what it waited on and the log lines written at
 * every point the run went idle.
 */
import { describe, expect, it } from "vitest";
import { createTestRuntime, type Wait } from "../testing/index.ts";
import { fanOut, helloParallel, helloSequence, humanInteraction, monitor, samples, sayHello } from "../examples/index.ts";
import { fromJson, orchestrator, timeTravel, type InstanceRecord, type OrchestratorDefinition, type PendingTask, type TimeTravelFrame } from "./index.ts";

const chatty = orchestrator("Chatty", function* (ctx) {
  ctx.log.info("starting for", ctx.getInput());
  const greeting = yield* ctx.callActivity(sayHello, "Tokyo");
  ctx.log.info("got", greeting);
  ctx.setCustomStatus({ step: "waiting for Go" });
  const go = yield* ctx.waitForExternalEvent<{ speed: number }>("Go", { timeoutMs: 60_000 });
  ctx.log.warn("going at", go.speed);
  yield* ctx.createTimer(ctx.currentUtcDateTime.getTime() + 5_000);
  ctx.setCustomStatus({ step: "done" });
  return { greeting, speed: go.speed };
});

interface Observed {
  /** At every commit of the final execution: the row. */
  commits: Pick<InstanceRecord, "historyLength" | "customStatus" | "runtimeStatus">[];
  /** At every point the run went idle: what the testing package saw it wait on, and the lines logged so far. */
  idle: { executionId: string; historyLength: number; waits: Wait[]; logs: string[] }[];
  history: Awaited<ReturnType<ReturnType<typeof createTestRuntime>["client"]["getHistory"]>>;
}

/** Runs `drive` on a test runtime, recording the orchestrator's state as the run goes. */
async function observe(id: string, drive: (t: ReturnType<typeof createTestRuntime>, idle: () => Promise<void>) => Promise<void>): Promise<Observed> {
  const logs: string[] = [];
  const logger = { debug() {}, info: (...a: unknown[]) => void logs.push(line(a)), warn: (...a: unknown[]) => void logs.push(line(a)), error() {} };
  const t = createTestRuntime({ orchestrators: [...samples.orchestrators, chatty], activities: samples.activities, logger });
  const rows: InstanceRecord[] = [];
  t.runtime.onChange((row) => row.instanceId === id && rows.push(row));
  const idle: Observed["idle"] = [];
  const mark = async () => {
    const row = (await t.store.getInstance(id))!;
    idle.push({ executionId: row.executionId, historyLength: row.historyLength, waits: await t.waitingFor(id), logs: logs.slice() });
  };
  await drive(t, mark);
  const final = (await t.store.getInstance(id))!;
  return {
    commits: rows.filter((r) => r.executionId === final.executionId && r.historyLength > 0),
    idle: idle.filter((i) => i.executionId === final.executionId),
    history: await t.client.getHistory(id),
  };
}

function line(args: unknown[]): string {
  return args.slice(1).map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ");
}

/** The testing package's waits, and the frames' pending tasks, in one comparable shape. */
function comparable(w: Wait | PendingTask): Record<string, unknown> {
  switch (w.kind) {
    case "timer":
      return { kind: "timer", fireAt: new Date(w.fireAt).toISOString() };
    case "event":
      return w.timeoutAt ? { kind: "event", name: w.name, timeoutAt: new Date(w.timeoutAt).toISOString() } : { kind: "event", name: w.name };
    case "activity":
    case "subOrchestration":
      return { kind: w.kind, name: w.name };
    default:
      return { ...w };
  }
}

function check(observed: Observed, frames: TimeTravelFrame[], logs: { message: string }[]) {
  expect(frames).toHaveLength(observed.history.length);
  for (const commit of observed.commits) {
    const frame = frames[commit.historyLength - 1]!;
    expect({ at: commit.historyLength - 1, customStatus: frame.customStatus, status: frame.status }).toEqual({
      at: commit.historyLength - 1,
      customStatus: fromJson(commit.customStatus),
      status: commit.runtimeStatus,
    });
  }
  for (const point of observed.idle) {
    const frame = frames[point.historyLength - 1]!;
    expect({ at: point.historyLength - 1, pending: frame.pending.map(comparable) }).toEqual({ at: point.historyLength - 1, pending: point.waits.map(comparable) });
    expect(logs.slice(0, frame.logCount).map((l) => l.message)).toEqual(point.logs);
  }
}

const ORCHESTRATORS = [...samples.orchestrators, chatty];

describe("time travel over the samples equals what the orchestrator held when each event was first processed", () => {
  it("human interaction, approved", async () => {
    const observed = await observe("hi", async (t, idle) => {
      await t.start(humanInteraction, { instanceId: "hi", input: { timeoutSeconds: 600 } });
      await idle();
      await t.advanceTime({ minutes: 1 });
      await t.raiseEvent("hi", "Approval", { by: "ada" });
      await idle();
    });
    const { frames, logs } = timeTravel(ORCHESTRATORS, observed.history);
    check(observed, frames, logs);
    const waiting = frames.find((f) => f.eventType === "OrchestratorCompleted")!;
    expect(waiting.pending.map((p) => p.kind)).toEqual(["event", "timer"]);
    expect(waiting.customStatus).toMatchObject({ waitingFor: "Approval" });
    const raised = frames.find((f) => f.eventType === "EventRaised")!;
    expect(raised.decision.outcome).toBe('completed with {"approved":true,"approval":{"by":"ada"}}');
    expect(raised.pending).toEqual([]);
  });

  it("human interaction, timed out", async () => {
    const observed = await observe("hi", async (t, idle) => {
      await t.start(humanInteraction, { instanceId: "hi", input: { timeoutSeconds: 60 } });
      await idle();
      await t.runToCompletion("hi");
      await idle();
    });
    check(observed, timeTravel(ORCHESTRATORS, observed.history).frames, []);
  });

  it.each([
    ["the tutorial in sequence", helloSequence, undefined],
    ["the tutorial in parallel", helloParallel, undefined],
    ["fan-out/fan-in", fanOut, { count: 5 }],
    ["the monitor (its last execution)", monitor, { intervalSeconds: 5, checksLeft: 2 }],
  ] as const)("%s", async (_what, definition, input) => {
    const observed = await observe("x", async (t, idle) => {
      await t.start(definition as OrchestratorDefinition, { instanceId: "x", input });
      await idle();
      await t.runToCompletion("x");
      await idle();
    });
    const { frames } = timeTravel(ORCHESTRATORS, observed.history);
    expect(observed.idle.length).toBeGreaterThan(0);
    check(observed, frames, []);
    expect(frames.at(-1)!.status).toBe("Completed");
  });

  it("a sample that logs: each replay-safe line once, at the event whose processing wrote it; stepping back and forth", async () => {
    const observed = await observe("c", async (t, idle) => {
      await t.start(chatty, { instanceId: "c", input: { who: "ada" } });
      await idle();
      await t.raiseEvent("c", "Go", { speed: 3 });
      await idle();
      await t.runToCompletion("c");
      await idle();
    });
    const travel = timeTravel(ORCHESTRATORS, observed.history);
    check(observed, travel.frames, travel.logs);
    expect(travel.logs.map((l) => [observed.history[l.eventIndex]!.EventType, l.level, l.message])).toEqual([
      ["ExecutionStarted", "info", 'starting for {"who":"ada"}'],
      ["TaskCompleted", "info", "got Hello Tokyo!"],
      ["EventRaised", "warn", "going at 3"],
    ]);
    const at = (type: string) => travel.frames.find((f) => f.eventType === type)!;
    expect(at("ExecutionStarted").decision.scheduled).toEqual(['activity \'OrchestratorFunction_Hello\' with input "Tokyo"']);
    expect(at("TaskCompleted").decision.scheduled).toEqual([expect.stringMatching(/^a timer for /)]); // the event's timeout
    expect(at("TaskCompleted").pending).toEqual([{ kind: "event", name: "Go", timeoutAt: "2026-01-01T00:01:00.000Z" }]);
    expect(at("EventRaised").decision.scheduled).toEqual(["a timer for 2026-01-01T00:00:05.000Z"]);
    expect(at("EventRaised").pending).toEqual([{ kind: "timer", fireAt: "2026-01-01T00:00:05.000Z" }]);
    // Step back from the end: the custom status as it was.
    const statuses = travel.frames.map((f) => (f.customStatus as { step?: string } | null)?.step ?? null);
    expect([...new Set(statuses)]).toEqual([null, "waiting for Go", "done"]);
  });
});
