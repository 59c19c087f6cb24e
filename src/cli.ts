/**
 * @module cli — `npx durable-edge …`: replay recorded histories against your orchestrators before
 * you deploy, and collect the histories of live instances to check in. Platform-free like the
 * rest of the core: the host (`bin/durable-edge.mjs` on Node) lends it files, module loading,
 * fetch and output, so tests run it in process.
 *
 * Exit codes: 0 everything replayed cleanly (or exported); 1 a history does not replay (or an
 * instance could not be exported), with a report per history; 2 a usage error (bad arguments, a
 * file or module that cannot be read, a server that cannot be reached).
 */
import type { OrchestratorDefinition } from "./definitions.ts";
import { Registry } from "./definitions.ts";
import { isInstanceDocument } from "./instance-document.ts";
import { formatReplayReport, replayHistories, type ReplayResult } from "./replay.ts";

/** What the CLI needs from its host. Paths are the host's (absolute once resolved). */
export interface CliHost {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  stdout(text: string): void;
  stderr(text: string): void;
  resolve(...parts: string[]): string;
  /** The text of a file; rejects when it cannot be read. */
  readText(path: string): Promise<string>;
  /** The names in a directory, or null when `path` is a file; rejects when it does not exist. */
  listDir(path: string): Promise<string[] | null>;
  /** Writes a file, creating its directory. */
  writeText(path: string, text: string): Promise<void>;
  /** Imports a module by path (the user's orchestrators). */
  importModule(path: string): Promise<Record<string, unknown>>;
  fetch?: ((url: string, init: { method: string; headers: Record<string, string> }) => Promise<CliResponse>) | undefined;
  /**
   * Serves a copy of a wrangler state folder (`.wrangler/state`) with the project's Worker
   * (`wrangler dev --persist-to <copy>`), so `export --from <folder>` can read it; the folder
   * itself is never written. Resolves once the Worker answers.
   */
  serveStateDir?: ((dir: string, options: { config?: string | undefined }) => Promise<ServedState>) | undefined;
  /** The package's version, for `--version`. */
  version?: string | undefined;
}

export interface ServedState {
  /** Where the Worker listens (loopback). */
  url: string;
  stop(): Promise<void>;
}

