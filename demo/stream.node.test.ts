/**
 * The edge side watching a run through the instance stream (server-sent events), in real
 * Chromium: the page and the management API (`createManagementApp`, its stream pushed by the
 * memory runtime's client, activities with simulated work) on one local origin
 * (`e2e/api-server.ts`), because the Worker's samples finish their squares at once. A 200-way fan-out's Gantt group grows while it runs, from
 * the stream alone: no status poll for the instance while it is live.
 */
import { describe, expect, it } from "vitest";
import { findA11yProblems, NO_A11Y_PROBLEMS } from "./e2e/accessibility.ts";
import { serveWithApi } from "./e2e/api-server.ts";
import { chromiumAvailable } from "./e2e/chromium.ts";
import { openPage, servedPage } from "./e2e/page-fixture.ts";
import { openInstanceId, outputOf, pollUntil, waitForStatus } from "./e2e/page-helpers.ts";
import { screenshot } from "./e2e/screenshots.ts";

const available = chromiumAvailable();

describe.skipIf(!available)("demo page watching an instance through its stream (real Chromium)", () => {
  const served = servedPage({ serve: serveWithApi, stop: (server) => server.close() });

  it("grows a 200-way fan-out's Gantt bars as the stream reports each step, without polling the instance", async () => {
    const requests: string[] = [];
    const { page, context, errors } = await openPage(served.browser, `${served.server.url}#/edge`, "On the Worker", {
      prepare: (page) => void page.on("request", (r) => requests.push(`${r.method()} ${new URL(r.url()).pathname}${new URL(r.url()).search}`)),
    });
    try {
      await page.getByLabel("N", { exact: true }).fill("200");
      await page.getByRole("button", { name: "Start fan-out" }).click();
      await page.locator("#detail-h", { hasText: "FanOutFanIn" }).waitFor({ timeout: 10_000 });
      const id = await openInstanceId(page);
      await page.locator(".live-mode", { hasText: "Live" }).waitFor({ timeout: 10_000 });
      const live = requests.length;

      // The group of squares shows all 200 (the stream carries the stored history, running tasks
      // included), and its done count grows step by step while the instance runs.
      const counts = page.locator(".gantt .g-group .g-counts");
      const seen = new Set<string>();
      const done = async () => {
        const text = (await counts.textContent({ timeout: 200 }).catch(() => null)) ?? "";
        if (text) seen.add(text);
        return text;
      };
      await pollUntil(done, (t) => t.startsWith("200 done") && !t.includes("running"), 30_000, "every square completed");
      expect(await page.locator(".gantt .g-group .g-title").textContent()).toBe("Square × 200");
      const doneCounts = [...seen].map((t) => Number(/^(\d+) done/.exec(t)?.[1] ?? 0));
      expect(doneCounts.length).toBeGreaterThanOrEqual(3);
      expect(doneCounts).toEqual([...doneCounts].sort((a, b) => a - b));
      expect([...seen].some((t) => t.includes("running"))).toBe(true); // bars of running squares were shown
      await waitForStatus(page, "Completed", 15_000);
      expect(await outputOf(page)).toEqual({ count: 200, sum: 2_686_700 });
      await screenshot(page, "stream-fan-out-200");

      // While live, nothing polled this instance: its updates came over the one stream request.
      const forIt = requests.slice(live).filter((r) => r.includes(`/instances/${id}`));
      expect(forIt.filter((r) => !r.includes("/stream/"))).toEqual([]);
      expect(requests.filter((r) => r.startsWith(`GET /runtime/webhooks/durabletask/stream/instances/${id}`)).length).toBeGreaterThanOrEqual(1);
      // The list shows it first (newest first).
      expect(await page.locator(".instances tbody tr[data-id]").first().getAttribute("data-id")).toBe(id);
      expect(await findA11yProblems(page)).toEqual(NO_A11Y_PROBLEMS);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);
});
