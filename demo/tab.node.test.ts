/**
 * The demo page in real headless Chromium, with orchestrations running in the tab: the tutorial,
 * a fan-out that survives a reload and shows in a second tab, an approval, the management actions,
 * the errors a person can cause, and the list's filters and paging.
 */
import { rm } from "node:fs/promises";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findA11yProblems } from "./e2e/accessibility.ts";
import { buildPage } from "./e2e/build-page.ts";
import { chromiumAvailable, launchChromium } from "./e2e/chromium.ts";
import { openInstanceId, outputOf, pageErrors, pollUntil, waitForStatus } from "./e2e/page-helpers.ts";
import { screenshot } from "./e2e/screenshots.ts";
import { serveStatic, type StaticServer } from "./e2e/static-server.ts";

const available = chromiumAvailable();

describe.skipIf(!available)("demo page, in this tab (real Chromium)", () => {
  let outDir = "";
  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    outDir = await buildPage();
    server = await serveStatic(outDir);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  /** A fresh browser profile (its own IndexedDB) and a page on the demo. */
  async function open(viewport = { width: 1280, height: 900 }): Promise<{ page: Page; context: BrowserContext; errors: string[] }> {
    const context = await browser!.newContext({ viewport });
    contexts.push(context);
    const page = await context.newPage();
    const errors = pageErrors(page);
    await page.goto(server!.url);
    await page.locator("#side-info", { hasText: "In this tab" }).waitFor({ timeout: 15_000 });
    return { page, context, errors };
  }

  it("runs the tutorial in sequence and in parallel and shows the three greetings", async () => {
    const { page, context, errors } = await open();
    try {
      await page.getByRole("button", { name: "Start in sequence" }).click();
      await waitForStatus(page, "Completed");
      expect(await outputOf(page)).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
      const rows = page.locator(".timeline .tl-activity");
      expect(await rows.count()).toBe(3);
      expect(await rows.locator(".tl-title").allTextContents()).toEqual(Array(3).fill("OrchestratorFunction_Hello"));
      await expect.poll(() => page.locator(".instances tr.selected .badge").textContent()).toBe("Completed");
      await screenshot(page, "tab-tutorial-sequence");

      await page.getByRole("button", { name: "Start in parallel" }).click();
      await page.locator("#detail-h", { hasText: "OrchestratorFunction_Parallel" }).waitFor();
      await waitForStatus(page, "Completed");
      expect(await outputOf(page)).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it("keeps a fan-out running across a reload and shows it in a second tab", async () => {
    const { page, context, errors } = await open();
    try {
      await page.getByLabel("N", { exact: true }).fill("16");
      await page.getByRole("button", { name: "Start fan-out" }).click();
      const label = page.locator('label[for="fan-progress"]');
      const progress = async () => Number(/done: (\d+) of/.exec((await label.textContent().catch(() => "")) ?? "")?.[1] ?? -1);
      await pollUntil(progress, (n) => n >= 1, 15_000, "some squares done");
      const id = await openInstanceId(page);
      const done = await progress();
      expect(done).toBeLessThan(16);
      // Live updates keep the list's row (and its button) in place rather than rebuilding it.
      const rowButton = await page.locator(`.instances tr[data-id="${id}"] button`).elementHandle();
      await pollUntil(progress, (n) => n > done, 10_000, "more squares done");
      expect(await rowButton!.evaluate((el) => el.isConnected)).toBe(true);
      await screenshot(page, "tab-fan-out-progress");

      await page.reload();
      const second = await context.newPage();
      await second.goto(page.url());
      for (const p of [page, second]) {
        await p.locator(".instance-id", { hasText: id }).waitFor({ timeout: 15_000 });
        await waitForStatus(p, "Completed", 30_000);
        expect(await outputOf(p)).toEqual({ count: 16, sum: 1496 });
        expect(await p.locator("#fan-progress").getAttribute("value")).toBe("16");
      }
      expect(await page.locator(".timeline .tl-activity.tl-ok").count()).toBe(16);
      // Exactly one of the two tabs runs the work; the other follows.
      const roles = await Promise.all([page, second].map((p) => p.locator("#side-info").textContent()));
      expect(roles.filter((t) => t?.includes("This tab runs the orchestrations")).length).toBe(1);
      expect(roles.filter((t) => t?.includes("Another tab runs the orchestrations")).length).toBe(1);
      await screenshot(second, "tab-second-tab");
      await screenshot(page, "tab-fan-out-done");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it("approves the human-interaction sample before its countdown ends", async () => {
    const { page, context, errors } = await open();
    try {
      await page.getByLabel("Timeout (s)").fill("120");
      await page.getByRole("button", { name: "Ask for approval" }).click();
      const approve = page.getByRole("button", { name: "Approve", exact: true });
      await approve.waitFor({ timeout: 15_000 });
      const first = await page.locator(".countdown").textContent();
      expect(first).toMatch(/^(1 min \d+ s|2 min|\d+ s)$/);
      await pollUntil(() => page.locator(".countdown").textContent(), (t) => t !== first, 5_000, "the countdown to tick");
      await screenshot(page, "tab-approval-waiting");
      await approve.click();
      await waitForStatus(page, "Completed");
      const output = (await outputOf(page)) as { approved: boolean; approval: { approvedBy: string } };
      expect(output.approved).toBe(true);
      expect(output.approval.approvedBy).toBe("the demo page");
      await page.locator(".widget .result", { hasText: "Approved in time." }).waitFor();
      expect(await page.locator(".timeline .tl-event .tl-title").allTextContents()).toEqual(["Approval"]);
      // The timeout timer lost the race: it never fired.
      expect(await page.locator(".timeline .tl-timer .tl-timing").textContent()).toContain("never fired");
      await screenshot(page, "tab-approval-done");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it("suspends, resumes, terminates, restarts and purges an instance", async () => {
    const { page, context, errors } = await open();
    try {
      await page.getByRole("button", { name: "Ask for approval" }).click();
      await page.getByRole("button", { name: "Approve", exact: true }).waitFor({ timeout: 15_000 });
      const id = await openInstanceId(page);
      await page.getByLabel("Reason").fill("a coffee break");
      await page.getByRole("button", { name: "Suspend" }).click();
      await waitForStatus(page, "Suspended");
      await page.getByRole("button", { name: "Resume" }).click();
      await waitForStatus(page, "Running");
      await page.getByRole("button", { name: "Terminate" }).click();
      await waitForStatus(page, "Terminated");
      const lifecycle = await page.locator(".timeline .tl-lifecycle .tl-title").allTextContents();
      expect(lifecycle).toEqual(["Suspended", "Resumed", "Termination requested"]);
      expect(await page.locator(".timeline .tl-end .tl-title").textContent()).toBe("Terminated");
      expect(await page.locator(".timeline .tl-lifecycle").first().textContent()).toContain("reason: a coffee break");
      await screenshot(page, "tab-terminated");

      await page.getByRole("button", { name: "Restart" }).click();
      await page.locator(".instance-id", { hasNotText: id }).waitFor();
      const restarted = await openInstanceId(page);
      expect(restarted).not.toBe(id);
      await page.getByRole("button", { name: "Approve", exact: true }).waitFor({ timeout: 15_000 });
      await page.getByRole("button", { name: "Terminate" }).click();
      await waitForStatus(page, "Terminated");
      await page.getByRole("button", { name: "Purge" }).click();
      await page.locator("#detail-h", { hasText: "Instance not found" }).waitFor();
      await page.locator(".notice-info", { hasText: `Purged ${restarted}` }).waitFor();
      await expect.poll(() => page.locator(".instances tbody tr").count()).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it("shows failed attempts and retries, and rewinds a failed instance", async () => {
    const { page, context, errors } = await open();
    try {
      await page.getByLabel("Failures").fill("3");
      await page.getByLabel("Attempts").fill("3");
      await page.getByRole("button", { name: "Start flaky step" }).click();
      await waitForStatus(page, "Failed", 30_000);
      const tasks = page.locator(".timeline .tl-activity");
      expect(await tasks.evaluateAll((rows) => rows.map((r) => r.className))).toEqual(Array(3).fill("tl tl-activity tl-failed"));
      expect(await tasks.locator(".tl-retry").allTextContents()).toEqual(["retry, attempt 2", "retry, attempt 3"]);
      expect(await tasks.first().locator(".tl-failure").textContent()).toBe("Error: Attempt 1 failed on purpose (3 planned failures).");
      expect(await page.locator(".timeline .tl-timer.tl-ok").count()).toBe(2);
      expect(await page.locator(".facts .failure p").textContent()).toBe(
        "TaskFailedError: Task 'Demo_FlakyStep' (#4) failed: Attempt 3 failed on purpose (3 planned failures).",
      );
      await screenshot(page, "tab-retries-failed");

      await page.getByLabel("Reason").fill("try once more");
      await page.getByRole("button", { name: "Rewind" }).click();
      await waitForStatus(page, "Completed", 15_000);
      expect(await outputOf(page)).toBe("Succeeded on attempt 4.");
      expect(await page.locator(".timeline .tl-lifecycle .tl-title").allTextContents()).toEqual(["Rewound"]);
      expect(await page.locator(".timeline .tl-lifecycle .tl-timing").textContent()).toContain("reason: try once more");
      expect(await page.locator(".timeline .tl-activity.tl-ok .tl-retry").textContent()).toBe("retry, attempt 3");
      await screenshot(page, "tab-rewound");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it("explains bad JSON in an event payload and actions on a finished instance", async () => {
    const { page, context, errors } = await open();
    try {
      await page.getByRole("button", { name: "Start in parallel" }).click();
      await waitForStatus(page, "Completed");
      await page.getByLabel("Event name").fill("Approval");
      await page.getByLabel("Payload (JSON)").fill("{approved: yes}");
      await page.getByRole("button", { name: "Send event" }).click();
      await page.locator("#e-payload-error", { hasText: "Not valid JSON" }).waitFor();
      expect(await page.getByLabel("Payload (JSON)").getAttribute("aria-invalid")).toBe("true");
      expect(await page.locator(".notice-error").getAttribute("data-code")).toBe("InvalidJson");
      await screenshot(page, "tab-error-bad-json", { toasts: true });

      await page.getByLabel("Payload (JSON)").fill('{"approved": true}');
      await page.getByRole("button", { name: "Send event" }).click();
      await page.locator('.notice-error[data-code="InstanceGone"]').waitFor();
      expect(await page.locator(".notice-error").textContent()).toContain("it is Completed");

      await page.getByRole("button", { name: "Rewind" }).click();
      await page.locator('.notice-error[data-code="InstanceGone"]', { hasText: "only Failed instances can be rewound" }).waitFor();
      await screenshot(page, "tab-error-finished", { fullPage: false, toasts: true });
      await page.getByRole("button", { name: "Dismiss message" }).click();
      expect(await page.locator(".notice-error").count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it("filters and pages the instance list, and runs a monitor to completion", async () => {
    const { page, context, errors } = await open();
    try {
      await page.getByLabel("Every (s)").fill("1");
      await page.getByLabel("Checks").fill("2");
      await page.getByRole("button", { name: "Start monitor" }).click();
      const monitorId = await pollUntil(() => openInstanceId(page), (t) => /^[0-9a-f]{32}$/.test(t), 10_000, "the monitor's id");
      for (let i = 0; i < 6; i++) {
        await page.getByRole("button", { name: "Start in parallel" }).click();
        await page.locator(".notice-info", { hasText: "Started OrchestratorFunction_Parallel" }).waitFor();
      }
      await page.getByLabel("Per page").selectOption("5");
      await expect.poll(() => page.locator(".instances tbody tr").count()).toBe(5);
      const next = page.getByRole("button", { name: "Next page →" });
      expect(await next.isEnabled()).toBe(true);
      await next.click();
      await expect.poll(() => page.locator(".instances tbody tr").count()).toBe(2);
      await page.getByRole("button", { name: "← Previous page" }).click();
      await expect.poll(() => page.locator(".instances tbody tr").count()).toBe(5);

      await page.getByLabel("ID starts with").fill(monitorId.slice(0, 8));
      await expect.poll(() => page.locator(".instances tbody tr").count()).toBe(1);
      await page.locator(".instances tbody tr button.link").first().click();
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("detail-h");
      await waitForStatus(page, "Completed", 20_000);
      expect(await outputOf(page)).toEqual({ checks: 2 });

      await page.getByLabel("ID starts with").fill("");
      await page.getByLabel("Status").selectOption({ label: "Running" });
      await expect.poll(() => page.locator(".instances tbody td.empty").count()).toBe(1);
      await page.getByLabel("Status").selectOption({ label: "Completed" });
      await page.getByLabel("Per page").selectOption("25");
      await expect.poll(() => page.locator(".instances tbody tr").count()).toBe(7);
      const future = new Date(Date.now() + 3_600_000);
      const local = new Date(future.getTime() - future.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
      await page.getByLabel("Created from").fill(local);
      await expect.poll(() => page.locator(".instances tbody td.empty").textContent()).toBe("No instances match these filters.");
      expect(await page.locator(".filter-box summary").textContent()).toBe("Filters (2 active)");
      await screenshot(page, "tab-list-filtered");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it("works from the keyboard, with labels, names, visible focus and readable contrast", async () => {
    const { page, context, errors } = await open();
    try {
      // Tab to the first sample button and start it with Enter.
      let focused = "";
      for (let i = 0; i < 12 && focused !== "Start in sequence"; i++) {
        await page.keyboard.press("Tab");
        focused = await page.evaluate(() => document.activeElement?.textContent?.trim() ?? "");
      }
      expect(focused).toBe("Start in sequence");
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
      expect(outline).toBe("solid");
      await page.keyboard.press("Enter");
      await waitForStatus(page, "Completed");
      // Open it from the list by keyboard: focus lands on the instance heading.
      await page.locator(".instances tbody tr button.link").first().focus();
      await page.keyboard.press("Enter");
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("detail-h");

      // Every state the page shows: an error, a running approval with its countdown, a finished one.
      await page.getByLabel("Payload (JSON)").fill("{");
      await page.getByLabel("Event name").fill("x");
      await page.getByRole("button", { name: "Send event" }).click();
      await page.locator(".notice-error").waitFor();
      expect(await findA11yProblems(page)).toEqual({ unlabelled: [], unnamedButtons: [], lowContrast: [] });
      await page.getByRole("button", { name: "Ask for approval" }).click();
      await page.getByRole("button", { name: "Approve", exact: true }).waitFor({ timeout: 15_000 });
      expect(await findA11yProblems(page)).toEqual({ unlabelled: [], unnamedButtons: [], lowContrast: [] });
      await page.getByLabel("In this tab").focus();
      await page.keyboard.press("ArrowRight");
      expect(await page.getByLabel("On the edge").isChecked()).toBe(true);
      await page.locator(".notice-error").waitFor();
      expect(await findA11yProblems(page)).toEqual({ unlabelled: [], unnamedButtons: [], lowContrast: [] });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it("has accessibility checks that catch what they look for", async () => {
    const context = await browser!.newContext();
    try {
      const page = await context.newPage();
      await page.setContent('<p style="color:#aaa">faint</p><p style="color:#222">fine</p><input id="x"><button></button><label for="y">Y</label><input id="y">');
      const problems = await findA11yProblems(page);
      expect(problems.unlabelled).toEqual(["input#x"]);
      expect(problems.unnamedButtons).toEqual(["button"]);
      expect(problems.lowContrast).toEqual(['p "faint" 2.32:1']);
    } finally {
      await context.close();
    }
  });

  it("says what to do when the edge side has no Worker behind it", async () => {
    const { page, context, errors } = await open();
    try {
      await page.getByLabel("On the edge").check();
      const notice = page.locator('.notice-error[data-code="NoWorkerHere"]');
      await notice.waitFor({ timeout: 10_000 });
      expect(await notice.textContent()).toContain("npm start");
      expect(page.url()).toMatch(/#\/edge$/);
      await page.getByLabel("In this tab").check();
      await page.locator("#side-info", { hasText: "In this tab" }).waitFor();
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 30_000);

  it("is readable on a phone-sized screen", async () => {
    const { page, context, errors } = await open({ width: 390, height: 844 });
    try {
      await page.getByRole("button", { name: "Start in sequence" }).click();
      await waitForStatus(page, "Completed");
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      // On a phone the filters start folded, so the list comes first.
      expect(await page.locator(".filter-box").getAttribute("open")).toBeNull();
      await screenshot(page, "tab-phone");
      // Starting a sample brings the instance into view (it sits below the list on a phone).
      const top = await page.locator("#detail").evaluate((el) => el.getBoundingClientRect().top);
      expect(top).toBeGreaterThanOrEqual(-1);
      expect(top).toBeLessThan(844);
      await screenshot(page, "tab-phone-viewport", { fullPage: false });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
