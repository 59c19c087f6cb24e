/**
 * @module worker/test/test-orchestrations — what the test Worker runs besides the samples from
 * `examples/`: a chain of N activities (also the benchmark's workload), a parent that runs the
 * tutorial as a sub-orchestration (on another Durable Object), a parent waiting on a
 * human-interaction child, an activity that outlasts its lease, and a small order flow of the kind
 * a user brings (the README's example).
 */
import { activity, orchestrator } from "../../src/index.ts";
import { helloSequence, humanInteraction, samples } from "../../examples/index.ts";

export const addOne = activity("AddOne", (n: number) => n + 1);

/** `{ count }` activities one after the other; returns `count`. */
export const activityChain = orchestrator("ActivityChain", function* (ctx) {
  const count = Number((ctx.getInput() as { count?: number } | null)?.count ?? 10);
  let value = 0;
  for (let i = 0; i < count; i++) value = yield* ctx.callActivity(addOne, value);
  return value;
});

/** The same as `AddOne`, run inside the step of the object that steps its caller. */
export const addOneLocal = activity("AddOneLocal", (n: number) => n + 1, { local: true });

/** `{ count }` local activities one after the other; returns `count`. */
export const localChain = orchestrator("LocalChain", function* (ctx) {
  const count = Number(ctx.getInput<{ count?: number } | null>()?.count ?? 10);
  let value = 0;
  for (let i = 0; i < count; i++) value = yield* ctx.callActivity(addOneLocal, value);
  return value;
});

/** Runs the tutorial as a sub-orchestration under the id `{instanceId}:child`. */
export const helloSubOrchestration = orchestrator("HelloSubOrchestration", function* (ctx) {
  const childId = `${ctx.instanceId}:child`;
  const greetings = yield* ctx.callSubOrchestrator(helloSequence, undefined, childId);
  return { childId, greetings };
});

/** Waits on a `HumanInteraction` child (id `{instanceId}:approval`): terminating it cascades to the child. */
export const approvalParent = orchestrator("ApprovalParent", function* (ctx) {
  const input = (ctx.getInput() ?? {}) as { timeoutSeconds?: number };
  return yield* ctx.callSubOrchestrator(humanInteraction, input, `${ctx.instanceId}:approval`);
});

/**
 * Sleeps `ms` and returns the attempt it ran as (`dequeueCount`). Longer than a lease, it completes
 * only because its runner renews the lease, and on its first attempt.
 */
export const slowStep = activity("SlowStep", async (ms: number, ctx) => {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ctx.dequeueCount;
});

/** One `SlowStep` of `{ ms }`. */
export const slowActivity = orchestrator("SlowActivity", function* (ctx) {
  return yield* ctx.callActivity(slowStep, Number((ctx.getInput() as { ms?: number } | null)?.ms ?? 1000));
});

export interface Order {
  sku: string;
  quantity: number;
  cents: number;
}

export const reserve = activity("Reserve", (order: Order) => ({ reservation: `res-${order.sku}-${order.quantity}` }));
export const charge = activity("Charge", (order: Order) => ({ charged: order.quantity * order.cents }));

/** Reserves, then charges: two activities no sample has, so only a Worker built with them runs it. */
export const orderFlow = orchestrator("OrderFlow", function* (ctx) {
  const order = ctx.getInput() as Order;
  const { reservation } = yield* ctx.callActivity(reserve, order);
  const { charged } = yield* ctx.callActivity(charge, order);
  return { reservation, charged };
});

/** Everything the test Worker registers: the samples and the orchestrations above. */
export const testOrchestrations = {
  orchestrators: [...samples.orchestrators, activityChain, helloSubOrchestration, approvalParent, slowActivity, orderFlow, localChain],
  activities: [...samples.activities, addOne, slowStep, reserve, charge, addOneLocal],
};
