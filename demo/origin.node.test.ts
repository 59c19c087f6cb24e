/** The dashboard's origin line: where an imported instance came from, and where a moved one went. */
import { describe, expect, it } from "vitest";
import { humanInteraction, samples } from "../examples/index.ts";
import { orchestrator } from "../src/index.ts";
import { createTestRuntime } from "../testing/index.ts";
import { originText } from "./src/origin.ts";

describe("origin line", () => {
  it("names the host an instance came from, and where one moved away went", async () => {
    const tab = createTestRuntime(samples);
    const worker = createTestRuntime(samples);
    const id = await tab.start(humanInteraction, { instanceId: "o-1" });
    const doc = await tab.client.exportInstance(id, { move: true, to: "https://worker.example", source: "browser:demo" });
    await worker.client.importInstance(doc);
    const there = (await worker.client.getStatus(id, { showHistory: true }))!;
    expect(originText(there)).toMatch(/^Came from browser:demo \(exported 2026-01-01 00:00:00 UTC, imported 2026-01-01 00:00:00 UTC\)\.$/);
    const here = (await tab.client.getStatus(id, { showHistory: true }))!;
    expect(originText(here)).toBe("Moved to https://worker.example at 2026-01-01 00:00:00 UTC: it runs there now.");
    const local = await tab.start(humanInteraction, { instanceId: "o-2" });
    expect(originText((await tab.client.getStatus(local, { showHistory: true }))!)).toBeNull();
  });

  it("says so for every instance of a tree moved with its root", async () => {
    const parent = orchestrator("Parent", function* (ctx) {
      return yield* ctx.callSubOrchestrator(humanInteraction, null, "o-3:child");
    });
    const options = { ...samples, orchestrators: [...samples.orchestrators, parent] };
    const tab = createTestRuntime(options);
    const worker = createTestRuntime(options);
    await tab.start(parent, { instanceId: "o-3" });
    await worker.client.importInstance(await tab.client.exportInstance("o-3", { move: true, to: "https://worker.example", source: "browser:demo" }));
    for (const id of ["o-3", "o-3:child"]) {
      expect(originText((await worker.client.getStatus(id, { showHistory: true }))!)).toMatch(/^Came from browser:demo \(exported /);
      expect(originText((await tab.client.getStatus(id, { showHistory: true }))!)).toMatch(/^Moved to https:\/\/worker\.example at /);
    }
  });
});
