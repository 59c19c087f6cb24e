/**
 * @module simulator/orchestrations — the one orchestrator and the few activities every simulated
 * program runs on. `SimProgram` interprets the program in its input; the activities decide how
 * they fail from the `Ledger`, which stands for the outside world: it survives runtime crashes
 * (it is not the runtime's memory) and counts attempts by work item, so an activity that runs again
 * after a crash or a lost lease is the same attempt and does the same thing.
 */
import { activity, orchestrator, type ActivityDefinition, type OrchestratorDefinition } from "../../src/definitions.ts";
import type { OrchestrationContext } from "../../src/context.ts";
import { EventTimeoutError, NonRetriableError, TaskAggregateError, TaskCanceledError, TaskFailedError } from "../../src/errors.ts";
import { RetryOptions } from "../../src/retry.ts";
import { ExternalEventTask, Task, TimerTask } from "../../src/task.ts";
import { entity, type EntityDefinition } from "../../src/entities/entity-definition.ts";
import { EntityId } from "../../src/entities/entity-id.ts";
import { DAY, ORCHESTRATOR, type EventPayload, type Leaf, type ProgramInput } from "./program.ts";

/** What the activities' outside world remembers. */
export class Ledger {
  /** Per key: the work items that ran it, in the order first seen (attempt n is the n-th). */
  private readonly attempts = new Map<string, string[]>();
  /** Runs per work item (more than one: run again after a crash or a lost lease). */
  readonly runs = new Map<string, number>();
  private readonly rewound = new Map<string, number>();

  attemptOf(key: string, workItemId: string): number {
    this.runs.set(workItemId, (this.runs.get(workItemId) ?? 0) + 1);
    let list = this.attempts.get(key);
    if (!list) this.attempts.set(key, (list = []));
    let i = list.indexOf(workItemId);
    if (i < 0) i = list.push(workItemId) - 1;
    return i + 1;
  }

  noteRewind(root: string): void {
    this.rewound.set(root, (this.rewound.get(root) ?? 0) + 1);
  }

  rewinds(root: string): number {
    return this.rewound.get(root) ?? 0;
  }

  /** Work items that ran more than once. */
  reruns(): number {
    let n = 0;
    for (const count of this.runs.values()) if (count > 1) n++;
    return n;
  }
}

export interface Definitions {
  orchestrators: OrchestratorDefinition[];
  activities: ActivityDefinition[];
  entities: EntityDefinition<any>[];
}

/** The entity programs share: `add` sums, and answers nothing (so the order of adds never shows in outputs). */
export const TALLY = "SimTally";

