/** @module json — payloads cross every storage boundary as JSON text, so all stores hold the same bytes. */
import { DurableError } from "./errors.ts";
import { formatBytes, LIMITS, overUtf8Limit, utf8Length } from "./limits.ts";

/** JSON text, or null for "no value". */
export type Json = string | null;

/**
 * Serializes a user value (an input, an output, an event payload). `undefined` becomes null.
 * Values JSON cannot represent faithfully (functions, symbols, bigint, cycles, non-finite numbers,
 * class instances other than Date) are refused with `InvalidInput`, and values over `limit` UTF-8
 * bytes of JSON (default `LIMITS.payloadBytes`) with `PayloadTooLarge`, before anything is stored.
 */
export function toJson(value: unknown, what: string, limit: number = LIMITS.payloadBytes): Json {
  if (value === undefined) return null;
  const problem = unserializable(value);
  if (problem) {
    throw new DurableError(
      "InvalidInput",
      `${what} must be JSON-serializable, but ${problem}. Pass plain objects, arrays, strings, numbers, booleans or null.`,
    );
  }
  const json = JSON.stringify(value);
  assertPayloadSize(json, what, limit);
  return json;
}

/** Refuses JSON text over `limit` UTF-8 bytes with `PayloadTooLarge`, saying what to do instead. */
export function assertPayloadSize(json: string, what: string, limit: number = LIMITS.payloadBytes): void {
  if (!overUtf8Limit(json, limit)) return;
  throw new DurableError(
    "PayloadTooLarge",
    `${what} is ${formatBytes(utf8Length(json))} of JSON; the limit is ${formatBytes(limit)}. ` +
      `Keep large data elsewhere (a database, R2, KV, IndexedDB) and pass a reference to it.`,
  );
}

/** Parses stored JSON text back into a value. Non-JSON text (a legacy raw string) is returned as is. */
export function fromJson<T = unknown>(json: Json): T {
  if (json === null || json === undefined) return null as T;
  try {
    return JSON.parse(json) as T;
  } catch {
    return json as T;
  }
}

/** How a value read from a document looks in an error message: "missing", "an array", "the string \"…\"" (cut at 60). */
export function describeValue(value: unknown): string {
  if (value === undefined) return "missing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)}`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

/** What JSON cannot represent, and where: `path` is built on the way out, so a value with no problem costs no strings. */
interface Unserializable {
  /** Keys from the value down to the problem, innermost first. */
  path: (string | number)[];
  /** Completes "`<path>` …": "is a function", "contains a cycle". */
  what: string;
}

function describeProblem({ path, what }: Unserializable): string {
  let at = "the value";
  for (let i = path.length - 1; i >= 0; i--) {
    const key = path[i]!;
    at += typeof key === "number" ? `[${key}]` : `.${key}`;
  }
  return `${at} ${what}`;
}

function unserializable(value: unknown): string | null {
  const problem = findUnserializable(value, null);
  return problem && describeProblem(problem);
}

function findUnserializable(value: unknown, seen: Set<object> | null): Unserializable | null {
  switch (typeof value) {
    case "string":
    case "boolean":
    case "undefined":
      return null;
    case "number":
      return Number.isFinite(value) ? null : { path: [], what: `is ${value}` };
    case "bigint":
      return { path: [], what: "is a bigint" };
    case "function":
      return { path: [], what: "is a function" };
    case "symbol":
      return { path: [], what: "is a symbol" };
  }
  if (value === null) return null;
  const obj = value as object;
  if (typeof (obj as { toJSON?: unknown }).toJSON === "function") return null; // Date and friends
  if (seen === null) seen = new Set();
  else if (seen.has(obj)) return { path: [], what: "contains a cycle" };
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      for (let i = 0; i < obj.length; i++) {
        const item: unknown = obj[i];
        if (typeof item !== "object" && typeof item !== "number" && typeof item !== "bigint" && typeof item !== "function" && typeof item !== "symbol") continue;
        const problem = findUnserializable(item, seen);
        if (problem) {
          problem.path.push(i);
          return problem;
        }
      }
      return null;
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      const name = (obj as { constructor?: { name?: string } }).constructor?.name ?? "object";
      return { path: [], what: `is a ${name}, which JSON cannot represent` };
    }
    for (const key in obj) {
      if (!Object.prototype.hasOwnProperty.call(obj, key)) continue;
      const problem = findUnserializable((obj as Record<string, unknown>)[key], seen);
      if (problem) {
        problem.path.push(key);
        return problem;
      }
    }
    return null;
  } finally {
    seen.delete(obj);
  }
}
