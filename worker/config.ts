/**
 * @module worker/config — the options of `createDurableWorker`, checked once when it is called,
 * and what the Worker's classes close over: the user's definitions, their registry, and the
 * settings of an env (bindings, partitions, shards, leases), resolved once per env object.
 */
import { Registry, type ActivityDefinition, type EntityDefinition, type OrchestratorDefinition } from "../src/index.ts";
import { ACCESS_MODES, keyProblem, type AccessMode } from "./http/access.ts";
import { DEFAULT_SIGNED_URL_TTL_SECONDS, baseUrlProblem, originProblem, ttlProblem } from "./http/options.ts";
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
   * Durable entities (`entity("Name", fn | class)`), registered in every instance object. Each
   * entity `@name@key` lives in a Durable Object as an instance does (its partition, or its own
   * object). Default none: a signal or call to an entity then fails with `UnknownEntity`.
   */
  entities?: readonly EntityDefinition<any>[] | undefined;
  /**
   * How every instance object runs entity batches (the core's `createRuntime({ entityOperations })`):
   * `maxBatchSize`, the operations one batch runs before it commits (default 1000); `timeoutMs`,
   * how long one async operation may run before it fails and is rolled back (default 30,000).
   */
  entityOperations?: EntityOperationOptions | undefined;
  /**
   * 0: one Durable Object per instance; N (1 to 4096): instances spread over N partition objects.
   * Default: the `INSTANCE_PARTITIONS` variable, else 0. Fixed once a deployment holds data.
   */
  partitions?: number | undefined;
  /** Index shards (1 to 256). Default: the `INDEX_SHARDS` variable, else 8. Fixed once a deployment holds data. */
  indexShards?: number | undefined;
  /**
   * The management key, read per request: when it returns a non-empty string, every route needs it
   * (`Authorization: Bearer` or `x-functions-key`) or a signed URL the API handed out. At least 16
   * characters (e.g. `openssl rand -base64 32`). Default: the secret `DURABLE_EDGE_KEY`.
   */
  managementKey?: ((env: E) => string | undefined) | undefined;
  /** The key before a rotation, accepted as well (URLs it signed stay valid). Default: the secret `DURABLE_EDGE_PREVIOUS_KEY`. */
  previousManagementKey?: ((env: E) => string | undefined) | undefined;
  /** A key that may only read (statuses, lists, the OpenAPI document). Default: the secret `DURABLE_EDGE_READ_KEY`. */
  readOnlyKey?: ((env: E) => string | undefined) | undefined;
  /**
   * Who may call when no key is set: `"loopback"` only local requests (`wrangler dev` on 127.0.0.1,
   * tests; never a request through Cloudflare's edge), `"open"` everyone, `"key"` no one.
   * Default: the `DURABLE_EDGE_ACCESS` variable, else `"loopback"`.
   */
  access?: AccessMode | undefined;
  /** Accept the key as `?code=<key>` too. Default: `DURABLE_EDGE_KEY_IN_QUERY`, else false. */
  acceptKeyInQuery?: boolean | undefined;
  /** The public origin (and path prefix) of the URLs the API hands out. Default: `DURABLE_EDGE_BASE_URL`, else the request's origin. */
  baseUrl?: string | undefined;
  /** Origins allowed to call cross-origin (CORS). Default: `DURABLE_EDGE_CORS_ORIGINS` (comma-separated), else none. */
  cors?: readonly string[] | undefined;
  /** How long signed URLs stay valid, in seconds. Default: `DURABLE_EDGE_SIGNED_URL_TTL_SECONDS`, else 604800 (7 days). */
  signedUrlTtlSeconds?: number | undefined;
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

/** Entity batches: the core's `RuntimeOptions["entityOperations"]`. */
export interface EntityOperationOptions {
  /** Operations one batch runs before it commits (a whole number, at least 1). Default 1000. */
  maxBatchSize?: number | undefined;
  /** How long one async operation may run, in ms (at least 1). Default 30,000. */
  timeoutMs?: number | undefined;
}

/** What one env resolves to: where things live, and the activity limits. */
export interface Settings extends Placement {
  readonly leaseMs: number;
  readonly timeoutMs: number;
}

