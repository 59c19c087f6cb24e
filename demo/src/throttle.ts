/** @module throttle — coalesce bursts of change notifications into at most one call per interval. */

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
