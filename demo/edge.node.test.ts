/**
 * The demo page served by the real Worker (`wrangler dev` with this repository's wrangler.toml,
 * the page as static assets next to the HTTP API, as `npm start` runs it), in real headless
 * Chromium, on the edge side: samples started on the Worker, their history timeline, an approval,
 * a monitor's earlier runs, and the API's 410 shown; its entities (a Counter signalled, a transfer between Accounts, delete
 * after asking) through the entity routes, polled only while shown; every view, at desktop and
 * phone sizes, checked by axe-core and the page's own accessibility checks (under the Worker's
 * real Content-Security-Policy) and photographed. The page is built into a temporary folder
 * passed as `--assets`, so the test never rewrites `demo/dist` under another running Worker.
 */
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable } from "./e2e/chromium.ts";
import { openPage, servedPage, type ServedPage } from "./e2e/page-fixture.ts";
import { findA11yProblems, NO_A11Y_PROBLEMS } from "./e2e/accessibility.ts";
import { actionState, confirmedAction, entityPanelState, entityTableState, expectedFrame, instanceIdsShown, openInstanceId, outputOf, pageErrors, pollUntil, shownFrame, waitForStatus } from "./e2e/page-helpers.ts";
import { pendingText } from "./src/time-travel-view.ts";
import type { InstanceDocument, TimeTravel } from "../src/index.ts";
import { screenshot, VIEW_SIZES, viewScreenshot } from "./e2e/screenshots.ts";
import { checkPurgeDialog, checkUnfoldedInput, viewChecker } from "./e2e/view-checks.ts";
import { expectMonitorRuns } from "./e2e/runs-checks.ts";
import { startWranglerDev, type WranglerDev, type WranglerDevOptions } from "../test/support/wrangler-dev.ts";
import { namesOf, settledStartForm, startFormState, startPicked, suggestedEntities } from "./e2e/start-form.ts";
import { samples } from "../examples/index.ts";
import { Registry, type RegisteredFunctions } from "../src/index.ts";

const available = chromiumAvailable();

/** The page built and served as assets by `wrangler dev` (the repository's Worker unless `options` name another), and Chromium, for one describe. */
function servedWorker(options: Omit<WranglerDevOptions, "assetsDir"> = {}): ServedPage<WranglerDev> {
  return servedPage({ serve: (assetsDir) => startWranglerDev({ ...options, assetsDir }), stop: (worker) => worker.stop(), setupTimeout: 180_000, teardownTimeout: 30_000 });
}

/** The start form offers and lists exactly the orchestrations the Worker registers, saying where the list comes from, and the entity forms its entities. */
async function expectOffered(page: Page, functions: ReturnType<typeof namesOf>): Promise<void> {
  expect(await settledStartForm(page)).toEqual({
    suggested: functions.orchestrators,
    listed: functions.orchestrators,
    source: "side",
    note: `The Worker registers ${functions.orchestrators.length} orchestrations (GET /runtime/webhooks/durabletask/functions).`,
  });
  expect(await suggestedEntities(page)).toEqual({ signal: functions.entities, filter: functions.entities });
}

