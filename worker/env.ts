/** @module worker/env — the bindings the Worker is configured with (see `wrangler.toml`). */
import type { IndexShard } from "./index-shard.ts";
import type { InstanceObject } from "./instance-object.ts";

export interface Env {
  /** One Durable Object per orchestration instance, named by the instance id. */
  INSTANCES: DurableObjectNamespace<InstanceObject>;
  /** The sharded instance index (`index-0` … `index-{N-1}`). */
  INDEX: DurableObjectNamespace<IndexShard>;
  /** Number of index shards (default 8). Changing it on a deployment with data re-shards nothing: keep it fixed. */
  INDEX_SHARDS?: string;
  /** When set, the management API requires this key (`Authorization: Bearer`, `x-functions-key` or `?code=`). */
  DURABLE_EDGE_KEY?: string;
}
