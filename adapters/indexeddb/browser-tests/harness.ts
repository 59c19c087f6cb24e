/**
 * Runs pages in Debian's headless Chromium (never a downloaded browser): bundles a page entry with
 * esbuild, serves it from 127.0.0.1 on a random port, and launches /usr/bin/chromium through
 * playwright-core. Shared by the Chromium tests and the browser benchmark.
 */
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--no-first-run",
];

export const chromiumAvailable = () => existsSync(CHROMIUM_PATH);

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Bundles `entry` (a path relative to this folder, or absolute) into one ES module. */
export async function bundlePage(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry.startsWith("/") ? entry : here(entry)],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
    alias: { vitest: here("./vitest-shim.ts"), "durable-edge": here("../../../src/index.ts") },
  });
  return result.outputFiles[0]!.text;
}

export interface PageServer {
  /** The page's address; add `?db=…` etc. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves an HTML page that loads `script` as a module, at `/`. */
export async function servePage(script: string): Promise<PageServer> {
  const html = `<!doctype html><meta charset="utf-8"><title>durable-edge test page</title><script type="module" src="/page.js"></script>`;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/page.js") {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-store" });
      res.end(script);
    } else if (path === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      res.end(html);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}
