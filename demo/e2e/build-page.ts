/** Builds the page with Vite's JS API into a fresh temporary folder (tests never touch `demo/dist`). */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";

export const DEMO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export async function buildPage(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), "durable-edge-demo-"));
  await build({
    configFile: join(DEMO_DIR, "vite.config.ts"),
    logLevel: "warn",
    build: { outDir, emptyOutDir: true, sourcemap: false },
  });
  return outDir;
}
