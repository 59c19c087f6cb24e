/**
 * The page the Chromium tests load. `?db=<name>` starts a browser runtime on that database at once
 * (as an app would on load), with activity leases of `?leaseMs=` if given; without `db`, the page
 * only exposes the helpers. Tests drive it through
 * `window.durableTest`.
 */
import { samples } from "../../../examples/index.ts";
import { describeStoreContract, row, startMessage } from "../../contract/store-contract.ts";
import { DurableError } from "../../../src/errors.ts";
import { EntityId, entityInstanceId } from "../../../src/entities/entity-id.ts";
import { entityMetadata } from "../../../src/entities/entity-client.ts";
import type { InstanceRecord } from "../../../src/store.ts";
import { createBrowserRuntime, type BrowserRuntime } from "../browser.ts";
import { createIndexedDbStore, type IndexedDbStore } from "../indexeddb-store.ts";
import { openVersion1Database } from "../schema-v1.fixture.ts";
import { testActivities, testEntities, testOrchestrators } from "./test-orchestrations.ts";
import { runRegisteredCases } from "./vitest-shim.ts";

const params = new URLSearchParams(location.search);
const dbName = params.get("db");
/** The last status this tab saw for each instance through `onChange` (live updates). */
const seen: Record<string, InstanceRecord["runtimeStatus"]> = {};

/** Errors the host reported through `onError` (the database deleted under it, …). */
const errors: { code: string | null; message: string }[] = [];

let runtime: BrowserRuntime | null = null;
if (dbName) {
  runtime = createBrowserRuntime({
    dbName,
    leaseMs: params.has("leaseMs") ? Number(params.get("leaseMs")) : undefined,
    orchestrators: [...samples.orchestrators, ...testOrchestrators],
    activities: [...samples.activities, ...testActivities],
    entities: [...samples.entities, ...testEntities],
  });
  runtime.onChange((row) => (seen[row.instanceId] = row.runtimeStatus));
  runtime.onError((error) => errors.push({ code: DurableError.is(error) ? error.code : null, message: String((error as Error).message) }));
}

let contractDbs = 0;
/** A connection this tab holds open at schema version 1, as an old release of the app that never lets go. */
let heldOpen: IDBDatabase | null = null;
/** A store opened while another tab blocked its upgrade, kept to show it works once unblocked. */
let blockedStore: IndexedDbStore | null = null;
const describeError = (e: unknown) => (DurableError.is(e) ? `${e.code}: ${e.message}` : `untyped: ${String(e)}`);

const api = {
  runtime,
  seen,
  errors,
  /**
   * Writes a small instance, then values too big for the quota (the test lowers it): the big writes
   * must fail with StoreQuotaExceeded and leave the database exactly as it was.
   */
  async quotaProbe(name: string) {
    const store = createIndexedDbStore({ name });
    try {
      const small = row("small");
      await store.createInstance(small, startMessage(small), { overwritableStatuses: [] });
      const big = row("big", { input: JSON.stringify("x".repeat(1_000_000)) });
      const created = await store.createInstance(big, startMessage(big), { overwritableStatuses: [] }).then(() => "stored", describeError);
      const grown = { ...small, etag: 2, runtimeStatus: "Running" as const, customStatus: JSON.stringify("y".repeat(1_000_000)), historyLength: 0 };
      const committed = await store
        .commitSteps([{ instanceId: "small", expectedEtag: 1, instance: grown, history: { mode: "append", events: [] }, deleteMessageIds: [startMessage(small).id], dropExecution: null, messages: [], activities: [] }])
        .then((o) => o.join(","), describeError);
      const [step] = await store.loadSteps([{ instanceId: "small" }], Date.UTC(2026, 0, 1));
      return {
        created,
        committed,
        bigStored: (await store.getInstance("big")) !== undefined,
        smallAfter: await store.getInstance("small"),
        smallExpected: small,
        smallMessages: step!.messages.length,
      };
    } finally {
      await store.close();
    }
  },
  /** Opens `name` at schema version 1 and keeps it open, ignoring `versionchange` (an old app). */
  async holdVersion1(name: string) {
    heldOpen = await openVersion1Database(indexedDB, name);
    return heldOpen.version;
  },
  releaseHeld() {
    heldOpen?.close();
    heldOpen = null;
  },
  /** Opens a store on `name` that gives up on a blocked upgrade after `blockedTimeoutMs`; its first read's outcome. */
  async openWhileBlocked(name: string, blockedTimeoutMs: number) {
    blockedStore = createIndexedDbStore({ name, blockedTimeoutMs });
    return blockedStore.getInstance("x").then(() => "read", describeError);
  },
  /** The store of `openWhileBlocked`, used again: creates an instance and reads it back. */
  async useOnceUnblocked() {
    const store = blockedStore!;
    try {
      await store.createInstance(row("after"), startMessage(row("after")), { overwritableStatuses: [] });
      return (await store.getInstance("after"))?.instanceId ?? null;
    } finally {
      await store.close();
    }
  },
  /** Opens `name` at `version` (a newer release of the app upgrading it), then closes it. */
  upgradeDatabase(name: string, version: number) {
    return new Promise<string>((resolve) => {
      const request = indexedDB.open(name, version);
      request.onsuccess = () => {
        request.result.close();
        resolve(`upgraded to ${request.result.version}`);
      };
      request.onerror = () => resolve(`error: ${request.error?.name}`);
      request.onblocked = () => resolve("blocked");
    });
  },
  deleteDatabase(name: string) {
    return new Promise<string>((resolve) => {
      const request = indexedDB.deleteDatabase(name);
      request.onsuccess = () => resolve("deleted");
      request.onerror = () => resolve(`error: ${request.error?.name}`);
      request.onblocked = () => resolve("blocked");
    });
  },
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
  /** Sends `count` signals (`operation`, `input`) to one entity at once from this tab's client; resolves once all are stored. */
  async signalMany(name: string, key: string, count: number, operation: string, input?: unknown) {
    const id = new EntityId(name, key);
    await Promise.all(Array.from({ length: count }, () => runtime!.client.signalEntity(id, operation, input)));
  },
  /**
   * What the database holds for entities, read through a store of its own (as another tab
   * would): each one's metadata and state, and how many messages wait in its inbox, due or not.
   */
  async peekEntities(name: string, ids: { name: string; key: string }[]) {
    const store = createIndexedDbStore({ name });
    try {
      const out: { id: string; inbox: number; exists: boolean; state: unknown; lockedBy: string | null; backlog: number }[] = [];
      for (const id of ids) {
        const instanceId = entityInstanceId(id);
        const [row, [step]] = await Promise.all([store.getInstance(instanceId), store.loadSteps([{ instanceId }], Number.MAX_SAFE_INTEGER)]);
        const meta = row ? entityMetadata(row, true) : undefined;
        out.push({ id: instanceId, inbox: step!.messages.length, exists: meta?.entityExists ?? false, state: meta?.state ?? null, lockedBy: meta?.lockedBy ?? null, backlog: meta?.backlogQueueSize ?? 0 });
      }
      return out;
    } finally {
      await store.close();
    }
  },
  /** How often each `Ledger` append was attempted: `{ "key|n": attempts }` (shared by the origin's tabs). */
  attemptCounts() {
    const counts: Record<string, number> = {};
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i)!;
      if (key.startsWith("attempts|")) counts[key.slice(9)] = Number(localStorage.getItem(key));
    }
    return counts;
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
