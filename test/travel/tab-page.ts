/**
 * The tab of the hand-over test, served by the Worker itself (its assets): the samples (and a tree,
 * `Pair`) in IndexedDB, driven by the test through `window.travel`.
 */
import { createBrowserRuntime } from "../../adapters/indexeddb/browser.ts";
import { humanInteraction } from "../../examples/index.ts";
import { pair, travelDefinitions } from "./tree.ts";

const durable = createBrowserRuntime({ dbName: "travel-tab", ...travelDefinitions });
const steps: string[] = [];
durable.onChange((row) => steps.push(`${row.instanceId}:${row.runtimeStatus}:${row.historyLength}`));

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; !(await check()); i++) {
    if (i > 400) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

Object.assign(window, {
  travel: {
    async start(id: string) {
      await durable.whenLeader();
      await durable.client.startNew(humanInteraction, { instanceId: id, input: { timeoutSeconds: 3600 } });
      await until(async () => (await durable.client.getStatus(id))?.runtimeStatus === "Running", `${id} running in the tab`);
    },
    /** A `Pair` with both its sub-orchestrations running. */
    async startTree(id: string) {
      await durable.whenLeader();
      await durable.client.startNew(pair, { instanceId: id });
      for (const member of [id, `${id}:a`, `${id}:b`]) {
        await until(async () => (await durable.client.getStatus(member))?.runtimeStatus === "Running", `${member} running in the tab`);
      }
    },
    status: (id: string) => durable.client.getStatus(id),
    history: (id: string) => durable.client.getHistory(id),
    raiseEvent: (id: string, name: string, data: unknown) => durable.client.raiseEvent(id, name, data).then(() => "accepted", (e: Error) => `refused: ${e.message}`),
    handOver: (id: string) => durable.handOver(id, { to: location.origin }),
    steps: () => steps.slice(),
  },
  travelReady: true,
});
