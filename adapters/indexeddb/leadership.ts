/**
 * Leader election between the tabs of one origin with Web Locks: the tab holding the lock drives
 * the work, for as long as it lives. The browser releases the lock when the tab closes, reloads or
 * crashes, and grants it to the next tab waiting for it.
 */
import { DurableError } from "../../src/errors.ts";

export interface Leadership {
  /** Resolves when the lock was granted and `onAcquired` finished; never when `resign()` came first. */
  readonly acquired: Promise<void>;
  /** Gives the lock up after `onReleasing` finished (or stops waiting for it). */
  resign(): Promise<void>;
}

export interface LeadershipOptions {
  locks: LockManager | undefined;
  lockName: string;
  /** Runs once the lock is granted; the lock is held until `resign()`. */
  onAcquired: () => Promise<void>;
  /** Runs before the lock is given up (stop the work first, so the next leader starts clean). */
  onReleasing: () => Promise<void>;
  onError: (error: unknown) => void;
}

export function defaultLocks(): LockManager | undefined {
  return (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
}

export function assertLocks(locks: LockManager | undefined): asserts locks is LockManager {
  if (!locks) {
    throw new DurableError(
      "StoreUnavailable",
      "Web Locks (navigator.locks) are not available, so tabs cannot agree on which one runs orchestrations. Serve the page over https or from localhost (a secure context), in a browser from 2022 or later.",
    );
  }
}

/** Web Locks exist but the browser refuses them here (an opaque origin: a sandboxed frame, a data: URL). */
function locksDenied(error: unknown): DurableError {
  return new DurableError(
    "StoreUnavailable",
    `The browser denies Web Locks here (${String((error as { message?: unknown }).message ?? error)}), so this tab cannot take part in running orchestrations. This happens in a sandboxed frame without allow-same-origin or on a data: URL. Run the app in a top-level page of its own origin.`,
    { cause: error },
  );
}

export function electLeader(options: LeadershipOptions): Leadership {
  const { locks, lockName } = options;
  assertLocks(locks);
  const waiting = new AbortController();
  let release: (() => void) | null = null;
  let held: Promise<void> | null = null;
  let resigned = false;
  let resolveAcquired!: () => void;
  const acquired = new Promise<void>((resolve) => (resolveAcquired = resolve));

  const request = locks
    .request(lockName, { mode: "exclusive", signal: waiting.signal }, async () => {
      if (resigned) return;
      const releasing = new Promise<void>((resolve) => (release = resolve));
      held = (async () => {
        await options.onAcquired();
        resolveAcquired();
        await releasing;
      })();
      await held.catch((error: unknown) => options.onError(error));
    })
    .catch((error: unknown) => {
      const name = (error as { name?: string } | null)?.name;
      if (name === "AbortError") return; // resigned while waiting
      options.onError(name === "SecurityError" ? locksDenied(error) : error);
    });

  return {
    acquired,
    async resign() {
      if (resigned) return;
      resigned = true;
      if (release) {
        await options.onReleasing();
        release();
        await held?.catch(() => undefined);
      } else {
        waiting.abort();
      }
      await request;
    },
  };
}
