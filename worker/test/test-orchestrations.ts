/**
 * @module worker/test/test-orchestrations — what the test Worker runs besides the samples from
 * `examples/`: a chain of N activities (also the benchmark's workload), a parent that runs the
 * tutorial as a sub-orchestration (on another Durable Object), a parent waiting on a
 * human-interaction child, a tree of them (to move while it runs), an activity that outlasts its lease, a small order flow of the kind
 * a user brings (the README's example), and entities for the entity tests: a `Ledger` whose
 * operations are slow (to abort an object mid-batch), a `Listed` entity, and orchestrations that
 * hold a lock or make a call that throws.
 */
import { activity, entity, EntityId, entityId, orchestrator, Task, TaskFailedError } from "../../src/index.ts";
import { counter, helloSequence, humanInteraction, samples } from "../../examples/index.ts";

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
 * A tree to move while it runs: `{ approvers }` HumanInteraction children (default ids, so each
 * lands on its own object) and an ApprovalParent child, which waits on a grandchild of its own.
 */
export const approvalTree = orchestrator("ApprovalTree", function* (ctx) {
  const input = (ctx.getInput() ?? {}) as { approvers?: number; timeoutSeconds?: number };
  const children = Array.from({ length: input.approvers ?? 2 }, () => ctx.callSubOrchestrator(humanInteraction, { timeoutSeconds: input.timeoutSeconds }));
  children.push(ctx.callSubOrchestrator(approvalParent, { timeoutSeconds: input.timeoutSeconds }));
  return yield* Task.all(children);
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

/**
 * What the isolate saw of `Ledger` operations (the tests and the objects share the isolate):
 * `started` counts every run of `append`, committed or not, so a test can tell that an object was
 * aborted in the middle of a batch and the batch ran again.
 */
export const ledgerRuns = { started: 0 };

export interface LedgerAppend {
  value: number;
  /** How long the operation takes (async). */
  ms: number;
  /** Also signals `add 1` to this Counter (an entity's own signal, sent when its batch commits). */
  copyTo?: string;
}

/** A list of numbers: `append` (async, `ms` long), `corrupt` (changes the state, then throws), `get`. */
export const ledger = entity("Ledger", async (ctx) => {
  const items = ctx.getState(() => [] as number[])!;
  switch (ctx.operationName) {
    case "append": {
      const { value, ms, copyTo } = ctx.getInput<LedgerAppend>()!;
      ledgerRuns.started++;
      await new Promise((resolve) => setTimeout(resolve, ms));
      ctx.setState([...items, value]);
      if (copyTo !== undefined) ctx.signalEntity(entityId(counter, copyTo), "add", 1);
      return items.length + 1;
    }
    case "corrupt":
      ctx.setState([-1]);
      throw new Error("corrupt always fails: its change must be rolled back");
    case "get":
      return items;
    default:
      throw new TypeError(`Ledger has no operation '${ctx.operationName}'.`);
  }
});

/** Holds whatever it is given (`set`), for the listing tests: an entity name no other test uses. */
export const listed = entity("Listed", (ctx) => {
  if (ctx.operationName === "set") ctx.setState(ctx.getInput());
  else if (ctx.operationName === "get") return ctx.getState();
  else throw new TypeError(`Listed has no operation '${ctx.operationName}'.`);
  return undefined;
});

/** Locks the Counter named by its input and holds the lock until the event "go". */
export const holdsLock = orchestrator("HoldsLock", function* (ctx) {
  const lock = yield* ctx.lockEntities(new EntityId("Counter", ctx.getInput<string>()));
  yield* ctx.waitForExternalEvent("go");
  lock.release();
  return "released";
});

/** Adds 1 to the Counter named by its input, then `add "many"` (which throws), then reads it back. */
export const callsCounterBadly = orchestrator("CallsCounterBadly", function* (ctx) {
  const id = entityId(counter, ctx.getInput<string>());
  yield* ctx.callEntity(id, "add", 1);
  try {
    yield* ctx.callEntity(id, "add", "many" as unknown as number);
    return { caught: null, value: null };
  } catch (error) {
    return { caught: error instanceof TaskFailedError ? error.failureDetails.ErrorType : String(error), value: yield* ctx.callEntity(id, "get") };
  }
});

/** Sleeps `ms`, then returns it. */
export const pause = activity("Pause", async (ms: number) => {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
});

/**
 * `{ count, spreadMs }` `Pause` activities at once, the i-th sleeping i × spreadMs / count: a
 * fan-out whose results come back spread over `spreadMs`, many commits apart (the stream tests).
 */
export const staggeredFanOut = orchestrator("StaggeredFanOut", function* (ctx) {
  const { count = 200, spreadMs = 1000 } = ctx.getInput<{ count?: number; spreadMs?: number } | null>() ?? {};
  const slept = yield* Task.all(Array.from({ length: count }, (_, i) => ctx.callActivity(pause, Math.round((i * spreadMs) / count))));
  return { count: slept.length };
});

/** Everything the test Worker registers: the samples and the orchestrations and entities above. */
export const testOrchestrations = {
  orchestrators: [...samples.orchestrators, activityChain, helloSubOrchestration, approvalParent, approvalTree, slowActivity, orderFlow, localChain, holdsLock, callsCounterBadly, staggeredFanOut],
  activities: [...samples.activities, addOne, slowStep, reserve, charge, addOneLocal, pause],
  entities: [...samples.entities, ledger, listed],
};
