/**
 * The history timeline, fed by the real core: histories made by running orchestrations on the
 * memory store with a manual clock, rendered both as the status API shows them (second precision,
 * completed tasks only) and as the tab's detailed history (milliseconds, tasks still running).
 */
import { createRuntime, ManualClock, orchestrator, RetryOptions, toHistoryEvents, type Runtime } from "../src/index.ts";
import { createMemoryStore } from "../adapters/memory/index.ts";
import { samples } from "../examples/index.ts";
import { afterEach, describe, expect, it } from "vitest";
import { fixtureActivities, flaky, release, resetAttempts, retrying, waiting } from "./history-fixtures.ts";
import { toDetailedHistory } from "./src/detailed-history.ts";
import { formatDuration, toTimeline } from "./src/timeline.ts";


const runtimes: Runtime[] = [];
function runtime(clock: ManualClock): Runtime {
  const r = createRuntime({
    store: createMemoryStore(),
    clock,
    orchestrators: [...samples.orchestrators, retrying, waiting],
    activities: [...samples.activities, ...fixtureActivities],
    logger: { debug() {}, info() {}, warn() {}, error() {}, log() {} } as never,
  });
  runtimes.push(r);
  return r;
}
afterEach(async () => {
  resetAttempts();
  await Promise.all(runtimes.splice(0).map((r) => r.stop()));
});

describe("timeline", () => {
  it("shows each activity scheduled and completed, with input and result", async () => {
    const clock = new ManualClock();
    const r = runtime(clock);
    const id = await r.client.startNew("OrchestratorFunction");
    await r.drain();
    const api = toTimeline(toHistoryEvents(await r.client.getHistory(id), { showHistoryOutput: true }), true);
    expect(api.map((e) => `${e.kind}:${e.title}:${e.outcome}`)).toEqual([
      "start:OrchestratorFunction:info",
      "activity:OrchestratorFunction_Hello:ok",
      "activity:OrchestratorFunction_Hello:ok",
      "activity:OrchestratorFunction_Hello:ok",
      "end:Completed:ok",
    ]);
    expect(api.slice(1, 4).map((e) => [e.input, e.result])).toEqual([
      ["Tokyo", "Hello Tokyo!"],
      ["Seattle", "Hello Seattle!"],
      ["London", "Hello London!"],
    ]);
    expect(api[4]!.result).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
  });

  it("counts retries and shows the failures and the retry timers between them", async () => {
    const clock = new ManualClock();
    const r = runtime(clock);
    const id = await r.client.startNew("Retrying");
    await r.drain();
    for (let i = 0; i < 2; i++) {
      clock.advance(1000);
      await r.drain();
    }
    expect((await r.client.getStatus(id))?.runtimeStatus).toBe("Completed");
    const rows = toTimeline(toDetailedHistory(await r.client.getHistory(id)), true);
    const tasks = rows.filter((e) => e.kind === "activity");
    expect(tasks.map((t) => [t.outcome, t.attempt, t.failure ?? t.result])).toEqual([
      ["failed", 1, "Error: boom 1"],
      ["failed", 2, "Error: boom 2"],
      ["ok", 3, "ok"],
    ]);
    expect(rows.filter((e) => e.kind === "timer").every((t) => t.outcome === "ok" && t.end !== null)).toBe(true);
    expect(rows.filter((e) => e.kind === "timer").length).toBe(2);
  });

  it("marks the approval's timeout timer as never fired once the approval won", async () => {
    const clock = new ManualClock();
    const r = runtime(clock);
    const id = await r.client.startNew("HumanInteraction", { input: { timeoutSeconds: 60 } });
    await r.drain();
    const waitingRows = toTimeline(toDetailedHistory(await r.client.getHistory(id)), false);
    expect(waitingRows.find((e) => e.kind === "timer")).toMatchObject({ outcome: "pending", end: null });
    clock.advance(5000);
    await r.client.raiseEvent(id, "Approval", { ok: true });
    await r.drain();
    const rows = toTimeline(toDetailedHistory(await r.client.getHistory(id)), true);
    expect(rows.find((e) => e.kind === "event")).toMatchObject({ title: "Approval", input: { ok: true } });
    expect(rows.find((e) => e.kind === "timer")?.note).toMatch(/never fired/);
    expect(rows.at(-1)).toMatchObject({ kind: "end", outcome: "ok" });
  });

  it("shows a task still running only in the detailed history", async () => {
    const clock = new ManualClock();
    const r = runtime(clock);
    r.start();
    const id = await r.client.startNew("Waiting");
    await expect.poll(async () => (await r.client.getHistory(id)).some((e) => e.EventType === "TaskScheduled")).toBe(true);
    const history = await r.client.getHistory(id);
    expect(toTimeline(toDetailedHistory(history), false).find((e) => e.kind === "activity")).toMatchObject({ title: "Hanging", outcome: "pending", end: null, input: "x" });
    expect(toTimeline(toHistoryEvents(history), false).some((e) => e.kind === "activity")).toBe(false);
    release();
    await expect.poll(async () => (await r.client.getStatus(id))?.runtimeStatus).toBe("Completed");
  });

  it("starts a task run again by a rewind at the rewind, not at its first scheduling", async () => {
    const clock = new ManualClock(1_800_000_000_000);
    const once = orchestrator("RetriesOnce", function* (ctx) {
      return yield* ctx.callActivityWithRetry(flaky, new RetryOptions(1000, 2));
    });
    const r2 = createRuntime({ store: createMemoryStore(), clock, orchestrators: [once], activities: [flaky], logger: { debug() {}, info() {}, warn() {}, error() {}, log() {} } as never });
    runtimes.push(r2);
    const id = await r2.client.startNew(once);
    await r2.drain();
    clock.advance(1000);
    await r2.drain();
    expect((await r2.client.getStatus(id))?.runtimeStatus).toBe("Failed");
    clock.advance(5000); // failed for 5 s
    await r2.client.rewind(id, "again");
    await r2.drain();
    const rows = toTimeline(toDetailedHistory(await r2.client.getHistory(id)), true);
    const done = rows.filter((e) => e.kind === "activity" && e.outcome === "ok");
    expect(done.length).toBe(1);
    expect(done[0]!.end! - done[0]!.start).toBe(0);
    expect(done[0]!.note).toMatch(/^run again by the rewind \(first scheduled \d\d:\d\d:\d\d\)$/);
  });

  it("formats durations for people", () => {
    expect(formatDuration(0)).toBe("0 s");
    expect(formatDuration(1500)).toBe("1.5 s");
    expect(formatDuration(42_000)).toBe("42 s");
    expect(formatDuration(125_000)).toBe("2 min 5 s");
    expect(formatDuration(120_000)).toBe("2 min");
  });
});