export interface CliResponse {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

class UsageError extends Error {}

export const USAGE = `Usage:
  durable-edge replay --module <file> [--module <file>…] <history.json | folder>… [--json] [--lenient] [--no-output-check]
      Replays each history (an export document, every instance of a tree's document, stored events,
      or Durable Functions' historyEvents) against the orchestrators the module exports. Exit 0: all replay cleanly; 1: a report per
      history that does not; 2: usage error.
      --module           a .mjs/.js module (or .ts under tsx or Node ≥ 22.6 type stripping) exporting
                         orchestrator definitions: named exports, or a default export array/object
      --json             print the results as JSON instead of the report
      --lenient          count only what would fail instances in flight (not divergences)
      --no-output-check  do not compare completed histories' outputs

  durable-edge export --from <worker url | wrangler state folder> [--status Running,Suspended] [--out histories]
                      [--prefix <id prefix>] [--key <key>] [--base-path /runtime/webhooks/durabletask] [--limit <n>]
                      [--config wrangler.toml]
      Writes the history of each matching instance of a running Worker (wrangler dev or deployed)
      into <out>/<instanceId>.json, to check in and replay in CI. Snapshots only: the instances go
      on running. The key defaults to $DURABLE_EDGE_KEY. Given a wrangler state folder (e.g.
      .wrangler/state), it serves a copy of it with this project's Worker (wrangler dev, on
      loopback; --config picks the wrangler file) and exports from that: the folder is not changed.

  durable-edge help | --version`;

/** Runs the CLI; resolves with the exit code. Never throws. */
export async function runCli(argv: readonly string[], host: CliHost): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "replay":
        return await replayCommand(rest, host);
      case "export":
        return await exportCommand(rest, host);
      case "--version":
      case "-v":
        host.stdout(`${host.version ?? "unknown"}\n`);
        return 0;
      case "help":
      case "--help":
      case "-h":
        host.stdout(`${USAGE}\n`);
        return 0;
      case undefined:
        throw new UsageError("No command given.");
      default:
        throw new UsageError(`Unknown command '${command}'.`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      host.stderr(`durable-edge: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    host.stderr(`durable-edge: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}

// --- arguments ---

interface Parsed {
  values: Map<string, string[]>;
  flags: Set<string>;
  positional: string[];
}

function parseArgs(args: readonly string[], valued: readonly string[], flags: readonly string[]): Parsed {
  const parsed: Parsed = { values: new Map(), flags: new Set(), positional: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      parsed.positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--")) {
      parsed.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (valued.includes(name)) {
      const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
      if (value === undefined || value === "") throw new UsageError(`--${name} needs a value.`);
      const list = parsed.values.get(name) ?? [];
      list.push(value);
      parsed.values.set(name, list);
    } else if (flags.includes(name) && eq < 0) {
      parsed.flags.add(name);
    } else {
      throw new UsageError(`Unknown option '${arg}'.`);
    }
  }
  return parsed;
}

function single(parsed: Parsed, name: string): string | undefined {
  const values = parsed.values.get(name);
  if (values && values.length > 1) throw new UsageError(`--${name} is given more than once.`);
  return values?.[0];
}

// --- replay ---

async function replayCommand(args: readonly string[], host: CliHost): Promise<number> {
  const parsed = parseArgs(args, ["module"], ["json", "lenient", "no-output-check"]);
  const modules = parsed.values.get("module") ?? [];
  if (modules.length === 0) throw new UsageError("replay needs --module <file>: the module that exports your orchestrators.");
  if (parsed.positional.length === 0) throw new UsageError("replay needs at least one history file or folder.");

  const orchestrators: OrchestratorDefinition[] = [];
  for (const m of modules) orchestrators.push(...(await loadOrchestrators(host, m)));
  let registry: Registry;
  try {
    registry = new Registry(orchestrators);
  } catch (error) {
    throw new Error(`The modules' orchestrators clash: ${(error as Error).message}`);
  }

  const histories: unknown[] = [];
  const sources: string[] = [];
  const unreadable: ReplayResult[] = [];
  for (const file of await historyFiles(host, parsed.positional)) {
    const label = relativeLabel(host, file);
    let value: unknown;
    try {
      value = JSON.parse(await host.readText(file));
    } catch (error) {
      const message = `${label} is not JSON: ${(error as Error).message}`;
      unreadable.push({ ok: false, instanceId: "", name: "", source: label, format: null, events: 0, problems: [{ kind: "unreadable", eventIndex: -1, eventType: null, expected: "a JSON history", actual: message, message }] });
      continue;
    }
    const many = Array.isArray(value) && value.length > 0 && value.every((v) => isHistoryContainer(v));
    for (const [i, h] of (many ? (value as unknown[]) : [value]).entries()) {
      // A tree's document (a move of an instance with its running sub-orchestrations): each of its instances.
      for (const [member, where] of treeMembers(h)) {
        histories.push(member);
        sources.push(`${many ? `${label}[${i}]` : label}${where}`);
      }
    }
  }
  const results = [
    ...unreadable,
    ...replayHistories(registry, histories, {
      sources,
      strict: !parsed.flags.has("lenient"),
      checkOutput: !parsed.flags.has("no-output-check"),
    }),
  ];
  if (parsed.flags.has("json")) host.stdout(`${JSON.stringify(results, null, 2)}\n`);
  else host.stdout(`${formatReplayReport(results)}\n`);
  return results.every((r) => r.ok) ? 0 : 1;
}

/** The instances of a tree's document (`descendants`), each with where it is in it; any other history alone. */
function treeMembers(value: unknown): [unknown, string][] {
  if (!isInstanceDocument(value)) return [[value, ""]];
  const { descendants, ...root } = value as { descendants?: unknown };
  if (!Array.isArray(descendants)) return [[value, ""]];
  return [[root, ""], ...descendants.map((d, i): [unknown, string] => [d, ` descendants[${i}]`])];
}

/** An export document, a status payload or `{ history }`: a file may hold an array of them. */
function isHistoryContainer(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && ("format" in value || "historyEvents" in value || "history" in value);
}

function relativeLabel(host: CliHost, path: string): string {
  const base = host.cwd.endsWith("/") || host.cwd.endsWith("\\") ? host.cwd : `${host.cwd}/`;
  return path.startsWith(base) ? path.slice(base.length) : path;
}

async function historyFiles(host: CliHost, args: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  const walk = async (path: string, explicit: boolean): Promise<void> => {
    let entries: string[] | null;
    try {
      entries = await host.listDir(path);
    } catch {
      throw new UsageError(`No such history file or folder: ${relativeLabel(host, path)}`);
    }
    if (entries === null) {
      if (explicit || path.endsWith(".json")) files.push(path);
      return;
    }
    for (const name of entries.sort()) {
      if (name.startsWith(".") || name === "node_modules") continue;
      await walk(host.resolve(path, name), false);
    }
  };
  for (const arg of args) await walk(host.resolve(host.cwd, arg), true);
  if (files.length === 0) throw new UsageError(`No .json histories found in ${args.join(", ")}.`);
  return files;
}

function isOrchestrator(value: unknown): value is OrchestratorDefinition {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { kind?: unknown }).kind === "orchestrator" &&
    typeof (value as { name?: unknown }).name === "string" &&
    typeof (value as { fn?: unknown }).fn === "function"
  );
}

