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
  const problem = findUnserializable(value, new Set());
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

function findUnserializable(value: unknown, seen: Set<object>, path = "the value"): string | null {
  switch (typeof value) {
    case "string":
    case "boolean":
      return null;
    case "number":
      return Number.isFinite(value) ? null : `${path} is ${value}`;
    case "undefined":
      return null;
    case "bigint":
      return `${path} is a bigint`;
    case "function":
      return `${path} is a function`;
    case "symbol":
      return `${path} is a symbol`;
  }
  if (value === null) return null;
  const obj = value as object;
  if (typeof (obj as { toJSON?: unknown }).toJSON === "function") return null; // Date and friends
  if (seen.has(obj)) return `${path} contains a cycle`;
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      for (let i = 0; i < obj.length; i++) {
        const p = findUnserializable(obj[i], seen, `${path}[${i}]`);
        if (p) return p;
      }
      return null;
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      const name = (obj as { constructor?: { name?: string } }).constructor?.name ?? "object";
      return `${path} is a ${name}, which JSON cannot represent`;
    }
    for (const key of Object.keys(obj)) {
      const p = findUnserializable((obj as Record<string, unknown>)[key], seen, `${path}.${key}`);
      if (p) return p;
    }
    return null;
  } finally {
    seen.delete(obj);
  }
}