/** The management API's settings of one env: the options, else the `[vars]`, else the defaults. */
export interface HttpSettings {
  readonly access: AccessMode;
  readonly acceptKeyInQuery: boolean;
  readonly baseUrl: string | undefined;
  readonly cors: readonly string[];
  readonly signedUrlTtlSeconds: number;
}

/** What the Worker's classes and handlers close over. Built once per `createDurableWorker`. */
export interface WorkerConfig {
  readonly orchestrators: readonly OrchestratorDefinition[];
  readonly activities: readonly ActivityDefinition[];
  readonly entities: readonly EntityDefinition<any>[];
  /** How the instance objects' runtimes run entity batches (checked; only the options given). */
  readonly entityOperations: EntityOperationOptions;
  /** The user's definitions (for clients and instance objects). */
  readonly registry: Registry;
  readonly bindings: Required<BindingNames>;
  /** The env's settings, cached per env object; throws `WorkerMisconfiguredError` when the env cannot work. */
  settings(env: object): Settings;
  /** The env's management API settings, cached per env object; throws `WorkerMisconfiguredError` for a bad variable. */
  http(env: object): HttpSettings;
  /** The env's keys (undefined when unset), each checked; throws `WorkerMisconfiguredError` for a key that cannot be safe. */
  keys(env: object): { key: string | undefined; previousKey: string | undefined; readOnlyKey: string | undefined };
}

