/**
 * Client signals to one entity arrive as one request each. The object lets the requests already
 * queued append before it runs the entity, so a steady stream of signals runs in few batches
 * instead of one batch (one commit) per signal: counted here in the entity object's commits
 * (about 200 for 200 signals; 380 when each signal ran its own batch).
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { entityId, entityInstanceId } from "../../src/index.ts";
import { counter } from "../../examples/index.ts";
import { instanceStub } from "../routing.ts";
import { placement } from "./helpers.ts";
import { edge } from "./test-worker.ts";

const client = edge.client(env);

describe("entity batches on Durable Objects", () => {
  it("runs a stream of 200 signals from 20 clients in far fewer batches than signals", async () => {
    const id = entityId(counter, `together-${crypto.randomUUID().slice(0, 8)}`);
    const stub = instanceStub(placement, entityInstanceId(id));
    const before = await stub.storeStats();
    // 20 clients, each sending its next signal once the last one was appended: a steady stream.
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        for (let i = 0; i < 10; i++) await client.signalEntity(id, "add", 1);
      }),
    );
    const deadline = Date.now() + 30_000;
    let state = await client.readEntityState<number>(id);
    while (state.entityState !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      state = await client.readEntityState<number>(id);
    }
    expect(state).toEqual({ entityExists: true, entityState: 200 });
    const after = await stub.storeStats();
    // One commit per append is the floor (each signal is its own request); a batch per signal would double it.
    const commits = after.transactions - before.transactions;
    expect(commits).toBeGreaterThanOrEqual(200);
    expect(commits).toBeLessThan(300);
  });
});
