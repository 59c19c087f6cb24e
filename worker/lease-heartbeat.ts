/**
 * @module worker/lease-heartbeat — keeps the leases of the activities a runner is running. Every
 * `intervalMs` it hands them to `renew`. If the runner dies, the heartbeat dies with it, and its
 * activities are handed out again once their leases lapse.
 */
import type { ClaimedActivity } from "../src/index.ts";

export interface LeaseHeartbeat {
  /** Runs `work` for `item`, renewing its lease meanwhile. */
  track<T>(item: ClaimedActivity, work: () => Promise<T>): Promise<T>;
  stop(): void;
}

export function startLeaseHeartbeat(intervalMs: number, renew: (items: ClaimedActivity[]) => Promise<void>): LeaseHeartbeat {
  const running = new Set<ClaimedActivity>();
  let timer: ReturnType<typeof setInterval> | null = null;
  const beat = () => {
    if (running.size === 0) return;
    void renew([...running]).catch((error: unknown) => console.error("durable-edge: could not renew activity leases.", error));
  };
  const stop = () => {
    if (timer !== null) clearInterval(timer);
    timer = null;
  };
  return {
    async track(item, work) {
      running.add(item);
      // One interval for the whole invocation (a beat with nothing running does nothing): a chain
      // would otherwise set and clear a timer per activity.
      timer ??= setInterval(beat, intervalMs);
      try {
        return await work();
      } finally {
        running.delete(item);
      }
    },
    stop() {
      running.clear();
      stop();
    },
  };
}