const OPTION_NAMES: readonly string[] = [
  "orchestrators",
  "activities",
  "entities",
  "entityOperations",
  "partitions",
  "indexShards",
  "managementKey",
  "previousManagementKey",
  "readOnlyKey",
  "access",
  "acceptKeyInQuery",
  "baseUrl",
  "cors",
  "signedUrlTtlSeconds",
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
  const entities = entityDefinitions(options.entities);
  const entityOperations = entityOperationOptions(options.entityOperations);
  const registry = registryOf(orchestrators, activities, entities);
  const partitions = integer(options.partitions, "partitions", 0, MAX_INSTANCE_PARTITIONS);
  const indexShards = integer(options.indexShards, "indexShards", 1, MAX_INDEX_SHARDS);
  const leaseSeconds = seconds(options.activityLeaseSeconds, "activityLeaseSeconds", MIN_LEASE_SECONDS);
  const timeoutSeconds = seconds(options.activityTimeoutSeconds, "activityTimeoutSeconds", MIN_TIMEOUT_SECONDS);
  for (const name of ["managementKey", "previousManagementKey", "readOnlyKey"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "function") {
      throw new TypeError(`createDurableWorker: ${name} must be a function of the env returning the key, e.g. (env) => env.MY_KEY.`);
    }
  }
  const httpOptions = checkHttpOptions(options);
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

  const httpCache = new WeakMap<object, HttpSettings | WorkerMisconfiguredError>();
  const keySources = [
    ["key", options.managementKey, "DURABLE_EDGE_KEY", "managementKey"],
    ["previousKey", options.previousManagementKey, "DURABLE_EDGE_PREVIOUS_KEY", "previousManagementKey"],
    ["readOnlyKey", options.readOnlyKey, "DURABLE_EDGE_READ_KEY", "readOnlyKey"],
  ] as const;

  return {
    orchestrators,
    activities,
    entities,
    entityOperations,
    registry,
    bindings,
    http(env) {
      let http = httpCache.get(env);
      if (!http) {
        try {
          http = resolveHttp(httpOptions, env as Record<string, unknown>);
        } catch (error) {
          if (!(error instanceof WorkerMisconfiguredError)) throw error;
          http = error;
        }
        httpCache.set(env, http);
      }
      if (http instanceof WorkerMisconfiguredError) throw http;
      return http;
    },
    keys(env) {
      const found: Record<string, string | undefined> = {};
      for (const [field, source, variable, option] of keySources) {
        const value: unknown = source ? (source as (env: object) => unknown)(env) : (env as Record<string, unknown>)[variable];
        if (value === undefined || value === null || value === "") {
          found[field] = undefined;
          continue;
        }
        const why = typeof value === "string" ? keyProblem(value) : `is not a string (${typeof value})`;
        if (why) {
          throw new WorkerMisconfiguredError(
            source
              ? `The key ${option} returns ${why}. Fix ${option} in createDurableWorker.`
              : `${variable} ${why}. Set it again: npx wrangler secret put ${variable} (locally: ${variable}=… in .dev.vars), or pass ${option} to createDurableWorker.`,
          );
        }
        found[field] = value as string;
      }
      if (!found.key && (found.previousKey || found.readOnlyKey)) {
        throw new WorkerMisconfiguredError(
          `${found.previousKey ? "DURABLE_EDGE_PREVIOUS_KEY (previousManagementKey)" : "DURABLE_EDGE_READ_KEY (readOnlyKey)"} is set, but no management key: set DURABLE_EDGE_KEY (npx wrangler secret put DURABLE_EDGE_KEY), or pass managementKey.`,
        );
      }
      if (found.key && found.readOnlyKey === found.key) throw new WorkerMisconfiguredError("The read-only key (DURABLE_EDGE_READ_KEY) is the management key: give it a key of its own.");
      return { key: found.key, previousKey: found.previousKey, readOnlyKey: found.readOnlyKey };
    },
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

function entityDefinitions(value: unknown): readonly EntityDefinition<any>[] {
  const example = `entity("Name", (ctx) => { … }) or entity("Name", SomeClass)`;
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new TypeError(`createDurableWorker: entities must be an array of entity definitions (${example}).`);
  value.forEach((d: unknown, i) => {
    const def = d as Partial<EntityDefinition> | null;
    const handler = def?.fn ?? def?.entityClass;
    if (typeof def !== "object" || def === null || def.kind !== "entity" || typeof def.name !== "string" || typeof handler !== "function") {
      throw new TypeError(`createDurableWorker: entities[${i}] is not an entity definition; build it with ${example}.`);
    }
  });
  return [...(value as EntityDefinition<any>[])];
}

/** `entityOperations`: only `maxBatchSize` (a whole number ≥ 1) and `timeoutMs` (ms, ≥ 1, at most what a timer can wait). */
function entityOperationOptions(value: unknown): EntityOperationOptions {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError("createDurableWorker: entityOperations must be { maxBatchSize?, timeoutMs? }, e.g. { maxBatchSize: 100, timeoutMs: 10_000 }.");
  }
  const given = value as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (key !== "maxBatchSize" && key !== "timeoutMs") throw new TypeError(`createDurableWorker: unknown option 'entityOperations.${key}'; there are entityOperations.maxBatchSize and entityOperations.timeoutMs.`);
  }
  const { maxBatchSize, timeoutMs } = given;
  if (maxBatchSize !== undefined && (typeof maxBatchSize !== "number" || !Number.isSafeInteger(maxBatchSize) || maxBatchSize < 1)) {
    throw new TypeError(`createDurableWorker: entityOperations.maxBatchSize must be a whole number of operations, at least 1, got ${JSON.stringify(maxBatchSize)}.`);
  }
  if (timeoutMs !== undefined && (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMER_MS)) {
    throw new TypeError(`createDurableWorker: entityOperations.timeoutMs must be a number of milliseconds from 1 to ${MAX_TIMER_MS}, got ${JSON.stringify(timeoutMs)}.`);
  }
  return { ...(maxBatchSize !== undefined ? { maxBatchSize } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
}

/** The longest a timer can wait (setTimeout's limit): an operation timeout beyond it would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** The registry of the definitions; a name used twice is a `TypeError` that says which option. */
function registryOf(orchestrators: readonly OrchestratorDefinition[], activities: readonly ActivityDefinition[], entities: readonly EntityDefinition<any>[]): Registry {
  try {
    return new Registry(orchestrators, activities, entities);
  } catch (error) {
    if (error instanceof TypeError) throw new TypeError(`createDurableWorker: ${error.message}`);
    throw error;
  }
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

type HttpOptions = Partial<Record<keyof HttpSettings, unknown>>;

function checkHttpOptions(options: DurableWorkerOptions<never>): HttpOptions {
  const fail = (option: string, why: string) => {
    throw new TypeError(`createDurableWorker: ${option} ${why}.`);
  };
  const { access, acceptKeyInQuery, baseUrl, cors, signedUrlTtlSeconds } = options;
  if (access !== undefined && !(ACCESS_MODES as readonly unknown[]).includes(access)) fail("access", `must be one of ${ACCESS_MODES.map((m) => `'${m}'`).join(", ")}, got ${JSON.stringify(access)}`);
  if (acceptKeyInQuery !== undefined && typeof acceptKeyInQuery !== "boolean") fail("acceptKeyInQuery", `must be true or false, got ${JSON.stringify(acceptKeyInQuery)}`);
  if (baseUrl !== undefined) {
    const why = baseUrlProblem(baseUrl);
    if (why) fail("baseUrl", why);
  }
  if (cors !== undefined) {
    if (!Array.isArray(cors)) fail("cors", "must be an array of origins such as ['https://dash.example']");
    cors.forEach((origin, i) => {
      const why = originProblem(origin);
      if (why) fail(`cors[${i}]`, why);
    });
  }
  if (signedUrlTtlSeconds !== undefined) {
    const why = ttlProblem(signedUrlTtlSeconds);
    if (why) fail("signedUrlTtlSeconds", why);
  }
  return { access, acceptKeyInQuery, baseUrl, cors, signedUrlTtlSeconds };
}

/** An env's management settings: each option, else its variable (checked; a bad one names itself), else the default. */
function resolveHttp(options: HttpOptions, vars: Record<string, unknown>): HttpSettings {
  const variable = (name: string): string | undefined => {
    const v = vars[name];
    if (v === undefined || v === null) return undefined;
    const text = String(v).trim();
    return text === "" ? undefined : text;
  };
  const bad = (name: string, option: string, why: string): never => {
    throw new WorkerMisconfiguredError(settingMessage(`${name} ${why}.`, name, option));
  };
  const access = (options.access as AccessMode | undefined) ?? (() => {
    const raw = variable("DURABLE_EDGE_ACCESS");
    if (raw === undefined) return "loopback";
    const mode = raw.toLowerCase();
    return (ACCESS_MODES as readonly string[]).includes(mode) ? (mode as AccessMode) : bad("DURABLE_EDGE_ACCESS", "access", `must be one of ${ACCESS_MODES.join(", ")}, got '${raw}'`);
  })();
  const acceptKeyInQuery = (options.acceptKeyInQuery as boolean | undefined) ?? (() => {
    const raw = variable("DURABLE_EDGE_KEY_IN_QUERY");
    if (raw === undefined) return false;
    const v = raw.toLowerCase();
    if (v === "true" || v === "1") return true;
    if (v === "false" || v === "0") return false;
    return bad("DURABLE_EDGE_KEY_IN_QUERY", "acceptKeyInQuery", `must be true or false, got '${raw}'`);
  })();
  const baseUrl = (options.baseUrl as string | undefined) ?? (() => {
    const raw = variable("DURABLE_EDGE_BASE_URL");
    if (raw === undefined) return undefined;
    const why = baseUrlProblem(raw);
    return why ? bad("DURABLE_EDGE_BASE_URL", "baseUrl", why) : raw;
  })();
  const cors = (options.cors as readonly string[] | undefined) ?? (() => {
    const raw = variable("DURABLE_EDGE_CORS_ORIGINS");
    if (raw === undefined) return [];
    const origins = raw.split(",").map((o) => o.trim()).filter((o) => o !== "");
    for (const origin of origins) {
      const why = originProblem(origin);
      if (why) bad("DURABLE_EDGE_CORS_ORIGINS", "cors", `(comma-separated origins): ${origin} ${why}`);
    }
    return origins;
  })();
  const signedUrlTtlSeconds = (options.signedUrlTtlSeconds as number | undefined) ?? (() => {
    const raw = variable("DURABLE_EDGE_SIGNED_URL_TTL_SECONDS");
    if (raw === undefined) return DEFAULT_SIGNED_URL_TTL_SECONDS;
    const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
    const why = ttlProblem(n);
    return why ? bad("DURABLE_EDGE_SIGNED_URL_TTL_SECONDS", "signedUrlTtlSeconds", why.replace("got NaN", `got '${raw}'`)) : n;
  })();
  return { access, acceptKeyInQuery, baseUrl, cors, signedUrlTtlSeconds };
}
