/**
 * @module worker/http/auth — the optional management key. When the host gives one, every route of
 * the app needs it, as `Authorization: Bearer <key>`, `x-functions-key: <key>` or `?code=<key>`
 * (the check-status URLs carry `code=` so they work as they are).
 */
import type { Context, MiddlewareHandler } from "hono";
import { HttpError } from "./errors.ts";
import { queryOf } from "./query.ts";

export type KeySource = (c: Context) => string | undefined;

/** The key a request presents, from the header or the query; undefined when none. */
export function presentedKey(c: Context): string | undefined {
  const auth = c.req.header("authorization");
  if (auth) {
    const match = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (match) return match[1];
  }
  return c.req.header("x-functions-key") ?? queryOf(c).first("code");
}

export function requireManagementKey(getKey: KeySource): MiddlewareHandler {
  return async function managementKey(c, next) {
    const key = getKey(c);
    if (key) {
      const given = presentedKey(c);
      if (given === undefined || !constantTimeEqual(given, key)) {
        throw new HttpError(
          401,
          "Unauthorized",
          given === undefined
            ? "This endpoint needs the management key: send 'Authorization: Bearer <key>' or add '?code=<key>'."
            : "The management key is not valid.",
          { "WWW-Authenticate": 'Bearer realm="durable-edge"' },
        );
      }
    }
    await next();
  };
}

/** Compares without returning early at the first difference (timing does not reveal the key). */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < y.length; i++) diff |= (x[i % Math.max(x.length, 1)] ?? 0) ^ y[i]!;
  return diff === 0;
}
