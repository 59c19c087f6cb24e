/** @module clock — where the runtime reads the time. Tests use a `ManualClock`. */

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told to: `clock.advance(60_000)` then `await runtime.drain()`. */
export class ManualClock implements Clock {
  private current: number;
  constructor(start: number | Date = Date.UTC(2026, 0, 1)) {
    this.current = typeof start === "number" ? start : start.getTime();
  }
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`A clock only moves forward; got ${ms} ms.`);
    this.current += ms;
  }
  set(time: number | Date): void {
    const t = typeof time === "number" ? time : time.getTime();
    if (t < this.current) throw new RangeError("A clock only moves forward.");
    this.current = t;
  }
}
