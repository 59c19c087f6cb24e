/** Opening the database: the versioned upgrade, and the ways opening fails, as typed errors. */
import { wrap, type IDBPDatabase } from "idb";
import { DurableError } from "../../src/errors.ts";
import { toStoreError } from "./errors.ts";
import { SCHEMA_VERSION, upgradeSchema, type DurableDb } from "./schema.ts";

export interface OpenOptions {
  name: string;
  factory: IDBFactory | undefined;
  /** How long to wait while other tabs keep an older version open (default 10 s). */
  blockedTimeoutMs: number;
  /** Called once when the connection ends on its own (another tab deleted or upgraded the database, or the browser closed it). */
  onLost: (error: DurableError) => void;
}

export function defaultFactory(): IDBFactory | undefined {
  try {
    return (globalThis as { indexedDB?: IDBFactory }).indexedDB ?? undefined;
  } catch {
    return undefined; // some sandboxed frames throw on access
  }
}

export async function openDatabase(options: OpenOptions): Promise<IDBPDatabase<DurableDb>> {
  const { name, factory } = options;
  if (!factory) {
    throw new DurableError(
      "StoreUnavailable",
      `IndexedDB is not available here, so database '${name}' cannot be opened (a private window that disables storage, an old browser, or a non-browser runtime). Use the memory store instead, or pass createIndexedDbStore({ indexedDB }).`,
    );
  }
  let request: IDBOpenDBRequest;
  try {
    request = factory.open(name, SCHEMA_VERSION);
  } catch (error) {
    throw unavailable(name, error);
  }
  request.addEventListener("upgradeneeded", (event) => {
    const db = wrap(request.result) as unknown as IDBPDatabase<DurableDb>;
    const tx = wrap(request.transaction!) as unknown as Parameters<typeof upgradeSchema>[2];
    upgradeSchema(db, event.oldVersion, tx);
  });
  let gaveUp = false;
  const opened = wrap(request) as unknown as Promise<IDBPDatabase<DurableDb>>;
  const blocked = new Promise<never>((_, reject) => {
    request.addEventListener("blocked", () => {
      const timer = setTimeout(() => {
        gaveUp = true;
        reject(
          new DurableError(
            "StoreUnavailable",
            `Opening IndexedDB database '${name}' at schema version ${SCHEMA_VERSION} is blocked: another tab keeps an older version open and does not close it. Close or reload the other tabs of this app.`,
          ),
        );
      }, options.blockedTimeoutMs);
      void opened.then(() => clearTimeout(timer), () => clearTimeout(timer));
    });
  });
  let db: IDBPDatabase<DurableDb>;
  try {
    db = await Promise.race([opened, blocked]);
  } catch (error) {
    if (gaveUp) void opened.then((late) => late.close(), () => undefined);
    throw DurableError.is(error) ? error : unavailable(name, error);
  }
  db.addEventListener("versionchange", (event) => {
    db.close();
    const deleted = event.newVersion === null;
    options.onLost(
      new DurableError(
        "StoreClosed",
        `IndexedDB database '${name}' was ${deleted ? "deleted" : `upgraded to schema version ${event.newVersion}`} by another tab; this store closed its connection to let it proceed. Reload the page to reopen it.`,
      ),
    );
  });
  db.addEventListener("close", () => {
    options.onLost(new DurableError("StoreClosed", `The browser closed IndexedDB database '${name}' (storage cleared, or the disk failed). Reload the page to reopen it.`));
  });
  return db;
}

function unavailable(name: string, error: unknown): DurableError {
  const mapped = toStoreError(error, name, "open");
  if (mapped.code !== "StoreClosed") return mapped;
  // Firefox's private mode once failed every open with InvalidStateError.
  return new DurableError("StoreUnavailable", `IndexedDB database '${name}' cannot be opened here (storage disabled, e.g. a private window): ${mapped.message}`, { cause: error });
}
