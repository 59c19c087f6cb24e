/** The HTTP backend's time travel: the Worker's `…/instances/{id}/timetravel` route, with the key as every call sends it. */
import { describe, expect, it } from "vitest";
import { createHttpBackend } from "./src/http-backend.ts";

describe("http backend, time travel", () => {
  it("reads GET {base}/instances/{id}/timetravel with the management key and returns its frames", async () => {
    const calls: { url: string; init: RequestInit | undefined }[] = [];
    const body = { instanceId: "a b", name: "Hello", frames: [{ eventIndex: 0, eventType: "OrchestratorStarted" }], logs: [] };
    const backend = createHttpBackend({
      key: () => "secret",
      fetch: async (input, init) => {
        calls.push({ url: String(input), init });
        return new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json" } });
      },
    });
    expect(await backend.timeTravel("a b")).toEqual(body);
    expect(calls.map((c) => [c.init?.method, c.url])).toEqual([["GET", "/runtime/webhooks/durabletask/instances/a%20b/timetravel"]]);
    expect((calls[0]!.init?.headers as Record<string, string>)["x-functions-key"]).toBe("secret");
  });

  it("passes the API's error on (a client that cannot replay answers 501)", async () => {
    const backend = createHttpBackend({
      fetch: async () => new Response(JSON.stringify({ code: "NotImplemented", message: "no replay here" }), { status: 501, headers: { "content-type": "application/json" } }),
    });
    await expect(backend.timeTravel("x")).rejects.toMatchObject({ code: "NotImplemented", status: 501, message: "no replay here" });
  });
});
