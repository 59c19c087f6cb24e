/**
 * The runs of a continue-as-new chain: each run that continues as new is summed up in the row
 * (bounded to the last RUNS_KEPT, older ones counted, previews capped), shown by `getStatus` only
 * with `showRuns`, carried by instance documents (and checked on import), kept by rewind and
 * terminate, and started over when the instance is created again under its id.
 */
import { describe, expect, it } from "vitest";
import { createTestRuntime } from "../testing/index.ts";
import {
  activity,
  orchestrator,
  previewJson,
  RUN_PREVIEW_BYTES,
  RUNS_KEPT,
  validateInstanceDocument,
  type InstanceDocument,
  type InstanceRecord,
} from "./index.ts";
import { utf8Length as utf8LengthForTests } from "./limits.ts";
import { withEndedRun } from "./runs.ts";
import { refusal } from "../test/support/refusal.ts";

/** Counts down from its input, one run per number, each run with a timer; completes at 0. */
const countdown = orchestrator("Countdown", function* (ctx) {
  const input = ctx.getInput<{ left: number; pad?: string }>();
  if (input.left <= 0) return "done";
  ctx.setCustomStatus({ left: input.left });
  yield* ctx.createTimer(ctx.currentUtcDateTime.getTime() + 1000);
  ctx.continueAsNew({ ...input, left: input.left - 1 });
  return undefined;
});

/** Continues as new until 0, then waits for an event named Go. */
const waiter = orchestrator("Waiter", function* (ctx) {
  const left = ctx.getInput<number>();
  if (left > 0) {
    ctx.continueAsNew(left - 1);
    return undefined;
  }
  return yield* ctx.waitForExternalEvent<string>("Go");
});

let flakyCalls = 0;
const flaky = activity("Flaky", () => {
  if (++flakyCalls === 1) throw new Error("first call fails");
  return "ok";
});
/** Continues as new until 0, then calls an activity that fails once. */
const flakyChain = orchestrator("FlakyChain", function* (ctx) {
  const left = ctx.getInput<number>();
  if (left > 0) {
    ctx.continueAsNew(left - 1);
    return undefined;
  }
  return yield* ctx.callActivity(flaky);
});

const runtime = () => createTestRuntime({ orchestrators: [countdown, waiter, flakyChain], activities: [flaky] });

describe("previews of a run's values", () => {
  it("keeps a short value whole and cuts a long one at RUN_PREVIEW_BYTES, saying so", () => {
    expect(previewJson('{"a":1}')).toEqual({ text: '{"a":1}', bytes: 7, truncated: false });
    expect(previewJson(null)).toEqual({ text: "null", bytes: 4, truncated: false });
    const long = JSON.stringify("x".repeat(1000));
    const cut = previewJson(long);
    expect(cut).toEqual({ text: long.slice(0, RUN_PREVIEW_BYTES), bytes: 1002, truncated: true });
    const exact = JSON.stringify("y".repeat(RUN_PREVIEW_BYTES - 2));
    expect(previewJson(exact)).toEqual({ text: exact, bytes: RUN_PREVIEW_BYTES, truncated: false });
  });

  it("never cuts a character in two (two-byte letters, three-byte signs, four-byte emoji)", () => {
    for (const char of ["é", "✓", "🚀"]) {
      const value = JSON.stringify(`a${char.repeat(300)}`);
      const p = previewJson(value);
      expect(p.truncated).toBe(true);
      expect(p.bytes).toBe(utf8LengthForTests(value));
      expect(value.startsWith(p.text)).toBe(true);
      expect(utf8LengthForTests(p.text)).toBeLessThanOrEqual(RUN_PREVIEW_BYTES);
      expect(utf8LengthForTests(p.text)).toBeGreaterThan(RUN_PREVIEW_BYTES - 4);
      expect(/[\uD800-\uDBFF]$/.test(p.text)).toBe(false); // no half of a surrogate pair at the end
    }
  });
});

