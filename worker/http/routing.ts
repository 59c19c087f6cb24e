/** @module worker/http/routing — routes with a proper 405 (+ `Allow`) for the methods they lack. */
import type { Context, Handler, Hono } from "hono";
import { HttpError } from "./errors.ts";

export type Method = "GET" | "POST" | "DELETE";
export type RouteHandler = (c: Context) => Promise<Response> | Response;

/** The `Allow` value for a set of methods (GET implies HEAD, which Hono answers from GET, unless refused). */
export function allowHeader(methods: readonly string[], head = true): string {
  const all = head && methods.includes("GET") ? [...methods, "HEAD"] : [...methods];
  return all.join(", ");
}

export function methodNotAllowed(c: Context, methods: readonly string[], head = true): HttpError {
  const allow = allowHeader(methods, head);
  return new HttpError(405, "MethodNotAllowed", `${c.req.method} is not allowed on this route; use ${allow}.`, { Allow: allow });
}

export interface ResourceOptions {
  /**
   * Answer HEAD from the GET handler (default true). Off for GET routes with side effects (a GET
   * starter), so that link checkers and previews cannot start orchestrations.
   */
  head?: boolean;
}

/** Registers one handler per method on `path`, then a catch-all answering 405 for the others. */
export function resource(app: Hono, path: string, handlers: Partial<Record<Method, RouteHandler>>, options: ResourceOptions = {}): void {
  const methods = Object.keys(handlers) as Method[];
  const head = options.head ?? true;
  for (const method of methods) {
    const handler = handlers[method]!;
    if (method === "GET" && !head) {
      app.on(method, path, function getNotHead(c) {
        if (c.req.raw.method === "HEAD") throw methodNotAllowed(c, methods, false);
        return handler(c);
      });
    } else app.on(method, path, handler as Handler);
  }
  app.all(path, function wrongMethod(c) {
    throw methodNotAllowed(c, methods, head);
  });
}
