/** The steps the in-tab and edge tests share when they check and photograph every view at each size. */
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { findA11yProblems, NO_A11Y_PROBLEMS } from "./accessibility.ts";
import { unfoldJson } from "./page-helpers.ts";
import { viewScreenshot, type ViewSize } from "./screenshots.ts";

export type ViewCheck = (view: string, options?: Parameters<typeof viewScreenshot>[3]) => Promise<void>;

/** Checks the page as it stands (axe-core and the page's own checks), then photographs it as `${prefix}-${view}` at `size`. */
export function viewChecker(page: Page, size: ViewSize, prefix: string): ViewCheck {
  return async (view, options = {}) => {
    expect(await findA11yProblems(page), `${view}, ${size.name}`).toEqual(NO_A11Y_PROBLEMS);
    await viewScreenshot(page, size, `${prefix}-${view}`, options);
  };
}

/**
 * Shows the open instance's history as the list and unfolds its start row's JSON and the input's
 * viewer to the last level (the input must be four levels deep), then checks the start row.
 */
export async function checkUnfoldedInput(page: Page, check: ViewCheck): Promise<void> {
  await page.getByRole("radio", { name: "List", exact: true }).check();
  await page.locator(".timeline .tl-start .tl-json summary").click();
  await unfoldJson(page.locator("#instance-detail"));
  expect(await page.locator(".timeline .tl-start details.j-node[open] details.j-node[open] details.j-node[open] details.j-node[open]").count()).toBeGreaterThan(0);
  expect(await page.locator('.json-view[data-field="input"] details.j-node[open] details.j-node[open] details.j-node[open] details.j-node[open]').count()).toBeGreaterThan(0);
  await check("instance-list-json", { part: ".timeline .tl-start" });
}

/** Opens the open instance's purge confirmation, checks the dialog, and cancels it (nothing is purged). */
export async function checkPurgeDialog(page: Page, check: ViewCheck): Promise<void> {
  await page.locator(".actions").getByRole("button", { name: "Purge", exact: true }).click();
  await page.getByRole("dialog").waitFor();
  await check("confirm-dialog", { modal: true });
  await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
  await page.getByRole("dialog").waitFor({ state: "detached" });
}
