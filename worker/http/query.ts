/**
 * @module worker/http/query — query-string parsing. Names are matched case-insensitively (ASP.NET,
 * and so Durable Functions, does the same); values are validated strictly: a value we cannot read
 * is a 400, never silently replaced by the default.
 */
import type { Context } from "hono";
import { RUNTIME_STATUSES, type RuntimeStatus } from "../../src/index.ts";
import { HttpError } from "./errors.ts";

export interface Query {
  /** The first value of a parameter, or undefined. */
  first(name: string): string | undefined;
  /** Every value of a parameter, in order (repeated parameters). */
  all(name: string): string[];
  has(name: string): boolean;
}

const CACHE = new WeakMap<Request, Query>();

export function queryOf(c: Context): Query {
  const cached = CACHE.get(c.req.raw);
  if (cached) return cached;
  const values = new Map<string, string[]>();
  for (const [k, v] of new URL(c.req.url).searchParams) {
    const key = k.toLowerCase();
    const list = values.get(key);
    if (list) list.push(v);
    else values.set(key, [v]);
  }
  const query: Query = {
    first: (name) => values.get(name.toLowerCase())?.[0],
    all: (name) => values.get(name.toLowerCase()) ?? [],
    has: (name) => values.has(name.toLowerCase()),
  };
  CACHE.set(c.req.raw, query);
  return query;
}

function invalid(name: string, value: string, expected: string): HttpError {
  const shown = value.length > 64 ? `${value.slice(0, 64)}…` : value;
  return new HttpError(400, "InvalidArgument", `Query parameter '${name}' must be ${expected}; got ${JSON.stringify(shown)}.`);
}

/** `true`/`false`/`1`/`0` (any case); absent → the default. */
export function booleanParam(q: Query, name: string, fallback: boolean): boolean {
  const v = q.first(name);
  if (v === undefined) return fallback;
  switch (v.trim().toLowerCase()) {
    case "true":
    case "1":
      return true;
    case "false":
    case "0":
      return false;
  }
  throw invalid(name, v, "true or false");
}

/** A non-negative number of seconds (fractions allowed), in ms; absent → undefined. */
export function secondsParam(q: Query, name: string): number | undefined {
  const v = q.first(name);
  if (v === undefined) return undefined;
  const n = v.trim() === "" ? NaN : Number(v);
  if (!Number.isFinite(n) || n < 0) throw invalid(name, v, "a non-negative number of seconds");
  return Math.round(n * 1000);
}

/** An integer from `min` to `max`; absent → undefined. */
export function integerParam(q: Query, name: string, min: number, max: number): number | undefined {
  const v = q.first(name);
  if (v === undefined) return undefined;
  const n = /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw invalid(name, v, `an integer from ${min} to ${max}`);
  return n;
}

/** An ISO 8601 date or date-time; without a zone it is read as UTC (as Durable Functions does). Absent → undefined. */
export function dateParam(q: Query, name: string): Date | undefined {
  const v = q.first(name);
  if (v === undefined) return undefined;
  const text = v.trim();
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.test(text)) {
    throw invalid(name, v, "an ISO 8601 date, e.g. 2026-01-31T12:00:00Z");
  }
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(text) && text.length > 10;
  const normalized = text.replace(" ", "T").replace(/(\.\d{3})\d+/, "$1");
  const ms = Date.parse(hasZone || text.length === 10 ? normalized : `${normalized}Z`);
  if (!Number.isFinite(ms)) throw invalid(name, v, "a valid date");
  return new Date(ms);
}

/**
 * `runtimeStatus`: comma-separated and/or repeated, any case. "Canceled" (a legacy Durable
 * Functions status no instance can have) is accepted and matches nothing; other unknown names are
 * a 400 (Durable Functions ignores them, which silently widens the filter).
 * Returns undefined when absent, `[]` when only "Canceled" was asked for.
 */
export function runtimeStatusParam(q: Query): RuntimeStatus[] | undefined {
  const raw = q
    .all("runtimeStatus")
    .flatMap((v) => v.split(","))
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (raw.length === 0) return undefined;
  const out: RuntimeStatus[] = [];
  for (const s of raw) {
    if (s.toLowerCase() === "canceled") continue;
    const match = RUNTIME_STATUSES.find((r) => r.toLowerCase() === s.toLowerCase());
    if (!match) throw invalid("runtimeStatus", s, `one of ${RUNTIME_STATUSES.join(", ")}`);
    if (!out.includes(match)) out.push(match);
  }
  return out;
}
