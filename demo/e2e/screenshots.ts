/** Screenshots of the main views, kept as test artifacts in `test-results/demo/` (git-ignored). */
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Page } from "playwright-core";
import { DEMO_DIR } from "./build-page.ts";

export const SCREENSHOT_DIR = resolve(DEMO_DIR, "..", "test-results", "demo");

export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}
