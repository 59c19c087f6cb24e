/**
 * The package as users get it: `npm pack` of this repository (its `prepack` builds dist/), and the
 * starter projects of examples/*-app copied out of the tree and installed from that tarball.
 */
import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runOk, type RunResult } from "./processes.ts";

export const ROOT = resolve(import.meta.dirname, "../..");

/** What `npm pack --json` says about the tarball. */
export interface PackedPackage {
  /** Absolute path of the .tgz. */
  tarball: string;
  /** Bytes of the .tgz. */
  size: number;
  unpackedSize: number;
  entryCount: number;
  /** Paths inside the package (no `package/` prefix). */
  files: string[];
  /** How long `npm pack` (build included) took. */
  ms: number;
}

/** What is not copied of the working tree: installs, git, build output, local state. */
const NOT_COPIED = /^[/\\](\.git|dist|test-results|coverage)([/\\]|$)|[/\\](node_modules|\.wrangler)([/\\]|$)/;

/**
 * `npm pack` of the working tree into `destination`: runs `prepack` (the build) as a publish would.
 * It packs a copy of the tree (in `destination/source`, sharing node_modules), so that the build
 * neither clobbers the repository's dist/ nor races another build of it.
 * With `prebuilt` (a .tgz), packs nothing and describes that tarball instead.
 */
export async function packLibrary(destination: string, prebuilt?: string): Promise<PackedPackage> {
  if (prebuilt) return describeTarball(resolve(prebuilt), await runOk("npm", ["pack", resolve(prebuilt), "--dry-run", "--json"], { cwd: destination }));
  const source = join(destination, "source");
  cpSync(ROOT, source, { recursive: true, filter: (path) => !NOT_COPIED.test(path.slice(ROOT.length)) });
  symlinkSync(join(ROOT, "node_modules"), join(source, "node_modules"), "dir");
  const packed = await runOk("npm", ["pack", "--json", "--pack-destination", destination], { cwd: source, timeoutMs: 240_000 });
  return describeTarball(undefined, packed, destination);
}

function describeTarball(tarball: string | undefined, { output, stdout, ms }: RunResult, destination = ""): PackedPackage {
  // The build's own output (from prepack) comes first on stdout; the JSON report ends it.
  const start = stdout.search(/^\[\s*\{\s*"id"/m);
  if (start < 0) throw new Error(`npm pack printed no JSON report:\n${output}`);
  const [report] = JSON.parse(stdout.slice(start)) as Array<{
    filename: string;
    size: number;
    unpackedSize: number;
    entryCount: number;
    files: Array<{ path: string }>;
  }>;
  if (!report) throw new Error(`npm pack reported no package:\n${output}`);
  return {
    tarball: tarball ?? join(destination, report.filename),
    size: report.size,
    unpackedSize: report.unpackedSize,
    entryCount: report.entryCount,
    files: report.files.map((f) => f.path),
    ms,
  };
}

const NPM_INSTALL = ["install", "--no-audit", "--no-fund", "--prefer-offline"];

/**
 * Copies `examples/<name>` (without its node_modules, dist, .wrangler) into a new temporary folder,
 * points its `durable-edge` dependency at the tarball and runs `npm install` there, with
 * `extraPackages` (e.g. `typescript@latest`) added as a user would with `npm i -D`.
 */
export async function installStarter(name: string, tarball: string, extraPackages: string[] = []): Promise<{ dir: string; ms: number }> {
  const source = join(ROOT, "examples", name);
  const dir = mkdtempSync(join(tmpdir(), `durable-edge-${name}-`));
  cpSync(source, dir, {
    recursive: true,
    filter: (path) => !/[/\\](node_modules|dist|\.wrangler)([/\\]|$)/.test(path.slice(source.length)),
  });
  const manifestPath = join(dir, "package.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { dependencies?: Record<string, string> };
  if (!manifest.dependencies?.["durable-edge"]) throw new Error(`examples/${name}/package.json does not depend on durable-edge.`);
  manifest.dependencies["durable-edge"] = `file:${tarball}`;
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  const extra = extraPackages.length > 0 ? ["--save-dev", ...extraPackages] : [];
  const { ms } = await runOk("npm", [...NPM_INSTALL, ...extra], { cwd: dir, timeoutMs: 240_000 });
  return { dir, ms };
}

/** `npx <bin>` of the project's own install (never a download). */
export function projectBin(dir: string, bin: string): string {
  return join(dir, "node_modules", ".bin", bin);
}
