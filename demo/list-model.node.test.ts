/** The instance list's model: newest first by default, every column sortable, name filter, pages with a total. */
import { describe, expect, it } from "vitest";
import type { OrchestrationStatus } from "./src/backend.ts";
import { DEFAULT_SORT, durationMs, listView, nextSort, sortInstances } from "./src/list-model.ts";
import { validActions, whyNot } from "./src/action-rules.ts";

const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 9, 0, s)).toISOString().replace(/\.\d{3}Z$/, "Z");
const row = (id: string, name: string, created: number, updated: number, runtimeStatus: OrchestrationStatus["runtimeStatus"] = "Completed"): OrchestrationStatus => ({
  instanceId: id, name, runtimeStatus, createdTime: at(created), lastUpdatedTime: at(updated), input: null, output: null, customStatus: null,
});
const now = Date.UTC(2026, 11, 1, 9, 1, 0);
const rows = [
  row("a", "OrchestratorFunction", 1, 3),
  row("b", "FanOutFanIn", 5, 50),
  row("c", "Monitor", 10, 20, "Running"),
  row("d", "FanOutFanIn", 10, 11),
];

describe("list model", () => {
  it("is newest first by default; within a second, the API's (creation) order reversed", () => {
    expect(sortInstances(rows, DEFAULT_SORT, now).map((r) => r.instanceId)).toEqual(["d", "c", "b", "a"]);
    expect(sortInstances(rows, { key: "created", direction: "asc" }, now).map((r) => r.instanceId)).toEqual(["a", "b", "c", "d"]);
  });

  it("sorts by last update, duration (running until now), name and status", () => {
    expect(sortInstances(rows, { key: "updated", direction: "desc" }, now).map((r) => r.instanceId)).toEqual(["b", "c", "d", "a"]);
    expect(sortInstances(rows, { key: "name", direction: "asc" }, now).map((r) => r.instanceId)).toEqual(["b", "d", "c", "a"]);
    expect(durationMs(rows[2]!, now)).toBe(50_000);
    expect(sortInstances(rows, { key: "duration", direction: "desc" }, now).map((r) => r.instanceId)).toEqual(["c", "b", "a", "d"]);
    expect(sortInstances(rows, { key: "name", direction: "asc" }, now).map((r) => r.name)).toEqual(["FanOutFanIn", "FanOutFanIn", "Monitor", "OrchestratorFunction"]);
    expect(sortInstances(rows, { key: "status", direction: "asc" }, now).map((r) => r.runtimeStatus)).toEqual(["Completed", "Completed", "Completed", "Running"]);
  });

  it("filters by name, pages with a total, and clamps to the last page", () => {
    const v = listView(rows, { nameFilter: "fanout", sort: DEFAULT_SORT, pageSize: 1, pageIndex: 5, now });
    expect(v).toMatchObject({ total: 2, pageCount: 2, pageIndex: 1 });
    expect(v.rows.map((r) => r.instanceId)).toEqual(["b"]);
    expect(listView([], { nameFilter: "", sort: DEFAULT_SORT, pageSize: 10, pageIndex: 0, now })).toMatchObject({ total: 0, pageCount: 1, pageIndex: 0 });
  });

  it("sorts and pages 2,000 instances in a few milliseconds", () => {
    const many = Array.from({ length: 2000 }, (_, i) => row(`id${i}`, i % 2 ? "FanOutFanIn" : "Monitor", i % 60, (i * 7) % 60, i % 3 ? "Completed" : "Running"));
    const t0 = performance.now();
    for (const key of ["created", "updated", "duration", "name", "status"] as const) listView(many, { nameFilter: "fan", sort: { key, direction: "desc" }, pageSize: 100, pageIndex: 9, now });
    expect(performance.now() - t0).toBeLessThan(100);
  });

    it("flips the direction on the same column and starts a new one in its natural order", () => {
    expect(nextSort(DEFAULT_SORT, "created")).toEqual({ key: "created", direction: "asc" });
    expect(nextSort(DEFAULT_SORT, "name")).toEqual({ key: "name", direction: "asc" });
    expect(nextSort(DEFAULT_SORT, "duration")).toEqual({ key: "duration", direction: "desc" });
  });
});

describe("action rules", () => {
  it("offers only what the status allows, and says why not", () => {
    expect(validActions("Running")).toEqual(["Terminate", "Suspend", "Restart", "Send event"]);
    expect(validActions("Suspended")).toEqual(["Terminate", "Resume", "Restart", "Send event"]);
    expect(validActions("Failed")).toEqual(["Rewind", "Restart", "Purge"]);
    expect(validActions("Completed")).toEqual(["Restart", "Purge"]);
    expect(validActions("Terminated")).toEqual(["Restart", "Purge"]);
    expect(whyNot("Purge", "Pending")).toBe("Still Pending: terminate it or let it finish before purging.");
    expect(whyNot("Suspend", "Suspended")).toBe("Already suspended: resume it instead.");
  });
});
