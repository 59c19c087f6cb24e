/**
 * @module entities/entity-definition — durable entities, defined by name: a function that switches
 * on the operation (`entity("Counter", (ctx) => …)`, as Durable Functions' JS entities), or a class
 * whose methods are the operations and whose fields are the state (`entity("Counter", Counter)`).
 */
import type { OrchestratorDefinition } from "../definitions.ts";
import { validateEntityName, type EntityId, type EntityIdLike } from "./entity-id.ts";

/**
 * The operations of an entity, as method signatures: `{ add(amount: number): void; get(): number }`.
 * Used only for types: `callEntity(id, "add", 1)` is checked against it.
 */
export type EntityOperations = object;
/** The operations of an entity whose type is not known: any name, any input, any result. */
export type UntypedOperations = Record<string, (input?: any) => any>;

/** The operation names of `Ops`. */
export type OperationName<Ops> = Extract<keyof Ops, string>;
/** The input an operation takes (`undefined` when it takes none). */
export type OperationInput<Ops, K extends keyof Ops> = Ops[K] extends (...args: infer A) => any ? (A extends [] ? undefined : A[0]) : unknown;
/** What an operation returns, once it completes. */
export type OperationResult<Ops, K extends keyof Ops> = Ops[K] extends (...args: any[]) => infer R ? Awaited<R> : unknown;
/** An operation's input argument: optional when the operation accepts `undefined`. */
export type OperationArgs<Ops, K extends keyof Ops> = undefined extends OperationInput<Ops, K> ? [input?: OperationInput<Ops, K>] : [input: OperationInput<Ops, K>];

/** Options of a signal. */
export interface SignalOptions {
  /** Deliver the signal at this time (a scheduled signal), not at once. */
  at?: Date | number | undefined;
}

/** What an entity operation sees (function-style: its one argument; class-style: `this.context`'s argument). */
export interface EntityContext<State = unknown> {
  readonly entityName: string;
  readonly entityKey: string;
  readonly entityId: EntityId;
  /** The operation being run (as the caller spelled it). */
  readonly operationName: string;
  /** True when the entity had no state before this operation. */
  readonly isNewlyConstructed: boolean;
  /** Whether the operation was given an input. */
  readonly hasInput: boolean;
  /** The state; with no state yet, `initializer()` becomes it (or undefined without an initializer). */
  getState<T = State>(initializer?: () => T): T | undefined;
  /** Replaces the state (JSON-serializable, at most 256 KiB of JSON). */
  setState(state: State): void;
  /** The operation's input, as JSON carries it. */
  getInput<T = unknown>(): T | undefined;
  /** The operation's result, for callers that wait for it (a returned value does the same). */
  return(result: unknown): void;
  /** Deletes the entity (its state) once this operation ends. */
  destructOnExit(): void;
  /** Signals an entity (one-way), after this operation's batch commits. */
  signalEntity(entity: EntityIdLike, operationName: string, input?: unknown, options?: SignalOptions): void;
  /** Starts an orchestration after this operation's batch commits; returns its instance id. */
  startNewOrchestration(orchestrator: OrchestratorDefinition | string, input?: unknown, instanceId?: string): string;
}

export type EntityFunction<State> = (context: EntityContext<State>) => unknown;

/**
 * A class-style entity: its methods are the operations (each gets the input and the context), its
 * own fields are the state (restored before every operation, saved after it).
 */
export type EntityClass<T extends object = object> = new () => T;

/** The operations of a class-style entity: its methods, with the input as the only argument. */
export type OperationsOf<T> = {
  [K in keyof T as T[K] extends (...args: any[]) => any ? (K extends string ? K : never) : never]: T[K] extends (...args: infer A) => infer R
    ? A extends [] ? () => R : (input: A[0]) => R
    : never;
};

export interface EntityDefinition<Ops extends EntityOperations = UntypedOperations> {
  readonly kind: "entity";
  readonly name: string;
  /** Function-style handler (set unless `entityClass` is). */
  readonly fn?: EntityFunction<any> | undefined;
  /** Class-style: a new instance per operation, its fields restored from the state. */
  readonly entityClass?: EntityClass | undefined;
  /** Phantom: the operations, for types only. */
  readonly __operations?: Ops;
}

/**
 * Defines an entity.
 *
 * Function style, typed by its operations (the type argument) and state:
 * ```ts
 * const counter = entity<{ add(amount: number): void; reset(): void; get(): number }, number>("Counter", (ctx) => {
 *   const value = ctx.getState(() => 0)!;
 *   switch (ctx.operationName) {
 *     case "add": ctx.setState(value + ctx.getInput<number>()!); break;
 *     case "reset": ctx.setState(0); break;
 *     case "get": return value;
 *   }
 * });
 * ```
 * Class style (methods are operations, fields are the state):
 * ```ts
 * class Counter { value = 0; add(amount: number) { this.value += amount; } get() { return this.value; } }
 * const counter = entity("Counter", Counter);
 * ```
 * Every entity also takes the operation `delete`, which deletes its state (unless a class defines its own).
 */
export function entity<Ops extends EntityOperations = UntypedOperations, State = any>(name: string, fn: EntityFunction<State>): EntityDefinition<Ops>;
export function entity<C extends object>(name: string, entityClass: EntityClass<C>): EntityDefinition<OperationsOf<C>>;
export function entity(name: string, handler: EntityFunction<any> | EntityClass): EntityDefinition<any> {
  validateEntityName(name);
  if (typeof handler !== "function") throw new TypeError(`entity("${name}", handler) needs a function or a class, got ${typeof handler}.`);
  return Object.freeze(isClass(handler) ? { kind: "entity", name, entityClass: handler as EntityClass } : { kind: "entity", name, fn: handler as EntityFunction<any> });
}

/** A class (or a constructor function with methods on its prototype), not a plain handler. */
function isClass(fn: Function): boolean {
  if (/^class[\s{]/.test(Function.prototype.toString.call(fn))) return true;
  const proto = (fn as { prototype?: object }).prototype;
  return proto !== undefined && Object.getOwnPropertyNames(proto).some((k) => k !== "constructor");
}
