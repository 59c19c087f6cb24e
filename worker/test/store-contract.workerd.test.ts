/**
 * The shared store contract on the SQLite storage of a real Durable Object (workerd). Each store
 * runs in a fresh object; every call executes inside that object (`runInDurableObject`).
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describeStoreContract } from "../../adapters/contract/store-contract.ts";
import { createDurableObjectStore, type DurableObjectStore, type DurableObjectStoreOptions } from "../../adapters/durable-object/index.ts";
import type { Store } from "../../src/index.ts";

function storeInFreshObject(options: DurableObjectStoreOptions): Store {
  const stub = env.INSTANCES.get(env.INSTANCES.newUniqueId());
  let store: DurableObjectStore | undefined;
  const call =
    (method: keyof Store) =>
    (...args: unknown[]): Promise<unknown> =>
      runInDurableObject(stub, (_instance, state) => {
        store ??= createDurableObjectStore(state.storage, options);
        return (store[method] as (...a: unknown[]) => Promise<unknown>).apply(store, args);
      });
  return {
    createInstance: call("createInstance"),
    getInstance: call("getInstance"),
    getHistory: call("getHistory"),
    loadSteps: call("loadSteps"),
    commitSteps: call("commitSteps"),
    appendMessages: call("appendMessages"),
    claimWork: call("claimWork"),
    completeActivity: call("completeActivity"),
    nextWakeAt: call("nextWakeAt"),
    listInstances: call("listInstances"),
    purgeInstance: call("purgeInstance"),
    exportInstance: call("exportInstance"),
    importInstance: call("importInstance"),
    importInstances: call("importInstances"),
    close: call("close"),
  } as unknown as Store;
}

describeStoreContract("durable-object (SQLite, workerd)", () => storeInFreshObject({ name: "contract" }));
describeStoreContract("durable-object, write-behind completions (SQLite, workerd)", () =>
  storeInFreshObject({ name: "contract-write-behind", completions: "write-behind" }),
);
