/** @module worker/http/routing — routes with a proper 405 (+ `Allow`) for the methods they lack. */
import type { Context, Hono, MiddlewareHandler } from "hono";
import { HttpError } from "./errors.ts";

export type Method = "GET" | "POST" | "DELETE";
export type RouteHandler = (c: Context) => Promise<Response> | Response;
/** A route's middleware (authorization, validation, body limit) and its handler, last. */
export type RouteChain = readonly [...MiddlewareHandler[], RouteHandler];

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

/** Registers one chain per method on `path`, then a catch-all answering 405 for the others. */
export function resource(app: Hono, path: string, chains: Partial<Record<Method, RouteChain>>, options: ResourceOptions = {}): void {
  const methods = Object.keys(chains) as Method[];
  const head = options.head ?? true;
  for (const method of methods) {
    const chain = chains[method]!;
    if (method === "GET" && !head) {
      const refuseHead: MiddlewareHandler = async (c, next) => {
        if (c.req.raw.method === "HEAD") throw methodNotAllowed(c, methods, false);
        await next();
      };
      app.on(method, [path], refuseHead, ...(chain as unknown as MiddlewareHandler[]));
    } else app.on(method, [path], ...(chain as unknown as MiddlewareHandler[]));
  }
  app.all(path, function wrongMethod(c) {
    throw methodNotAllowed(c, methods, head);
  });
}
