/**
 * @module tab-host — the runtime that runs orchestrations in this tab, with the samples
 * and their entities registered: `durable-edge/browser` (IndexedDB; one tab leads, the others follow) or, where the
 * browser lacks IndexedDB or Web Locks, the memory store (instances then end with the page).
 */
import { createRuntime } from "../../src/index.ts";
import { createMemoryStore } from "../../adapters/memory/index.ts";
import { createBrowserRuntime } from "../../adapters/indexeddb/browser.ts";
import type { LocalHost } from "./local-backend.ts";
import { tabActivities, tabEntities, tabOrchestrators } from "./tab-activities.ts";

export const DEMO_DB_NAME = "durable-edge-demo";

export interface TabHost extends LocalHost {
  /** Where the instances live, for the page to say. */
  readonly storage: string;
  /** Whether instances outlive the page (IndexedDB) or not (memory). */
  readonly persistent: boolean;
  /** Whether this tab runs the work (true) or watches another tab run it (false). */
  isLeader(): boolean;
  onLeaderChange(listener: (leader: boolean) => void): () => void;
  /** Failures that happen outside any call (the database closed under us, leadership lost). */
  onError(listener: (error: unknown) => void): () => void;
  close(): Promise<void>;
}

export function openTabHost(): TabHost {
  const hasIndexedDb = typeof indexedDB !== "undefined";
  const hasLocks = typeof navigator !== "undefined" && "locks" in navigator;
  if (hasIndexedDb && hasLocks) {
    const runtime = createBrowserRuntime({ dbName: DEMO_DB_NAME, orchestrators: tabOrchestrators, activities: tabActivities, entities: tabEntities });
    return {
      client: runtime.client,
      entityNames: tabEntities.map((e) => e.name),
      onChange: (listener) => runtime.onChange(listener),
      storage: `IndexedDB (database '${DEMO_DB_NAME}')`,
      persistent: true,
      isLeader: () => runtime.isLeader(),
      onLeaderChange: (listener) => runtime.onLeaderChange(listener),
      onError: (listener) => runtime.onError(listener),
      close: () => runtime.close(),
    };
  }
  const runtime = createRuntime({ store: createMemoryStore(), orchestrators: tabOrchestrators, activities: tabActivities, entities: tabEntities });
  runtime.start();
  return {
    client: runtime.client,
    entityNames: tabEntities.map((e) => e.name),
    onChange: (listener) => runtime.onChange(listener),
    storage: `memory: this browser has no ${hasIndexedDb ? "Web Locks" : "IndexedDB"} here, so instances end with the page`,
    persistent: false,
    isLeader: () => true,
    onLeaderChange: () => () => {},
    onError: () => () => {},
    close: () => runtime.stop(),
  };
}