/**
 * Every orchestrator a module exports: named exports, a default export that is one, or an array or
 * object of them (one level down too, e.g. `export default { orchestrators: [...], activities }`).
 */
export function orchestratorsOf(namespace: Record<string, unknown>): OrchestratorDefinition[] {
  const found = new Set<OrchestratorDefinition>();
  const visit = (value: unknown, depth: number) => {
    if (isOrchestrator(value)) found.add(value);
    else if (depth < 2 && Array.isArray(value)) for (const v of value) visit(v, depth + 1);
    else if (depth < 2 && typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
      for (const v of Object.values(value)) visit(v, depth + 1);
    }
  };
  for (const value of Object.values(namespace)) visit(value, 0);
  return [...found];
}

async function loadOrchestrators(host: CliHost, file: string): Promise<OrchestratorDefinition[]> {
  const path = host.resolve(host.cwd, file);
  let namespace: Record<string, unknown>;
  try {
    namespace = await host.importModule(path);
  } catch (error) {
    const err = error as { code?: unknown; message?: unknown };
    if (err.code === "ERR_UNKNOWN_FILE_EXTENSION" && /\.[cm]?ts$/.test(path)) {
      throw new UsageError(
        `Cannot load ${file}: this Node runs no TypeScript. Run the CLI under tsx (NODE_OPTIONS="--import tsx" npx durable-edge replay …), ` +
          `use Node ≥ 22.6 with type stripping (NODE_OPTIONS=--experimental-strip-types; on by default from Node 23.6), or point --module at the built .js file.`,
      );
    }
    if (err.code === "ERR_MODULE_NOT_FOUND" && typeof err.message === "string" && err.message.includes(path)) {
      throw new UsageError(`No such module: ${file}`);
    }
    throw new Error(`Cannot load ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const orchestrators = orchestratorsOf(namespace);
  if (orchestrators.length === 0) {
    throw new UsageError(
      `${file} exports no orchestrators. Export the definitions (export const flow = orchestrator("Flow", function* (ctx) { … })), or export default an array or object of them.`,
    );
  }
  return orchestrators;
}

// --- export ---

const DEFAULT_BASE_PATH = "/runtime/webhooks/durabletask";
const CONTINUATION_HEADER = "x-ms-continuation-token";

async function exportCommand(args: readonly string[], host: CliHost): Promise<number> {
  const parsed = parseArgs(args, ["from", "status", "out", "key", "base-path", "prefix", "limit", "config"], []);
  if (parsed.positional.length > 0) throw new UsageError(`Unexpected argument '${parsed.positional[0]}'.`);
  const from = single(parsed, "from");
  if (!from) throw new UsageError("export needs --from <worker url | wrangler state folder>, e.g. --from http://127.0.0.1:8787 or --from .wrangler/state.");
  const config = single(parsed, "config");
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(from)) {
    if (config !== undefined) throw new UsageError("--config goes with a wrangler state folder, not with a URL.");
    return exportFromUrl(from, parsed, host);
  }
  return exportFromStateDir(from, config, parsed, host);
}

/** `--from <folder>`: serves a copy of the wrangler state folder with the project's Worker, and exports from it. */
async function exportFromStateDir(from: string, config: string | undefined, parsed: Parsed, host: CliHost): Promise<number> {
  const dir = host.resolve(host.cwd, from);
  let entries: string[] | null;
  try {
    entries = await host.listDir(dir);
  } catch {
    throw new UsageError(`--from '${from}' is neither a URL (http://…) nor a folder that exists.`);
  }
  if (entries === null) throw new UsageError(`--from '${from}' is a file; give a Worker's URL or a wrangler state folder (e.g. .wrangler/state).`);
  if (!entries.includes("v3")) {
    throw new UsageError(`'${from}' is not a wrangler state folder: it has no v3/ inside. wrangler dev keeps its state in .wrangler/state (or the folder given to --persist-to).`);
  }
  if (!host.serveStateDir) throw new UsageError("This host cannot serve a wrangler state folder; run wrangler dev --persist-to <folder> and give its URL.");
  const configPath = config === undefined ? undefined : host.resolve(host.cwd, config);
  let served: ServedState;
  try {
    served = await host.serveStateDir(dir, { config: configPath });
  } catch (error) {
    throw new UsageError(`Could not serve '${from}' with this project's Worker: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return await exportFromUrl(served.url, parsed, host, `${relativeLabel(host, dir)} (served at ${served.url})`);
  } finally {
    await served.stop();
  }
}

async function exportFromUrl(from: string, parsed: Parsed, host: CliHost, label?: string): Promise<number> {
  if (!/^https?:\/\//i.test(from)) throw new UsageError(`--from must be an http:// or https:// URL, got '${from}'.`);
  const fetch = host.fetch;
  if (!fetch) throw new Error("This host has no fetch.");
  const basePath = single(parsed, "base-path") ?? DEFAULT_BASE_PATH;
  try {
    new URL(from);
  } catch {
    throw new UsageError(`--from is not a URL: '${from}'.`);
  }
  const root = from.replace(/\/+$/, "");
  const base = root.endsWith(basePath.replace(/\/+$/, "")) ? root : `${root}${basePath.replace(/\/+$/, "")}`;
  const statuses = (single(parsed, "status") ?? "Running,Suspended").split(",").map((s) => s.trim()).filter(Boolean);
  const out = host.resolve(host.cwd, single(parsed, "out") ?? "histories");
  const prefix = single(parsed, "prefix");
  const limitText = single(parsed, "limit");
  const limit = limitText === undefined ? Infinity : Number(limitText);
  if (!(limit > 0) || (limit !== Infinity && !Number.isInteger(limit))) throw new UsageError(`--limit must be a positive whole number, got '${limitText}'.`);
  const key = single(parsed, "key") ?? host.env.DURABLE_EDGE_KEY;
  const headers: Record<string, string> = { accept: "application/json" };
  if (key) headers.authorization = `Bearer ${key}`;

  const get = async (path: string): Promise<{ status: number; body: unknown; headers: CliResponse["headers"] }> => {
    let response: CliResponse;
    try {
      response = await fetch(`${base}${path}`, { method: "GET", headers });
    } catch (error) {
      throw new Error(`Cannot reach ${base}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: kept as text
    }
    return { status: response.status, body, headers: response.headers };
  };
  const explain = (r: { status: number; body: unknown }) => {
    const b = r.body as { code?: unknown; message?: unknown } | null;
    return `${r.status}${b && typeof b === "object" && typeof b.message === "string" ? ` ${String(b.code ?? "")}: ${b.message}` : ""}`;
  };

  const ids: string[] = [];
  let token = "";
  do {
    let query = `runtimeStatus=${encodeURIComponent(statuses.join(","))}&showInput=false&top=500`;
    if (prefix) query += `&instanceIdPrefix=${encodeURIComponent(prefix)}`;
    const listHeaders = token ? { ...headers, [CONTINUATION_HEADER]: token } : headers;
    let response: CliResponse;
    try {
      response = await fetch(`${base}/instances?${query}`, { method: "GET", headers: listHeaders });
    } catch (error) {
      throw new Error(`Cannot reach ${base}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const text = await response.text();
    if (response.status !== 200) {
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON
      }
      throw new Error(`Listing instances at ${base}/instances failed: ${explain({ status: response.status, body })}`);
    }
    const page = JSON.parse(text) as { instanceId?: unknown }[];
    for (const s of page) if (typeof s.instanceId === "string" && ids.length < limit) ids.push(s.instanceId);
    token = response.headers.get(CONTINUATION_HEADER) ?? "";
  } while (token && ids.length < limit);

  let written = 0;
  let rendered = 0;
  const failures: string[] = [];
  for (const id of ids) {
    const path = `/instances/${encodeURIComponent(id)}`;
    let doc = await get(`${path}/export`);
    if (doc.status === 404 && (doc.body as { code?: unknown } | null)?.code !== "InstanceNotFound") {
      // A server without the export route (Durable Functions, older Durable Edge): its rendered history.
      doc = await get(`${path}?showHistory=true&showHistoryOutput=true&showInput=true`);
      if (doc.status === 200 || doc.status === 202) rendered++;
    }
    if (doc.status === 404) continue; // gone meanwhile (purged)
    if (doc.status !== 200 && doc.status !== 202) {
      failures.push(`${id}: ${explain(doc)}`);
      continue;
    }
    await host.writeText(host.resolve(out, `${fileNameOf(id)}.json`), `${JSON.stringify(doc.body, null, 2)}\n`);
    written++;
  }
  const where = relativeLabel(host, out);
  host.stdout(
    `Exported ${written} ${written === 1 ? "history" : "histories"} of ${statuses.join("/")} instances from ${label ?? base} into ${where}/` +
      (rendered > 0 ? ` (${rendered} as Durable Functions historyEvents: that server has no export route).` : ".") +
      "\n",
  );
  for (const f of failures) host.stderr(`durable-edge: could not export ${f}\n`);
  return failures.length === 0 ? 0 : 1;
}

/** A file name for an instance id: ids may hold characters file systems refuse. */
export function fileNameOf(instanceId: string): string {
  const safe = instanceId.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return safe.startsWith(".") ? `%2e${safe.slice(1)}` : safe;
}
