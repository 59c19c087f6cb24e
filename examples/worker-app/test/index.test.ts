import { SELF } from "cloudflare:test";
import { expect, it } from "vitest";

interface CheckStatus {
  id: string;
  statusQueryGetUri: string;
  sendEventPostUri: string;
}

interface Status {
  runtimeStatus: string;
  customStatus: unknown;
  output: unknown;
}

/** Polls the status URL until `done` says so. */
async function poll(url: string, done = (s: Status) => s.runtimeStatus === "Completed"): Promise<Status> {
  for (let i = 0; i < 100; i++) {
    const status = await (await SELF.fetch(url)).json<Status>();
    if (done(status)) return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not done: ${url}`);
}

// With no management key a Worker answers local requests only (wrangler dev on 127.0.0.1, or these
// tests), so the tests ask for localhost; a deployed Worker needs DURABLE_EDGE_KEY.
const ORIGIN = "http://localhost";

it("runs the tutorial: POST /api/OrchestratorFunction_HttpStart, then poll statusQueryGetUri", async () => {
  const res = await SELF.fetch(`${ORIGIN}/api/OrchestratorFunction_HttpStart`, { method: "POST" });
  expect(res.status).toBe(202);
  const { statusQueryGetUri } = await res.json<CheckStatus>();
  expect(res.headers.get("Location")).toBe(statusQueryGetUri);

  const status = await poll(statusQueryGetUri);
  expect(status.output).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
});

it("runs an order over 100 once it is approved", async () => {
  const order = { id: "order-1", items: ["book", "lamp"], total: 250 };
  const res = await SELF.fetch(`${ORIGIN}/api/orchestrators/ProcessOrder`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(order),
  });
  expect(res.status).toBe(202);
  const { statusQueryGetUri, sendEventPostUri } = await res.json<CheckStatus>();

  await poll(statusQueryGetUri, (s) => s.customStatus === "waiting for approval");
  const approve = await SELF.fetch(sendEventPostUri.replace("{eventName}", "Approval"), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ by: "alice" }),
  });
  expect(approve.status).toBe(202);

  const status = await poll(statusQueryGetUri);
  expect(status.output).toEqual({
    reserved: ["book reserved", "lamp reserved"],
    approved: true,
    receipt: "charged 250 for order-1",
    shipped: "order-1 shipped",
  });
});
