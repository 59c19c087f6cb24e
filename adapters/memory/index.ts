/** @module durable-edge/adapters/memory — the in-memory store (Node, tests, benchmarks). */
export { createMemoryStore, type MemoryStoreOptions } from "./memory-store.ts";
