/**
 * Real headless Chromium for the browser tests and benchmarks: Debian's `/usr/bin/chromium`,
 * driven by playwright-core (never a downloaded browser).
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--no-first-run",
];

export const chromiumInstalled = (): boolean => existsSync(CHROMIUM_PATH);

/**
 * True when the browser is there. Under CI a missing browser throws, so it never passes as a
 * skip; elsewhere it warns, naming what cannot run, and returns false.
 */
export function requireChromium(what: string): boolean {
  if (chromiumInstalled()) return true;
  const message = `Chromium is not installed at ${CHROMIUM_PATH} (apt-get install chromium); ${what} cannot run.`;
  if (process.env.CI) throw new Error(message);
  console.warn(`SKIPPED: ${message}`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}
