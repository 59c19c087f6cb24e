/**
 * @module worker/routing — where things live: each instance in the Durable Object named by its id
 * (or, with `INSTANCE_PARTITIONS`, in the partition chosen by a hash of the id), each index entry in
 * the shard chosen by a hash of the id.
 */
import type { Env } from "./env.ts";

export const DEFAULT_INDEX_SHARDS = 8;
export const MAX_INSTANCE_PARTITIONS = 4096;

export function indexShardCount(env: Pick<Env, "INDEX_SHARDS">): number {
  const n = Number(env.INDEX_SHARDS ?? DEFAULT_INDEX_SHARDS);
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new RangeError(`INDEX_SHARDS must be an integer from 1 to 256, got '${env.INDEX_SHARDS}'.`);
  }
  return n;
}

/** 0: one object per instance; N: instances spread over N partition objects by a hash of their id. */
export function instancePartitionCount(env: Pick<Env, "INSTANCE_PARTITIONS">): number {
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

export function instanceStub(env: Pick<Env, "INSTANCES" | "INSTANCE_PARTITIONS">, instanceId: string) {
  return env.INSTANCES.get(env.INSTANCES.idFromName(instanceObjectName(instanceId, instancePartitionCount(env))));
}

export function indexStub(env: Pick<Env, "INDEX">, shardName: string) {
  return env.INDEX.get(env.INDEX.idFromName(shardName));
}
