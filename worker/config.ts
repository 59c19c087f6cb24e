/**
 * @module worker/config — the options of `createDurableWorker`, checked once when it is called,
 * and what the Worker's classes close over: the user's definitions, their registry, and the
 * settings of an env (bindings, partitions, shards, leases), resolved once per env object.
 */
import { Registry, type ActivityDefinition, type OrchestratorDefinition } from "../src/index.ts";
import type { StarterOptions } from "./http/index.ts";
import { activityLeaseMs, activityTimeoutMs, MIN_LEASE_SECONDS, MIN_TIMEOUT_SECONDS } from "./limits.ts";
import { bindingsMessage, INDEX_CLASS, INSTANCE_CLASS, settingMessage, WorkerMisconfiguredError, type BindingProblem } from "./misconfiguration.ts";
import { indexShardCount, instancePartitionCount, MAX_INDEX_SHARDS, MAX_INSTANCE_PARTITIONS, type Placement } from "./routing.ts";
import type { Env } from "./env.ts";

/** The Durable Object binding names the Worker uses. */
export interface BindingNames {
  /** The `InstanceObject` namespace. Default `INSTANCES`. */
  instances?: string | undefined;
  /** The `IndexShard` namespace. Default `INDEX`. */
  index?: string | undefined;
}

export interface DurableWorkerOptions<E extends object = Env> {
  /** The orchestrators the Worker runs (at least one). */
  orchestrators: readonly OrchestratorDefinition[];
  /** The activities they call. Default none (`callHttp` is always there). */
  activities?: readonly ActivityDefinition[] | undefined;
  /**
   * 0: one Durable Object per instance; N (1 to 4096): instances spread over N partition objects.
   * Default: the `INSTANCE_PARTITIONS` variable, else 0. Fixed once a deployment holds data.
   */
  partitions?: number | undefined;
  /** Index shards (1 to 256). Default: the `INDEX_SHARDS` variable, else 8. Fixed once a deployment holds data. */
  indexShards?: number | undefined;
  /**
   * The management key, read per request: when it returns a non-empty string, every route needs it
   * (`Authorization: Bearer`, `x-functions-key` or `?code=`). Default: the secret `DURABLE_EDGE_KEY`.
   */
  managementKey?: ((env: E) => string | undefined) | undefined;
  /** Where the management API lives. Default `/runtime/webhooks/durabletask`. */
  basePath?: string | undefined;
  /**
   * The HTTP starters (`durable-edge/http`'s `StarterOptions`), or `false` for none. Default: the
   * generic `POST /api/orchestrators/{name}[/{instanceId}]` and no fixed starters.
   */
  starters?: false | StarterOptions | undefined;
  /** An activity's lease, in seconds (at least 3). Default: `ACTIVITY_LEASE_SECONDS`, else 300. */
  activityLeaseSeconds?: number | undefined;
  /** How long one activity may run, in seconds. Default: `ACTIVITY_TIMEOUT_SECONDS`, else 1800. */
  activityTimeoutSeconds?: number | undefined;
  /** The names of the two Durable Object bindings. Default `{ instances: "INSTANCES", index: "INDEX" }`. */
  bindings?: BindingNames | undefined;
}

/** What one env resolves to: where things live, and the activity limits. */
export interface Settings extends Placement {
  readonly leaseMs: number;
  readonly timeoutMs: number;
}

/** What the Worker's classes and handlers close over. Built once per `createDurableWorker`. */
export interface WorkerConfig {
  readonly orchestrators: readonly OrchestratorDefinition[];
  readonly activities: readonly ActivityDefinition[];
  /** The user's definitions (for clients and instance objects). */
  readonly registry: Registry;
  readonly bindings: Required<BindingNames>;
  /** The env's settings, cached per env object; throws `WorkerMisconfiguredError` when the env cannot work. */
  settings(env: object): Settings;
}

