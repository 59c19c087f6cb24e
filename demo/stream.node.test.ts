/**
 * The edge side watching a run through the instance stream (server-sent events), in real
 * Chromium: the page and the management API (`createManagementApp`, its stream pushed by the
 * memory runtime's client, activities with simulated work) on one local origin
 * (`e2e/api-server.ts`), because the Worker's samples finish their squares at once. A 200-way fan-out's Gantt group grows while it runs, from
 * the stream alone: no status poll for the instance while it is live.
 */
import { rm } from "node:fs/promises";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findA11yProblems, NO_A11Y_PROBLEMS } from "./e2e/accessibility.ts";
import { serveWithApi, type ApiServer } from "./e2e/api-server.ts";
import { buildPage } from "./e2e/build-page.ts";
import { chromiumAvailable, launchChromium } from "./e2e/chromium.ts";
import { openInstanceId, outputOf, pageErrors, pollUntil, waitForStatus } from "./e2e/page-helpers.ts";
import { screenshot } from "./e2e/screenshots.ts";

const available = chromiumAvailable();

describe.skipIf(!available)("demo page watching an instance through its stream (real Chromium)", () => {
  let outDir = "";
  let server: ApiServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    outDir = await buildPage();
    server = await serveWithApi(outDir);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it("grows a 200-way fan-out's Gantt bars as the stream reports each step, without polling the instance", async () => {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      const errors = pageErrors(page);
      const requests: string[] = [];
      page.on("request", (r) => requests.push(`${r.method()} ${new URL(r.url()).pathname}${new URL(r.url()).search}`));
      await page.goto(`${server!.url}#/edge`);
      await page.locator("#side-info", { hasText: "On the Worker" }).waitFor({ timeout: 15_000 });
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
