/**
 * The demo page served by the real Worker (`wrangler dev`, as `npm start` runs it: the page from
 * `demo/dist` as static assets next to the HTTP API), in real headless Chromium, on the edge side:
 * samples started on the Worker, their history timeline, an approval, and the API's 410 shown.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPage } from "./e2e/build-page.ts";
import { chromiumAvailable, launchChromium } from "./e2e/chromium.ts";
import { openInstanceId, outputOf, pageErrors, waitForStatus } from "./e2e/page-helpers.ts";
import { screenshot } from "./e2e/screenshots.ts";
import { startWranglerDev, type WranglerDev } from "./e2e/wrangler-dev.ts";

const available = chromiumAvailable();

describe.skipIf(!available)("demo page on the Worker (wrangler dev, real Chromium)", () => {
  let worker: WranglerDev | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let errors: string[] = [];

  beforeAll(async () => {
    await buildPage({ intoDist: true });
    worker = await startWranglerDev();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    errors = pageErrors(page);
    await page.goto(`${worker.origin}/#/edge`);
    await page.locator("#side-info", { hasText: "On the Worker" }).waitFor({ timeout: 15_000 });
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await worker?.stop();
  }, 30_000);

  it("starts the tutorial on the Worker and shows its history timeline", async () => {
    expect(await page.getByLabel("On the edge").isChecked()).toBe(true);
    await page.getByRole("button", { name: "Start in sequence" }).click();
    await waitForStatus(page, "Completed", 30_000);
    expect(await outputOf(page)).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
    const tasks = page.locator(".timeline .tl-activity");
    expect(await tasks.count()).toBe(3);
    expect(await tasks.locator(".tl-io").allTextContents()).toEqual(['"Tokyo" → "Hello Tokyo!"', '"Seattle" → "Hello Seattle!"', '"London" → "Hello London!"']);
    for (const timing of await tasks.locator(".tl-timing").allTextContents()) expect(timing).toMatch(/^scheduled \d\d:\d\d:\d\d → completed \d\d:\d\d:\d\d/);
    expect(await page.locator(".timeline .tl-start .tl-title").textContent()).toBe("OrchestratorFunction");
    expect(await page.locator(".timeline .tl-end .tl-title").textContent()).toBe("Completed");
    const id = await openInstanceId(page);
    await page.locator(`.instances tr[data-id="${id}"] .badge`, { hasText: "Completed" }).waitFor({ timeout: 10_000 });
    await screenshot(page, "edge-tutorial-timeline");
    expect(errors).toEqual([]);
  }, 60_000);

  it("approves the human-interaction sample on the Worker, then shows the API's 410 for a finished instance", async () => {
    await page.getByRole("button", { name: "Ask for approval" }).click();
    const approve = page.getByRole("button", { name: "Approve", exact: true });
    await approve.waitFor({ timeout: 20_000 });
    expect(await page.locator(".countdown").textContent()).toMatch(/min|s/);
    await screenshot(page, "edge-approval-waiting");
    await approve.click();
    await waitForStatus(page, "Completed", 30_000);
    expect(((await outputOf(page)) as { approved: boolean }).approved).toBe(true);
    expect(await page.locator(".timeline .tl-event .tl-title").allTextContents()).toEqual(["Approval"]);

    await page.getByRole("button", { name: "Terminate" }).click();
    const notice = page.locator('.notice-error[data-code="InstanceGone"]');
    await notice.waitFor({ timeout: 10_000 });
    expect(await notice.textContent()).toContain("it is Completed");
    await screenshot(page, "edge-error-finished", false);
    expect(errors).toEqual([]);
  }, 60_000);

  it("keeps each side's instances apart when toggling", async () => {
    const edgeIds = await page.locator(".instances tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-id")));
    expect(edgeIds.length).toBeGreaterThanOrEqual(2);
    await page.getByLabel("In this tab").check();
    await page.locator("#side-info", { hasText: "In this tab" }).waitFor();
    await page.locator(".instances tbody td.empty").waitFor();
    await page.getByLabel("On the edge").check();
    await page.locator(`.instances tr[data-id="${edgeIds[0]}"]`).waitFor({ timeout: 10_000 });
    expect(page.url()).toMatch(/#\/edge$/);
    expect(errors).toEqual([]);
  }, 30_000);
});
