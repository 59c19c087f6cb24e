/**
 * What both hosts of the hand-over test register (the tab's page and the Worker): the samples, and
 * `Pair`, a tree to move while it runs: two HumanInteraction sub-orchestrations, `{id}:a` and `{id}:b`.
 */
import { humanInteraction, samples } from "../../examples/index.ts";
import { orchestrator, Task } from "../../src/index.ts";

export const pair = orchestrator("Pair", function* (ctx) {
  return yield* Task.all(["a", "b"].map((k) => ctx.callSubOrchestrator(humanInteraction, { timeoutSeconds: 3600 }, `${ctx.instanceId}:${k}`)));
});

export const travelDefinitions = { ...samples, orchestrators: [...samples.orchestrators, pair] };
