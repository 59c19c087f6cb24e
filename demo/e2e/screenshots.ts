/** Screenshots of the main views, kept as test artifacts in `test-results/demo/` (git-ignored). */
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Page } from "playwright-core";
import { DEMO_DIR } from "./build-page.ts";

export const SCREENSHOT_DIR = resolve(DEMO_DIR, "..", "test-results", "demo");

/** `toasts`: keep the messages at the bottom (views about errors); hidden otherwise, so they cover nothing. */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean; toasts?: boolean } = {}): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: options.fullPage ?? true, ...(options.toasts ? {} : { style: ".toasts { visibility: hidden; }" }) });
  return path;
}
