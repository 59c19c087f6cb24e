/** The ways IndexedDB fails, each as a typed error with nothing corrupted (fake-indexeddb in Node). */
import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { DurableError } from "../../src/errors.ts";
import { commit, row, startMessage } from "../contract/store-contract.ts";
import { toStoreError } from "./errors.ts";
import { createIndexedDbStore, SCHEMA_VERSION } from "./index.ts";
import { openVersion1Database } from "./schema-v1.fixture.ts";

const TERMINAL = ["Completed", "Failed", "Terminated"] as const;

async function codeOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await promise.then(
    () => new Error("expected a rejection"),
    (e: unknown) => e,
  );
  if (!DurableError.is(error)) throw error;
  return { code: error.code, message: error.message };
}

describe("IndexedDB failure modes", () => {
  it("IndexedDB missing (private mode, old browser): StoreUnavailable", async () => {
    const saved = Object.getOwnPropertyDescriptor(globalThis, "indexedDB");
    Object.defineProperty(globalThis, "indexedDB", { value: undefined, configurable: true, writable: true });
    try {
      const store = createIndexedDbStore({ name: "none" });
      const { code, message } = await codeOf(store.getInstance("a"));
      expect(code).toBe("StoreUnavailable");
      expect(message).toMatch(/IndexedDB is not available/);
    } finally {
      if (saved) Object.defineProperty(globalThis, "indexedDB", saved);
    }
  });

  it("a value that cannot be stored: InvalidInput, and the whole group commit is rolled back", async () => {
    const store = createIndexedDbStore({ indexedDB: new IDBFactory() });
    const a = row("a");
    const b = row("b");
    await store.createInstance(a, startMessage(a), { overwritableStatuses: TERMINAL });
    await store.createInstance(b, startMessage(b), { overwritableStatuses: TERMINAL });
    const bad = { ...b, etag: 2, customStatus: (() => 1) as unknown as string };
    const { code, message } = await codeOf(
      store.commitSteps([commit(a, { deleteMessageIds: [startMessage(a).id] }), commit(b, { instance: bad })]),
    );
    expect(code).toBe("InvalidInput");
    expect(message).toMatch(/cannot be stored/);
    expect(await store.getInstance("a")).toEqual(a); // the good commit of the batch did not land either
    expect((await store.loadSteps([{ instanceId: "a" }], Date.UTC(2026, 0, 1)))[0]!.messages).toHaveLength(1);
    const creating = row("c", { input: { toJSON: 1, fn: () => 1 } as unknown as string });
    expect((await codeOf(store.createInstance(creating, startMessage(row("c")), { overwritableStatuses: TERMINAL }))).code).toBe("InvalidInput");
    expect(await store.getInstance("c")).toBeUndefined();
    await store.close();
  });

  it("the database deleted by another tab: the store closes itself and reports StoreClosed", async () => {
    const factory = new IDBFactory();
    const closed: DurableError[] = [];
    const store = createIndexedDbStore({ name: "shared", indexedDB: factory, onClose: (e) => void closed.push(e) });
    await store.createInstance(row("a"), startMessage(row("a")), { overwritableStatuses: TERMINAL });
    await new Promise<void>((resolve, reject) => {
      const request = factory.deleteDatabase("shared");
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error("the store did not let go of the database"));
    });
    const { code, message } = await codeOf(store.getInstance("a"));
    expect(code).toBe("StoreClosed");
    expect(message).toMatch(/deleted by another tab/);
    expect(closed.map((e) => e.code)).toEqual(["StoreClosed"]);
  });

  it("the database upgraded by a newer version of the app: this store closes; an older one cannot reopen it", async () => {
    const factory = new IDBFactory();
    const store = createIndexedDbStore({ name: "shared", indexedDB: factory });
    await store.open();
    await new Promise<void>((resolve, reject) => {
      const request = factory.open("shared", SCHEMA_VERSION + 1);
      request.onsuccess = () => {
        request.result.close();
        resolve();
      };
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error("the store did not let go of the database"));
    });
    const closed = await codeOf(store.getInstance("a"));
    expect(closed.code).toBe("StoreClosed");
    expect(closed.message).toContain(`upgraded to schema version ${SCHEMA_VERSION + 1} by another tab`);
    const older = createIndexedDbStore({ name: "shared", indexedDB: factory });
    const reopened = await codeOf(older.getInstance("a"));
    expect(reopened.code).toBe("StoreUnavailable");
    expect(reopened.message).toMatch(/newer schema/);
  });

  it("an older tab that keeps the database open and ignores versionchange: opening is blocked, StoreUnavailable, and works once it closes", async () => {
    const factory = new IDBFactory();
    const olderTab = await openVersion1Database(factory, "shared"); // no versionchange handler: it never lets go
    const store = createIndexedDbStore({ name: "shared", indexedDB: factory, blockedTimeoutMs: 50 });
    const blocked = await codeOf(store.getInstance("a"));
    expect(blocked.code).toBe("StoreUnavailable");
    expect(blocked.message).toMatch(/blocked: another tab keeps an older version open.*Close or reload the other tabs/);
    olderTab.close();
    await store.createInstance(row("a"), startMessage(row("a")), { overwritableStatuses: TERMINAL });
    expect((await store.getInstance("a"))?.instanceId).toBe("a");
    await store.close();
  });

  it("maps IndexedDB's DOMExceptions to typed errors", () => {
    const quota = toStoreError(new DOMException("full", "QuotaExceededError"), "db", "commitSteps");
    expect(quota.code).toBe("StoreQuotaExceeded");
    expect(quota.message).toMatch(/out of storage quota.*nothing was written/);
    expect(toStoreError(new DOMException("x", "DataCloneError"), "db", "put").code).toBe("InvalidInput");
    expect(toStoreError(new DOMException("x", "InvalidStateError"), "db", "get").code).toBe("StoreClosed");
    expect(toStoreError(new DOMException("x", "UnknownError"), "db", "get").code).toBe("StoreUnavailable");
    const denied = toStoreError(new DOMException("Access to the Indexed Database API is denied in this context.", "SecurityError"), "db", "open");
    expect(denied.code).toBe("StoreUnavailable");
    expect(denied.message).toMatch(/denies IndexedDB here.*denied in this context\. This happens in a sandboxed frame/);
    const passThrough = new DurableError("InstanceAlreadyExists", "x");
    expect(toStoreError(passThrough, "db", "create")).toBe(passThrough);
  });
});
