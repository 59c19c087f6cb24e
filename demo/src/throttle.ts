/** @module throttle — coalesce bursts: change notifications into at most one call per interval, refreshes into one run at a time. */

export interface Throttled {
  (): void;
  cancel(): void;
}

/** Calls `fn` at most once per `intervalMs`, always once more after the last request (trailing edge). */
export function throttle(fn: () => void, intervalMs: number): Throttled {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = 0;
  const run = () => {
    timer = null;
    last = Date.now();
    fn();
  };
  const throttled = (() => {
    if (timer !== null) return;
    const wait = Math.max(0, last + intervalMs - Date.now());
    timer = setTimeout(run, wait);
  }) as Throttled;
  throttled.cancel = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  return throttled;
}

/**
 * One run of `fn` at a time: a call while one runs waits for it, and makes it run once more after
 * (with the arguments it started with), however many calls came meanwhile.
 */
export function coalesce<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  return async (...args: A) => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await fn(...args);
      } while (again);
    })();
    try {
      await running;
    } finally {
      running = null;
    }
  };
}
