/**
 * @module worker/routing — where things live: each instance in the Durable Object named by its id
 * (or, with partitions, in the partition chosen by a hash of the id), each index entry in the shard
 * chosen by a hash of the id. A `Placement` is resolved once per env (`WorkerConfig.settings`).
 */
import type { DurableEdgeVars } from "./env.ts";
import type { IndexShard } from "./index-shard.ts";
import type { InstanceObject } from "./instance-object.ts";

export const DEFAULT_INDEX_SHARDS = 8;
export const MAX_INDEX_SHARDS = 256;
export const MAX_INSTANCE_PARTITIONS = 4096;

/** The namespaces (whatever their binding names) and how instances and index entries spread over them. */
export interface Placement {
  readonly instances: DurableObjectNamespace<InstanceObject>;
  readonly index: DurableObjectNamespace<IndexShard>;
  /** 0: one object per instance; N: N partition objects. */
  readonly partitions: number;
  readonly shards: number;
}

/** `INDEX_SHARDS` (default 8). */
export function indexShardCount(env: Pick<DurableEdgeVars, "INDEX_SHARDS">): number {
  const n = Number(env.INDEX_SHARDS ?? DEFAULT_INDEX_SHARDS);
  if (!Number.isInteger(n) || n < 1 || n > MAX_INDEX_SHARDS) {
    throw new RangeError(`INDEX_SHARDS must be an integer from 1 to ${MAX_INDEX_SHARDS}, got '${env.INDEX_SHARDS}'.`);
  }
  return n;
}

/** `INSTANCE_PARTITIONS`. 0: one object per instance; N: instances spread over N partition objects by a hash of their id. */
export function instancePartitionCount(env: Pick<DurableEdgeVars, "INSTANCE_PARTITIONS">): number {
  const raw = env.INSTANCE_PARTITIONS;
  if (raw === undefined || raw === "") return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > MAX_INSTANCE_PARTITIONS) {
    throw new RangeError(`INSTANCE_PARTITIONS must be an integer from 0 (one object per instance) to ${MAX_INSTANCE_PARTITIONS}, got '${raw}'.`);
  }
  return n;
}

/** The name of the Durable Object that holds `instanceId`. */
export function instanceObjectName(instanceId: string, partitions: number): string {
  return partitions === 0 ? instanceId : partitionName(hashId(instanceId) % partitions);
}

/** The name of partition object `k`. */
export function partitionName(k: number): string {
  return `partition-${k}`;
}

/** FNV-1a over the UTF-16 code units: stable across isolates and deployments. */
export function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function indexShardName(instanceId: string, shards: number): string {
  return `index-${hashId(instanceId) % shards}`;
}

export function instanceStub(placement: Pick<Placement, "instances" | "partitions">, instanceId: string) {
  return placement.instances.get(placement.instances.idFromName(instanceObjectName(instanceId, placement.partitions)));
}

export function indexStub(placement: Pick<Placement, "index">, shardName: string) {
  return placement.index.get(placement.index.idFromName(shardName));
}
