/** @module testing/duration — how long to advance the test clock: milliseconds or named parts. */

/** A length of time: milliseconds, or `{ days: 30 }`, `{ hours: 1, minutes: 30 }`… (the parts add up). */
export type Duration = number | DurationParts;

export interface DurationParts {
  weeks?: number;
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
  milliseconds?: number;
}

const UNIT_MS: Record<keyof DurationParts, number> = {
  weeks: 7 * 86_400_000,
  days: 86_400_000,
  hours: 3_600_000,
  minutes: 60_000,
  seconds: 1000,
  milliseconds: 1,
};

/** The duration in milliseconds. Throws a `RangeError` for negative, non-finite or misspelled durations. */
export function durationToMs(duration: Duration, what = "The duration"): number {
  let ms: number;
  if (typeof duration === "number") {
    ms = duration;
  } else if (typeof duration === "object" && duration !== null) {
    ms = 0;
    for (const [key, value] of Object.entries(duration)) {
      const unit = UNIT_MS[key as keyof DurationParts];
      if (unit === undefined) {
        throw new RangeError(`${what} has an unknown part '${key}'; use ${Object.keys(UNIT_MS).join(", ")}.`);
      }
      if (value === undefined) continue;
      if (typeof value !== "number" || !Number.isFinite(value)) {
        throw new RangeError(`${what}: '${key}' must be a finite number, got ${String(value)}.`);
      }
      ms += value * unit;
    }
  } else {
    throw new RangeError(`${what} must be milliseconds or { days, hours, minutes, seconds, … }, got ${String(duration)}.`);
  }
  if (!Number.isFinite(ms)) throw new RangeError(`${what} must be a finite number of milliseconds, got ${String(ms)}.`);
  if (ms < 0) {
    throw new RangeError(`${what} is negative (${ms} ms): the test clock only moves forward. Create a new test runtime to start over.`);
  }
  return ms;
}
