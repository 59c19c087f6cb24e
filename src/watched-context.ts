/**
 * @module watched-context — an orchestrator's context that tells, for each task the orchestrator
 * asks for, what it asked for, and hands back the task (the context itself is untouched). Replays
 * that must know what an instance waits on use it: the events it waits for schedule nothing and
 * are not in its history (time travel, the testing runtime's `waitingFor`).
 */
import type { CallHttpOptions, OrchestrationContext, WaitForEventOptions } from "./context.ts";
import type { ActivityDefinition, OrchestratorDefinition } from "./definitions.ts";
import type { Task, TimerTask } from "./task.ts";
import { entityInstanceId, toEntityId, type EntityIdLike } from "./entities/entity-id.ts";

/** One request of the orchestrator, as it made it. */
export type WatchedCall =
  | { kind: "activity"; name: string; input: unknown }
  | { kind: "subOrchestration"; name: string; input: unknown }
  | { kind: "timer"; fireAt: Date }
  | { kind: "event"; name: string; /** When a `timeoutMs` was given. */ timeoutAt?: Date }
  | { kind: "http"; method: string; url: string }
  /** `callEntity`: the entity's instance id (`@name@key`) and the operation. */
  | { kind: "entity"; entity: string; operation: string }
  /** `lockEntities`: the entities of the critical section, in lock order. */
  | { kind: "lock"; entities: string[] };

export function watchedContext(ctx: OrchestrationContext, watch: (call: WatchedCall, task: Task<unknown>) => void): OrchestrationContext {
  const note = <T extends Task<unknown>>(call: WatchedCall, task: T): T => {
    watch(call, task);
    return task;
  };
  const nameOf = (ref: { name: string } | string): string => (typeof ref === "string" ? ref : ref.name);
  return new Proxy(ctx, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      const fn = value as (...args: unknown[]) => unknown;
      switch (prop) {
        case "callActivity":
          return (ref: ActivityDefinition | string, input?: unknown, ...rest: unknown[]) =>
            note({ kind: "activity", name: nameOf(ref), input: input ?? null }, fn.call(target, ref, input, ...rest) as Task<unknown>);
        case "callActivityWithRetry":
          return (ref: ActivityDefinition | string, retry: unknown, input?: unknown, ...rest: unknown[]) =>
            note({ kind: "activity", name: nameOf(ref), input: input ?? null }, fn.call(target, ref, retry, input, ...rest) as Task<unknown>);
        case "callSubOrchestrator":
          return (ref: OrchestratorDefinition | string, input?: unknown, ...rest: unknown[]) =>
            note({ kind: "subOrchestration", name: nameOf(ref), input: input ?? null }, fn.call(target, ref, input, ...rest) as Task<unknown>);
        case "callSubOrchestratorWithRetry":
          return (ref: OrchestratorDefinition | string, retry: unknown, input?: unknown, ...rest: unknown[]) =>
            note({ kind: "subOrchestration", name: nameOf(ref), input: input ?? null }, fn.call(target, ref, retry, input, ...rest) as Task<unknown>);
        case "createTimer":
          return (fireAt: Date | number) => {
            const timer = fn.call(target, fireAt) as TimerTask;
            return note({ kind: "timer", fireAt: timer.fireAt }, timer);
          };
        case "waitForExternalEvent":
          return (name: string, options?: WaitForEventOptions<unknown>) => {
            const task = fn.call(target, name, options) as Task<unknown>;
            const call: WatchedCall =
              options?.timeoutMs === undefined ? { kind: "event", name } : { kind: "event", name, timeoutAt: new Date(target.currentUtcDateTime.getTime() + options.timeoutMs) };
            return note(call, task);
          };
        case "callEntity":
          return (entity: EntityIdLike, operation: string, ...rest: unknown[]) => {
            const task = fn.call(target, entity, operation, ...rest) as Task<unknown>;
            return note({ kind: "entity", entity: entityInstanceId(toEntityId(entity)), operation }, task);
          };
        case "lockEntities":
          return (...entities: EntityIdLike[]) => {
            const task = fn.call(target, ...entities) as Task<unknown>;
            return note({ kind: "lock", entities: [...new Set(entities.map((e) => entityInstanceId(toEntityId(e))))].sort() }, task);
          };
        case "callHttp":
          return (options: CallHttpOptions) => note({ kind: "http", method: String(options?.method).toUpperCase(), url: String(options?.url) }, fn.call(target, options) as Task<unknown>);
        default:
          return fn.bind(target);
      }
    },
  });
}