describe("the chain of runs in the row", () => {
  it("keeps the last RUNS_KEPT runs and counts the older ones; each run starts when the one before it ended", () => {
    const base: InstanceRecord = {
      instanceId: "i", name: "N", version: null, executionId: "e0", runtimeStatus: "Running", input: "0", output: null, customStatus: null,
      failureDetails: null, parentInstanceId: null, createdAt: 1000, lastUpdatedAt: 1000, completedAt: null, etag: 1, historyLength: 3,
    };
    let row = base;
    for (let i = 0; i < RUNS_KEPT + 5; i++) {
      const runs = withEndedRun(row, { endedAt: 2000 + i * 10, historyLength: 3, customStatus: i % 2 ? null : `"s${i}"` });
      row = { ...row, executionId: `e${i + 1}`, input: String(i + 1), runs };
    }
    expect(row.runs!.runs).toHaveLength(RUNS_KEPT);
    expect(row.runs!.olderRuns).toBe(5);
    expect(row.runs!.runs.map((r) => r.executionId)).toEqual(Array.from({ length: RUNS_KEPT }, (_, i) => `e${i + 5}`));
    for (let i = 1; i < RUNS_KEPT; i++) expect(row.runs!.runs[i]!.startedAt).toBe(row.runs!.runs[i - 1]!.endedAt);
    expect(withEndedRun(base, { endedAt: 2000, historyLength: 3, customStatus: null }).runs[0]).toEqual({
      executionId: "e0", startedAt: 1000, endedAt: 2000, input: { text: "0", bytes: 1, truncated: false }, customStatus: null, historyLength: 3,
    });
  });
});

