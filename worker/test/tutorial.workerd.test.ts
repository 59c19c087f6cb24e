import { describe, expect, it } from "vitest";
import { call, finished, pollUntil, type CheckStatus, type Status } from "./helpers.ts";

describe("the tutorial over HTTP", () => {
  it("starts with GET /api/OrchestratorFunction_HttpStart (202) and completes with the three greetings", async () => {
    const start = await call("/api/OrchestratorFunction_HttpStart");
    expect(start.status).toBe(202);
    const payload = (await start.json()) as CheckStatus;
    expect(start.headers.get("location")).toBe(payload.statusQueryGetUri);
    const done = await pollUntil(payload.statusQueryGetUri, finished);
    expect(done.runtimeStatus).toBe("Completed");
    expect(done.output).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
    const final = await call(payload.statusQueryGetUri);
    expect(final.status).toBe(200);
    const withHistory = (await (await call(`${payload.statusQueryGetUri}&showHistory=true&showHistoryOutput=true`)).json()) as Status;
    const completed = withHistory.historyEvents!.filter((e) => e.EventType === "TaskCompleted");
    expect(completed.map((e) => e.Result)).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
    expect(withHistory.historyEvents!.at(-1)!.EventType).toBe("ExecutionCompleted");
  });
});
