/**
 * A database as schema version 1 left it, for tests of upgrades and of a tab that holds an old
 * version open: the object stores and indexes of version 1, and whatever `seed` writes in the same
 * upgrade transaction. Shared by the Node tests and the Chromium test page.
 */
export function openVersion1Database(factory: IDBFactory, name: string, seed?: (tx: IDBTransaction) => void): Promise<IDBDatabase> {
  return new Promise<IDBDatabase>((resolve, reject) => {
    const request = factory.open(name, 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("instances", { keyPath: "instanceId" }).createIndex("byCreated", ["createdAt", "instanceId"]);
      db.createObjectStore("history", { keyPath: ["instanceId", "index"] });
      db.createObjectStore("inbox", { keyPath: ["instanceId", "id"] }).createIndex("byVisibleAt", "visibleAt");
      db.createObjectStore("activities", { keyPath: ["instanceId", "executionId", "id"] }).createIndex("byLockedUntil", "lockedUntil");
      db.createObjectStore("meta");
      seed?.(request.transaction!);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error(`Opening '${name}' at version 1 is blocked by another connection`));
  });
}
