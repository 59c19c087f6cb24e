/**
 * The Gantt chart's model over histories made by the real core (memory store, manual clock): a
 * fan-out folded into one group with its distribution, retries on one row, a running task ending
 * at "now", stable order by task id, and the precision each rendering has.
 */
import { activity, createRuntime, ManualClock, orchestrator, Task, toHistoryEvents, type Runtime } from "../src/index.ts";
import { createMemoryStore } from "../adapters/memory/index.ts";
import { afterEach, describe, expect, it } from "vitest";
import { fixtureActivities, release, resetAttempts, retrying, waiting } from "./history-fixtures.ts";
import { toDetailedHistory } from "./src/detailed-history.ts";
import { axisTicks, histogram, preciseDuration, quantile, toGantt, type GanttGroup, type GanttRow } from "./src/gantt.ts";

let clock = new ManualClock();
const slow = activity("Slow", async (n: number) => {
  clock.advance(10 + n); // each square "takes" 10 + n ms of the manual clock
  return n * n;
});
const fan = orchestrator("Fan", function* (ctx) {
  const n = ctx.getInput<number>() ?? 0;
  const first = yield* ctx.callActivity(slow, 0);
  const all = yield* Task.all(Array.from({ length: n }, (_, i) => ctx.callActivity(slow, i + 1)));
  return first + all.reduce((a, b) => a + b, 0);
});

const runtimes: Runtime[] = [];
function runtime(): Runtime {
  const r = createRuntime({
    store: createMemoryStore(),
    clock,
    orchestrators: [fan, retrying, waiting],
    activities: [slow, ...fixtureActivities],
    logger: { debug() {}, info() {}, warn() {}, error() {}, log() {} } as never,
  });
  runtimes.push(r);
  return r;
}
afterEach(async () => {
  resetAttempts();
  await Promise.all(runtimes.splice(0).map((r) => r.stop()));
});

describe("gantt", () => {
  it("folds a fan-out into one group with a count and a distribution, and keeps a lone task as its own row", async () => {
    clock = new ManualClock(1_800_000_000_123);
    const r = runtime();
    const id = await r.client.startNew(fan, { input: 20 });
    await r.drain();
    const model = toGantt(toDetailedHistory(await r.client.getHistory(id)), { finished: true, now: clock.now() });
    expect(model.precise).toBe(true);
    const kinds = model.items.map((i) => (i.kind === "group" ? `group:${i.title}×${i.members.length}` : `${i.kind}:${i.title}`));
    expect(kinds).toEqual(["start:Fan", "activity:Slow", "group:Slow×20", "end:Completed"]);
    const group = model.items[2] as GanttGroup;
    expect(group).toMatchObject({ done: 20, failed: 0, running: 0 });
    expect(group.durations.length).toBe(20);
    // Stable order: by start, then task id.
    const ids = group.members.map((m) => m.taskId!);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect((model.items[1] as GanttRow).taskId).toBeLessThan(ids[0]!);
  });

  it("puts a task's retries on one row, as attempts, with the retry timers as their own bars", async () => {
    clock = new ManualClock();
    const r = runtime();
    const id = await r.client.startNew(retrying);
    await r.drain();
    for (let i = 0; i < 2; i++) {
      clock.advance(1000);
      await r.drain();
    }
    const model = toGantt(toDetailedHistory(await r.client.getHistory(id)), { finished: true, now: clock.now() });
    const tasks = model.items.filter((i): i is GanttRow => i.kind === "activity");
    expect(tasks.length).toBe(1);
    expect(tasks[0]!.bars.map((b) => [b.attempt, b.outcome])).toEqual([[1, "failed"], [2, "failed"], [3, "ok"]]);
    expect(model.items.filter((i) => i.kind === "timer").map((t) => (t as GanttRow).bars[0]!.end! - (t as GanttRow).bars[0]!.start)).toEqual([1000, 1000]);
  });

  it("lets a running task reach now, and says a status-API history has whole seconds only", async () => {
    clock = new ManualClock(1_800_000_000_500);
    const r = runtime();
    r.start();
    const id = await r.client.startNew(waiting);
    await expect.poll(async () => (await r.client.getHistory(id)).some((e) => e.EventType === "TaskScheduled")).toBe(true);
    const history = await r.client.getHistory(id);
    const now = clock.now() + 750;
    const model = toGantt(toDetailedHistory(history), { finished: false, now });
    const task = model.items.find((i): i is GanttRow => i.kind === "activity")!;
    expect(task.bars[0]!.end).toBeNull();
    expect(model.end).toBe(now);
    expect(toGantt(toHistoryEvents(history), { finished: false, now }).precise).toBe(false);
    release();
    await expect.poll(async () => (await r.client.getStatus(id))?.runtimeStatus).toBe("Completed");
  });

  it("formats durations at the history's precision, and picks round axis ticks", () => {
    expect(preciseDuration(340, true)).toBe("340 ms");
    expect(preciseDuration(1250, true)).toBe("1.25 s");
    expect(preciseDuration(0, false)).toBe("< 1 s");
    expect(preciseDuration(125_000, true)).toBe("2 min 5 s");
    expect(axisTicks(1000)).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(axisTicks(45_000).length).toBeLessThanOrEqual(8);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(histogram([1, 1, 10], 3)).toEqual([2, 0, 1]);
  });
});
