/**
 * The Worker the workerd tests run (`worker/test/wrangler.toml`): one user of `createDurableWorker`,
 * with the samples and the test orchestrations, the tutorial's fixed starter, and the generic one.
 */
import { createDurableWorker } from "../index.ts";
import { testOrchestrations } from "./test-orchestrations.ts";

export const edge = createDurableWorker({
  ...testOrchestrations,
  starters: { fixed: { OrchestratorFunction_HttpStart: "OrchestratorFunction" } },
  // The tests call it as http://durable-edge.test (not a loopback host); the access tests build their own Workers.
  access: "open",
  // Shorter than the default 30 s, so that a test sees a slow Ledger append time out (the Ledger's other uses take ≤ 20 ms).
  entityOperations: { timeoutMs: 1_000 },
});

export const { InstanceObject, IndexShard, ActivityRunner } = edge;
export default edge satisfies ExportedHandler<Cloudflare.Env>;
