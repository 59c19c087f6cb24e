/**
 * Durable entities on the demo page in real headless Chromium, in the tab (IndexedDB): a Counter
 * signalled from the page changes live in the Entities view; a transfer waits behind a lock
 * another orchestration holds, the entities show who holds what and the transfer's panel its
 * critical section; its entity calls show as entity operations in the history; delete asks first;
 * an invalid input or an unknown entity gets a clear message; keyboard, labels, contrast and a
 * phone-sized screen.
 */
import { describe, expect, it } from "vitest";
import { findA11yProblems, NO_A11Y_PROBLEMS } from "./e2e/accessibility.ts";
import { chromiumAvailable } from "./e2e/chromium.ts";
import { openPage, servedPage, type OpenedPage } from "./e2e/page-fixture.ts";
import { entityPanelState, entityTableState, openInstanceId, outputOf, pollUntil, waitForStatus } from "./e2e/page-helpers.ts";
import { screenshot } from "./e2e/screenshots.ts";
import { serveStatic } from "./e2e/static-server.ts";

const available = chromiumAvailable();

describe.skipIf(!available)("demo page, entities in this tab (real Chromium)", () => {
  const served = servedPage({ serve: serveStatic, stop: (server) => server.close() });

  /** A fresh profile (its own IndexedDB), the history as the list of rows. */
  function open(viewport = { width: 1280, height: 900 }, hash = ""): Promise<OpenedPage> {
    return openPage(served.browser, `${served.server.url}${hash}`, "In this tab", { viewport, historyList: true });
  }

  const tableState = entityTableState;
  const panelState = entityPanelState;

  it("signals a Counter from the page and shows its state change live, in the table and its panel", async () => {
    const { page, context, errors } = await open();
    try {
      await page.locator("#counter-key").fill("c1");
      await page.locator("#counter-amount").fill("5");
      await page.getByRole("button", { name: "Signal add" }).click();
      // The page switches to the entities view with the counter open; the state arrives live.
      await page.locator("#entity-h", { hasText: "Counter c1" }).waitFor();
      expect(page.url()).toMatch(/#\/tab\/@entities\/@counter@c1$/);
      expect(await page.getByRole("link", { name: "Entities" }).getAttribute("aria-current")).toBe("page");
      await expect.poll(() => panelState(page)).toBe(5);
      await expect.poll(() => tableState(page, "@counter@c1")).toBe(5);
      const row = page.locator('table.entities tr[data-entity="@counter@c1"]');
      expect(await row.locator(".entity-name").textContent()).toBe("Counter");
      expect(await row.locator("td").nth(1).locator(".mono").textContent()).toBe("add");
      // The time has the date (the header names the zone), as the instances list does.
      expect(await row.locator("time").textContent()).toMatch(/2\d{3}/);
      expect(await page.locator("table.entities th").nth(1).textContent()).toMatch(/^Last operation \(.+\)$/);
      expect(await page.locator('[data-field="last-operation"]').textContent()).toMatch(/^add at .+ \S+$/);

      // The signal form of the open entity: add 2 more, from the keyboard; the state follows live.
      await page.locator("#se-op").fill("add");
      await page.locator("#se-input").fill("2");
      await page.locator("#se-input").press("Tab");
      await page.keyboard.press("Enter");
      await page.locator(".notice-info", { hasText: "Signalled add to Counter c1." }).waitFor();
      await expect.poll(() => panelState(page)).toBe(7);
      await expect.poll(() => tableState(page, "@counter@c1")).toBe(7);
      // The state is the JSON viewer's: Copy puts it on the clipboard.
      expect(await page.locator('#entity-detail [aria-label="Copy the state of Counter c1 as JSON"]').count()).toBe(1);

      // A second counter, by name and key in the form: it is created and opened.
      await page.locator("#se-key").fill("c2");
      await page.locator("#se-input").fill("40");
      await page.getByRole("button", { name: "Send signal" }).click();
      await page.locator("#entity-h", { hasText: "Counter c2" }).waitFor();
      await expect.poll(() => panelState(page)).toBe(40);
      await expect.poll(() => page.locator("table.entities tbody tr[data-entity]").count()).toBe(2);
      expect(await page.locator(".entity-page-info").textContent()).toBe("Page 1 of 1 · 2 shown of 2 entities");
      // The key filter narrows the table at once.
      await page.getByLabel("Key contains").fill("2");
      await expect.poll(() => page.locator("table.entities tbody tr[data-entity]").count()).toBe(1);
      await page.getByLabel("Key contains").fill("");
      expect(await findA11yProblems(page)).toEqual(NO_A11Y_PROBLEMS);
      await screenshot(page, "tab-entities-counter");

      // Reload: the view, the entity and its state come back (IndexedDB, the route in the hash).
      await page.reload();
      await page.locator("#entity-h", { hasText: "Counter c2" }).waitFor({ timeout: 15_000 });
      await expect.poll(() => panelState(page)).toBe(40);
      // Back to the instances: the link and the list.
      await page.getByRole("link", { name: "Instances" }).click();
      await page.locator("#instance-list").waitFor({ state: "visible" });
      expect(page.url()).toMatch(/#\/tab$/);
      expect(await page.locator("#entity-list").isHidden()).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it("runs TransferFunds behind a held lock: the lock holders, the backlog and the critical section it waits for, then completes", async () => {
    const { page, context, errors } = await open();
    try {
      // Fund alice, then hold bob's lock.
      await page.locator("#bank-from").fill("alice");
      await page.locator("#bank-to").fill("bob");
      await page.locator("#bank-amount").fill("100");
      await page.getByRole("button", { name: "Deposit into From" }).click();
      await expect.poll(() => panelState(page)).toEqual({ balance: 100 });
      await page.locator("#hold-accounts").fill("bob");
      await page.getByRole("button", { name: "Hold the lock" }).click();
      await page.getByRole("button", { name: "Release", exact: true }).waitFor({ timeout: 15_000 });
      const holder = await openInstanceId(page);
      expect(page.url()).toContain(`#/tab/@entities/${holder}`);
      // The holder's own panel: it holds the critical section, its entity linked.
      const section = page.locator('#instance-detail [data-field="critical-section"]');
      await expect.poll(() => section.getAttribute("data-state")).toBe("held");
      expect(await section.locator(".entity-link").allTextContents()).toEqual(["Account bob"]);

      // The transfer: it takes alice's lock, then waits for bob's.
      await page.locator("#bank-amount").fill("30");
      await page.getByRole("button", { name: "Start transfer" }).click();
      await page.locator("#detail-h", { hasText: "TransferFunds" }).waitFor();
      const transfer = await openInstanceId(page);
      await expect.poll(() => section.getAttribute("data-state")).toBe("waiting");
      expect(await section.locator(".entity-link").allTextContents()).toEqual(["Account alice", "Account bob"]);
      const lockState = (entity: string) => section.locator(`li[data-entity="${entity}"] .lock-state`).textContent();
      await expect.poll(() => lockState("@account@alice")).toBe("held by this orchestration");
      await expect.poll(() => lockState("@account@bob")).toBe(`held by ${holder} (1 request waiting)`);
      // The entities table says the same: who holds each, and what waits.
      const lockedBy = (entity: string) => page.locator(`table.entities tr[data-entity="${entity}"] td[data-label="Locked by"]`).textContent();
      const backlog = (entity: string) => page.locator(`table.entities tr[data-entity="${entity}"] td[data-label="Backlog"]`).textContent();
      await expect.poll(() => lockedBy("@account@alice")).toBe(transfer);
      await expect.poll(() => lockedBy("@account@bob")).toBe(holder);
      await expect.poll(() => backlog("@account@bob")).toBe("1");
      expect(await backlog("@account@alice")).toBe("0");
      // Bob has no state yet, only the lock: listed all the same.
      expect(await tableState(page, "@account@bob")).toBeNull();
      expect(await page.locator(".timeline .tl-entity .tl-kind").allTextContents()).toEqual(["Critical section"]);
      expect(await page.locator(".timeline .tl-entity .tl-timing").textContent()).toContain("waiting for the locks");
      expect(await findA11yProblems(page)).toEqual(NO_A11Y_PROBLEMS);
      await screenshot(page, "tab-entities-transfer-waiting");

      // The lock holder's link in the table opens it; Release lets the transfer through.
      await page.locator(`table.entities tr[data-entity="@account@bob"] .holder-link`).click();
      await page.locator(".instance-id", { hasText: holder }).waitFor();
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("detail-h");
      await page.getByRole("button", { name: "Release", exact: true }).click();
      await waitForStatus(page, "Completed");
      expect(await outputOf(page)).toEqual({ accounts: ["bob"], releasedBy: "the Release event" });
      await expect.poll(() => tableState(page, "@account@alice")).toEqual({ balance: 70 });
      await expect.poll(() => tableState(page, "@account@bob")).toEqual({ balance: 30 });
      await expect.poll(() => lockedBy("@account@alice")).toBe("—not locked");

      // The transfer's history: its entity calls as entity operations, answered, each linked.
      await page.locator(`table.entities tr[data-entity="@account@alice"] .col-entity button`).click();
      await page.locator("#entity-h", { hasText: "Account alice" }).waitFor();
      await page.evaluate((id) => (location.hash = `#/tab/${id}`), transfer);
      await page.locator(".instance-id", { hasText: transfer }).waitFor();
      await waitForStatus(page, "Completed");
      expect(await outputOf(page)).toBe(true);
      const rows = page.locator(".timeline .tl-entity");
      expect(await rows.locator(".tl-kind").allTextContents()).toEqual(["Critical section", "Entity call", "Entity call", "Entity call"]);
      expect(await rows.locator(".tl-title").allTextContents()).toEqual(["Account alice, Account bob", "Account alice: get", "Account alice: withdraw", "Account bob: deposit"]);
      expect(await rows.locator(".tl-io").allTextContents()).toEqual(["() → 100", "30 → 70", "30 → 30"]);
      expect(await rows.first().locator(".tl-timing").textContent()).toMatch(/acquired \d\d:\d\d:\d\d \(after .+\), released \d\d:\d\d:\d\d$/);
      // No answer shows as a plain event, no release as a row of its own.
      expect(await page.locator(".timeline .tl-event").count()).toBe(0);
      expect(await page.locator('#instance-detail [data-field="critical-section"]').count()).toBe(0);
      await rows.nth(3).getByRole("button", { name: "Open the entity Account bob" }).click();
      await page.locator("#entity-h", { hasText: "Account bob" }).waitFor();
      expect(page.url()).toMatch(/#\/tab\/@entities\/@account@bob$/);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it("deletes an entity only after asking, and explains an invalid input or an unknown entity", async () => {
    const { page, context, errors } = await open();
    try {
      await page.locator("#counter-key").fill("doomed");
      await page.locator("#counter-amount").fill("3");
      await page.getByRole("button", { name: "Signal add" }).click();
      await expect.poll(() => panelState(page)).toBe(3);

      // Bad JSON: flagged on the field, nothing sent.
      await page.locator("#se-op").fill("add");
      await page.locator("#se-input").fill("{amount: 1}");
      await page.getByRole("button", { name: "Send signal" }).click();
      await page.locator("#se-input-error", { hasText: "Not valid JSON" }).waitFor();
      expect(await page.locator("#se-input").getAttribute("aria-invalid")).toBe("true");
      expect(await page.locator(".notice-error").getAttribute("data-code")).toBe("InvalidJson");
      // A key the rules refuse, and no operation: said on the field.
      await page.locator("#se-input").fill("1");
      await page.locator("#se-key").fill("a/b");
      await page.getByRole("button", { name: "Send signal" }).click();
      await page.locator("#se-key-error", { hasText: "must not contain '/'" }).waitFor();
      await page.locator("#se-key").fill("doomed");
      await page.locator("#se-op").fill("");
      await page.getByRole("button", { name: "Send signal" }).click();
      await page.locator("#se-op-error", { hasText: "Give the operation" }).waitFor();
      // An entity this tab does not register.
      await page.locator("#se-name").fill("Thermostat");
      await page.locator("#se-op").fill("set");
      await page.getByRole("button", { name: "Send signal" }).click();
      const unknown = page.locator('.notice-error[data-code="UnknownEntity"]');
      await unknown.waitFor();
      expect(await unknown.textContent()).toContain("Registered: Counter, Account.");
      await screenshot(page, "tab-entities-errors", { toasts: true });
      expect(await panelState(page)).toBe(3);

      // Delete asks first; Cancel keeps it.
      await page.getByRole("button", { name: "Delete entity" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.waitFor();
      expect(await dialog.locator("h2").textContent()).toBe("Delete Counter doomed?");
      expect(await findA11yProblems(page)).toEqual(NO_A11Y_PROBLEMS);
      await dialog.getByRole("button", { name: "Cancel" }).click();
      await dialog.waitFor({ state: "detached" });
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Delete entity");
      await page.locator("#counter-amount").fill("1");
      await page.getByRole("button", { name: "Signal add" }).click();
      await expect.poll(() => panelState(page)).toBe(4);
      // Confirmed: it goes, from the panel and the table.
      await page.getByRole("button", { name: "Delete entity" }).click();
      await dialog.waitFor();
      await dialog.getByRole("button", { name: "Delete", exact: true }).click();
      await page.locator('[data-field="entity-missing"]').waitFor();
      expect(await page.locator("#entity-h .badge").textContent()).toBe("No state");
      await expect.poll(() => tableState(page, "@counter@doomed")).toBeUndefined();
      await page.locator("table.entities td.empty", { hasText: "No entities yet" }).waitFor();
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it("counts an aggregation's signals, shows them as entity signals, and fits a phone", async () => {
    const { page, context, errors } = await open({ width: 390, height: 844 });
    try {
      await page.locator("#aggregate-key").fill("agg");
      await page.locator("#aggregate-signals").fill("6");
      await page.getByRole("button", { name: "Start aggregation" }).click();
      await page.locator("#detail-h", { hasText: "CounterAggregation" }).waitFor();
      await waitForStatus(page, "Completed", 20_000);
      expect(await outputOf(page)).toBe(6);
      const kinds = await page.locator(".timeline .tl-entity .tl-kind").allTextContents();
      expect(kinds).toEqual([...Array(6).fill("Entity signal"), "Entity call"]);
      expect(await page.locator(".timeline .tl-entity .tl-io").first().textContent()).toBe("input 1");
      expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
      await page.locator(".timeline .tl-entity").last().getByRole("button", { name: "Open the entity Counter agg" }).click();
      await page.locator("#entity-h", { hasText: "Counter agg" }).waitFor();
      await expect.poll(() => panelState(page)).toBe(6);
      await pollUntil(() => tableState(page, "@counter@agg"), (v) => v === 6, 10_000, "the table's row");
      // On a phone the table is a list of cards, each value named; nothing scrolls sideways.
      expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
      expect(await page.locator('table.entities td[data-label="Backlog"]').first().evaluate((el) => getComputedStyle(el, "::before").content)).toBe('"Backlog: "');
      expect(await findA11yProblems(page)).toEqual(NO_A11Y_PROBLEMS);
      await screenshot(page, "tab-entities-phone");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
