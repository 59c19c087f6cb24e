/**
 * The built page and the management API on one local origin, in Node: `createManagementApp` over
 * the memory runtime with the samples (activities given a little simulated work, as in the tab),
 * whose instance stream is pushed by the runtime's client (`watch`), as the Worker's is by its
 * Durable Objects (`stream.pollMs` is only for a client without `watch`). Requests are bridged to the app's `fetch`, responses streamed back (so
 * server-sent events arrive as they are written), and a closed connection aborts the request.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createMemoryStore } from "../../adapters/memory/index.ts";
import { samples } from "../../examples/index.ts";
import { createRuntime, type Runtime } from "../../src/index.ts";
import { listenLocal, type LocalServer } from "../../test/support/local-server.ts";
import { createManagementApp } from "../../worker/http/app.ts";
import type { ManagementAppOptions } from "../../worker/http/options.ts";
import { withSimulatedWork } from "../src/tab-activities.ts";
import { serveStatic } from "./static-server.ts";

export interface ApiServer extends LocalServer {
  runtime: Runtime;
}

export async function serveWithApi(pageDir: string): Promise<ApiServer> {
  const runtime = createRuntime({ store: createMemoryStore(), orchestrators: samples.orchestrators, activities: withSimulatedWork(samples.activities), logger: { debug() {}, info() {}, warn() {}, error() {} } });
  runtime.start();
  const options: ManagementAppOptions = { client: runtime.client, access: "open", logger: { error() {} }, stream: { pollMs: 100 } };
  const app = createManagementApp(options);
  const page = await serveStatic(pageDir);
  const server = await listenLocal((req, res) => void handle(req, res));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? "/";
    if (!path.startsWith("/runtime/") && !path.startsWith("/api/")) {
      const upstream = await fetch(new URL(path, page.url));
      res.writeHead(upstream.status, Object.fromEntries(upstream.headers)).end(Buffer.from(await upstream.arrayBuffer()));
      return;
    }
    const abort = new AbortController();
    res.on("close", () => abort.abort());
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    const request = new Request(new URL(path, server.url), {
      method: req.method ?? "GET",
      headers,
      signal: abort.signal,
      ...(chunks.length && req.method !== "GET" && req.method !== "HEAD" ? { body: Buffer.concat(chunks) } : {}),
    });
    const response = await app.fetch(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (!response.body) return void res.end();
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || abort.signal.aborted) break;
        res.write(value);
      }
    } catch {
      // The page went away mid-stream.
    }
    res.end();
  }

  return {
    url: server.url,
    runtime,
    async close() {
      await server.close();
      await page.close();
      await runtime.stop();
    },
  };
}
