/**
 * @module worker/misconfiguration — what a Worker that is set up wrong answers: an error that says
 * exactly what to add to `wrangler.toml` or to the main module, instead of a generic 500. The
 * Worker's `fetch` answers it as `{ code: "WorkerMisconfigured", message }` (500) and logs it once.
 */

export const MISCONFIGURED_CODE = "WorkerMisconfigured";
/** The class names the messages suggest (the names the README's wrangler.toml uses). */
export const INSTANCE_CLASS = "InstanceObject";
export const INDEX_CLASS = "IndexShard";
export const RUNNER_EXPORT = "ActivityRunner";

const EXPORT_LINE = `export const { ${INSTANCE_CLASS}, ${INDEX_CLASS}, ${RUNNER_EXPORT} } = edge;`;
const MIGRATION = `[[migrations]]\ntag = "v1"\nnew_sqlite_classes = ["${INSTANCE_CLASS}", "${INDEX_CLASS}"]`;

/** A Worker whose configuration cannot work. `code` is `WorkerMisconfigured`; the message says what to add. */
export class WorkerMisconfiguredError extends Error {
  readonly code = MISCONFIGURED_CODE;

  constructor(message: string) {
    super(message);
    this.name = "WorkerMisconfiguredError";
  }
}

/** One Durable Object binding the Worker needs, by role. */
export interface BindingProblem {
  /** The binding's name (the `bindings` option, default `INSTANCES` / `INDEX`). */
  name: string;
  className: string;
  /** What it holds, for the message. */
  role: string;
  /** The value found under that name (undefined: none). */
  found: unknown;
}

function bindingBlock(name: string, className: string): string {
  return `[[durable_objects.bindings]]\nname = "${name}"\nclass_name = "${className}"`;
}

/** Bindings that are missing, or bound to something that is not a Durable Object namespace. */
export function bindingsMessage(problems: readonly BindingProblem[]): string {
  const missing = problems.filter((p) => p.found === undefined || p.found === null);
  const wrong = problems.filter((p) => !missing.includes(p));
  const parts: string[] = [];
  if (missing.length > 0) {
    const names = missing.map((p) => `'${p.name}' (${p.role})`).join(" and ");
    parts.push(
      `The Worker has no Durable Object binding ${names}. Add to wrangler.toml:\n\n` +
        missing.map((p) => bindingBlock(p.name, p.className)).join("\n\n"),
    );
  }
  for (const p of wrong) {
    parts.push(
      `The binding '${p.name}' (${p.role}) is ${describe(p.found)}, not a Durable Object namespace. ` +
        `Remove that binding and bind the name to the ${p.className} class in wrangler.toml instead:\n\n${bindingBlock(p.name, p.className)}`,
    );
  }
  parts.push(
    `If no migration creates the classes yet, add one (SQLite-backed Durable Objects):\n\n${MIGRATION}\n\n` +
      `and export the classes from the Worker's main module: ${EXPORT_LINE}`,
  );
  return parts.join("\n\n");
}

/** The fetch handler's (or an object's) `ctx` has no `exports`. */
export const CTX_EXPORTS_MISSING =
  `ctx.exports is missing: instance objects reach the Worker's ${RUNNER_EXPORT} through it (each batch of activities is its own invocation). ` +
  `Set compatibility_date = "2025-11-17" or later in wrangler.toml (ctx.exports is on by default from that date), ` +
  `or add compatibility_flags = ["enable_ctx_exports"].`;

/** `ctx.exports` exists, but has no `ActivityRunner`. */
export const RUNNER_NOT_EXPORTED =
  `ctx.exports has no ${RUNNER_EXPORT}: instance objects run activities through it. ` +
  `Export it from the Worker's main module under that name, next to the Durable Object classes: ${EXPORT_LINE}`;

/** A `[vars]` value that does not parse; `message` names the variable and what it got. */
export function settingMessage(message: string, variable: string, option: string): string {
  return `${message} Fix ${variable} in wrangler.toml's [vars], or pass ${option} to createDurableWorker (the option wins over the variable).`;
}

/** What is wrong with `ctx.exports` (null: nothing). */
export function exportsProblem(ctx: unknown): WorkerMisconfiguredError | null {
  const exports = (ctx as { exports?: unknown } | null | undefined)?.exports;
  if (exports === undefined || exports === null || typeof exports !== "object") return new WorkerMisconfiguredError(CTX_EXPORTS_MISSING);
  if (!(exports as Record<string, unknown>)[RUNNER_EXPORT]) return new WorkerMisconfiguredError(RUNNER_NOT_EXPORTED);
  return null;
}

/** Logs each distinct misconfiguration once (the logger lives as long as its Worker: once per isolate). */
export function createOnceLogger(log: (message: string) => void = (message) => console.error(message)): (error: WorkerMisconfiguredError) => void {
  const seen = new Set<string>();
  return (error) => {
    if (seen.has(error.message)) return;
    seen.add(error.message);
    log(`durable-edge: the Worker is misconfigured. ${error.message}`);
  };
}

function describe(value: unknown): string {
  if (typeof value === "string") return "a string (a [vars] entry?)";
  if (typeof value !== "object" && typeof value !== "function") return `a ${typeof value}`;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== "" && name !== "Object" ? `a ${name}` : "an object";
}