/** `(#3)` in a task failure's message is a sequence id, which may differ between equivalent runs. */
export function normalize(text: string): string {
  return text.replace(/\(#\d+\)/g, "(#)");
}

/** A failure as the program records it in its output. */
export function describeError(error: unknown): string {
  if (error instanceof TaskFailedError) return `${error.failureDetails.ErrorType}:${normalize(error.failureDetails.ErrorMessage)}`;
  if (error instanceof TaskAggregateError) return `agg(${error.errors.map(describeError).join(",")})`;
  if (error instanceof EventTimeoutError) return `timeout:${error.eventName}`;
  if (error instanceof TaskCanceledError) return "canceled";
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === "string" ? `(${code})` : ""}:${normalize(error.message)}`;
  }
  return `thrown:${String(error)}`;
}

/** What a leaf's result contributes to the output (big values by their length only). */
export function summarize(leaf: Leaf, value: unknown): unknown {
  switch (leaf.t) {
    case "timer":
      return "timer";
    case "big":
      return `big:${typeof value === "string" ? value.length : "?"}`;
    case "wait": {
      if (value && typeof value === "object" && "token" in value) {
        const p = value as EventPayload;
        return `ev:${p.token}${p.pad === undefined ? "" : `+${p.pad.length}`}`;
      }
      return `ev:${String(value)}`;
    }
    default:
      return value;
  }
}

export function createDefinitions(ledger: Ledger): Definitions {
  const program = orchestrator(ORCHESTRATOR, function* (ctx: OrchestrationContext) {
    const input = ctx.getInput<ProgramInput>();
    const out: unknown[] = input.carry.slice();
    for (const st of input.p.gens[input.g] ?? []) {
      switch (st.s) {
        case "one": {
          try {
            out.push(summarize(st.leaf, yield* leafTask(ctx, st.leaf)));
          } catch (error) {
            if (!st.catch) throw error;
            out.push(`!${describeError(error)}`);
          }
          break;
        }
        case "all": {
          const tasks = st.leaves.map((l) => leafTask(ctx, l));
          try {
            const results = yield* Task.all(tasks);
            out.push(results.map((r, i) => summarize(st.leaves[i]!, r)));
          } catch (error) {
            if (!st.catch) throw error;
            out.push(`!${describeError(error)}`);
          }
          break;
        }
        case "any": {
          const tasks = st.leaves.map((l) => leafTask(ctx, l));
          const winner = (yield* Task.any(tasks)) as Task<unknown>;
          const index = tasks.indexOf(winner);
          for (const t of tasks) {
            if (t === winner || t.isCompleted) continue;
            if (t instanceof TimerTask || t instanceof ExternalEventTask) t.cancel();
          }
          out.push({ won: index, r: winner.isFaulted ? `!${describeError(winner.error)}` : summarize(st.leaves[index]!, winner.result) });
          break;
        }
        case "status": {
          try {
            ctx.setCustomStatus("s".repeat(st.bytes));
            out.push(`status:${st.bytes}`);
          } catch (error) {
            if (!st.catch) throw error;
            out.push(`!${describeError(error)}`);
          }
          break;
        }
        case "throw":
          throw new Error(st.msg);
        case "ent": {
          const id = new EntityId(TALLY, st.key);
          if (st.signal) ctx.signalEntity(id, "add", st.amount);
          else yield* ctx.callEntity(id, "add", st.amount);
          out.push(st.signal ? "signal" : "call");
          break;
        }
        case "lock": {
          const ids = st.keys.map((k) => new EntityId(TALLY, k));
          const lock = yield* ctx.lockEntities(...ids);
          for (const id of ids) yield* ctx.callEntity(id, "add", st.amount);
          lock.release();
          out.push("lock");
          break;
        }
      }
    }
    if (input.g + 1 < input.p.gens.length) {
      ctx.continueAsNew({ ...input, g: input.g + 1, carry: out }, { preserveUnprocessedEvents: input.p.preserve });
      return null;
    }
    return out;
  });

  const echo = activity("SimEcho", (input: { key: string; v: number }) => `${input.key}=${input.v}`);
  const flaky = activity("SimFlaky", (input: { key: string; failFirst: number }, ctx) => {
    const attempt = ledger.attemptOf(input.key, ctx.idempotencyKey);
    if (attempt <= input.failFirst) throw new Error(`${input.key} failed attempt ${attempt}`);
    return `${input.key}:ok@${attempt}`;
  });
  const fail = activity("SimFail", (input: { key: string; nonRetriable: boolean }, ctx) => {
    ledger.attemptOf(input.key, ctx.idempotencyKey);
    throw input.nonRetriable ? new NonRetriableError(`${input.key} refuses`) : new Error(`${input.key} always fails`);
  });
  const untilRewind = activity("SimUntilRewind", (input: { key: string; root: string }, ctx) => {
    ledger.attemptOf(input.key, ctx.idempotencyKey);
    if (ledger.rewinds(input.root) === 0) throw new Error(`${input.key} fails until ${input.root} is rewound`);
    return `${input.key}:rewound`;
  });
  const big = activity("SimBig", (input: { key: string; bytes: number }, ctx) => {
    ledger.attemptOf(input.key, ctx.idempotencyKey);
    return "b".repeat(input.bytes);
  });
  const tally = entity(TALLY, (ctx) => {
    if (ctx.operationName !== "add") throw new Error(`SimTally has no operation '${ctx.operationName}'`);
    ctx.setState((ctx.getState(() => 0) as number) + (ctx.getInput<number>() ?? 0));
  });
  return { orchestrators: [program], activities: [echo, flaky, fail, untilRewind, big], entities: [tally] };
}

function leafTask(ctx: OrchestrationContext, leaf: Leaf): Task<unknown> {
  const options = "local" in leaf && leaf.local ? { local: true } : undefined;
  switch (leaf.t) {
    case "act":
      return ctx.callActivity("SimEcho", { key: leaf.key, v: leaf.v }, options);
    case "retry":
      return ctx.callActivityWithRetry("SimFlaky", new RetryOptions(leaf.firstMs, leaf.attempts), { key: leaf.key, failFirst: leaf.failFirst }, options);
    case "fail":
      return ctx.callActivity("SimFail", { key: leaf.key, nonRetriable: leaf.nonRetriable }, options);
    case "untilRewind":
      return ctx.callActivity("SimUntilRewind", { key: leaf.key, root: leaf.root }, options);
    case "timer":
      return ctx.createTimer(ctx.currentUtcDateTime.getTime() + leaf.days * DAY);
    case "wait":
      if (leaf.timeoutDays === undefined) return ctx.waitForExternalEvent(leaf.name);
      return ctx.waitForExternalEvent(leaf.name, {
        timeoutMs: leaf.timeoutDays * DAY,
        ...(leaf.dflt === undefined ? {} : { defaultValue: leaf.dflt }),
      });
    case "sub": {
      const input: ProgramInput = { p: leaf.prog, g: 0, carry: [] };
      return ctx.callSubOrchestrator(ORCHESTRATOR, input, leaf.id);
    }
    case "big":
      return ctx.callActivity("SimBig", { key: leaf.key, bytes: leaf.bytes }, options);
  }
}
