/**
 * @module worker/env — the bindings and variables a Durable Edge Worker reads (see `wrangler.toml`).
 * The binding names are the defaults; `createDurableWorker({ bindings })` can rename them.
 */
import type { IndexShard } from "./index-shard.ts";
import type { InstanceObject } from "./instance-object.ts";

/**
 * The `[vars]` (and the secret) the Worker reads when the matching option of `createDurableWorker`
 * is not given. All optional.
 */
export interface DurableEdgeVars {
  /**
   * Unset or "0": one Durable Object per instance. N (1 to 4096): instances spread over N partition
   * objects by a hash of their id, so that steps of many instances share objects and commits.
   * Changing it on a deployment with data moves nothing: keep it fixed. (Option `partitions`.)
   */
  INSTANCE_PARTITIONS?: string;
  /** Number of index shards (default 8). Changing it on a deployment with data re-shards nothing: keep it fixed. (Option `indexShards`.) */
  INDEX_SHARDS?: string;
  /**
   * How long a dispatched activity's lease lasts, in seconds (default 300, at least 3). The runner
   * renews the leases of the activities it runs every third of it; an activity whose runner died
   * is handed out again once its lease lapses. (Option `activityLeaseSeconds`.)
   */
  ACTIVITY_LEASE_SECONDS?: string;
  /**
   * How long one activity may run, in seconds (default 1800). Then its runner gives up on it and
   * it fails with a `Timeout` error, which the orchestrator sees as a `TaskFailedError` (retry
   * it with `callActivityWithRetry`). (Option `activityTimeoutSeconds`.)
   */
  ACTIVITY_TIMEOUT_SECONDS?: string;
  /**
   * When set, the management API requires this key (`Authorization: Bearer` or `x-functions-key`)
   * or a signed URL it handed out. At least 16 characters (`openssl rand -base64 32`). A secret:
   * `wrangler secret put DURABLE_EDGE_KEY`. (Option `managementKey`.)
   */
  DURABLE_EDGE_KEY?: string;
  /** The key before a rotation, accepted too; URLs it signed stay valid. A secret. (Option `previousManagementKey`.) */
  DURABLE_EDGE_PREVIOUS_KEY?: string;
  /** A key that can only read (statuses, lists). A secret. (Option `readOnlyKey`.) */
  DURABLE_EDGE_READ_KEY?: string;
  /**
   * Without a key: `loopback` (default) serves only local requests (wrangler dev on 127.0.0.1, never
   * a request through Cloudflare's edge), `open` everyone, `key` no one. (Option `access`.)
   */
  DURABLE_EDGE_ACCESS?: string;
  /** "true": accept the key as `?code=<key>` too (default false). (Option `acceptKeyInQuery`.) */
  DURABLE_EDGE_KEY_IN_QUERY?: string;
  /** The public origin of the URLs the API hands out, e.g. `https://orders.example.com`. (Option `baseUrl`.) */
  DURABLE_EDGE_BASE_URL?: string;
  /** Comma-separated origins allowed to call cross-origin (CORS), e.g. `https://dash.example.com`. (Option `cors`.) */
  DURABLE_EDGE_CORS_ORIGINS?: string;
  /** How long signed URLs stay valid, in seconds (default 604800, 7 days). (Option `signedUrlTtlSeconds`.) */
  DURABLE_EDGE_SIGNED_URL_TTL_SECONDS?: string;
}

/** The Worker's environment with the default binding names (`INSTANCES`, `INDEX`). */
export interface Env extends DurableEdgeVars {
  /** The objects that hold orchestration instances: one per instance (named by its id), or per partition. */
  INSTANCES: DurableObjectNamespace<InstanceObject>;
  /** The sharded instance index (`index-0` … `index-{N-1}`). */
  INDEX: DurableObjectNamespace<IndexShard>;
}
