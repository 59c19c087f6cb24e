/** Small waits and reads over the demo page, shared by the in-tab and edge tests. */
import type { Page } from "playwright-core";

/** Waits until the open instance shows `status` in its heading. */
export async function waitForStatus(page: Page, status: string, timeout = 20_000): Promise<void> {
  await page.locator("#detail-h .badge", { hasText: new RegExp(`^${status}$`) }).waitFor({ timeout });
}

export async function outputOf(page: Page): Promise<unknown> {
  const text = await page.locator('pre[data-field="output"]').textContent();
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
