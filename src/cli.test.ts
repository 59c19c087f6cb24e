/**
 * The CLI (`npx durable-edge replay | export`): its logic in process over a Node host, and once for
 * real, `node bin/durable-edge.mjs` spawned against the package built into a temporary folder.
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { createMemoryStore } from "../adapters/memory/index.ts";
import { helloSequence, humanInteraction, samples } from "../examples/index.ts";
import { Hono } from "hono";
import { createManagementApp } from "../worker/http/index.ts";
import { resolveDeps } from "../worker/http/options.ts";
import { registerTravelRoutes } from "../worker/http/routes/travel.ts";
import { createTestRuntime } from "../testing/index.ts";
import { fileNameOf, orchestratorsOf, runCli, type CliHost } from "./cli.ts";
import { createRuntime, orchestrator, type HistoryEvent } from "./index.ts";

const ROOT = resolve(import.meta.dirname, "..");

function nodeHost(cwd: string, overrides: Partial<CliHost> = {}): CliHost & { out: string; err: string } {
  const host = {
    out: "",
    err: "",
    cwd,
    env: {},
    version: "0.0.0-test",
    stdout: (t: string) => void (host.out += t),
    stderr: (t: string) => void (host.err += t),
    resolve: (...parts: string[]) => resolve(...parts),
    readText: (p: string) => readFile(p, "utf8"),
    listDir: async (p: string) => ((await stat(p)).isDirectory() ? readdir(p) : null),
    writeText: async (p: string, t: string) => {
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, t);
    },
    importModule: (p: string) => import(pathToFileURL(p).href),
    ...overrides,
  };
  return host;
}

let work: string;
let sequenceHistory: HistoryEvent[];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "durable-edge-cli-"));
  const t = createTestRuntime(samples);
  await t.run(helloSequence, { instanceId: "seq-1" });
  const waiting = await t.start(humanInteraction, { instanceId: "hi-1" });
  sequenceHistory = await t.client.getHistory("seq-1");
  mkdirSync(join(work, "histories/nested"), { recursive: true });
  writeFileSync(join(work, "histories/seq-1.json"), JSON.stringify(sequenceHistory));
  writeFileSync(join(work, "histories/nested/hi-1.json"), JSON.stringify(await t.client.getStatus(waiting, { showHistory: true, showHistoryOutput: true })));
  writeFileSync(join(work, "histories/notes.txt"), "not a history");
  // The tutorial's orchestrator with an activity renamed: breaks seq-1.
  writeFileSync(
    join(work, "renamed.ts"),
    `import { orchestrator } from ${JSON.stringify(join(ROOT, "src/index.ts"))};
export const helloSequence = orchestrator("OrchestratorFunction", function* (ctx) {
  return [yield* ctx.callActivity("Greet", "Tokyo")];
});
export { humanInteraction } from ${JSON.stringify(join(ROOT, "examples/human-interaction.ts"))};
`,
  );
  writeFileSync(join(work, "empty.ts"), "export const nothing = 1;\n");
});

describe("durable-edge replay", () => {
  it("exits 0 when every history in the files and folders replays cleanly", async () => {
    const host = nodeHost(work);
    const code = await runCli(["replay", "--module", join(ROOT, "examples/index.ts"), "histories"], host);
    expect(host.err).toBe("");
    expect(code).toBe(0);
    expect(host.out).toContain("ok    OrchestratorFunction [seq-1] — histories/seq-1.json (16 events)");
    expect(host.out).toContain("ok    HumanInteraction [hi-1] — histories/nested/hi-1.json");
    expect(host.out).toContain("2 histories replay cleanly.");
  });

  it("exits 1 with a report per history that does not replay: the event, the history, the code", async () => {
    const host = nodeHost(work);
    const code = await runCli(["replay", "--module", "renamed.ts", "histories/seq-1.json", "histories/nested"], host);
    expect(code).toBe(1);
    expect(host.out).toContain("FAIL  OrchestratorFunction [seq-1] — histories/seq-1.json");
    expect(host.out).toContain("event #2 TaskScheduled — nondeterministic");
    expect(host.out).toContain("history: activity 'OrchestratorFunction_Hello' with input \"Tokyo\" (sequence id 0)");
    expect(host.out).toContain("code:    the code scheduled activity 'Greet' with input \"Tokyo\" (sequence id 0)");
    expect(host.out).toContain("ok    HumanInteraction [hi-1]");
    expect(host.out).toContain("1 of 2 histories do not replay against this code.");
  });

  it("a tree's document (a move with its running sub-orchestrations): each instance in it is replayed", async () => {
    const source = (human: string) => `import { orchestrator, Task } from ${JSON.stringify(join(ROOT, "src/index.ts"))};
${human}
export const pair = orchestrator("Pair", function* (ctx) {
  return yield* Task.all(["a", "b"].map((k) => ctx.callSubOrchestrator("HumanInteraction", null, \`\${ctx.instanceId}:\${k}\`)));
});
`;
    writeFileSync(join(work, "tree.ts"), source(`export { humanInteraction } from ${JSON.stringify(join(ROOT, "examples/human-interaction.ts"))};`));
    writeFileSync(join(work, "tree-changed.ts"), source(`export const humanInteraction = orchestrator("HumanInteraction", function* (ctx) { return yield* ctx.callActivity("Ask", null); });`));
    const pair = ((await import(pathToFileURL(join(work, "tree.ts")).href)) as { pair: ReturnType<typeof orchestrator> }).pair;
    const t = createTestRuntime({ orchestrators: [pair, humanInteraction] });
    await t.start(pair, { instanceId: "pair-1" });
    const doc = await t.client.exportInstance("pair-1", { move: true });
    writeFileSync(join(work, "tree.json"), JSON.stringify(doc));

    const host = nodeHost(work);
    expect(await runCli(["replay", "--module", "tree.ts", "tree.json"], host)).toBe(0);
    expect(host.out).toContain("ok    Pair [pair-1] — tree.json (");
    expect(host.out).toContain("ok    HumanInteraction [pair-1:a] — tree.json descendants[0] (");
    expect(host.out).toContain("ok    HumanInteraction [pair-1:b] — tree.json descendants[1] (");
    expect(host.out).toContain("3 histories replay cleanly.");
    const changed = nodeHost(work);
    expect(await runCli(["replay", "--module", "tree-changed.ts", "tree.json"], changed)).toBe(1);
    expect(changed.out).toContain("FAIL  HumanInteraction [pair-1:b] — tree.json descendants[1]");
    expect(changed.out).toContain("ok    Pair [pair-1]");
    expect(changed.out).toContain("2 of 3 histories do not replay against this code.");
  });

  it("--json prints the results", async () => {
    const host = nodeHost(work);
    expect(await runCli(["replay", "--json", "--module=renamed.ts", "histories/seq-1.json"], host)).toBe(1);
    const [result] = JSON.parse(host.out);
    expect(result).toMatchObject({ ok: false, instanceId: "seq-1", source: "histories/seq-1.json", problems: [{ kind: "nondeterminism", eventIndex: 2, eventType: "TaskScheduled" }] });
  });

  it("a file that is not JSON is reported as unreadable (1); a file that does not exist is a usage error (2)", async () => {
    let host = nodeHost(work);
    expect(await runCli(["replay", "--module", "renamed.ts", "histories/notes.txt"], host)).toBe(1);
    expect(host.out).toContain("histories/notes.txt is not JSON");
    host = nodeHost(work);
    expect(await runCli(["replay", "--module", "renamed.ts", "nope.json"], host)).toBe(2);
    expect(host.err).toContain("No such history file or folder: nope.json");
  });

  it.each([
    [[], "No command given."],
    [["replay"], "replay needs --module <file>"],
    [["replay", "--module", "renamed.ts"], "replay needs at least one history file or folder."],
    [["replay", "--module", "empty.ts", "histories"], "empty.ts exports no orchestrators"],
    [["replay", "--module", "missing.mjs", "histories"], "No such module: missing.mjs"],
    [["replay", "--modul", "x"], "Unknown option '--modul'."],
    [["frobnicate"], "Unknown command 'frobnicate'."],
    [["export"], "export needs --from <worker url | wrangler state folder>"],
    [["export", "--from", ".wrangler/state"], "is neither a URL (http://…) nor a folder that exists"],
    [["export", "--from", "ftp://example.com"], "must be an http:// or https:// URL"],
    [["export", "--from", "http://127.0.0.1:1", "--config", "wrangler.toml"], "--config goes with a wrangler state folder"],
  ])("usage error %j → exit 2: %s", async (argv, message) => {
    const host = nodeHost(work);
    expect(await runCli(argv, host)).toBe(2);
    expect(host.err).toContain(message);
    expect(host.out).toBe("");
  });

  it("a TypeScript module under a Node that runs none: says how to run it", async () => {
    const host = nodeHost(work, {
      importModule: () => Promise.reject(Object.assign(new TypeError('Unknown file extension ".ts"'), { code: "ERR_UNKNOWN_FILE_EXTENSION" })),
    });
    expect(await runCli(["replay", "--module", "renamed.ts", "histories"], host)).toBe(2);
    expect(host.err).toContain('NODE_OPTIONS="--import tsx"');
    expect(host.err).toContain("Node ≥ 22.6");
  });

  it("help and --version", async () => {
    const host = nodeHost(work);
    expect(await runCli(["help"], host)).toBe(0);
    expect(host.out).toContain("durable-edge replay --module <file>");
    expect(await runCli(["--version"], host)).toBe(0);
    expect(host.out).toContain("0.0.0-test");
  });

  it("finds orchestrators in named exports, default arrays and objects, one level down", () => {
    const a = orchestrator("A", function* () {});
    const b = orchestrator("B", function* () {});
    const c = orchestrator("C", function* () {});
    expect(orchestratorsOf({ a, default: [b, a], config: { orchestrators: [c] }, other: 1 }).map((o) => o.name)).toEqual(["A", "B", "C"]);
  });

  it("file names for any instance id", () => {
    expect(fileNameOf("abc-1.2_x")).toBe("abc-1.2_x");
    expect(fileNameOf("a:b c")).toBe("a%3ab%20c");
    expect(fileNameOf(".hidden")).toBe("%2ehidden");
  });
});

describe("durable-edge export", () => {
  it("collects the histories of in-flight instances from a server into a folder, that replay then checks", async () => {
    const runtime = createRuntime({ store: createMemoryStore(), ...samples });
    const client = runtime.client;
    await client.startNew(humanInteraction, { instanceId: "wait:1" });
    await client.startNew(humanInteraction, { instanceId: "wait:2" });
    await client.startNew(helloSequence, { instanceId: "done" });
    await runtime.drain();
    const app = createManagementApp({ client, access: "open" });
    const requests: string[] = [];
    const host = nodeHost(work, {
      env: { DURABLE_EDGE_KEY: "k".repeat(20) },
      fetch: async (url, init) => {
        requests.push(`${init.method} ${url} ${init.headers.authorization ?? ""}`);
        return app.request(url, init);
      },
    });
    const code = await runCli(["export", "--from", "http://worker.test", "--status", "Running", "--out", "collected"], host);
    expect(host.err).toBe("");
    expect(code).toBe(0);
    expect(host.out).toMatch(/^Exported 2 histories of Running instances from http:\/\/worker\.test\/runtime\/webhooks\/durabletask into collected\//);
    expect(readdirSync(join(work, "collected")).sort()).toEqual(["wait%3a1.json", "wait%3a2.json"]);
    expect(requests[0]).toBe(`GET http://worker.test/runtime/webhooks/durabletask/instances?runtimeStatus=Running&showInput=false&top=500 Bearer ${"k".repeat(20)}`);
    const replay = nodeHost(work);
    expect(await runCli(["replay", "--module", join(ROOT, "examples/index.ts"), "collected"], replay)).toBe(0);
    expect(replay.out).toContain("2 histories replay cleanly.");
    await runtime.stop();
  });

  it("from a server with the export route: instance documents (snapshots: the instances go on running)", async () => {
    const runtime = createRuntime({ store: createMemoryStore(), ...samples });
    await runtime.client.startNew(humanInteraction, { instanceId: "doc-1" });
    await runtime.drain();
    const options = { client: runtime.client, access: "open" as const };
    const app = new Hono();
    registerTravelRoutes(app, resolveDeps(options));
    app.route("/", createManagementApp(options));
    const host = nodeHost(work, { fetch: async (url, init) => app.request(url, init) });
    expect(await runCli(["export", "--from", "http://worker.test", "--out", "documents", "--prefix", "doc-"], host)).toBe(0);
    expect(host.out).toMatch(/^Exported 1 history of Running\/Suspended instances .* into documents\/\.\n$/);
    const doc = JSON.parse(readFileSync(join(work, "documents/doc-1.json"), "utf8"));
    expect(doc).toMatchObject({ format: "durable-edge/instance", moved: false, instance: { instanceId: "doc-1", runtimeStatus: "Running" } });
    expect((await runtime.client.getStatus("doc-1"))!.runtimeStatus).toBe("Running");
    const replay = nodeHost(work);
    expect(await runCli(["replay", "--module", join(ROOT, "examples/index.ts"), "documents"], replay)).toBe(0);
    await runtime.stop();
  });

  it("a server that cannot be reached, or refuses the listing, is an error that says so", async () => {
    let host = nodeHost(work, { fetch: () => Promise.reject(new Error("connect ECONNREFUSED")) });
    expect(await runCli(["export", "--from", "http://127.0.0.1:1"], host)).toBe(2);
    expect(host.err).toContain("Cannot reach http://127.0.0.1:1/runtime/webhooks/durabletask: connect ECONNREFUSED");
    const app = createManagementApp({ client: createRuntime({ store: createMemoryStore(), ...samples }).client, access: "key" });
    host = nodeHost(work, { fetch: async (url, init) => app.request(url, init) });
    expect(await runCli(["export", "--from", "http://worker.test/"], host)).toBe(2);
    expect(host.err).toMatch(/Listing instances at http:\/\/worker\.test\/runtime\/webhooks\/durabletask\/instances failed: 40[13]/);
  });
});

describe("the real bin, spawned against the built package", () => {
  it("node bin/durable-edge.mjs replay: exit 0 for the samples, 1 for a breaking change, 2 for a usage error", () => {
    const pkg = buildBinPackage();
    writeFileSync(
      join(pkg, "changed.mjs"),
      `import { orchestrator } from "./dist/src/index.js";
export default [orchestrator("OrchestratorFunction", function* (ctx) { return [yield* ctx.callActivity("OrchestratorFunction_Hello", "Paris")]; })];
`,
    );
    writeFileSync(join(pkg, "seq-1.json"), JSON.stringify({ instanceId: "seq-1", history: sequenceHistory }));
    const bin = (args: string[]) => spawnSync(process.execPath, [join(pkg, "bin/durable-edge.mjs"), ...args], { cwd: pkg, encoding: "utf8" });

    const clean = bin(["replay", "--module", "samples.mjs", "seq-1.json"]);
    expect(clean.stderr).toBe("");
    expect(clean.stdout).toContain("ok    OrchestratorFunction [seq-1] — seq-1.json");
    expect(clean.status).toBe(0);

    const broken = bin(["replay", "--module", "changed.mjs", "seq-1.json"]);
    expect(broken.status).toBe(1);
    expect(broken.stdout).toContain("event #2 TaskScheduled");
    expect(broken.stdout).toContain('the code passed the input "Paris"');

    const usage = bin(["replay", "seq-1.json"]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("replay needs --module <file>");

    expect(bin(["--version"]).stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
  }, 60_000);
});

describe("export --from a wrangler state folder, with the real bin and wrangler dev", () => {
  it("serves a copy of the folder with the project's Worker, exports the instances in flight, and leaves the folder as it was", async () => {
    const { startWranglerDev } = await import("../test/support/wrangler-dev.ts");
    const pkg = buildBinPackage();

    // A state folder as wrangler dev leaves it: one instance waiting for its approval. The test
    // Worker's wrangler file (no static assets to build first); the export is given it with --config.
    const config = "worker/test/wrangler.toml";
    const state = mkdtempSync(join(tmpdir(), "durable-edge-state-"));
    const dev = await startWranglerDev({ persistTo: state, config });
    let id = "";
    try {
      const start = await fetch(`${dev.origin}/runtime/webhooks/durabletask/orchestrators/HumanInteraction`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ timeoutSeconds: 86_400 }) });
      expect(start.status, await start.clone().text()).toBe(202);
      id = ((await start.json()) as { id: string }).id;
      const deadline = Date.now() + 20_000;
      for (;;) {
        const status = (await (await fetch(`${dev.origin}/runtime/webhooks/durabletask/instances/${id}`)).json()) as { runtimeStatus: string };
        if (status.runtimeStatus === "Running") break;
        if (Date.now() > deadline) throw new Error(`still ${status.runtimeStatus}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await dev.stop();
    }
    const fingerprint = () => JSON.stringify(listFiles(state).map((f) => [f, statSync(join(state, f)).size, statSync(join(state, f)).mtimeMs]));
    const before = fingerprint();

    const out = join(pkg, "histories");
    const run = spawnAsync(process.execPath, [join(pkg, "bin/durable-edge.mjs"), "export", "--from", state, "--config", config, "--out", out], ROOT);
    const result = await run;
    expect(result.stderr).toBe("");
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/Exported 1 history of Running\/Suspended instances from .*served at http:\/\/127\.0\.0\.1:\d+/);
    const doc = JSON.parse(readFileSync(join(out, `${id}.json`), "utf8")) as { instance: { instanceId: string; runtimeStatus: string }; history: unknown[] };
    expect(doc.instance).toMatchObject({ instanceId: id, runtimeStatus: "Running" });
    expect(doc.history.length).toBeGreaterThan(3);
    expect(fingerprint()).toBe(before);
    const replay = spawnSync(process.execPath, [join(pkg, "bin/durable-edge.mjs"), "replay", "--module", "samples.mjs", out], { cwd: pkg, encoding: "utf8" });
    expect(replay.status, replay.stdout + replay.stderr).toBe(0);

    const notState = spawnSync(process.execPath, [join(pkg, "bin/durable-edge.mjs"), "export", "--from", pkg], { cwd: ROOT, encoding: "utf8" });
    expect(notState.status).toBe(2);
    expect(notState.stderr).toContain("is not a wrangler state folder");
  }, 240_000);
});

/**
 * The package built into a temporary folder (dist, bin, package.json) with `samples.mjs`, a user's
 * module that imports the same build the CLI runs (as node_modules/durable-edge would be).
 */
function buildBinPackage(): string {
  const pkg = mkdtempSync(join(tmpdir(), "durable-edge-bin-"));
  const build = spawnSync(
    process.execPath,
    [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(ROOT, "tsconfig.build.json"), "--outDir", join(pkg, "dist"), "--declaration", "false", "--declarationMap", "false", "--sourceMap", "false"],
    { cwd: ROOT, encoding: "utf8" },
  );
  expect(build.status, build.stdout + build.stderr).toBe(0);
  mkdirSync(join(pkg, "bin"));
  copyFileSync(join(ROOT, "bin/durable-edge.mjs"), join(pkg, "bin/durable-edge.mjs"));
  copyFileSync(join(ROOT, "package.json"), join(pkg, "package.json"));
  writeFileSync(join(pkg, "samples.mjs"), `export * from "./dist/examples/index.js";\n`);
  return pkg;
}

function listFiles(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(dir, join(prefix, e.name)) : [join(prefix, e.name)])).sort();
}

function spawnAsync(command: string, args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...WRANGLER_ENV } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.once("exit", (code) => done({ code, stdout, stderr }));
  });
}

const WRANGLER_ENV = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true" };
