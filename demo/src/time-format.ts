/**
 * @module time-format — dates and times for people: always with the date and the time zone
 * (a list read on a phone or shared as a screenshot is unambiguous), and durations.
 */

/** The short name of the page's time zone, e.g. "UTC", "CET", "GMT+2". */
export function zoneName(at = Date.now()): string {
  const part = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" }).formatToParts(at).find((p) => p.type === "timeZoneName");
  return part?.value ?? "local time";
}

const DATE_TIME = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });

/** "1 Dec 2026, 09:24:53" in the page's zone (say the zone once, e.g. in a column header). */
export function dateTime(value: string | number): string {
  const ms = typeof value === "number" ? value : Date.parse(value);
  return Number.isFinite(ms) ? DATE_TIME.format(ms) : String(value);
}

/** "1 Dec 2026, 09:24:53 UTC": date, time and zone, for a value shown on its own. */
export function dateTimeWithZone(value: string | number): string {
  const ms = typeof value === "number" ? value : Date.parse(value);
  return Number.isFinite(ms) ? `${DATE_TIME.format(ms)} ${zoneName(ms)}` : String(value);
}
