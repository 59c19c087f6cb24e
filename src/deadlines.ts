/**
 * @module deadlines — timeouts for many short tasks with one timer. Arming and clearing a host
 * timer for every activity costs more than a short activity step does (a few µs in Node);
 * `CoalescedDeadlines` keeps the deadlines in a map and one timer at the earliest of them, which
 * a task that ends in time leaves alone. The timer is re-armed only when it fires, or when a new
 * deadline comes before it.
 */

/** Calls each `fire` once its `ms` have passed, unless its `cancel` (returned by `after`) came first. */
export class CoalescedDeadlines {
  private readonly pending = new Map<number, { at: number; fire: () => void }>();
  private nextKey = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerAt = Infinity;

  private readonly now: () => number;
  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  after(ms: number, fire: () => void): () => void {
    const key = this.nextKey++;
    const at = this.now() + ms;
    this.pending.set(key, { at, fire });
    if (at < this.timerAt) this.arm(at);
    return () => void this.pending.delete(key);
  }

  /** Drops every deadline and the timer (the runtime stopped). */
  clear(): void {
    this.pending.clear();
    this.disarm();
  }

  private arm(at: number): void {
    this.disarm();
    this.timerAt = at;
    this.timer = setTimeout(() => this.expire(), Math.max(0, at - this.now()));
    // Node: a deadline alone must not keep the process alive (browsers and Workers have no unref).
    (this.timer as { unref?: () => void }).unref?.();
  }

  private disarm(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }

  private expire(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const now = this.now();
    let next = Infinity;
    for (const [key, entry] of this.pending) {
      if (entry.at <= now) {
        this.pending.delete(key);
        entry.fire();
      } else if (entry.at < next) {
        next = entry.at;
      }
    }
    if (next !== Infinity) this.arm(next);
  }
}
