/** @module durable-edge/adapters/indexeddb — the store on IndexedDB (browsers; fake-indexeddb in Node). */
export { createIndexedDbStore, DEFAULT_DATABASE_NAME, type IndexedDbStore, type IndexedDbStoreOptions } from "./indexeddb-store.ts";
export { SCHEMA_VERSION, type DurableDb } from "./schema.ts";
