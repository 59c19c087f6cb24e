/** @module worker/env — the bindings the Worker is configured with (see `wrangler.toml`). */
import type { IndexShard } from "./index-shard.ts";
import type { InstanceObject } from "./instance-object.ts";

export interface Env {
  /** The objects that hold orchestration instances: one per instance (named by its id), or per partition. */
  INSTANCES: DurableObjectNamespace<InstanceObject>;
  /**
   * Unset or "0": one Durable Object per instance. N (1 to 4096): instances spread over N partition
   * objects by a hash of their id, so that steps of many instances share objects and commits.
   * Changing it on a deployment with data moves nothing: keep it fixed.
   */
  INSTANCE_PARTITIONS?: string;
  /** The sharded instance index (`index-0` … `index-{N-1}`). */
  INDEX: DurableObjectNamespace<IndexShard>;
  /** Number of index shards (default 8). Changing it on a deployment with data re-shards nothing: keep it fixed. */
  INDEX_SHARDS?: string;
  /**
   * How long a dispatched activity's lease lasts, in seconds (default 300, at least 3). The runner
   * renews the leases of the activities it runs every third of it; an activity whose runner died
   * is handed out again once its lease lapses.
   */
  ACTIVITY_LEASE_SECONDS?: string;
  /**
   * How long one activity may run, in seconds (default 1800). Then its runner gives up on it and
   * it fails with a `Timeout` error, which the orchestrator sees as a `TaskFailedError` (retry
   * it with `callActivityWithRetry`).
   */
  ACTIVITY_TIMEOUT_SECONDS?: string;
  /** When set, the management API requires this key (`Authorization: Bearer`, `x-functions-key` or `?code=`). */
  DURABLE_EDGE_KEY?: string;
}
