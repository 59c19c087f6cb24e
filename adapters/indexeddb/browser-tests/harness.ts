/**
 * Runs pages in Debian's headless Chromium (never a downloaded browser): bundles a page entry with
 * esbuild, serves it from 127.0.0.1 on a random port, and launches /usr/bin/chromium through
 * playwright-core. Shared by the Chromium tests and the browser benchmark.
 */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromiumInstalled } from "../../../test/support/chromium.ts";
import { listenLocal, type LocalServer } from "../../../test/support/local-server.ts";

export { CHROMIUM_PATH, launchChromium } from "../../../test/support/chromium.ts";
export const chromiumAvailable = chromiumInstalled;

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

export type PageServer = LocalServer;

/** Answers a JSON route of the test server: the value to send, with status 200, or a `status` of its own. */
export type JsonRoute = (url: URL) => { status?: number; body: unknown };

/**
 * Serves an HTML page that loads `script` as a module, at `/`, and each of `routes` (path → JSON
 * answer) for activities that call `fetch`. `/sandboxed` is the same page in a sandbox without
 * `allow-same-origin` (an opaque origin, where the browser denies storage), as in a sandboxed frame.
 */
export function servePage(script: string, routes: Record<string, JsonRoute> = {}): Promise<PageServer> {
  const html = `<!doctype html><meta charset="utf-8"><title>durable-edge test page</title><script type="module" src="/page.js"></script>`;
  return listenLocal((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const path = url.pathname;
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (route) {
      const { status = 200, body } = route(url);
      res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(body));
    } else if (path === "/page.js") {
      // An opaque origin loads its module script in CORS mode.
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-store", "access-control-allow-origin": "*" });
      res.end(script);
    } else if (path === "/" || path === "/sandboxed") {
      const sandbox = path === "/sandboxed" ? { "content-security-policy": "sandbox allow-scripts" } : {};
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", ...sandbox });
      res.end(html);
    } else {
      res.writeHead(404).end();
    }
  });
}
