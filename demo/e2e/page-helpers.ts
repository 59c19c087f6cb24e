/** Small waits and reads over the demo page, shared by the in-tab and edge tests. */
import type { Locator, Page } from "playwright-core";
import type { TimeTravelFrame } from "../../src/index.ts";
import { decisionText, pendingText } from "../src/time-travel-view.ts";

/** Waits until the open instance shows `status` in its heading. */
export async function waitForStatus(page: Page, status: string, timeout = 20_000): Promise<void> {
  await page.locator("#detail-h .badge", { hasText: new RegExp(`^${status}$`) }).waitFor({ timeout });
}

export async function outputOf(page: Page): Promise<unknown> {
  const text = await page.locator('.json-view[data-field="output"]').getAttribute("data-json");
  return JSON.parse(text ?? "null");
}

export async function openInstanceId(page: Page): Promise<string> {
  return ((await page.locator(".instance-id").textContent()) ?? "").replace("Instance ID: ", "").trim();
}

/** Collects uncaught errors in the page, so a test can assert there were none. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  return errors;
}

/** Polls `read` until `accept` holds or the time is up; returns the last value read. */
export async function pollUntil<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeout: number, what: string): Promise<T> {
  const deadline = Date.now() + timeout;
  let value = await read();
  while (!accept(value)) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeout} ms waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
    value = await read();
  }
  return value;
}

/** Presses an action that asks first, and answers its confirmation dialog (`confirm` false: Cancel). */
export async function confirmedAction(page: Page, label: string, confirm = true): Promise<void> {
  await page.locator(".actions").getByRole("button", { name: label, exact: true }).click();
  const dialog = page.getByRole("dialog");
  await dialog.waitFor();
  await dialog.getByRole("button", { name: confirm ? label : "Cancel", exact: true }).click();
  await dialog.waitFor({ state: "detached" });
}

/** Whether an action button is offered for the current status (`aria-disabled` otherwise, with a title saying why). */
export async function actionState(page: Page, label: string): Promise<{ enabled: boolean; why: string | null }> {
  const button = page.locator(`[data-key="action-${label}"]`);
  return { enabled: (await button.getAttribute("aria-disabled")) !== "true", why: await button.getAttribute("title") };
}

/** The state of an entity as the entities table shows it (its JSON viewer's value): null without state, undefined without a row. */
export async function entityTableState(page: Page, instanceId: string): Promise<unknown> {
  const row = page.locator(`table.entities tr[data-entity="${instanceId}"]`);
  if ((await row.count()) === 0) return undefined;
  const view = row.locator('.json-view[data-field="entity-state"]');
  if ((await view.count()) === 0) return null; // listed without state ("no state")
  return JSON.parse((await view.getAttribute("data-json")) ?? "null");
}

/** The state the open entity's panel shows (its JSON viewer's value), or null while it shows none. */
export async function entityPanelState(page: Page): Promise<unknown> {
  const view = page.locator('#entity-detail .json-view[data-field="entity-state"]');
  if ((await view.count()) === 0) return null;
  return JSON.parse((await view.getAttribute("data-json")) ?? "null");
}

/**
 * Unfolds every level of the JSON viewers inside `scope` (once one is there: a history row builds
 * its viewer when first opened), as a person pressing each folded one would.
 */
export async function unfoldJson(scope: Locator): Promise<void> {
  await scope.locator(".json-view").first().waitFor();
  const folded = scope.locator("details.j-node:not([open]) > summary");
  for (let n = await folded.count(); n > 0; n = await folded.count()) await folded.first().click();
}

/**
 * How the instance list shows each row's id, and what keeps one from being read whole: the id a
 * row shows (its Instance ID cell, or the line under the name where the list is narrow) must be
 * visible text equal to the row's whole id, not cut by its own box (an ellipsis, hidden overflow:
 * `scrollWidth` over `clientWidth`) nor by a box around it that clips or scrolls (the table's
 * sideways-scrolling wrapper, its card). `shown` counts the rows checked.
 */
export async function instanceIdsShown(page: Page): Promise<{ shown: number; problems: string[] }> {
  return page.locator(".instances tbody tr[data-id]").evaluateAll((rows) => {
    const problems: string[] = [];
    for (const row of rows) {
      const id = row.getAttribute("data-id") ?? "";
      const visible = [...row.querySelectorAll<HTMLElement>(".col-id, .sub-id")].filter((el) => el.getClientRects().length > 0);
      if (visible.length !== 1) {
        problems.push(`${id}: shown ${visible.length} times`);
        continue;
      }
      const el = visible[0]!;
      if (el.innerText.trim() !== id) problems.push(`${id}: shows "${el.innerText.trim()}"`);
      if (el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight) problems.push(`${id}: cut by its own box (${el.scrollWidth}×${el.scrollHeight} in ${el.clientWidth}×${el.clientHeight})`);
      const box = el.getBoundingClientRect();
      for (let up = el.parentElement; up; up = up.parentElement) {
        const style = getComputedStyle(up);
        if (style.overflowX === "visible" && style.overflowY === "visible") continue;
        const frame = up.getBoundingClientRect();
        const left = frame.left + up.clientLeft;
        const top = frame.top + up.clientTop;
        if (box.left < left - 0.5 || box.right > left + up.clientWidth + 0.5 || box.top < top - 0.5 || box.bottom > top + up.clientHeight + 0.5) {
          problems.push(`${id}: outside what <${up.tagName.toLowerCase()} class="${up.className}"> shows (${Math.round(box.left)}–${Math.round(box.right)} px in ${Math.round(left)}–${Math.round(left + up.clientWidth)} px)`);
        }
      }
    }
    return { shown: rows.length, problems };
  });
}

/** What the time travel panel shows of one frame, in the words and values a person reads there. */
export interface ShownFrame {
  position: string | null;
  index: string | null;
  event: string | null;
  status: string | null;
  pending: string[];
  customStatus: unknown;
  logs: string | null;
  decision: string | null;
}

/** The frame the time travel panel shows now (its custom status: the JSON viewer's value). */
export async function shownFrame(page: Page): Promise<ShownFrame> {
  const frame = page.locator(".tt-frame");
  const field = (name: string) => frame.locator(`[data-tt="${name}"]`);
  return {
    position: await page.locator(".tt-position").textContent(),
    index: await frame.locator("dl").getAttribute("data-event-index"),
    event: await field("event").textContent(),
    status: await field("status").textContent(),
    pending: await field("pending").locator("li").allTextContents(),
    customStatus: JSON.parse((await field("custom-status").locator(".json-view").getAttribute("data-json")) ?? "undefined"),
    logs: await field("logs").textContent(),
    decision: await field("decision").textContent(),
  };
}

/** What the panel should show for `frames[i]`, from the frames a backend's `timeTravel` returned. */
export function expectedFrame(frames: readonly TimeTravelFrame[], i: number): ShownFrame {
  const f = frames[i]!;
  return {
    position: `Event ${i + 1} of ${frames.length}: ${f.eventType}`,
    index: String(f.eventIndex),
    event: `#${f.eventIndex} ${f.eventType} at ${new Date(f.timestamp).toISOString()}`,
    status: f.status,
    pending: f.pending.map(pendingText),
    customStatus: f.customStatus,
    logs: String(f.logCount),
    decision: decisionText(f),
  };
}
