/**
 * The tutorial's orchestration (../shared/seed): say hello to Tokyo, Seattle and London, in
 * sequence and in parallel, on the in-memory store.
 */
import { activity, orchestrator, Task } from "../src/index.ts";

export const sayHello = activity("OrchestratorFunction_Hello", (city: string) => `Hello ${city}!`);

export const helloSequence = orchestrator("OrchestratorFunction", function* (ctx) {
  const outputs: string[] = [];
  outputs.push(yield* ctx.callActivity(sayHello, "Tokyo"));
  outputs.push(yield* ctx.callActivity(sayHello, "Seattle"));
  outputs.push(yield* ctx.callActivity(sayHello, "London"));
  return outputs; // ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]
});

export const helloParallel = orchestrator("OrchestratorFunction_Parallel", function* (ctx) {
  const tasks = ["Tokyo", "Seattle", "London"].map((city) => ctx.callActivity(sayHello, city));
  return yield* Task.all(tasks);
});
