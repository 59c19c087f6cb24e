/**
 * The page the Chromium tests load. `?db=<name>` starts a browser runtime on that database at once
 * (as an app would on load); without it, the page only exposes the helpers. Tests drive it through
 * `window.durableTest`.
 */
import { samples } from "../../../examples/index.ts";
import { describeStoreContract } from "../../contract/store-contract.ts";
import type { InstanceRecord } from "../../../src/store.ts";
import { createBrowserRuntime, type BrowserRuntime } from "../browser.ts";
import { createIndexedDbStore } from "../indexeddb-store.ts";
import { testActivities, testOrchestrators } from "./test-orchestrations.ts";
import { runRegisteredCases } from "./vitest-shim.ts";

const params = new URLSearchParams(location.search);
const dbName = params.get("db");
/** The last status this tab saw for each instance through `onChange` (live updates). */
const seen: Record<string, InstanceRecord["runtimeStatus"]> = {};

let runtime: BrowserRuntime | null = null;
if (dbName) {
  runtime = createBrowserRuntime({
    dbName,
    orchestrators: [...samples.orchestrators, ...testOrchestrators],
    activities: [...samples.activities, ...testActivities],
  });
  runtime.onChange((row) => (seen[row.instanceId] = row.runtimeStatus));
}

let contractDbs = 0;
const api = {
  runtime,
  seen,
  /** The shared store contract, against this browser's real IndexedDB. */
  async runContract() {
    const prefix = `contract-${Date.now()}`;
    describeStoreContract("indexeddb (Chromium)", () => createIndexedDbStore({ name: `${prefix}-${++contractDbs}` }));
    return runRegisteredCases();
  },
  /** Reads a database without starting a runtime (so nothing gets processed). */
  async peek(name: string, instanceId: string) {
    const store = createIndexedDbStore({ name });
    try {
      return { instance: await store.getInstance(instanceId), history: await store.getHistory(instanceId), nextWakeAt: await store.nextWakeAt() };
    } finally {
      await store.close();
    }
  },
  runCounts() {
    const counts: Record<string, number> = {};
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i)!;
      if (key.startsWith("runs|")) counts[key.slice(5)] = Number(localStorage.getItem(key));
    }
    return counts;
  },
};

declare global {
  interface Window {
    durableTest: typeof api;
  }
}
window.durableTest = api;
