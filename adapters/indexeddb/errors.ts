/** Turns what IndexedDB throws into the library's typed errors, with messages that say what to do. */
import { DurableError } from "../../src/errors.ts";

function domName(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const name = (error as { name?: unknown }).name;
  return typeof name === "string" ? name : undefined;
}

/**
 * Maps an IndexedDB failure to a `DurableError`. `what` names the operation, `db` the database.
 * DurableErrors pass through unchanged.
 */
export function toStoreError(error: unknown, db: string, what: string): DurableError {
  if (DurableError.is(error)) return error;
  const name = domName(error);
  const message = error instanceof Error || (typeof error === "object" && error !== null && "message" in error) ? String((error as { message: unknown }).message) : String(error);
  const detail = message.replace(/\.$/, ""); // it goes mid-sentence
  switch (name) {
    case "QuotaExceededError":
      return new DurableError(
        "StoreQuotaExceeded",
        `IndexedDB database '${db}' is out of storage quota (${what}); nothing was written. Free space: purge finished instances, or ask for persistent storage (navigator.storage.persist()).`,
        { cause: error },
      );
    case "DataCloneError":
      return new DurableError(
        "InvalidInput",
        `A value cannot be stored in IndexedDB database '${db}' (${what}): ${detail}. Store only plain data (JSON text, numbers, plain objects); nothing was written.`,
        { cause: error },
      );
    case "InvalidStateError":
      return new DurableError("StoreClosed", `IndexedDB database '${db}' is closed (${what}): ${detail}. Create a new store.`, { cause: error });
    case "VersionError":
      return new DurableError(
        "StoreUnavailable",
        `IndexedDB database '${db}' was upgraded to a newer schema by a newer version of this app (${what}). Reload the page to run the newer version.`,
        { cause: error },
      );
    case "SecurityError":
      return new DurableError(
        "StoreUnavailable",
        `The browser denies IndexedDB here, so database '${db}' cannot be used (${what}): ${detail}. This happens in a sandboxed frame without allow-same-origin, on a data: or file: URL, or when the user blocks site data for this site. Run the app in a top-level page of its own origin.`,
        { cause: error },
      );
    default:
      return new DurableError("StoreUnavailable", `IndexedDB database '${db}' failed (${what}): ${name ? `${name}: ` : ""}${detail}`, { cause: error });
  }
}
