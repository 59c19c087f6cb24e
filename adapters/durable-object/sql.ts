/**
 * The slice of Durable Object storage the adapter uses, typed structurally so the adapter compiles
 * (and can be tested) without the Workers type definitions. `ctx.storage` of a SQLite-backed
 * Durable Object satisfies it.
 */
export type SqlValue = ArrayBuffer | string | number | null;

export interface SqlCursorLike {
  toArray(): Record<string, SqlValue>[];
  /** Rows this statement wrote so far (inserted, updated or deleted); final once the cursor is read. */
  readonly rowsWritten: number;
}

export interface SqlStorageLike {
  exec(query: string, ...bindings: SqlValue[]): SqlCursorLike;
}

export interface DurableObjectStorageLike {
  readonly sql: SqlStorageLike;
  transactionSync<T>(closure: () => T): T;
}
