export {
  arrived,
  createDurableObjectStore,
  matchesQuery,
  compareListOrder,
  type DurableObjectStore,
  type DurableObjectStoreOptions,
  type IndexUpdate,
  type OutboxEntry,
  type StoreStats,
} from "./durable-object-store.ts";
export { migrate, MIGRATIONS, runMigrations, SCHEMA_VERSION } from "./schema.ts";
export { DEFAULT_RETENTION_MS, Pruner } from "./pruner.ts";
export type { DurableObjectStorageLike, SqlCursorLike, SqlStorageLike, SqlValue } from "./sql.ts";