const OPTION_NAMES: readonly string[] = [
  "orchestrators",
  "activities",
  "partitions",
  "indexShards",
  "managementKey",
  "basePath",
  "starters",
  "activityLeaseSeconds",
  "activityTimeoutSeconds",
  "bindings",
];

/** Checks the options (a `TypeError` that names the option) and builds the config. */
export function resolveConfig<E extends object>(options: DurableWorkerOptions<E>): WorkerConfig {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("createDurableWorker needs options: createDurableWorker({ orchestrators: [...], activities: [...] }).");
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key)) throw new TypeError(`createDurableWorker: unknown option '${key}'. Options: ${OPTION_NAMES.join(", ")}.`);
  }
  const orchestrators = definitions<OrchestratorDefinition>(options.orchestrators, "orchestrators", "orchestrator", true);
  const activities = definitions<ActivityDefinition>(options.activities ?? [], "activities", "activity", false);
  const registry = new Registry(orchestrators, activities);
  const partitions = integer(options.partitions, "partitions", 0, MAX_INSTANCE_PARTITIONS);
  const indexShards = integer(options.indexShards, "indexShards", 1, MAX_INDEX_SHARDS);
  const leaseSeconds = seconds(options.activityLeaseSeconds, "activityLeaseSeconds", MIN_LEASE_SECONDS);
  const timeoutSeconds = seconds(options.activityTimeoutSeconds, "activityTimeoutSeconds", MIN_TIMEOUT_SECONDS);
  if (options.managementKey !== undefined && typeof options.managementKey !== "function") {
    throw new TypeError("createDurableWorker: managementKey must be a function of the env returning the key, e.g. (env) => env.MY_KEY.");
  }
  if (options.basePath !== undefined && typeof options.basePath !== "string") throw new TypeError("createDurableWorker: basePath must be a string such as '/runtime/webhooks/durabletask'.");
  checkStarters(options.starters, registry);
  const bindings = bindingNames(options.bindings);

  const cache = new WeakMap<object, Settings | WorkerMisconfiguredError>();
  const resolve = (env: object): Settings | WorkerMisconfiguredError => {
    const vars = env as Record<string, unknown>;
    const problems: BindingProblem[] = [];
    const namespace = <T>(name: string, className: string, role: string): T | undefined => {
      const found = vars[name];
      if (isNamespace(found)) return found as T;
      problems.push({ name, className, role, found });
      return undefined;
    };
    const instances = namespace<Settings["instances"]>(bindings.instances, INSTANCE_CLASS, "where orchestration instances live");
    const index = namespace<Settings["index"]>(bindings.index, INDEX_CLASS, "the instance index");
    if (!instances || !index) return new WorkerMisconfiguredError(bindingsMessage(problems));
    try {
      return {
        instances,
        index,
        partitions: partitions ?? setting(() => instancePartitionCount(vars), "INSTANCE_PARTITIONS", "partitions"),
        shards: indexShards ?? setting(() => indexShardCount(vars), "INDEX_SHARDS", "indexShards"),
        leaseMs: leaseSeconds !== undefined ? leaseSeconds * 1000 : setting(() => activityLeaseMs(vars), "ACTIVITY_LEASE_SECONDS", "activityLeaseSeconds"),
        timeoutMs: timeoutSeconds !== undefined ? timeoutSeconds * 1000 : setting(() => activityTimeoutMs(vars), "ACTIVITY_TIMEOUT_SECONDS", "activityTimeoutSeconds"),
      };
    } catch (error) {
      if (error instanceof WorkerMisconfiguredError) return error;
      throw error;
    }
  };

  return {
    orchestrators,
    activities,
    registry,
    bindings,
    settings(env) {
      let settings = cache.get(env);
      if (!settings) {
        settings = resolve(env);
        cache.set(env, settings);
      }
      if (settings instanceof WorkerMisconfiguredError) throw settings;
      return settings;
    },
  };
}

