/**
 * @module simulator/node-harnesses — the stores the simulator runs on in Node: memory, and
 * IndexedDB on fake-indexeddb. A crash of the IndexedDB store opens a new store object over the
 * same fake-indexeddb factory (the database survives; the store's memory does not).
 */
import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { createIndexedDbStore, type IndexedDbStore } from "../../adapters/indexeddb/index.ts";
import { memoryHarness } from "./runner.ts";
import type { HarnessFactory, StoreKind } from "./simulation.ts";

const WRITES = new Set(["createInstance", "commitSteps", "runSteps", "appendMessages", "completeActivity", "claimWork", "purgeInstance"]);

/**
 * IndexedDB on a fresh fake-indexeddb factory. With `signalled` (the browser host's setup), each
 * store object answers claims from memory while nothing else wrote, and every write is announced
 * to the other store objects (a zombie runtime's, the new one's) one driver round later, as a
 * BroadcastChannel message from another tab would be.
 */
export const indexedDbHarness: HarnessFactory = ({ profile }) => {
  const factory = new IDBFactory();
  const opened: IndexedDbStore[] = [];
  const announced = new Set<IndexedDbStore>();
  const signalled = profile.signalled;
  return {
    kind: "indexeddb",
    open: () => {
      const store = createIndexedDbStore({ name: "simulated", indexedDB: factory, externalWritesSignalled: signalled });
      opened.push(store);
      if (!signalled) return store;
      const announce = () => {
        for (const other of opened) if (other !== store) announced.add(other);
      };
      return new Proxy(store, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver) as unknown;
          if (typeof value !== "function" || typeof prop !== "string" || !WRITES.has(prop)) return typeof value === "function" ? value.bind(target) : value;
          return (...args: unknown[]) => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args).finally(announce);
        },
      });
    },
    tick: () => {
      for (const s of announced) s.invalidate();
      announced.clear();
    },
    dispose: async () => {
      // Only now, once the run is over: a crash abandons a store without closing (closing would flush what it holds).
      for (const s of opened) await s.close().catch(() => undefined);
    },
  };
};

export const nodeHarnesses: Record<Exclude<StoreKind, "durable-object">, HarnessFactory> = {
  memory: memoryHarness,
  indexeddb: indexedDbHarness,
};
