/**
 * @module testing/waits — what an instance is waiting on, found by replaying its history in a
 * private executor whose context records what the orchestrator asked for. The events a test must
 * raise are not in the history (a wait schedules nothing), so this replay is how they are known.
 * Nothing runs for real: the replay schedules no work and writes nothing.
 */
import {
  HTTP_ACTIVITY,
  OrchestrationExecutor,
  watchedContext,
  type ExecutorEnvironment,
  type HistoryEvent,
  type OrchestrationContext,
  type OrchestratorDefinition,
  type RuntimeStatus,
  type Task,
} from "../src/index.ts";

/** One thing an instance is waiting on. */
export type Wait =
  | { kind: "event"; name: string; /** When a `timeoutMs` was given. */ timeoutAt?: Date }
  | { kind: "timer"; fireAt: Date }
  | { kind: "activity"; name: string }
  | { kind: "http"; method: string; url: string }
  | { kind: "subOrchestration"; name: string; instanceId: string }
  /** The answer of an entity operation (`callEntity`). */
  | { kind: "entity"; entity: string; operation: string }
  /** The locks of a critical section (`lockEntities`). */
  | { kind: "lock"; entities: string[] }
  /** The instance is suspended: nothing happens until it is resumed. */
  | { kind: "resume" };

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** What the current execution of `instanceId`, with this history, is waiting on. */
export function findWaits(
  instanceId: string,
  runtimeStatus: RuntimeStatus,
  history: readonly HistoryEvent[],
  orchestrator: (name: string) => OrchestratorDefinition | undefined,
): Wait[] {
  const waits: Wait[] = [];
  if (runtimeStatus === "Suspended") waits.push({ kind: "resume" });
  const recorded: { wait: Wait; task: Task<unknown> }[] = [];
  const env: ExecutorEnvironment = {
    logger: silent,
    orchestrator(name) {
      const definition = orchestrator(name);
      if (!definition) return undefined;
      return { kind: "orchestrator", name: definition.name, fn: (ctx) => definition.fn(recording(ctx, recorded)) };
    },
  };
  // A suspended instance holds what arrives until it is resumed: replay as if resumed, so the
  // waits listed after the resume are those left once the held events are in.
  const replayed = runtimeStatus === "Suspended" ? history.filter((e) => e.EventType !== "ExecutionSuspended" && e.EventType !== "ExecutionResumed") : history;
  try {
    new OrchestrationExecutor(instanceId, env).applyAll(replayed, true);
  } catch {
    // A replay that cannot run says nothing about waits; the sub-orchestrations below still do.
  }
  for (const r of recorded) if (!r.task.isCompleted) waits.push(r.wait);
  waits.push(...openSubOrchestrations(history));
  return waits;
}

/** The context the orchestrator sees in the diagnostic replay: the real one, noting each wait. */
function recording(ctx: OrchestrationContext, recorded: { wait: Wait; task: Task<unknown> }[]): OrchestrationContext {
  return watchedContext(ctx, (call, task) => {
    // Sub-orchestrations are found in the history (`openSubOrchestrations`), with their instance ids.
    if (call.kind === "subOrchestration") return;
    const wait: Wait = call.kind === "activity" ? { kind: "activity", name: call.name } : call;
    recorded.push({ wait, task });
  });
}

function openSubOrchestrations(history: readonly HistoryEvent[]): Wait[] {
  const done = new Set<number>();
  for (const e of history) {
    if (e.EventType === "SubOrchestrationInstanceCompleted" || e.EventType === "SubOrchestrationInstanceFailed") done.add(e.TaskScheduledId);
  }
  const open: Wait[] = [];
  for (const e of history) {
    if (e.EventType === "SubOrchestrationInstanceCreated" && !done.has(e.EventId)) {
      open.push({ kind: "subOrchestration", name: e.Name, instanceId: e.InstanceId });
    }
  }
  return open;
}

/** A wait in words: "the external event 'Approval'". */
export function describeWait(wait: Wait): string {
  switch (wait.kind) {
    case "event":
      return `the external event '${wait.name}'${wait.timeoutAt ? ` (times out at ${wait.timeoutAt.toISOString()})` : ""}`;
    case "timer":
      return `a timer due at ${wait.fireAt.toISOString()}`;
    case "activity":
      return wait.name === HTTP_ACTIVITY ? "an HTTP request" : `the activity '${wait.name}'`;
    case "http":
      return `the HTTP request ${wait.method} ${wait.url}`;
    case "subOrchestration":
      return `the sub-orchestration '${wait.name}' (instance '${wait.instanceId}')`;
    case "resume":
      return "being resumed (it is suspended)";
    case "entity":
      return `the entity operation '${wait.operation}' on '${wait.entity}'`;
    case "lock":
      return `the locks of ${wait.entities.map((e) => `'${e}'`).join(", ")}`;
  }
}
