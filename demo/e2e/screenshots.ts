/**
 * Screenshots kept as test artifacts in `test-results/demo/` (git-ignored): the tests' own, and
 * the main views at each of `VIEW_SIZES` in `views/desktop/` and `views/phone/`.
 */
import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Page } from "playwright-core";
import { DEMO_DIR } from "./build-page.ts";

export const SCREENSHOT_DIR = resolve(DEMO_DIR, "..", "test-results", "demo");

/** The sizes every view is checked and photographed at. */
export const VIEW_SIZES = [
  { name: "desktop", viewport: { width: 1280, height: 800 } },
  { name: "phone", viewport: { width: 390, height: 844 } },
] as const;

/**
 * `name` may name a subfolder (`views/phone/tab-entities`). `toasts`: keep the messages at the
 * bottom (views about errors); hidden otherwise, so they cover nothing.
 */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean; toasts?: boolean } = {}): Promise<string> {
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await mkdir(dirname(path), { recursive: true });
  await page.screenshot({ path, fullPage: options.fullPage ?? true, ...(options.toasts ? {} : { style: ".toasts { visibility: hidden; }" }) });
  return path;
}

export type ViewSize = (typeof VIEW_SIZES)[number];

/**
 * A main view's screenshot, `views/{size}/{name}.png`: on the desktop the whole page; on the phone
 * (one column, the view far down it) the screen with `part` (a selector) scrolled to its top, as a
 * person who opened the view would see it. `modal`: the screen as it is, on both (an open dialog).
 */
export async function viewScreenshot(page: Page, size: ViewSize, name: string, options: { part?: string; modal?: boolean; toasts?: boolean } = {}): Promise<string> {
  const phone = size.name === "phone";
  if (phone && options.part && !options.modal) await page.locator(options.part).first().evaluate((el) => el.scrollIntoView({ block: "start" }));
  return screenshot(page, `views/${size.name}/${name}`, { fullPage: !phone && !options.modal, ...(options.toasts ? { toasts: true } : {}) });
}