describe.skipIf(!available)("demo page on the Worker (wrangler dev, real Chromium)", () => {
  const served = servedWorker();
  let context: BrowserContext | undefined;
  let page: Page;
  let errors: string[] = [];

  beforeAll(async () => {
    // The tests below share one page; they read the history's list view (the Gantt chart, the default, has its own).
    ({ page, context, errors } = await openPage(served.browser, `${served.server.origin}/#/edge`, "On the Worker", { historyList: true }));
  }, 30_000);

  afterAll(async () => {
    await context?.close();
  });

  it("starts the tutorial on the Worker and shows its history timeline", async () => {
    expect(await page.getByLabel("On the edge").isChecked()).toBe(true);
    // The retry sample exists only in the tab; the Worker runs the shared samples.
    expect(await page.getByRole("button", { name: "Start flaky step" }).isVisible()).toBe(false);
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

  it("approves the human-interaction sample on the Worker; a finished instance offers no terminate", async () => {
    await page.getByRole("button", { name: "Ask for approval" }).click();
    const approve = page.getByRole("button", { name: "Approve", exact: true });
    await approve.waitFor({ timeout: 20_000 });
    expect(await page.locator(".countdown").textContent()).toMatch(/min|s/);
    await screenshot(page, "edge-approval-waiting");
    await approve.click();
    await waitForStatus(page, "Completed", 30_000);
    expect(((await outputOf(page)) as { approved: boolean }).approved).toBe(true);
    expect(await page.locator(".timeline .tl-event .tl-title").allTextContents()).toEqual(["Approval"]);
    expect(await actionState(page, "Terminate")).toEqual({ enabled: false, why: "Already Completed: only instances that have not finished can be terminated." });
    expect((await actionState(page, "Purge")).enabled).toBe(true);
    expect(errors).toEqual([]);
  }, 60_000);

  it("terminates only after asking, and sends no request for a purged instance", async () => {
    await page.getByRole("button", { name: "Ask for approval" }).click();
    await page.getByRole("button", { name: "Approve", exact: true }).waitFor({ timeout: 20_000 });
    const id = await openInstanceId(page);
    const forIt: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes(`/instances/${id}`)) forIt.push(`${r.method()} ${r.url()}`);
    });
    await page.locator(".actions").getByRole("button", { name: "Terminate", exact: true }).click();
    await page.getByRole("dialog").waitFor();
    expect(forIt.filter((r) => r.startsWith("POST"))).toEqual([]);
    await screenshot(page, "edge-confirm-terminate", { fullPage: false });
    await page.getByRole("dialog").getByRole("button", { name: "Terminate" }).click();
    await waitForStatus(page, "Terminated", 30_000);
    await confirmedAction(page, "Purge");
    await page.locator("#detail-h", { hasText: "Instance not found" }).waitFor({ timeout: 10_000 });
    const afterPurge = forIt.length;
    await page.waitForTimeout(5_000); // more than two polls
    expect(forIt.slice(afterPurge)).toEqual([]);
    expect(errors).toEqual([]);
  }, 60_000);

  it("runs the fan-out and the monitor on the Worker, and shows the monitor's earlier runs (continue-as-new)", async () => {
    await page.getByLabel("N", { exact: true }).fill("70");
    await page.getByRole("button", { name: "Start fan-out" }).click();
    await page.locator("#detail-h", { hasText: "FanOutFanIn" }).waitFor({ timeout: 10_000 });
    await waitForStatus(page, "Completed", 30_000);
    expect(await outputOf(page)).toEqual({ count: 70, sum: 116795 });
    expect(await page.locator('label[for="fan-progress"]').textContent()).toBe("Squares done: 70 of 70");
    // 72 rows (start, 70 squares, end): the latest 60 first, all on request.
    await page.locator(".timeline-more", { hasText: "Showing the latest 60 of 72 rows." }).waitFor();
    expect(await page.locator(".timeline > li").count()).toBe(60);
    await page.getByRole("button", { name: "Show all 72" }).click();
    await expect.poll(() => page.locator(".timeline > li").count()).toBe(72);
    expect(await page.locator(".timeline-more").isVisible()).toBe(false);
    expect(await page.locator(".timeline .tl-activity.tl-ok").count()).toBe(70);

    await page.getByLabel("Every (s)").fill("1");
    await page.getByLabel("Checks").fill("2");
    await page.getByRole("button", { name: "Start monitor" }).click();
    await page.locator("#detail-h", { hasText: "Monitor" }).waitFor({ timeout: 10_000 });
    await waitForStatus(page, "Completed", 30_000);
    expect(await outputOf(page)).toEqual({ checks: 2 });
    // Its runs, from the Worker's status (?showRuns=true) and its stream, in the same view as the tab's.
    await expectMonitorRuns(page, 2);
    expect(await findA11yProblems(page)).toEqual(NO_A11Y_PROBLEMS);
    await viewScreenshot(page, VIEW_SIZES[0], "edge-instance-runs", { part: ".runs" });
    expect(errors).toEqual([]);
  }, 60_000);

  it("streams a running instance from the Worker instead of polling it, and charts a 200-way fan-out", async () => {
    const requests: string[] = [];
    const onRequest = (r: { method(): string; url(): string }) => requests.push(`${r.method()} ${new URL(r.url()).pathname}`);
    page.on("request", onRequest);
    try {
      // A running instance: the page opens its stream and stops polling it.
      await page.getByRole("button", { name: "Ask for approval" }).click();
      await page.getByRole("button", { name: "Approve", exact: true }).waitFor({ timeout: 20_000 });
      const id = await openInstanceId(page);
      await page.locator(".live-mode", { hasText: "Live" }).waitFor({ timeout: 10_000 });
      const live = requests.length;
      await page.waitForTimeout(4_500); // two polling periods
      const forIt = requests.slice(live).filter((r) => r.includes(`/instances/${id}`));
      expect(forIt.filter((r) => r.startsWith("GET ") && !r.includes("/stream/"))).toEqual([]);
      await page.getByRole("button", { name: "Approve", exact: true }).click();
      await waitForStatus(page, "Completed", 30_000);
      expect(requests.some((r) => r === `GET /runtime/webhooks/durabletask/stream/instances/${id}`)).toBe(true);
      await expect.poll(() => page.locator(`.instances tr[data-id="${id}"] .badge`).textContent()).toBe("Completed");

      // The Worker's squares are instant: the 200-way fan-out is done before the first read, so the
      // chart shows it finished (growing bars are shown in stream.node.test.ts, with simulated work).
      await page.getByRole("radio", { name: "Gantt chart" }).check();
      await page.getByLabel("N", { exact: true }).fill("200");
      await page.getByRole("button", { name: "Start fan-out" }).click();
      await page.locator("#detail-h", { hasText: "FanOutFanIn" }).waitFor({ timeout: 10_000 });
      await waitForStatus(page, "Completed", 60_000);
      expect(await outputOf(page)).toEqual({ count: 200, sum: 2_686_700 });
      await expect.poll(() => page.locator(".gantt .g-group .g-title").textContent()).toBe("Square × 200");
      // Whole seconds from the status API: durations say "< 1 s", not a made-up "0 ms".
      expect(await page.locator(".gantt .g-group .g-dist-text").textContent()).toMatch(/^duration min \/ median \/ p95 \/ max: /);
      const fanId = await openInstanceId(page);
      expect(await page.locator(".instances tbody tr[data-id]").first().getAttribute("data-id")).toBe(fanId);
      await screenshot(page, "edge-gantt-fan-out-200");
      expect(await findA11yProblems(page)).toEqual(NO_A11Y_PROBLEMS);
      await page.getByRole("radio", { name: "List", exact: true }).check();
      expect(errors).toEqual([]);
    } finally {
      page.off("request", onRequest);
    }
  }, 120_000);

  it("pages through every instance on the Worker with the continuation token", async () => {
    for (let i = 0; i < 2; i++) {
      await page.getByRole("button", { name: "Start in parallel" }).click();
      await page.locator(".notice-info", { hasText: "Started OrchestratorFunction_Parallel" }).waitFor();
      await page.getByRole("button", { name: "Dismiss message" }).click();
    }
    await page.getByLabel("Per page").selectOption("100");
    await expect.poll(() => page.locator(".instances tbody tr").count(), { timeout: 10_000 }).toBe(8);
    const all = await page.locator(".instances tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-id")));

    await page.getByLabel("Per page").selectOption("5");
    await expect.poll(() => page.locator(".page-info").textContent()).toMatch(/^Page 1 of 2 · 5 shown of 8 instances$/);
    const seen: string[] = [];
    for (let pageNo = 1; pageNo <= 6; pageNo++) {
      const ids = await page.locator(".instances tbody tr[data-id]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-id")!));
      expect(ids.length).toBeLessThanOrEqual(5);
      seen.push(...ids);
      const next = page.getByRole("button", { name: "Next page →" });
      if (!(await next.isEnabled())) break;
      await next.click();
      await page.locator(".page-info", { hasText: `Page ${pageNo + 1} ` }).waitFor();
    }
    expect(seen.sort()).toEqual([...all].sort());
    expect(errors).toEqual([]);
  }, 60_000);

  it("keeps each side's instances apart when toggling", async () => {
    await page.getByLabel("Per page").selectOption("100");
    await expect.poll(() => page.locator(".instances tbody tr").count(), { timeout: 10_000 }).toBe(8);
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

  it("offers what the Worker registers (GET {base}/functions) in the start form and the entity forms, and the tab's own list on the tab side", async () => {
    const response = await fetch(`${served.server.origin}/runtime/webhooks/durabletask/functions`);
    expect(response.status).toBe(200);
    const functions = namesOf((await response.json()) as RegisteredFunctions);
    // The repository's Worker registers the shared samples (worker/demo-worker.ts): the page's own copy matches it.
    expect(functions).toEqual(namesOf(new Registry(samples.orchestrators, samples.activities, samples.entities).registered()));
    await page.reload();
    await page.locator("#side-info", { hasText: "On the Worker" }).waitFor({ timeout: 15_000 });
    await expectOffered(page, functions);
    // Toggled to the tab, the form offers the tab's runtime's list (the tab-only samples too), and back again the Worker's.
    await page.getByLabel("In this tab").check();
    await page.locator("#side-info", { hasText: "In this tab" }).waitFor();
    await expect.poll(async () => (await startFormState(page)).note).toMatch(/^This tab's runtime registers/);
    expect((await startFormState(page)).listed).toEqual(expect.arrayContaining([...functions.orchestrators, "RetryDemo", "HoldAccounts"]));
    await page.getByLabel("On the edge").check();
    await page.locator("#side-info", { hasText: "On the Worker" }).waitFor();
    await expect.poll(async () => (await startFormState(page)).listed).toEqual(functions.orchestrators);
    expect(errors).toEqual([]);
  }, 60_000);

  it("time-travels a HumanInteraction on the Worker, waiting and then approved: every frame the page shows is the timetravel route's, and nothing is committed", async () => {
    const api = `${served.server.origin}/runtime/webhooks/durabletask`;
    /** A GET of the management API; the status route answers 202 while the instance runs (Durable Functions' rule). */
    const read = async <T,>(path: string, status = 200): Promise<T> => {
      const response = await fetch(`${api}${path}`);
      expect(response.status, `GET ${path}`).toBe(status);
      return (await response.json()) as T;
    };
    /** What the Worker holds of the instance: its row (the etag is the store's fence, bumped by every commit), its status and its history. */
    const held = async (id: string) => {
      const { instance } = await read<InstanceDocument>(`/instances/${id}/export`); // a snapshot: a GET moves nothing
      const status = await read<{ runtimeStatus: string; lastUpdatedTime: string; customStatus: unknown }>(`/instances/${id}`, instance.runtimeStatus === "Running" ? 202 : 200);
      const { events } = await read<{ events: unknown[] }>(`/instances/${id}/history`);
      return { etag: instance.etag, lastUpdatedAt: instance.lastUpdatedAt, historyLength: instance.historyLength, events: events.length, runtimeStatus: status.runtimeStatus, lastUpdatedTime: status.lastUpdatedTime, customStatus: status.customStatus };
    };
    const requests: string[] = [];
    const onRequest = (r: { method(): string; url(): string }) => requests.push(`${r.method()} ${new URL(r.url()).pathname}`);
    page.on("request", onRequest);
    const slider = page.getByLabel("Event", { exact: true });
    const back = page.getByRole("button", { name: "Back", exact: true });
    const forward = page.getByRole("button", { name: "Forward", exact: true });
    /** Opens (or reloads) the panel and steps through every frame: Forward to the end, Back to the start, the slider's arrows, Home / End, and the pointer on the slider. */
    const walk = async (id: string, button: "Time travel" | "Reload time travel"): Promise<TimeTravel> => {
      const answered = page.waitForResponse((r) => new URL(r.url()).pathname === `/runtime/webhooks/durabletask/instances/${id}/timetravel`);
      await page.getByRole("button", { name: button, exact: true }).click();
      const shownByPage = (await (await answered).json()) as TimeTravel;
      // What the route answers the test is what it answered the page: the frames replayed by the Worker.
      const travel = await read<TimeTravel>(`/instances/${id}/timetravel`);
      expect(shownByPage).toEqual(travel);
      const { frames } = travel;
      const last = frames.length - 1;
      // Loaded, it shows the first frame (a reload keeps the place, which the walk below leaves at the first).
      await expect.poll(() => page.locator(".tt-position").textContent()).toBe(`Event 1 of ${frames.length}: ${frames[0]!.eventType}`);
      expect(await shownFrame(page)).toEqual(expectedFrame(frames, 0));
      expect(await back.getAttribute("aria-disabled")).toBe("true");
      for (let i = 1; i <= last; i++) {
        await forward.click();
        expect(await shownFrame(page), `Forward to ${i}`).toEqual(expectedFrame(frames, i));
      }
      expect(await forward.getAttribute("aria-disabled")).toBe("true");
      await forward.click({ force: true }); // offered but marked aria-disabled at the end: pressed, it stays there
      expect(await shownFrame(page)).toEqual(expectedFrame(frames, last));
      for (let i = last - 1; i >= 0; i--) {
        await back.click();
        expect(await shownFrame(page), `Back to ${i}`).toEqual(expectedFrame(frames, i));
      }
      expect(await back.getAttribute("aria-disabled")).toBe("true");
      await slider.focus();
      for (let i = 1; i <= last; i++) {
        await page.keyboard.press("ArrowRight");
        expect(await shownFrame(page), `ArrowRight to ${i}`).toEqual(expectedFrame(frames, i));
      }
      await page.keyboard.press("Home");
      expect(await shownFrame(page)).toEqual(expectedFrame(frames, 0));
      await page.keyboard.press("End");
      expect(await shownFrame(page)).toEqual(expectedFrame(frames, last));
      // The pointer: a press on the slider's track at each frame's place, from the last to the first.
      const box = (await slider.boundingBox())!;
      const thumb = 16; // about Chromium's thumb: its centre travels from thumb / 2 to width - thumb / 2
      for (let i = last; i >= 0; i--) {
        await slider.click({ position: { x: thumb / 2 + ((box.width - thumb) * i) / last, y: box.height / 2 } });
        expect(await shownFrame(page), `slider at ${i}`).toEqual(expectedFrame(frames, i));
        expect(await slider.inputValue()).toBe(String(i));
      }
      return travel;
    };
    try {
      await page.getByLabel("Timeout (s)").fill("900"); // its timer cannot fire during the test
      await page.getByRole("button", { name: "Ask for approval" }).click();
      await page.locator("#detail-h", { hasText: "HumanInteraction" }).waitFor({ timeout: 10_000 });
      await page.getByRole("button", { name: "Approve", exact: true }).waitFor({ timeout: 20_000 });
      const id = await openInstanceId(page);

      // Waiting for the approval: the frames are the running instance's, and replaying them commits nothing.
      const waitingBefore = await held(id);
      expect(waitingBefore.runtimeStatus).toBe("Running");
      const fromHere = requests.length;
      const waiting = await walk(id, "Time travel");
      expect(await held(id)).toEqual(waitingBefore);
      expect(waiting.frames.map((f) => f.eventIndex)).toEqual([...Array(waitingBefore.events).keys()]);
      const deadline = (waitingBefore.customStatus as { deadline: string }).deadline;
      expect(waitingBefore.customStatus).toEqual({ waitingFor: "Approval", deadline });
      const now = waiting.frames.at(-1)!;
      expect(now.status).toBe("Running");
      expect(now.customStatus).toEqual({ waitingFor: "Approval", deadline });
      expect(now.pending.map(pendingText).sort()).toEqual(["event 'Approval'", `timer for ${deadline}`]);
      expect(await shownFrame(page)).toEqual(expectedFrame(waiting.frames, 0));

      // Approved: the frames now run to its end, the waiting ones unchanged before them; still nothing committed.
      await page.getByRole("button", { name: "Approve", exact: true }).click();
      await waitForStatus(page, "Completed", 30_000);
      const doneBefore = await held(id);
      expect(doneBefore.runtimeStatus).toBe("Completed");
      expect(doneBefore.events).toBeGreaterThan(waitingBefore.events);
      const done = await walk(id, "Reload time travel");
      expect(await held(id)).toEqual(doneBefore);
      expect(done.frames).toHaveLength(doneBefore.events);
      expect(done.frames.slice(0, waiting.frames.length)).toEqual(waiting.frames);
      const end = done.frames.at(-1)!;
      expect(end.status).toBe("Completed");
      expect(end.pending).toEqual([]);
      expect(end.customStatus).toEqual({ approved: true });
      expect(done.frames.some((f) => f.eventType === "EventRaised" && f.decision.outcome?.startsWith("completed with"))).toBe(true);
      // The only writes the page sent for it: the approval.
      expect(requests.slice(fromHere).filter((r) => r.includes(`/instances/${id}`) && !r.startsWith("GET "))).toEqual([`POST /runtime/webhooks/durabletask/instances/${id}/raiseEvent/Approval`]);
      expect(requests.slice(fromHere).filter((r) => r.endsWith(`/instances/${id}/timetravel`))).toEqual([`GET /runtime/webhooks/durabletask/instances/${id}/timetravel`, `GET /runtime/webhooks/durabletask/instances/${id}/timetravel`]);
      expect(errors).toEqual([]);
    } finally {
      page.off("request", onRequest);
    }
  }, 120_000);

  it("signals a Counter and moves money between Accounts on the Worker, polls the entities only while they are shown, and deletes after asking", async () => {
    const api = "/runtime/webhooks/durabletask";
    const requests: string[] = [];
    const onRequest = (r: { method(): string; url(): string }) => {
      const url = new URL(r.url());
      if (url.pathname.startsWith(api)) requests.push(`${r.method()} ${url.pathname.slice(api.length)}${url.search}`);
    };
    page.on("request", onRequest);
    const slow = { timeout: 15_000 }; // the edge side polls every 2 s
    try {
      await page.locator("#counter-key").fill("edge-c1");
      await page.locator("#counter-amount").fill("5");
      await page.getByRole("button", { name: "Signal add" }).click();
      await page.locator("#entity-h", { hasText: "Counter edge-c1" }).waitFor();
      expect(page.url()).toMatch(/#\/edge\/@entities\/@counter@edge-c1$/);
      await expect.poll(() => entityPanelState(page), slow).toBe(5);
      await expect.poll(() => entityTableState(page, "@counter@edge-c1"), slow).toBe(5);
      expect(await page.locator('[data-field="last-operation"]').textContent()).toMatch(/^add at /);
      await page.locator("#se-op").fill("add");
      await page.locator("#se-input").fill("2");
      await page.getByRole("button", { name: "Send signal" }).click();
      await expect.poll(() => entityPanelState(page), slow).toBe(7);
      expect(requests).toContain("POST /entities/Counter/edge-c1?op=add");
      expect(requests).toContain("GET /entities/Counter/edge-c1?metadata=true");
      expect(requests.some((r) => r.startsWith("GET /entities?fetchState=true&includeDeleted=true&top="))).toBe(true);

      // Money between two Accounts, in a critical section on the Worker.
      await page.locator("#bank-from").fill("edge-alice");
      await page.locator("#bank-to").fill("edge-bob");
      await page.locator("#bank-amount").fill("100");
      await page.getByRole("button", { name: "Deposit into From" }).click();
      await expect.poll(() => entityPanelState(page), slow).toEqual({ balance: 100 });
      await page.locator("#bank-amount").fill("30");
      await page.getByRole("button", { name: "Start transfer" }).click();
      await page.locator("#detail-h", { hasText: "TransferFunds" }).waitFor({ timeout: 10_000 });
      await waitForStatus(page, "Completed", 30_000);
      expect(await outputOf(page)).toBe(true);
      // The Worker's stored history carries what each EventSent sent: the calls show as entity operations.
      await expect.poll(() => page.locator(".timeline .tl-entity .tl-kind").allTextContents(), slow).toEqual(["Critical section", "Entity call", "Entity call", "Entity call"]);
      expect(await page.locator(".timeline .tl-entity .tl-io").allTextContents()).toEqual(["() → 100", "30 → 70", "30 → 30"]);
      await expect.poll(() => entityTableState(page, "@account@edge-alice"), slow).toEqual({ balance: 70 });
      await expect.poll(() => entityTableState(page, "@account@edge-bob"), slow).toEqual({ balance: 30 });
      expect(await findA11yProblems(page)).toEqual(NO_A11Y_PROBLEMS);
      await screenshot(page, "edge-entities");

      // Delete asks first: Cancel sends nothing; confirmed, DELETE and the entity goes.
      await page.locator('table.entities tr[data-entity="@account@edge-bob"] .col-entity button').click();
      await page.locator("#entity-h", { hasText: "Account edge-bob" }).waitFor();
      await page.getByRole("button", { name: "Delete entity" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
      expect(requests.filter((r) => r.startsWith("DELETE "))).toEqual([]);
      await page.getByRole("button", { name: "Delete entity" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Delete", exact: true }).click();
      await page.locator('[data-field="entity-missing"]').waitFor(slow);
      expect(requests.filter((r) => r.startsWith("DELETE "))).toEqual(["DELETE /entities/Account/edge-bob"]);
      await expect.poll(() => entityTableState(page, "@account@edge-bob"), slow).toBeUndefined();

      // The instances view: its list is polled, the entities are not.
      await page.getByRole("link", { name: "Instances" }).click();
      await page.locator("#instance-list").waitFor({ state: "visible" });
      const switched = requests.length;
      const listPolls = () => requests.slice(switched).filter((r) => r.startsWith("GET /instances?")).length;
      await expect.poll(listPolls, slow).toBeGreaterThanOrEqual(2);
      expect(requests.slice(switched).filter((r) => r.includes("/entities"))).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      page.off("request", onRequest);
    }
  }, 120_000);

  it("passes axe-core and the page's own checks on every view on the edge, at desktop and phone sizes, each photographed", async () => {
    const slow = { timeout: 15_000 }; // the edge side polls every 2 s
    /** Starts a sample and returns the new instance's id, once its panel shows it. */
    const started = async (start: () => Promise<void>) => {
      const before = (await page.locator(".instance-id").count()) > 0 ? await openInstanceId(page) : "";
      await start();
      return pollUntil(() => openInstanceId(page), (t) => /^[0-9a-f]{32}$/.test(t) && t !== before, 15_000, "the new instance");
    };
    /** Starts an orchestration from the start form. */
    const startAny = async (name: string, input: string) => {
      await page.getByLabel("Orchestration", { exact: true }).fill(name);
      await page.getByLabel("Input (JSON)").fill(input);
      await page.locator(".start-any").getByRole("button", { name: "Start" }).click();
    };
    // A finished tutorial, a fan-out with an input four levels deep for the JSON viewer, a failed
    // instance (a transfer given no input), a Counter.
    const tutorial = await started(() => page.getByRole("button", { name: "Start in sequence" }).click());
    const deep = await started(() => startAny("FanOutFanIn", JSON.stringify({ count: 3, about: { started: { from: "the start form", sizes: ["desktop", "phone"] } } })));
    const failed = await started(() => startAny("TransferFunds", ""));
    await waitForStatus(page, "Failed", 30_000);
    await page.locator("#counter-key").fill("edge-a11y");
    await page.locator("#counter-amount").fill("3");
    await page.getByRole("button", { name: "Signal add" }).click();
    await expect.poll(() => entityPanelState(page), slow).toBe(3);

    const go = (hash: string) => page.evaluate((hash) => (location.hash = hash), hash);
    try {
      for (const size of VIEW_SIZES) {
        await page.setViewportSize(size.viewport);
        await page.reload();
        await page.locator("#side-info", { hasText: "On the Worker" }).waitFor(slow);
        const check = viewChecker(page, size, "edge");
        await go("#/edge");
        await page.locator(`.instances tr[data-id="${tutorial}"]`).waitFor(slow);
        // Each id readable whole (at 1280 px the ID column was cut at the card's edge).
        const ids = await instanceIdsShown(page);
        expect(ids.problems, size.name).toEqual([]);
        expect(ids.shown).toBeGreaterThanOrEqual(3);
        await check("instances", { part: "#instances" });

        await go(`#/edge/${tutorial}`);
        await waitForStatus(page, "Completed", 30_000);
        await page.getByRole("radio", { name: "Gantt chart" }).check();
        await page.locator(".gantt .g-row").first().waitFor();
        await check("instance-gantt", { part: ".history-head" });
        await go(`#/edge/${deep}`);
        await waitForStatus(page, "Completed", 30_000);
        await checkUnfoldedInput(page, check);

        await go(`#/edge/${failed}`);
        await waitForStatus(page, "Failed", 30_000);
        expect(await page.locator(".facts .failure p").first().textContent()).toMatch(/TypeError/);
        await page.locator(".facts .failure > details.stack > summary").first().click();
        await page.locator(".facts .failure .stack-lines").first().waitFor();
        await check("instance-failed", { part: ".facts .failure" });
        await page.getByRole("button", { name: "Time travel", exact: true }).click();
        await page.getByLabel("Event", { exact: true }).waitFor(slow);
        await check("instance-time-travel", { part: ".time-travel" });
        await checkPurgeDialog(page, check);

        await go("#/edge/@entities");
        await expect.poll(() => entityTableState(page, "@counter@edge-a11y"), slow).toBe(3);
        await check("entities", { part: "#instances" });
        await go("#/edge/@entities/@counter@edge-a11y");
        await expect.poll(() => entityPanelState(page), slow).toBe(3);
        await check("entity", { part: "#entity-detail" });
      }
      expect(errors).toEqual([]);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
      await go("#/edge");
    }
  }, 120_000);
});

/** Management keys are at least 16 characters (they sign the URLs the API hands out). */
const DEMO_KEY = "demo-secret-of-the-edge-test-0000";

describe.skipIf(!available)("demo page on a Worker that needs its management key", () => {
  const served = servedWorker({ vars: { DURABLE_EDGE_KEY: DEMO_KEY } });

  it("asks for the key on a 401 and stops polling until one is given, refuses a wrong one, and works with the right one", async () => {
    const context = await served.browser.newContext();
    try {
      const page = await context.newPage();
      const errors = pageErrors(page);
      const api: string[] = [];
      page.on("request", (r) => {
        if (r.url().includes("/runtime/webhooks/")) api.push(r.url());
      });
      await page.goto(`${served.server.origin}/#/edge`);
      await page.locator('.notice-error[data-code="Unauthorized"]').waitFor({ timeout: 15_000 });
      const keyInput = page.getByLabel("Management key");
      await keyInput.waitFor();
      // The key prompt passes the checks at both sizes (each reload is refused, and asks, again).
      for (const size of VIEW_SIZES) {
        await page.setViewportSize(size.viewport);
        await page.reload();
        await page.locator('.notice-error[data-code="Unauthorized"]').waitFor({ timeout: 15_000 });
        await keyInput.waitFor();
        expect(await findA11yProblems(page), size.name).toEqual(NO_A11Y_PROBLEMS);
        await viewScreenshot(page, size, "edge-key-prompt", { part: "body", toasts: true });
      }
      await page.setViewportSize(VIEW_SIZES[0].viewport);
      // Refused: the page waits for a key rather than asking again every 2 s.
      const refused = api.length;
      await page.waitForTimeout(4_500);
      expect(api.slice(refused)).toEqual([]);
      await keyInput.fill("wrong");
      await page.getByRole("button", { name: "Use key" }).click();
      await page.locator(".notice-error", { hasText: "The management key is not valid." }).waitFor({ timeout: 10_000 });
      const wrong = api.length;
      await page.waitForTimeout(4_500);
      expect(api.slice(wrong)).toEqual([]);

      await keyInput.fill(DEMO_KEY);
      await page.getByRole("button", { name: "Use key" }).click();
      await page.locator(".notice-info", { hasText: "Using the management key" }).waitFor();
      await page.getByRole("button", { name: "Start in sequence" }).click();
      await waitForStatus(page, "Completed", 30_000);
      expect(await outputOf(page)).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
      expect(await page.locator(".notice-error").count()).toBe(0);
      await screenshot(page, "edge-with-key");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});

describe.skipIf(!available)("demo page on the test Worker, which registers more than the page's samples (worker/test/wrangler.toml)", () => {
  // The workerd tests' Worker: the samples plus its test orchestrations and entities; the page as static assets in front of it.
  const served = servedWorker({ config: "worker/test/wrangler.toml" });

  it("lists every orchestration and entity the Worker registers, and starts one the page's samples do not have, with an input and an instance id", async () => {
    const functions = namesOf((await (await fetch(`${served.server.origin}/runtime/webhooks/durabletask/functions`)).json()) as RegisteredFunctions);
    const sampleNames = samples.orchestrators.map((o) => o.name);
    expect(functions.orchestrators).toEqual(expect.arrayContaining([...sampleNames, "ActivityChain", "OrderFlow"]));
    expect(functions.entities).toEqual(expect.arrayContaining(["Counter", "Account", "Ledger", "Listed"]));

    const requests: string[] = [];
    const { page, context, errors } = await openPage(served.browser, `${served.server.origin}/#/edge`, "On the Worker", {
      prepare: (page) => void page.on("request", (r) => requests.push(`${r.method()} ${new URL(r.url()).pathname}`)),
    });
    try {
      await expectOffered(page, functions);

      // ActivityChain is the test Worker's own: picked from the list, with a JSON input and an id of one's own.
      expect(sampleNames).not.toContain("ActivityChain");
      await startPicked(page, "ActivityChain", '{"count": 3}', "chain-from-the-page");
      await page.locator("#detail-h", { hasText: "ActivityChain" }).waitFor({ timeout: 10_000 });
      expect(await openInstanceId(page)).toBe("chain-from-the-page");
      await waitForStatus(page, "Completed", 30_000);
      expect(await outputOf(page)).toBe(3);
      expect(requests.filter((r) => r.startsWith("POST "))).toEqual(["POST /runtime/webhooks/durabletask/orchestrators/ActivityChain/chain-from-the-page"]);
      const status = (await (await fetch(`${served.server.origin}/runtime/webhooks/durabletask/instances/chain-from-the-page`)).json()) as { name: string; input: unknown; output: unknown };
      expect(status).toMatchObject({ name: "ActivityChain", input: { count: 3 }, output: 3 });

      // Its entity Listed, signalled from the form, shows in its registered spelling (the store lists it as "listed").
      await page.getByRole("link", { name: "Entities" }).click();
      await page.locator("#se-name").fill("Listed");
      await page.locator("#se-key").fill("from-the-page");
      await page.locator("#se-op").fill("set");
      await page.locator("#se-input").fill('{"a": 1}');
      await page.getByRole("button", { name: "Send signal" }).click();
      await expect.poll(() => entityPanelState(page), { timeout: 15_000 }).toEqual({ a: 1 });
      await expect.poll(() => entityTableState(page, "@listed@from-the-page"), { timeout: 15_000 }).toEqual({ a: 1 });
      expect(await page.locator('table.entities tr[data-entity="@listed@from-the-page"] .entity-name').textContent()).toBe("Listed");
      expect(await page.locator("#entity-h").textContent()).toContain("Listed");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it("falls back to the samples the page knows, and says so, where the Worker has no GET {base}/functions (answered 404)", async () => {
    const { page, context, errors } = await openPage(served.browser, `${served.server.origin}/#/edge`, "On the Worker", {
      // An older Worker: the route is not there, and its API namespace answers JSON 404 NotFound.
      prepare: (page) =>
        page.route("**/runtime/webhooks/durabletask/functions", (route) =>
          route.fulfill({ status: 404, contentType: "application/json", body: JSON.stringify({ code: "NotFound", message: "No route matches GET /runtime/webhooks/durabletask/functions." }) }),
        ),
    });
    try {
      const sampleNames = samples.orchestrators.map((o) => o.name);
      expect(await settledStartForm(page)).toEqual({
        suggested: sampleNames,
        listed: sampleNames,
        source: "fallback",
        note: "This Worker does not say what it registers (GET /runtime/webhooks/durabletask/functions answered 404 NotFound), so the page offers the samples it knows; the Worker may register others.",
      });
      expect(await suggestedEntities(page)).toEqual({ signal: ["Counter", "Account"], filter: ["Counter", "Account"] });
      // The note's long path wraps inside the card (it once pushed the card past the samples' panel).
      const card = (await page.locator(".start-any").boundingBox())!;
      const panel = (await page.locator("#sample-cards").boundingBox())!;
      expect(card.x + card.width).toBeLessThanOrEqual(panel.x + panel.width + 0.5);
      // A name it does not list still starts: the Worker runs it.
      await page.getByLabel("Orchestration", { exact: true }).fill("ActivityChain");
      await page.getByLabel("Input (JSON)").fill('{"count": 2}');
      await page.locator(".start-any").getByRole("button", { name: "Start", exact: true }).click();
      await page.locator("#detail-h", { hasText: "ActivityChain" }).waitFor({ timeout: 10_000 });
      await waitForStatus(page, "Completed", 30_000);
      expect(await outputOf(page)).toBe(2);
      expect(await findA11yProblems(page)).toEqual(NO_A11Y_PROBLEMS);
      await screenshot(page, "edge-start-form-fallback");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);
});