describe("continue-as-new instances remember their earlier runs", () => {
  it("records each run that continued as new, with its times, inputs and custom status; getStatus shows them only with showRuns", async () => {
    const t = runtime();
    const id = await t.start(countdown, { instanceId: "c", input: { left: 3 } });
    const status = await t.runToCompletion(id);
    expect(status.output).toBe("done");
    // Durable Functions' payload, exactly, without showRuns.
    expect(Object.keys(status).sort()).toEqual(["createdTime", "customStatus", "input", "instanceId", "lastUpdatedTime", "name", "output", "runtimeStatus"]);
    const shown = (await t.client.getStatus(id, { showRuns: true }))!;
    const { runs } = shown;
    expect(runs).toMatchObject({ run: 4, olderRuns: 0 });
    expect(runs!.previous.map((r) => [r.run, r.input.text, r.continuedWith.text, r.customStatus?.text, r.continuedAs.run])).toEqual([
      [1, '{"left":3}', '{"left":2}', '{"left":3}', 2],
      [2, '{"left":2}', '{"left":1}', '{"left":2}', 3],
      [3, '{"left":1}', '{"left":0}', '{"left":1}', 4],
    ]);
    expect(runs!.previous.map((r) => r.continuedAs.executionId)).toEqual([runs!.previous[1]!.executionId, runs!.previous[2]!.executionId, runs!.executionId]);
    // Each run lasted its one-second timer; the next began where it ended.
    for (const r of runs!.previous) expect(Date.parse(r.endedTime) - Date.parse(r.startedTime)).toBe(1000);
    expect(runs!.previous[0]!.startedTime).toBe(new Date(Date.parse(shown.createdTime)).toISOString());
    expect(runs!.startedTime).toBe(runs!.previous[2]!.endedTime);
    for (const r of runs!.previous) expect(r.historyLength).toBeGreaterThanOrEqual(5); // started, timer created and fired, the markers
    expect((await t.client.getHistory(id)).filter((e) => e.EventType === "ExecutionStarted")).toHaveLength(1); // only the current run's history is stored
    await t.close();
  });

  it("keeps the row the same size however long the chain grows: the last RUNS_KEPT runs, previews capped", async () => {
    const t = runtime();
    const pad = "p".repeat(10_000);
    const size = async (left: number) => {
      const id = await t.start(countdown, { input: { left, pad } });
      await t.runToCompletion(id);
      return { row: (await t.store.getInstance(id))!, status: (await t.client.getStatus(id, { showRuns: true }))! };
    };
    const short = await size(RUNS_KEPT + 5);
    const long = await size(RUNS_KEPT + 60);
    expect(long.row.runs!.runs).toHaveLength(RUNS_KEPT);
    expect(long.row.runs!.olderRuns).toBe(60);
    expect(long.status.runs).toMatchObject({ run: RUNS_KEPT + 61, olderRuns: 60 });
    expect(long.status.runs!.previous[0]!.run).toBe(61);
    for (const r of long.row.runs!.runs) {
      expect(r.input.truncated).toBe(true);
      expect(r.input.bytes).toBeGreaterThan(10_000);
      expect(utf8LengthForTests(r.input.text)).toBeLessThanOrEqual(RUN_PREVIEW_BYTES);
    }
    const bytes = (row: InstanceRecord) => JSON.stringify(row.runs).length;
    expect(bytes(long.row)).toBeLessThan(RUNS_KEPT * (2 * RUN_PREVIEW_BYTES + 300));
    expect(Math.abs(bytes(long.row) - bytes(short.row))).toBeLessThan(100); // only the numbers' digits differ
    await t.close();
  });

  it("starts the chain over when the instance is created again under its id (startNew or restart of a finished one)", async () => {
    const t = runtime();
    await t.runToCompletion(await t.start(countdown, { instanceId: "r", input: { left: 2 } }));
    expect((await t.client.getStatus("r", { showRuns: true }))!.runs!.run).toBe(3);
    await t.start(countdown, { instanceId: "r", input: { left: 1 } });
    await t.runToCompletion(await t.status("r").then((s) => s.instanceId));
    expect((await t.client.getStatus("r", { showRuns: true }))!.runs).toMatchObject({ run: 2, previous: [{ run: 1, input: { text: '{"left":1}' } }] });
    // restart: the same input (the current run's), a new instance; under a new id too.
    await t.client.restart("r", { restartWithNewInstanceId: false });
    await t.runToCompletion(await t.status("r").then((s) => s.instanceId));
    expect((await t.client.getStatus("r", { showRuns: true }))!.runs).toMatchObject({ run: 1, previous: [] });
    expect((await t.store.getInstance("r"))!.runs).toBeUndefined();
    await t.close();
  });

  it("keeps the runs through terminate and rewind, and drops them with a purge", async () => {
    const t = runtime();
    const waiting = await t.start(waiter, { input: 2 });
    await t.runUntilIdle();
    await t.client.terminate(waiting, "enough");
    await t.runUntilIdle();
    const terminated = (await t.client.getStatus(waiting, { showRuns: true }))!;
    expect(terminated.runtimeStatus).toBe("Terminated");
    expect(terminated.runs).toMatchObject({ run: 3, previous: [{ input: { text: "2" } }, { input: { text: "1" } }] });

    flakyCalls = 0;
    const failing = await t.start(flakyChain, { input: 2 });
    await t.runUntilIdle();
    expect((await t.client.getStatus(failing))!.runtimeStatus).toBe("Failed");
    const before = (await t.client.getStatus(failing, { showRuns: true }))!.runs;
    await t.client.rewind(failing, "try again");
    const done = await t.runToCompletion(failing);
    expect(done.output).toBe("ok");
    expect((await t.client.getStatus(failing, { showRuns: true }))!.runs).toEqual(before);
    expect(before!.run).toBe(3);

    await t.client.purge(waiting);
    expect(await t.store.getInstance(waiting)).toBeUndefined();
    await t.close();
  });
});

