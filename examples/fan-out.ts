/** Fan-out/fan-in: run `count` activities in parallel and add up what they return. */
import { activity, orchestrator, Task } from "../src/index.ts";

export const square = activity("Square", (n: number) => n * n);

export const fanOut = orchestrator("FanOutFanIn", function* (ctx) {
  const count = Number((ctx.getInput() as { count?: number } | null)?.count ?? 10);
  const tasks = Array.from({ length: count }, (_, i) => ctx.callActivity(square, i + 1));
  ctx.setCustomStatus({ scheduled: count });
  const results = yield* Task.all(tasks);
  return { count, sum: results.reduce((a, b) => a + b, 0) };
});
