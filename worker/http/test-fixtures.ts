/** Shared setup of the router tests: the memory store, a manual clock, the samples (entities too) and two test orchestrations. */
import { createMemoryStore } from "../../adapters/memory/index.ts";
import { samples } from "../../examples/index.ts";
import { activity, createRuntime, ManualClock, orchestrator } from "../../src/index.ts";
import { createManagementApp } from "./app.ts";
import type { ManagementAppOptions } from "./options.ts";

export const ORIGIN = "https://edge.example";
export const BASE = "/runtime/webhooks/durabletask";
export const QS = "taskHub=DurableEdgeHub&connection=Storage";

const silent = { debug() {}, info() {}, warn() {}, error() {} };

export function setup(options: Partial<ManagementAppOptions> = {}) {
  const clock = new ManualClock();
  const flaky = { failuresLeft: 1 };
  const flakyActivity = activity("FlakyActivity", (input: string) => {
    if (flaky.failuresLeft > 0) {
      flaky.failuresLeft--;
      throw new Error(`boom ${input}`);
    }
    return `ok ${input}`;
  });
  const failsOnce = orchestrator("FailsOnce", function* (ctx) {
    return yield* ctx.callActivity(flakyActivity, "x");
  });
  const runtime = createRuntime({
    store: createMemoryStore(),
    clock,
    orchestrators: [...samples.orchestrators, failsOnce],
    activities: [...samples.activities, flakyActivity],
    entities: samples.entities,
    logger: silent,
  });
  const logged: unknown[][] = [];
  // The route tests run open (any origin, no key); the access tests say what they configure.
  const app = createManagementApp({ client: runtime.client, access: "open", logger: { error: (...args) => logged.push(args) }, ...options });
  const request = (path: string, init?: RequestInit) => app.request(`${ORIGIN}${path}`, init);
  return { app, runtime, clock, client: runtime.client, request, flaky, logged };
}

export async function json(res: Response): Promise<unknown> {
  return JSON.parse(await res.text()) as unknown;
}

/** Every instance the store holds (to prove that a refused request stored nothing). */
export async function instanceCount(client: ReturnType<typeof setup>["client"]): Promise<number> {
  return (await client.listInstances({ pageSize: 1000 })).instances.length;
}

/** The check-status payload we expect, spelled out by hand (not built with the code under test). */
export function expectedPayload(id: string, { origin = ORIGIN, qs = QS }: { origin?: string; qs?: string } = {}) {
  const prefix = `${origin}${BASE}/instances/${encodeURIComponent(id)}`;
  return {
    id,
    statusQueryGetUri: `${prefix}?${qs}`,
    sendEventPostUri: `${prefix}/raiseEvent/{eventName}?${qs}`,
    terminatePostUri: `${prefix}/terminate?reason={text}&${qs}`,
    rewindPostUri: `${prefix}/rewind?reason={text}&${qs}`,
    purgeHistoryDeleteUri: `${prefix}?${qs}`,
    restartPostUri: `${prefix}/restart?${qs}`,
    suspendPostUri: `${prefix}/suspend?reason={text}&${qs}`,
    resumePostUri: `${prefix}/resume?reason={text}&${qs}`,
  };
}

/** A URL the app produced, made relative so it can be requested again with `request()`. */
export function pathOf(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}
