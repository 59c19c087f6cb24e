/**
 * The core stays portable: `src/` imports only `src/` (relative paths), never a platform module,
 * an adapter, a host, or a third-party package. (Globals are policed by `tsconfig.core.json`,
 * which type-checks `src/` against the ECMAScript library alone.)
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "testing" ? [] : sources(path);
    return /\.ts$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : [];
  });
}

function importsOf(code: string): string[] {
  const specifiers: string[] = [];
  const pattern = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;
  for (const m of code.matchAll(pattern)) specifiers.push((m[1] ?? m[2] ?? m[3])!);
  return specifiers;
}

describe("the core's import boundary", () => {
  const files = sources(SRC);

  it("finds the core's files", () => {
    expect(files.length).toBeGreaterThan(10);
    expect(files.some((f) => f.endsWith("executor.ts"))).toBe(true);
  });

  it.each(files.map((f) => [relative(SRC, f), f]))("%s imports only the core", (_name, file) => {
    for (const specifier of importsOf(readFileSync(file, "utf8"))) {
      expect(specifier, `${file} imports ${specifier}`).toMatch(/^\.\.?\//);
      expect(resolve(dirname(file), specifier).startsWith(SRC + "/"), `${file} reaches outside src/ with ${specifier}`).toBe(true);
    }
  });

  it("the checker itself catches a platform import", () => {
    expect(importsOf('import { openDB } from "idb";\nimport fs from "node:fs";\nexport { x } from "./x.ts";')).toEqual(["idb", "node:fs", "./x.ts"]);
  });
});
