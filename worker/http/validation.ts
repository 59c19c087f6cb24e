/**
 * @module worker/http/validation — the routes' parameters validated with their Valibot schemas
 * through Hono's standard validator (`@hono/standard-validator`). A refused value is a 400 JSON
 * `{ code, message }` naming the parameter, before anything reaches the client.
 */
import { sValidator } from "@hono/standard-validator";
import type { Context, MiddlewareHandler } from "hono";
import * as v from "valibot";
import { HttpError } from "./errors.ts";
import type { ParamSpecs } from "./schemas.ts";

type Target = "query" | "param" | "header";

interface Issue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/**
 * Query names in any case (`showhistory=true`), as ASP.NET reads them; the first value of a
 * repeated single-valued parameter counts, every value of a multi-valued one (`runtimeStatus`).
 * Unknown names are dropped.
 */
function canonical(specs: ParamSpecs, target: Target) {
  const names = new Map(Object.keys(specs).map((name) => [name.toLowerCase(), name]));
  return (raw: unknown): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(raw as Record<string, string | string[]>)) {
      const name = target === "param" ? (Object.hasOwn(specs, key) ? key : undefined) : names.get(key.toLowerCase());
      if (name === undefined) continue;
      const values = Array.isArray(value) ? value : [value];
      if (specs[name]!.multi) out[name] = [...((out[name] as string[] | undefined) ?? []), ...values];
      else if (!(name in out)) out[name] = values[0];
    }
    return out;
  };
}

function schemaOf(specs: ParamSpecs, target: Target) {
  const entries: Record<string, v.GenericSchema> = {};
  for (const [name, spec] of Object.entries(specs)) entries[name] = v.optional(spec.schema as v.GenericSchema);
  return v.pipe(v.unknown(), v.transform(canonical(specs, target)), v.object(entries));
}

function firstKey(issue: Issue): string | undefined {
  const first = issue.path?.[0];
  const key = typeof first === "object" && first !== null ? first.key : first;
  return typeof key === "string" ? key : undefined;
}

/** Validates one part of the request; the parsed values are `valid(c, target)`. */
export function validate(target: Target, specs: ParamSpecs): MiddlewareHandler {
  return sValidator(target, schemaOf(specs, target), (result) => {
    if (result.success) return;
    const issue = (result.error as readonly Issue[])[0];
    const name = issue ? firstKey(issue) : undefined;
    const code = (name !== undefined ? specs[name]?.code : undefined) ?? "InvalidArgument";
    throw new HttpError(400, code, issue?.message ?? `The ${target} is not valid.`);
  }) as unknown as MiddlewareHandler;
}

/** What `validate(target, …)` parsed (absent parameters are undefined). */
export function valid<T extends Record<string, unknown> = Record<string, unknown>>(c: Context, target: Target): Partial<T> {
  return (c.req.valid as unknown as (t: Target) => Partial<T>)(target);
}
