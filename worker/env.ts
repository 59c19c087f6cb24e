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
   * When set, the management API requires this key (`Authorization: Bearer`, `x-functions-key` or
   * `?code=`). A secret: `wrangler secret put DURABLE_EDGE_KEY`. (Option `managementKey`.)
   */
  DURABLE_EDGE_KEY?: string;
}

/** The Worker's environment with the default binding names (`INSTANCES`, `INDEX`). */
export interface Env extends DurableEdgeVars {
  /** The objects that hold orchestration instances: one per instance (named by its id), or per partition. */
  INSTANCES: DurableObjectNamespace<InstanceObject>;
  /** The sharded instance index (`index-0` … `index-{N-1}`). */
  INDEX: DurableObjectNamespace<IndexShard>;
}
