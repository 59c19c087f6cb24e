/**
 * The demo page in real headless Chromium, with orchestrations running in the tab: the tutorial,
 * a fan-out that survives a reload and shows in a second tab, an approval, the management actions,
 * a monitor's earlier runs (continue-as-new), the errors a person can cause, and the list's filters
 * and paging; and every view, at desktop and
 * phone sizes, checked by axe-core and the page's own accessibility checks and photographed.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { findA11yProblems, NO_A11Y_PROBLEMS, ownA11yProblems } from "./e2e/accessibility.ts";
import { chromiumAvailable } from "./e2e/chromium.ts";
import { openPage, servedPage, type OpenedPage } from "./e2e/page-fixture.ts";
import { actionState, confirmedAction, entityPanelState, expectedFrame, instanceIdsShown, openInstanceId, outputOf, pollUntil, shownFrame, waitForStatus } from "./e2e/page-helpers.ts";
import { screenshot, VIEW_SIZES } from "./e2e/screenshots.ts";
import { checkPurgeDialog, checkUnfoldedInput, viewChecker } from "./e2e/view-checks.ts";
import { expectMonitorRuns, shownRuns } from "./e2e/runs-checks.ts";
import { serveStatic } from "./e2e/static-server.ts";
import { namesOf, settledStartForm, startPicked, suggestedEntities } from "./e2e/start-form.ts";
import type { RegisteredFunctions } from "../src/index.ts";
import type { TabHost } from "./src/tab-host.ts";

const available = chromiumAvailable();

describe.skipIf(!available)("demo page, in this tab (real Chromium)", () => {
  const served = servedPage({ serve: serveStatic, stop: (server) => server.close() });

  /**
   * A fresh browser profile (its own IndexedDB) and a page on the demo. The history shows as the
   * list of rows (what most tests read) unless `historyView` says "gantt" (the page's default).
   */
  function open(viewport = { width: 1280, height: 900 }, historyView: "list" | "gantt" = "list"): Promise<OpenedPage> {
    return openPage(served.browser, served.server.url, "In this tab", { viewport, historyList: historyView === "list" });
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

  it("suspends, resumes, terminates (asking first), restarts and purges (asking first) an instance", async () => {
    const { page, context, errors } = await open();
    try {
      await page.getByRole("button", { name: "Ask for approval" }).click();
      await page.getByRole("button", { name: "Approve", exact: true }).waitFor({ timeout: 15_000 });
      const id = await openInstanceId(page);
      // Only what a running instance allows is offered; the others say why.
      expect(await actionState(page, "Resume")).toEqual({ enabled: false, why: "Not suspended (it is Running): only suspended instances can be resumed." });
      expect((await actionState(page, "Rewind")).enabled).toBe(false);
      expect(await actionState(page, "Purge")).toEqual({ enabled: false, why: "Still Running: terminate it or let it finish before purging." });
      expect((await actionState(page, "Terminate")).enabled).toBe(true);
      await page.getByLabel("Reason").fill("a coffee break");
      await page.getByRole("button", { name: "Suspend" }).click();
      await waitForStatus(page, "Suspended");
      expect((await actionState(page, "Suspend")).enabled).toBe(false);
      await page.getByRole("button", { name: "Resume" }).click();
      await waitForStatus(page, "Running");
      // Terminate asks first; cancelling sends nothing.
      await confirmedAction(page, "Terminate", false);
      await page.waitForTimeout(300);
      await waitForStatus(page, "Running");
      await screenshot(page, "tab-confirm-terminate-cancelled");
      await page.locator(".actions").getByRole("button", { name: "Terminate", exact: true }).click();
      await page.getByRole("dialog").waitFor();
      expect(await findA11yProblems(page)).toEqual(NO_A11Y_PROBLEMS);
      await screenshot(page, "tab-confirm-terminate", { fullPage: false });
      await page.getByRole("dialog").getByRole("button", { name: "Terminate" }).click();
      await waitForStatus(page, "Terminated");
      const lifecycle = await page.locator(".timeline .tl-lifecycle .tl-title").allTextContents();
      expect(lifecycle).toEqual(["Suspended", "Resumed", "Termination requested"]);
      expect(await page.locator(".timeline .tl-end .tl-title").textContent()).toBe("Terminated");
      expect(await page.locator(".timeline .tl-lifecycle").first().textContent()).toContain("reason: a coffee break");
      expect((await actionState(page, "Terminate")).enabled).toBe(false);
      expect((await actionState(page, "Purge")).enabled).toBe(true);
      await screenshot(page, "tab-terminated");

      await page.getByRole("button", { name: "Restart" }).click();
      await page.locator(".instance-id", { hasNotText: id }).waitFor();
      const restarted = await openInstanceId(page);
      expect(restarted).not.toBe(id);
      // The form starts empty for the new instance: the reason is not sent again.
      expect(await page.getByLabel("Reason").inputValue()).toBe("");
      await page.getByRole("button", { name: "Approve", exact: true }).waitFor({ timeout: 15_000 });
      await confirmedAction(page, "Terminate");
      await waitForStatus(page, "Terminated");
      await confirmedAction(page, "Purge");
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
      expect(await page.locator(".facts .failure p").first().textContent()).toBe(
        "TaskFailedError: Task 'Demo_FlakyStep' (#4) failed: Attempt 3 failed on purpose (3 planned failures).",
      );
      // The stack shows as lines, and the failure it wraps (the activity's own) under it.
      await page.locator(".facts .failure > details.stack > summary").first().click();
      expect(await page.locator(".facts .failure .stack-lines").first().locator("li").count()).toBeGreaterThan(1);
      expect(await page.locator(".facts .failure .stack-lines li").first().textContent()).not.toContain("\\n");
      // The history downloads as JSON.
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download history (JSON)" }).click()]);
      const file = JSON.parse(await readFile((await download.path())!, "utf8")) as { instanceId: string; runtimeStatus: string; historyEvents: { EventType: string }[] };
      expect(file.instanceId).toBe(await openInstanceId(page));
      expect(file.runtimeStatus).toBe("Failed");
      expect(file.historyEvents.filter((e) => e.EventType === "TaskFailed").length).toBe(3);
      expect(download.suggestedFilename()).toBe(`RetryDemo-${file.instanceId}-history.json`);
      // Every row's history record opens in the JSON viewer.
      await tasks.first().locator(".tl-json summary").click();
      const eventJson = JSON.parse((await tasks.first().locator(".tl-json .json-view").getAttribute("data-json"))!) as { EventType: string; FailureDetails: { ErrorMessage: string } };
      expect(eventJson.EventType).toBe("TaskFailed");
      expect(eventJson.FailureDetails.ErrorMessage).toBe("Attempt 1 failed on purpose (3 planned failures).");
      // The JSON viewer: folds, and copies.
      expect(await page.locator('.json-view[data-field="customStatus"] .j-key').allTextContents()).toEqual(['"failures": ', '"maxAttempts": ']);
      await context.grantPermissions(["clipboard-read", "clipboard-write"]);
      await page.getByRole("button", { name: "Copy custom status as JSON" }).click();
      await page.locator('.json-view[data-field="customStatus"] .copy-status', { hasText: "Copied." }).waitFor();
      expect(JSON.parse(await page.evaluate(() => navigator.clipboard.readText()))).toEqual({ failures: 3, maxAttempts: 3 });
      await screenshot(page, "tab-retries-failed");

      await page.getByLabel("Reason").fill("try once more");
      await page.getByRole("button", { name: "Rewind" }).click();
      await waitForStatus(page, "Completed", 15_000);
      expect(await outputOf(page)).toBe("Succeeded on attempt 4.");
      expect(await page.locator(".timeline .tl-lifecycle .tl-title").allTextContents()).toEqual(["Rewound"]);
      expect(await page.locator(".timeline .tl-lifecycle .tl-timing").textContent()).toContain("reason: try once more");
      expect(await page.locator(".timeline .tl-activity.tl-ok .tl-retry").textContent()).toBe("retry, attempt 3");
      // Its duration counts from the rewind, not the time it spent failed.
      expect(await page.locator(".timeline .tl-activity.tl-ok .tl-timing").textContent()).toMatch(/run again by the rewind \(first scheduled \d\d:\d\d:\d\d\)$/);
      await screenshot(page, "tab-rewound");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it("explains bad JSON in an event payload, and why a finished instance offers no events or rewind", async () => {
    const { page, context, errors } = await open();
    try {
      await page.getByRole("button", { name: "Ask for approval" }).click();
      await page.getByRole("button", { name: "Approve", exact: true }).waitFor({ timeout: 15_000 });
      await page.getByLabel("Event name").fill("Approval");
      await page.getByLabel("Payload (JSON)").fill("{approved: yes}");
      await page.getByRole("button", { name: "Send event" }).click();
      await page.locator("#e-payload-error", { hasText: "Not valid JSON" }).waitFor();
      expect(await page.getByLabel("Payload (JSON)").getAttribute("aria-invalid")).toBe("true");
      expect(await page.locator(".notice-error").getAttribute("data-code")).toBe("InvalidJson");
      await screenshot(page, "tab-error-bad-json", { toasts: true });

      await page.getByRole("button", { name: "Start in parallel" }).click();
      await page.locator("#detail-h", { hasText: "OrchestratorFunction_Parallel" }).waitFor();
      await waitForStatus(page, "Completed");
      // Opening another instance cleared the event form.
      expect(await page.getByLabel("Payload (JSON)").inputValue()).toBe("");
      expect(await actionState(page, "Send event")).toEqual({ enabled: false, why: "Already Completed: a finished instance takes no more events." });
      expect(await actionState(page, "Rewind")).toEqual({ enabled: false, why: "It is Completed: only failed instances can be rewound." });
      // Still focusable and pressable from the keyboard: pressing it says why instead of acting.
      await page.getByRole("button", { name: "Rewind" }).focus();
      await page.keyboard.press("Enter");
      await page.locator(".notice-info", { hasText: "Rewind is not available: It is Completed" }).waitFor();
      expect(await page.locator(".actions .hint").textContent()).toContain("Not available while Completed: Terminate, Suspend, Resume, Rewind.");
      await screenshot(page, "tab-actions-finished", { fullPage: false, toasts: true });
      await page.getByRole("button", { name: "Dismiss message" }).click();
      expect(await page.locator(".notice").count()).toBe(0);
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
      await page.getByLabel("Status", { exact: true }).selectOption({ label: "Running" });
      await expect.poll(() => page.locator(".instances tbody td.empty").count()).toBe(1);
      await page.getByLabel("Status", { exact: true }).selectOption({ label: "Completed" });
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

  it("lists the newest first, sorts by any column, filters by name, jumps to the last page, and purges a selection after asking", async () => {
    const { page, context, errors } = await open();
    try {
      const started: string[] = [];
      for (const button of ["Start in sequence", "Start in parallel", "Start in parallel", "Start in sequence"]) {
        await page.getByRole("button", { name: button }).click();
        started.push(await pollUntil(() => openInstanceId(page), (t) => /^[0-9a-f]{32}$/.test(t) && !started.includes(t), 10_000, "a new id"));
      }
      await waitForStatus(page, "Completed", 20_000);
      const ids = () => page.locator(".instances tbody tr[data-id]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-id")!));
      // Newest first, by default.
      await expect.poll(ids).toEqual([...started].reverse());
      expect(await page.locator(".page-info").textContent()).toBe("Page 1 of 1 · 4 shown of 4 instances");
      expect(await page.locator('th[aria-sort="descending"]').textContent()).toMatch(/^Created \(.+\)$/);
      // The created time shows the date; the header says the zone.
      expect(await page.locator(".instances tbody tr time").first().textContent()).toMatch(/2\d{3}/);
      // Oldest first on a second press; by name.
      await page.getByRole("button", { name: /^Created/ }).click();
      await expect.poll(ids).toEqual(started);
      await page.getByRole("button", { name: "Orchestration", exact: true }).click();
      expect(await page.locator('th[aria-sort="ascending"]').textContent()).toBe("Orchestration");
      const names = await page.locator(".instances tbody .col-name button").allTextContents();
      expect(names).toEqual([...names].sort());
      await page.getByRole("button", { name: "Duration" }).click();
      await page.getByRole("button", { name: "Last updated" }).click();
      await page.getByRole("button", { name: "Status", exact: true }).click();
      expect(await page.locator('th[aria-sort="ascending"]').textContent()).toBe("Status");
      await page.getByRole("button", { name: /^Created/ }).click(); // another column starts newest first
      await expect.poll(ids).toEqual([...started].reverse());

      // Name filter (applies to what was fetched, at once).
      await page.getByLabel("Name contains").fill("parallel");
      await expect.poll(ids).toEqual([started[2], started[1]]);
      expect(await page.locator(".filter-box summary").textContent()).toBe("Filters (1 active)");
      await page.getByLabel("Name contains").fill("");

      // First / last page.
      await page.getByLabel("Per page").selectOption("5");
      await page.getByRole("button", { name: "Start in sequence" }).click();
      await page.locator(".notice-info", { hasText: "Started OrchestratorFunction" }).waitFor();
      await page.getByRole("button", { name: "Start in sequence" }).click();
      await expect.poll(() => page.locator(".page-info").textContent()).toBe("Page 1 of 2 · 5 shown of 6 instances");
      await page.getByRole("button", { name: "Last »" }).click();
      await expect.poll(ids).toEqual([started[0]]);
      expect(await page.getByRole("button", { name: "Last »" }).isDisabled()).toBe(true);
      await page.getByRole("button", { name: "« First" }).click();
      await expect.poll(() => page.locator(".page-info").textContent()).toBe("Page 1 of 2 · 5 shown of 6 instances");

      // Bulk purge of a selection: asks first, then purges the finished ones.
      await page.getByLabel("Per page").selectOption("10");
      await waitForStatus(page, "Completed", 20_000);
      await expect.poll(() => page.locator(".instances tbody .badge", { hasText: "Completed" }).count(), { timeout: 20_000 }).toBe(6);
      await page.getByLabel(`Select OrchestratorFunction_Parallel ${started[1]}`).check();
      await page.getByLabel(`Select OrchestratorFunction_Parallel ${started[2]}`).check();
      expect(await page.locator(".bulk-count").textContent()).toBe("2 selected");
      await page.getByRole("button", { name: "Purge selected" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.waitFor();
      expect(await dialog.locator("h2").textContent()).toBe("Purge 2 instances?");
      expect(await findA11yProblems(page)).toEqual(NO_A11Y_PROBLEMS);
      await screenshot(page, "tab-list-bulk-purge-confirm", { fullPage: false });
      await dialog.getByRole("button", { name: "Purge 2" }).click();
      await page.locator(".notice-info", { hasText: "Purged 2 instances." }).waitFor();
      await expect.poll(() => page.locator(".page-info").textContent()).toBe("Page 1 of 1 · 4 shown of 4 instances");
      expect(await page.locator(".bulk").isVisible()).toBe(false);
      expect(await findA11yProblems(page)).toEqual(NO_A11Y_PROBLEMS);
      await screenshot(page, "tab-list-sorted");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it("shows the history as a Gantt chart: a fan-out folded into a group whose running bars grow, zoom, and the list view kept", async () => {
    const { page, context, errors } = await open({ width: 1280, height: 900 }, "gantt");
    try {
      await page.getByLabel("N", { exact: true }).fill("12");
      await page.getByRole("button", { name: "Start fan-out" }).click();
      const group = page.locator(".gantt .g-group");
      await group.waitFor({ timeout: 15_000 });
      expect(await group.locator(".g-title").textContent()).toBe("Square × 12");
      expect(await page.getByRole("radio", { name: "Gantt chart" }).isChecked()).toBe(true);
      // Unfold the group: one compact bar per task, in task order; running ones grow while we watch.
      await page.getByRole("button", { name: "Show the 12 tasks" }).click();
      const running = page.locator(".g-compact .g-running .g-bar").first();
      await running.waitFor({ timeout: 10_000 });
      const taskIds = await page.locator(".g-compact .g-row").evaluateAll((rows) => rows.map((r) => Number(r.getAttribute("data-task"))));
      expect(taskIds).toEqual([...taskIds].sort((a, b) => a - b));
      const width = () => page.locator(".g-compact .g-running .g-bar").first().evaluate((el) => el.getBoundingClientRect().width).catch(() => -1);
      const w0 = await width();
      await pollUntil(width, (w) => w > w0 + 2 || w === -1, 5_000, "a running bar to grow");
      expect(await page.locator(".g-axis .g-tick").count()).toBeGreaterThan(2);
      await screenshot(page, "tab-gantt-running");
      expect(await findA11yProblems(page)).toEqual(NO_A11Y_PROBLEMS);

      await waitForStatus(page, "Completed", 30_000);
      await expect.poll(() => group.locator(".g-counts").textContent()).toBe("12 done");
      expect(await group.locator(".g-dist-text").textContent()).toMatch(/^duration min \/ median \/ p95 \/ max: (\d+(\.\d+)? (ms|s)( \/ )?){4}$/);
      // Milliseconds: durations read as such, not "0 s".
      expect(await page.locator(".g-compact .g-row .visually-hidden").first().textContent()).toMatch(/\(\d(\.\d+)? s, completed\)|\(\d+ ms, completed\)/);
      await page.getByRole("button", { name: "Zoom in" }).click();
      await page.getByRole("button", { name: "Zoom in" }).click();
      expect(await page.locator(".zoom-text").textContent()).toBe("4×");
      const ratio = await page.locator(".gantt-inner").evaluate((el) => el.getBoundingClientRect().width / el.parentElement!.getBoundingClientRect().width);
      expect(ratio).toBeCloseTo(4, 0);
      expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe("Zoom in");
      await page.getByRole("button", { name: "Fit" }).click();
      // Zoomed, the chart scrolls sideways, from the keyboard too (it takes the focus after the zoom
      // tools); a redraw keeps the focus and where it was scrolled to.
      await page.getByRole("button", { name: "Zoom in" }).click();
      await page.getByRole("button", { name: "Fit" }).focus();
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe("Gantt chart");
      for (let i = 0; i < 3; i++) await page.keyboard.press("ArrowRight");
      const scrollLeft = () => page.locator(".gantt-scroll").evaluate((el) => el.scrollLeft);
      let previous = -1;
      const scrolled = await pollUntil(async () => [previous, (previous = await scrollLeft())] as const, ([a, b]) => a === b && b > 0, 5_000, "the chart to scroll and stop");
      await page.keyboard.press("Tab");
      await page.keyboard.press("Enter"); // its group's "Fold the 12 tasks": the chart is drawn again
      await page.getByRole("button", { name: "Show the 12 tasks" }).waitFor();
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Show the 12 tasks");
      expect(await scrollLeft()).toBe(scrolled[1]);
      await page.getByRole("button", { name: "Show the 12 tasks" }).click();
      await page.getByRole("button", { name: "Fit" }).click();
      await screenshot(page, "tab-gantt-done");
      expect(await findA11yProblems(page)).toEqual(NO_A11Y_PROBLEMS);

      // The list view is still there, and the choice is remembered.
      await page.getByRole("radio", { name: "List", exact: true }).check();
      await expect.poll(() => page.locator(".timeline .tl-activity").count()).toBe(12);
      await page.reload();
      await page.locator(".timeline .tl-activity").first().waitFor({ timeout: 15_000 });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it("links a parent to its children and each child back to its parent, both ways", async () => {
    const { page, context, errors } = await open();
    try {
      await page.getByLabel("Children", { exact: true }).fill("2");
      await page.getByRole("button", { name: "Start parent" }).click();
      await page.locator("#detail-h", { hasText: "ParentOfChildren" }).waitFor();
      await waitForStatus(page, "Completed", 30_000);
      const parentId = await openInstanceId(page);
      const children = page.locator('[data-field="children"] .child-link');
      expect(await children.count()).toBe(2);
      const childIds = await children.allTextContents();
      // The timeline's rows link the children too.
      expect(await page.locator(".timeline .tl-suborchestration .child-link").allTextContents()).toEqual(childIds);
      await screenshot(page, "tab-parent-children");
      await children.first().click();
      await page.locator(".instance-id", { hasText: childIds[0]! }).waitFor();
      expect(page.url()).toContain(`#/tab/${encodeURIComponent(childIds[0]!)}`);
      await waitForStatus(page, "Completed");
      expect(await outputOf(page)).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
      // The child names its parent, as a link back.
      const parent = page.locator('[data-field="parent"] .child-link');
      expect(await parent.textContent()).toBe(parentId);
      expect(await page.locator(".timeline .tl-start .tl-timing").textContent()).toContain("sub-orchestration of ParentOfChildren");
      expect(await findA11yProblems(page)).toEqual(NO_A11Y_PROBLEMS);
      await parent.click();
      await page.locator(".instance-id", { hasText: parentId }).waitFor();
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it("shows a monitor's earlier runs (continue-as-new) from the current one back, each linked to the run it continued as, from the keyboard, passing axe-core at desktop and phone sizes", async () => {
    const { page, context, errors } = await open(VIEW_SIZES[0].viewport);
    try {
      await page.getByLabel("Every (s)").fill("1");
      await page.getByLabel("Checks").fill("3");
      await page.getByRole("button", { name: "Start monitor" }).click();
      await page.locator("#detail-h", { hasText: "Monitor" }).waitFor({ timeout: 10_000 });
      const id = await pollUntil(() => openInstanceId(page), (t) => /^[0-9a-f]{32}$/.test(t), 10_000, "the monitor's id");
      // Live: each continue-as-new shows while it runs.
      await page.locator('#instance-detail [data-field="run"]', { hasText: "Run 2 · 1 earlier run" }).waitFor({ timeout: 15_000 });
      await waitForStatus(page, "Completed", 30_000);
      expect(await outputOf(page)).toEqual({ checks: 3 });
      await expectMonitorRuns(page, 3);
      // The history shown is the current run's alone.
      expect(await page.locator(".timeline .tl-start").count()).toBe(1);
      expect(await page.locator(".timeline .tl-activity").count()).toBe(0); // run 4 only returns
      for (const size of VIEW_SIZES) {
        await page.setViewportSize(size.viewport);
        await page.reload();
        await page.locator(".instance-id", { hasText: id }).waitFor({ timeout: 15_000 });
        await waitForStatus(page, "Completed");
        expect((await shownRuns(page))!.runs).toHaveLength(4); // every entry unfolded
        await viewChecker(page, size, "tab")("instance-runs", { part: ".runs" });
      }
      // An instance that never continued as new shows no runs.
      await page.getByRole("button", { name: "Start in sequence" }).click();
      await page.locator("#detail-h", { hasText: "OrchestratorFunction" }).waitFor();
      await waitForStatus(page, "Completed");
      expect(await shownRuns(page)).toBeNull();
      expect(await page.locator('#instance-detail [data-field="run"]').count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it("starts any registered orchestration by name with a JSON input, and says which names exist", async () => {
    const { page, context, errors } = await open();
    try {
      const card = page.locator(".start-any");
      expect(await card.locator("#any-names option").evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toContain("ParentOfChildren");
      await page.getByLabel("Orchestration", { exact: true }).fill("FanOutFanIn");
      await page.getByLabel("Input (JSON)").fill("{count: 3}");
      await card.getByRole("button", { name: "Start" }).click();
      await page.locator("#any-input-error", { hasText: "Not valid JSON" }).waitFor();
      expect(await page.getByLabel("Input (JSON)").getAttribute("aria-invalid")).toBe("true");
      await page.getByLabel("Input (JSON)").fill('{"count": 3}');
      await card.getByRole("button", { name: "Start" }).click();
      await page.locator("#detail-h", { hasText: "FanOutFanIn" }).waitFor();
      await waitForStatus(page, "Completed", 20_000);
      expect(await outputOf(page)).toEqual({ count: 3, sum: 14 });
      await page.getByLabel("Orchestration", { exact: true }).fill("NoSuchThing");
      await page.getByLabel("Input (JSON)").fill("");
      await card.getByRole("button", { name: "Start" }).click();
      const notice = page.locator('.notice-error[data-code="UnknownOrchestrator"]');
      await notice.waitFor();
      expect(await notice.textContent()).toContain("Registered: ");
      expect(await findA11yProblems(page)).toEqual(NO_A11Y_PROBLEMS);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it("offers every orchestration the tab's runtime registers (its client's registered()), each startable with a JSON input and an instance id of one's own", async () => {
    const { page, context, errors } = await open();
    try {
      const registered = await page.evaluate(() => (window as unknown as { durableEdgeDemo: { client: { registered(): RegisteredFunctions } } }).durableEdgeDemo.client.registered());
      const { orchestrators, entities } = namesOf(registered);
      expect(orchestrators).toEqual(expect.arrayContaining(["RetryDemo", "ParentOfChildren", "HoldAccounts", "OrchestratorFunction"]));
      const form = await settledStartForm(page);
      expect(form).toEqual({ suggested: orchestrators, listed: orchestrators, source: "side", note: `This tab's runtime registers ${orchestrators.length} orchestrations (its client's registered()).` });
      expect(await suggestedEntities(page)).toEqual({ signal: entities, filter: entities });

      // An id of one's own: refused by the core's rules before anything is sent, then used.
      await startPicked(page, "HumanInteraction", '{"timeoutSeconds": 900}', "order/1");
      await page.locator("#any-id-error", { hasText: "must not contain '/'" }).waitFor();
      expect(await page.getByLabel("Instance ID (optional)").getAttribute("aria-invalid")).toBe("true");
      expect(await page.locator(".instances tbody tr[data-id]").count()).toBe(0);
      await page.getByLabel("Instance ID (optional)").fill("order-1");
      await page.locator(".start-any").getByRole("button", { name: "Start", exact: true }).click();
      await page.locator("#detail-h", { hasText: "HumanInteraction" }).waitFor();
      expect(await openInstanceId(page)).toBe("order-1");
      expect(await page.getByLabel("Instance ID (optional)").inputValue()).toBe(""); // used: not sent again by mistake
      // The same id again while it runs: the core refuses it, and the page says so.
      await startPicked(page, "OrchestratorFunction", "", "order-1");
      const refused = page.locator('.notice-error[data-code="InstanceAlreadyExists"]');
      await refused.waitFor();
      expect(await refused.textContent()).toContain("order-1");
      expect(await page.getByLabel("Instance ID (optional)").inputValue()).toBe("order-1"); // kept, to change it

      // Format lays the JSON out; bad JSON is marked on the field and starts nothing.
      await page.getByLabel("Input (JSON)").fill('{"count":3,"note":["a","b"]}');
      await page.getByRole("button", { name: "Format JSON" }).click();
      expect(await page.getByLabel("Input (JSON)").inputValue()).toBe(JSON.stringify({ count: 3, note: ["a", "b"] }, null, 2));
      await page.getByLabel("Input (JSON)").fill("{'count': 3}");
      await page.getByRole("button", { name: "Format JSON" }).click();
      await page.locator("#any-input-error", { hasText: "Not valid JSON" }).waitFor();
      expect(await findA11yProblems(page)).toEqual(NO_A11Y_PROBLEMS);

      // A tab-only orchestration picked from the list runs with its input.
      await startPicked(page, "ParentOfChildren", '{"children": 1}', "");
      await page.locator("#detail-h", { hasText: "ParentOfChildren" }).waitFor();
      await waitForStatus(page, "Completed", 30_000);
      expect(await outputOf(page)).toEqual([["Hello Tokyo!", "Hello Seattle!", "Hello London!"]]);
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

      // Every state the page shows: a finished instance, an error, a running approval with its countdown.
      expect(await findA11yProblems(page)).toEqual(NO_A11Y_PROBLEMS);
      await page.getByRole("button", { name: "Ask for approval" }).click();
      await page.getByRole("button", { name: "Approve", exact: true }).waitFor({ timeout: 15_000 });
      await page.getByLabel("Payload (JSON)").fill("{");
      await page.getByLabel("Event name").fill("x");
      await page.getByRole("button", { name: "Send event" }).click();
      await page.locator(".notice-error").waitFor();
      expect(await findA11yProblems(page)).toEqual(NO_A11Y_PROBLEMS);
      await page.getByLabel("In this tab").focus();
      await page.keyboard.press("ArrowRight");
      expect(await page.getByLabel("On the edge").isChecked()).toBe(true);
      await page.locator(".notice-error").waitFor();
      expect(await findA11yProblems(page)).toEqual(NO_A11Y_PROBLEMS);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it("steps through an instance's time travel, showing the frames the tab's client computes", async () => {
    const { page, context, errors } = await open();
    try {
      await page.getByLabel("Timeout (s)").fill("120");
      await page.getByRole("button", { name: "Ask for approval" }).click();
      await page.getByRole("button", { name: "Approve", exact: true }).click({ timeout: 15_000 });
      await waitForStatus(page, "Completed");
      const id = await openInstanceId(page);
      type Frames = Awaited<ReturnType<NonNullable<TabHost["client"]["timeTravel"]>>>["frames"];
      const frames = await page.evaluate(
        (id) => (window as unknown as { durableEdgeDemo: { client: { timeTravel(id: string): Promise<{ frames: unknown }> } } }).durableEdgeDemo.client.timeTravel(id).then((t) => t.frames),
        id,
      ) as Frames;
      expect(frames.length).toBeGreaterThan(4);
      const expected = (i: number) => expectedFrame(frames, i);
      const shown = () => shownFrame(page);
      await page.getByRole("button", { name: "Time travel", exact: true }).click();
      const slider = page.getByLabel("Event", { exact: true });
      await slider.waitFor();
      expect(await shown()).toEqual(expected(0));
      expect(await page.getByRole("button", { name: "Back", exact: true }).getAttribute("aria-disabled")).toBe("true");
      const forward = page.getByRole("button", { name: "Forward", exact: true });
      await forward.click();
      await forward.click();
      expect(await shown()).toEqual(expected(2));
      await page.getByRole("button", { name: "Back", exact: true }).click();
      expect(await shown()).toEqual(expected(1));
      // From the keyboard: the slider moves by one with the arrows, to the ends with Home / End.
      const waiting = frames.findIndex((f) => f.pending.length > 1 && f.customStatus !== null);
      expect(waiting).toBeGreaterThan(0);
      await slider.focus();
      await page.keyboard.press("Home");
      for (let i = 0; i < waiting; i++) await page.keyboard.press("ArrowRight");
      expect(await shown()).toEqual(expected(waiting));
      await page.keyboard.press("End");
      expect(await shown()).toEqual(expected(frames.length - 1));
      expect((await shown()).status).toBe("Completed");
      expect(await forward.getAttribute("aria-disabled")).toBe("true");
      expect(await findA11yProblems(page)).toEqual(NO_A11Y_PROBLEMS);
      await page.locator(".time-travel").scrollIntoViewIfNeeded();
      await screenshot(page, "tab-time-travel", { fullPage: false });
      // A copy imported from its exported document says where it came from.
      const copy = await page.evaluate(async (id) => {
        const { client } = (window as unknown as { durableEdgeDemo: { client: { exportInstance(id: string, o: object): Promise<unknown>; importInstance(d: unknown, o: object): Promise<string> } } }).durableEdgeDemo;
        return client.importInstance(await client.exportInstance(id, { source: "browser:durable-edge-demo" }), { instanceId: `${id}-copy`, allowCopy: true });
      }, id);
      await page.evaluate((copy) => (location.hash = `#/tab/${copy}`), copy);
      await page.locator(".instance-id", { hasText: copy }).waitFor();
      expect(await page.locator("#instance-detail .origin").textContent()).toMatch(/^Came from browser:durable-edge-demo \(exported .* UTC, imported .* UTC\)\.$/);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it("passes axe-core and the page's own checks on every view, at desktop and phone sizes, each photographed", async () => {
    const { page, context, errors } = await open(VIEW_SIZES[0].viewport, "gantt");
    try {
      // What the views show: a finished tutorial, a failed step, a fan-out, and a transfer waiting
      // behind a lock another orchestration holds (two Accounts, one locked before it had state).
      const started = async (button: string, name: string) => {
        await page.getByRole("button", { name: button, exact: true }).first().click();
        await page.locator("#detail-h", { hasText: name }).waitFor({ timeout: 15_000 });
        return openInstanceId(page);
      };
      const tutorial = await started("Start in sequence", "OrchestratorFunction");
      await page.getByLabel("Failures").fill("1");
      await page.getByLabel("Attempts").fill("1");
      const failed = await started("Start flaky step", "RetryDemo");
      // The fan-out from the start form, with an input four levels deep for the JSON viewer.
      await page.getByLabel("Orchestration", { exact: true }).fill("FanOutFanIn");
      await page.getByLabel("Input (JSON)").fill(JSON.stringify({ count: 12, about: { started: { from: "the start form", sizes: ["desktop", "phone"] } } }));
      const fanOut = await started("Start", "FanOutFanIn");
      await page.locator("#bank-from").fill("alice");
      await page.locator("#bank-to").fill("bob");
      await page.locator("#bank-amount").fill("100");
      await page.getByRole("button", { name: "Deposit into From" }).click();
      await expect.poll(() => entityPanelState(page)).toEqual({ balance: 100 });
      await page.locator("#hold-accounts").fill("bob");
      await started("Hold the lock", "HoldAccounts");
      await page.getByRole("button", { name: "Release", exact: true }).waitFor({ timeout: 15_000 });
      await page.locator("#bank-amount").fill("30");
      const transfer = await started("Start transfer", "TransferFunds");
      await expect.poll(() => page.locator('#instance-detail [data-field="critical-section"]').getAttribute("data-state")).toBe("waiting");

      const go = (hash: string) => page.evaluate((hash) => (location.hash = hash), hash);
      for (const size of VIEW_SIZES) {
        await page.setViewportSize(size.viewport);
        await page.reload();
        await page.locator("#side-info", { hasText: "In this tab" }).waitFor({ timeout: 15_000 });
        const check = viewChecker(page, size, "tab");
        await go("#/tab");
        await page.locator(`.instances tr[data-id="${tutorial}"]`).waitFor();
        // Each id readable whole (at 1280 px the ID column was cut at the card's edge).
        expect(await instanceIdsShown(page), size.name).toEqual({ shown: 5, problems: [] });
        await check("instances", { part: "#instances" });

        // An instance's history as the Gantt chart; another's as the list, its input and a record
        // in the JSON viewer unfolded to the last level.
        await go(`#/tab/${tutorial}`);
        await waitForStatus(page, "Completed");
        await page.getByRole("radio", { name: "Gantt chart" }).check();
        await page.locator(".gantt .g-row").first().waitFor();
        await check("instance-gantt", { part: ".history-head" });
        await go(`#/tab/${fanOut}`);
        await waitForStatus(page, "Completed", 30_000);
        await checkUnfoldedInput(page, check);

        // A failed one: its failure with the stack as lines, then its time travel; purge asks first.
        await go(`#/tab/${failed}`);
        await waitForStatus(page, "Failed", 30_000);
        await page.locator(".facts .failure > details.stack > summary").first().click();
        await page.locator(".facts .failure .stack-lines").first().waitFor();
        await check("instance-failed", { part: ".facts .failure" });
        await page.getByRole("button", { name: "Time travel", exact: true }).click();
        await page.getByLabel("Event", { exact: true }).waitFor();
        await page.getByRole("button", { name: "Forward", exact: true }).click();
        await check("instance-time-travel", { part: ".time-travel" });
        await checkPurgeDialog(page, check);

        // The fan-out's group unfolded, zoomed so the chart scrolls sideways.
        await go(`#/tab/${fanOut}`);
        await waitForStatus(page, "Completed");
        await page.getByRole("radio", { name: "Gantt chart" }).check();
        await page.getByRole("button", { name: "Show the 12 tasks" }).click();
        await page.getByRole("button", { name: "Zoom in" }).click();
        await page.getByRole("button", { name: "Zoom in" }).click();
        await page.locator(".zoom-text", { hasText: "4×" }).waitFor();
        await check("instance-gantt-fan-out", { part: ".history-head" });

        // The start form with a mistake on its field (and the message at the bottom).
        const card = page.locator(".start-any");
        await page.getByLabel("Orchestration", { exact: true }).fill("FanOutFanIn");
        await page.getByLabel("Input (JSON)").fill("{count: 3}");
        await card.getByRole("button", { name: "Start" }).click();
        await page.locator("#any-input-error", { hasText: "Not valid JSON" }).waitFor();
        await check("start-form-error", { part: ".start-any", toasts: true });
        await page.getByLabel("Input (JSON)").fill("");

        // The entities: the table with who holds what, an entity's panel, its delete dialog, and
        // the waiting transfer beside them with its critical section.
        await go("#/tab/@entities");
        await expect.poll(() => page.locator('table.entities tr[data-entity="@account@bob"] td[data-label="Backlog"]').textContent()).toBe("1");
        await check("entities", { part: "#instances" });
        await go("#/tab/@entities/@account@alice");
        await page.locator("#entity-h", { hasText: "Account alice" }).waitFor();
        await expect.poll(() => entityPanelState(page)).toEqual({ balance: 100 });
        await check("entity", { part: "#entity-detail" });
        await page.getByRole("button", { name: "Delete entity" }).click();
        await page.getByRole("dialog").waitFor();
        await check("entity-delete-dialog", { modal: true });
        await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
        await page.getByRole("dialog").waitFor({ state: "detached" });
        await go(`#/tab/@entities/${transfer}`);
        await expect.poll(() => page.locator('#instance-detail [data-field="critical-section"] li[data-entity="@account@bob"] .lock-state').textContent()).toMatch(/^held by [0-9a-f]{32} \(1 request waiting\)$/);
        await check("entities-transfer-waiting", { part: "#detail" });
      }
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 180_000);

  it("has accessibility checks that catch what they look for: axe-core, and the page's own where axe lets a problem through", async () => {
    const context = await served.browser.newContext();
    try {
      const page = await context.newPage();
      await page.setContent(`<!doctype html><html lang="en"><head><title>checks</title></head><body><main>
        <p style="color:#aaa">faint</p><p style="color:#222">fine</p>
        <input id="x"><button></button><label for="y">Y</label><input id="y">
        <input id="p" placeholder="Name"><button id="t" title="Close"></button>
        <p id="over" style="color:#aaa;background-image:linear-gradient(#fff,#fff)">faint over a gradient</p>
        <span role="checkbox">agree</span>
        <div id="scroller" style="height:2em;overflow:auto"><p>one</p><p>two</p><p>three</p></div>
      </main></body></html>`);
      const problems = await findA11yProblems(page);
      const axe = Object.fromEntries(problems.axe.map((v) => [v.id, v.nodes.map((n) => n.slice(0, n.indexOf(":")))]));
      // axe: the unlabelled field, the empty button, the faint text, and what the own checks do not
      // look at (a checkbox role with no state, a scrolling box the keyboard cannot reach).
      expect(axe).toEqual({ label: ["#x"], "button-name": ["button"], "color-contrast": ["main > p"], "aria-required-attr": ["span"], "scrollable-region-focusable": ["#scroller"] });
      // The own checks: also a field with only a placeholder, a button with only a title, and faint
      // text whose background axe cannot tell (over a gradient: it "needs review", no violation).
      expect(problems.unlabelled).toEqual(["input#x", "input#p"]);
      expect(problems.unnamedButtons).toEqual(["button", "button#t"]);
      expect(problems.lowContrast).toEqual(['p "faint" 2.32:1', 'p#over "faint over a gradient" 2.32:1']);
      expect(await ownA11yProblems(page)).toEqual({ unlabelled: problems.unlabelled, unnamedButtons: problems.unnamedButtons, lowContrast: problems.lowContrast });
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
    const { page, context, errors } = await open({ width: 390, height: 844 }, "gantt");
    try {
      await page.getByRole("button", { name: "Start in sequence" }).click();
      await waitForStatus(page, "Completed");
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      // Ids stay visible (under the name), names wrap between words.
      expect(await page.locator(".instances tbody .sub-id").first().isVisible()).toBe(true);
      expect(await page.locator(".instances tbody .sub-id").first().textContent()).toMatch(/^[0-9a-f]{32}$/);
      // Whole: the id is visible text, not cut by its cell or by the table's sideways scrolling.
      expect(await instanceIdsShown(page)).toEqual({ shown: 1, problems: [] });
      // On a phone the filters start folded, so the list comes first.
      expect(await page.locator(".filter-box").getAttribute("open")).toBeNull();
      await screenshot(page, "tab-phone");
      // Starting a sample brings the instance into view (it sits below the list on a phone).
      const top = await page.locator("#detail").evaluate((el) => el.getBoundingClientRect().top);
      expect(top).toBeGreaterThanOrEqual(-1);
      expect(top).toBeLessThan(844);
      await screenshot(page, "tab-phone-viewport", { fullPage: false });
      // The Gantt chart scrolls inside its box; the page itself does not get wider.
      await page.locator(".gantt .g-row").first().waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
      expect(await findA11yProblems(page)).toEqual(NO_A11Y_PROBLEMS);
      await page.locator(".gantt").scrollIntoViewIfNeeded();
      await screenshot(page, "tab-phone-gantt", { fullPage: false });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