describe("instance documents carry the runs", () => {
  it("export and import keep them; a document without them (an older one) imports with none", async () => {
    const tab = runtime();
    const worker = runtime();
    const id = await tab.start(waiter, { instanceId: "w", input: 3 });
    await tab.runUntilIdle();
    const before = (await tab.client.getStatus(id, { showRuns: true }))!.runs!;
    expect(before.run).toBe(4);
    const doc = await tab.client.exportInstance(id, { move: true, to: "https://worker.example" });
    expect(JSON.parse(JSON.stringify(doc)).instance.runs.runs).toHaveLength(3);
    await worker.client.importInstance(JSON.parse(JSON.stringify(doc)) as InstanceDocument);
    expect((await worker.client.getStatus(id, { showRuns: true }))!.runs).toEqual(before);
    await worker.raiseEvent(id, "Go", "went");
    expect((await worker.runToCompletion(id)).output).toBe("went");
    expect((await worker.client.getStatus(id, { showRuns: true }))!.runs).toEqual(before);

    const old = JSON.parse(JSON.stringify(doc)) as InstanceDocument;
    delete old.instance.runs;
    await worker.client.importInstance(old, { instanceId: "w-old" });
    expect((await worker.client.getStatus("w-old", { showRuns: true }))!.runs).toMatchObject({ run: 1, previous: [] });
    await tab.close();
    await worker.close();
  });

  it("refuses malformed runs on import, naming each field, and stores nothing", async () => {
    const tab = runtime();
    const worker = runtime();
    const id = await tab.start(waiter, { instanceId: "w", input: 2 });
    await tab.runUntilIdle();
    const doc = JSON.parse(JSON.stringify(await tab.client.exportInstance(id))) as InstanceDocument;
    const bad = (mutate: (runs: Record<string, unknown>, doc: InstanceDocument) => void): InstanceDocument => {
      const copy = JSON.parse(JSON.stringify(doc)) as InstanceDocument;
      mutate(copy.instance.runs as unknown as Record<string, unknown>, copy);
      return copy;
    };
    const cases: [InstanceDocument, RegExp][] = [
      [bad((_r, d) => ((d.instance as unknown as Record<string, unknown>).runs = [])), /instance\.runs must be \{ runs, olderRuns \}/],
      [bad((r) => (r.olderRuns = -1)), /instance\.runs\.olderRuns must be a whole number of runs/],
      [bad((r) => (r.runs = Array.from({ length: RUNS_KEPT + 1 }, (_, i) => ({ ...(r.runs as object[])[0], executionId: `x${i}` })))), /instance\.runs\.runs holds 21 runs; at most 20 are kept/],
      [bad((r) => ((r.runs as Record<string, unknown>[])[0]!.executionId = doc.instance.executionId)), /instance\.runs\.runs\[0\]\.executionId is the current execution's id/],
      [bad((r) => ((r.runs as Record<string, unknown>[])[1]!.executionId = (r.runs as Record<string, unknown>[])[0]!.executionId)), /instance\.runs\.runs\[1\]\.executionId .* appears twice/],
      [bad((r) => ((r.runs as Record<string, unknown>[])[0]!.endedAt = "yesterday")), /instance\.runs\.runs\[0\]\.endedAt must be a time in epoch milliseconds/],
      [bad((r) => ((r.runs as Record<string, Record<string, unknown>>[])[0]!.input!.text = "x".repeat(RUN_PREVIEW_BYTES + 1))), /instance\.runs\.runs\[0\]\.input\.text is 257 bytes; a preview keeps at most 256/],
      [bad((r) => ((r.runs as Record<string, Record<string, unknown>>[])[0]!.input!.text = "{nope")), /instance\.runs\.runs\[0\]\.input\.text must be JSON text when not truncated/],
      [bad((r) => ((r.runs as Record<string, unknown>[])[0]!.customStatus = "busy")), /instance\.runs\.runs\[0\]\.customStatus must be a JSON preview/],
      [bad((r) => ((r.runs as Record<string, unknown>[])[0]!.historyLength = 1.5)), /instance\.runs\.runs\[0\]\.historyLength must be a whole number of events/],
    ];
    for (const [document, message] of cases) {
      expect(() => validateInstanceDocument(document)).toThrow(message);
      const error = await refusal(worker.client.importInstance(document));
      expect(error.code).toBe("InvalidArgument");
      expect(error.message).toMatch(message);
    }
    expect(await worker.store.getInstance("w")).toBeUndefined();
    await tab.close();
    await worker.close();
  });
});