function definitions<D extends OrchestratorDefinition | ActivityDefinition>(value: unknown, option: string, kind: D["kind"], required: boolean): readonly D[] {
  const example = `${kind}("Name", ${kind === "orchestrator" ? "function* (ctx) { … }" : "(input) => …"})`;
  if (!Array.isArray(value)) throw new TypeError(`createDurableWorker: ${option} must be an array of ${kind} definitions (${example}).`);
  if (required && value.length === 0) throw new TypeError(`createDurableWorker: ${option} must hold at least one ${kind} definition (${example}).`);
  value.forEach((d: unknown, i) => {
    const def = d as Partial<D> | null;
    if (typeof def !== "object" || def === null || def.kind !== kind || typeof def.name !== "string" || typeof def.fn !== "function") {
      throw new TypeError(`createDurableWorker: ${option}[${i}] is not an ${kind} definition; build it with ${example}.`);
    }
  });
  return [...(value as D[])];
}

function integer(value: unknown, option: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`createDurableWorker: ${option} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}.`);
  }
  return value;
}

function seconds(value: unknown, option: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new TypeError(`createDurableWorker: ${option} must be a number of seconds, at least ${min}; got ${JSON.stringify(value)}.`);
  }
  return value;
}

function checkStarters(starters: unknown, registry: Registry): void {
  if (starters === undefined || starters === false) return;
  if (typeof starters !== "object" || starters === null) throw new TypeError("createDurableWorker: starters must be false or { prefix?, fixed?, generic? }.");
  const { fixed, generic, prefix } = starters as StarterOptions;
  if (prefix !== undefined && typeof prefix !== "string") throw new TypeError("createDurableWorker: starters.prefix must be a path such as '/api'.");
  if (generic !== undefined && typeof generic !== "boolean") throw new TypeError("createDurableWorker: starters.generic must be true or false.");
  if (fixed === undefined) return;
  if (typeof fixed !== "object" || fixed === null) throw new TypeError("createDurableWorker: starters.fixed must map routes to orchestrator names, e.g. { Start: 'MyOrchestrator' }.");
  for (const [route, name] of Object.entries(fixed)) {
    if (typeof name !== "string" || !registry.orchestrator(name)) {
      throw new TypeError(
        `createDurableWorker: starters.fixed.${route} names the orchestrator ${JSON.stringify(name)}, which is not in orchestrators (${registry.orchestratorNames().join(", ")}).`,
      );
    }
  }
}

function bindingNames(value: unknown): { instances: string; index: string } {
  if (value !== undefined && (typeof value !== "object" || value === null)) throw new TypeError("createDurableWorker: bindings must be { instances?, index? }.");
  const given = (value ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (key !== "instances" && key !== "index") throw new TypeError(`createDurableWorker: unknown binding 'bindings.${key}'; there are bindings.instances and bindings.index.`);
  }
  const name = (key: keyof BindingNames, fallback: string): string => {
    const v = given[key] ?? fallback;
    if (typeof v !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) {
      throw new TypeError(`createDurableWorker: bindings.${key} must be a binding name such as '${fallback}', got ${JSON.stringify(v)}.`);
    }
    return v;
  };
  const names = { instances: name("instances", "INSTANCES"), index: name("index", "INDEX") };
  if (names.instances === names.index) throw new TypeError(`createDurableWorker: bindings.instances and bindings.index must differ (both are '${names.index}').`);
  return names;
}

function isNamespace(value: unknown): boolean {
  const ns = value as Partial<DurableObjectNamespace> | null | undefined;
  return typeof ns === "object" && ns !== null && typeof ns.idFromName === "function" && typeof ns.get === "function";
}

function setting(read: () => number, variable: string, option: string): number {
  try {
    return read();
  } catch (error) {
    if (error instanceof RangeError) throw new WorkerMisconfiguredError(settingMessage(error.message, variable, option));
    throw error;
  }
}
