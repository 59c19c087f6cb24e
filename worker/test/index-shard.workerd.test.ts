/** The instance index shard: versioned updates, purge tombstones, and their pruning. */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { row } from "../../adapters/contract/store-contract.ts";
import { DEFAULT_RETENTION_MS } from "../../adapters/durable-object/index.ts";

const T0 = Date.UTC(2026, 0, 1);

describe("index shard", () => {
  it("keeps a purge's tombstone against late updates for the retention period, then prunes it", async () => {
    const shard = env.INDEX.get(env.INDEX.idFromName(`test-shard-${crypto.randomUUID()}`));
    await runInDurableObject(shard, async (s, state) => {
      const entries = () =>
        state.storage.sql
          .exec<{ instance_id: string; record: string | null }>(`SELECT instance_id, record FROM entries ORDER BY instance_id`)
          .toArray()
          .map((r) => [r.instance_id, r.record === null ? "tombstone" : "entry"]);
      expect(await s.apply([{ instanceId: "a", version: 1, record: row("a") }], T0)).toBe(1);
      expect(await s.apply([{ instanceId: "a", version: 2, record: null }], T0 + 1)).toBe(1); // purged
      expect(await s.apply([{ instanceId: "a", version: 1, record: row("a") }], T0 + 2)).toBe(0); // a late update stays out
      expect(entries()).toEqual([["a", "tombstone"]]);
      expect((await s.list({ limit: 10 })).items).toEqual([]);
      expect(await s.apply([{ instanceId: "b", version: 3, record: row("b") }], T0 + 1 + DEFAULT_RETENTION_MS + 1)).toBe(1);
      expect(entries()).toEqual([["b", "entry"]]);
    });
  });
});
