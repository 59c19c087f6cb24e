/** @module definitions — orchestrators and activities, registered by explicit name (never `fn.name`). */
import type { OrchestrationContext } from "./context.ts";
import type { Task } from "./task.ts";
import type { EntityDefinition } from "./entities/entity-definition.ts";

/** What an activity receives besides its input. */
export interface ActivityContext {
  readonly instanceId: string;
  readonly executionId: string;
  readonly name: string;
  /** The sequence id of the task in its orchestration. */
  readonly taskId: number;
  /** Stable across retries of the same work item: use it to make side effects idempotent. */
  readonly idempotencyKey: string;
  /** How many times this work item was handed to a worker (1 on the first run). */
  readonly dequeueCount: number;
}

export type ActivityFunction<I, O> = (input: I, context: ActivityContext) => O | Promise<O>;

export interface ActivityDefinition<I = any, O = any> {
  readonly kind: "activity";
  readonly name: string;
  readonly fn: ActivityFunction<I, O>;
  /** Runs inside the step of the instance that calls it, in that host (see `ActivityOptions.local`). */
  readonly local?: boolean | undefined;
}

export interface ActivityOptions {
  /**
   * A local activity runs in the host that steps the calling instance (the Durable Object that
   * owns it, the tab that leads, the memory runtime), inside the step: no queue, no lease, and its
   * result is committed with the step, so a chain of local activities costs one commit per many
   * steps. At-least-once like any activity: a crash before the commit runs it again. For short
   * work (a fetch, a computation, a KV read); keep long work, large fan-outs and work that should
   * spread over many hosts remote (the default). A call can override it.
   */
  local?: boolean | undefined;
}

export type OrchestratorGenerator<O> = Generator<Task<unknown>, O, any>;
export type OrchestratorFunction<I, O> = (context: OrchestrationContext<I>) => OrchestratorGenerator<O> | O;

export interface OrchestratorDefinition<I = any, O = any> {
  readonly kind: "orchestrator";
  readonly name: string;
  readonly fn: OrchestratorFunction<I, O>;
}

/** Defines an activity: `activity("SayHello", (city: string) => \`Hello ${city}!\`)`. */
export function activity<I = any, O = unknown>(name: string, fn: ActivityFunction<I, O>, options: ActivityOptions = {}): ActivityDefinition<I, Awaited<O>> {
  assertName(name, "activity");
  if (typeof fn !== "function") throw new TypeError(`activity("${name}", fn) needs a function, got ${typeof fn}.`);
  return Object.freeze({ kind: "activity", name, fn, ...(options.local ? { local: true } : {}) }) as ActivityDefinition<I, Awaited<O>>;
}

/** Defines an orchestrator: `orchestrator("HelloCities", function* (ctx) { … })`. */
export function orchestrator<I = any, O = unknown>(name: string, fn: OrchestratorFunction<I, O>): OrchestratorDefinition<I, O> {
  assertName(name, "orchestrator");
  return Object.freeze({ kind: "orchestrator", name, fn });
}

function assertName(name: string, what: string): void {
  if (typeof name !== "string" || name.trim() === "") {
    throw new TypeError(`An ${what} needs a non-empty name, e.g. ${what}("SayHello", fn).`);
  }
}

/**
 * What a host registers, by kind, in the order registered (`Registry.registered()`, a client's
 * `registered()`, `GET {base}/functions`). Built-in activities (`BuiltIn::…`) are left out.
 */
export interface RegisteredFunctions {
  orchestrators: { name: string }[];
  /** `local`: the activity runs inside the step of the instance that calls it, unless a call says otherwise. */
  activities: { name: string; local: boolean }[];
  entities: { name: string }[];
}

/** Looks up registered functions by name, case-insensitively (as Durable Functions does). */
export class Registry {
  private readonly orchestrators = new Map<string, OrchestratorDefinition>();
  private readonly activities = new Map<string, ActivityDefinition>();
  private readonly entities = new Map<string, EntityDefinition<any>>();
  /** Orchestrators and activities by the name as registered: found without lower-casing the name (a string per lookup). */
  private readonly spelled = new Map<string, OrchestratorDefinition | ActivityDefinition>();

  constructor(orchestrators: readonly OrchestratorDefinition[] = [], activities: readonly ActivityDefinition[] = [], entities: readonly EntityDefinition<any>[] = []) {
    for (const o of orchestrators) this.addOrchestrator(o);
    for (const a of activities) this.addActivity(a);
    for (const e of entities) this.addEntity(e);
  }

  addEntity(definition: EntityDefinition<any>): void {
    if (!definition || definition.kind !== "entity") throw new TypeError(`createRuntime({ entities }) takes definitions made with entity(name, handler); got ${typeof definition}.`);
    const key = definition.name.toLowerCase();
    const existing = this.entities.get(key);
    if (existing && (existing.fn ?? existing.entityClass) !== (definition.fn ?? definition.entityClass)) {
      throw new TypeError(`Two different entities are registered under the name '${definition.name}'; names must be unique (they match case-insensitively).`);
    }
    this.entities.set(key, definition);
  }

  entity(name: string): EntityDefinition<any> | undefined {
    return this.entities.get(name.toLowerCase());
  }

  entityNames(): string[] {
    return [...this.entities.values()].map((e) => e.name);
  }

  addOrchestrator(definition: OrchestratorDefinition): void {
    this.add(this.orchestrators, definition, "orchestrator");
  }

  addActivity(definition: ActivityDefinition): void {
    this.add(this.activities, definition, "activity");
  }

  orchestrator(name: string): OrchestratorDefinition | undefined {
    const spelled = this.spelled.get(name);
    return spelled?.kind === "orchestrator" ? spelled : this.orchestrators.get(name.toLowerCase());
  }

  activity(name: string): ActivityDefinition | undefined {
    const spelled = this.spelled.get(name);
    return spelled?.kind === "activity" ? spelled : this.activities.get(name.toLowerCase());
  }

  orchestratorNames(): string[] {
    return [...this.orchestrators.values()].map((o) => o.name);
  }

  /** The registered orchestrators, activities and entities (built-in activities left out). */
  registered(): RegisteredFunctions {
    return {
      orchestrators: this.orchestratorNames().map((name) => ({ name })),
      activities: [...this.activities.values()].filter((a) => !a.name.startsWith("BuiltIn::")).map((a) => ({ name: a.name, local: a.local === true })),
      entities: this.entityNames().map((name) => ({ name })),
    };
  }

  private add<D extends OrchestratorDefinition | ActivityDefinition>(map: Map<string, D>, definition: D, what: string): void {
    const key = definition.name.toLowerCase();
    const existing = map.get(key);
    if (existing && existing.fn !== definition.fn) {
      throw new TypeError(`Two different ${what}s are registered under the name '${definition.name}'; names must be unique.`);
    }
    map.set(key, definition);
    // An orchestrator and an activity may share a name: the one registered last is found by spelling, the other by its lower case.
    this.spelled.set(definition.name, definition);
  }
}
