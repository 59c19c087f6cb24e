/** @module worker/http/routing — routes with a proper 405 (+ `Allow`) for the methods they lack. */
import type { Context, Handler, Hono } from "hono";
import { HttpError } from "./errors.ts";

export type Method = "GET" | "POST" | "DELETE";
export type RouteHandler = (c: Context) => Promise<Response> | Response;

/** The `Allow` value for a set of methods (GET implies HEAD, which Hono answers from GET). */
export function allowHeader(methods: readonly string[]): string {
  const all = methods.includes("GET") ? [...methods, "HEAD"] : [...methods];
  return all.join(", ");
}

export function methodNotAllowed(c: Context, methods: readonly string[]): HttpError {
  const allow = allowHeader(methods);
  return new HttpError(405, "MethodNotAllowed", `${c.req.method} is not allowed on this route; use ${allow}.`, { Allow: allow });
}

/** Registers one handler per method on `path`, then a catch-all answering 405 for the others. */
export function resource(app: Hono, path: string, handlers: Partial<Record<Method, RouteHandler>>): void {
  const methods = Object.keys(handlers) as Method[];
  for (const method of methods) app.on(method, path, handlers[method] as Handler);
  app.all(path, function wrongMethod(c) {
    throw methodNotAllowed(c, methods);
  });
}
