/**
 * The setup the page's browser tests share: the page built into a temporary folder (never
 * `demo/dist`), served by what the test file says (a static server, the page with the management
 * API, a Worker), and headless Chromium; all of it stopped and deleted after the file's tests. And
 * the opening of a page on it: a fresh browser profile (its own IndexedDB), its uncaught errors
 * collected, loaded on one side.
 */
import { rm } from "node:fs/promises";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { buildPage } from "./build-page.ts";
import { launchChromium } from "./chromium.ts";
import { pageErrors } from "./page-helpers.ts";

export interface ServedPage<S> {
  /** What serves the built page (once the file's `beforeAll` has run). */
  readonly server: S;
  /** The browser the tests open their pages in. */
  readonly browser: Browser;
}

export interface ServedPageOptions<S> {
  /** Serves the page built into `outDir`. */
  serve(outDir: string): Promise<S>;
  /** Stops what `serve` started. */
  stop(server: S): Promise<void>;
  /** The time the build, the server and the browser may take to start (ms). */
  setupTimeout?: number;
  /** The time stopping them may take (ms); default vitest's. */
  teardownTimeout?: number;
}

/** Registers the `beforeAll` that builds, serves and launches, and the `afterAll` that stops and deletes. */
export function servedPage<S>(options: ServedPageOptions<S>): ServedPage<S> {
  let outDir = "";
  let server: S | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    outDir = await buildPage();
    server = await options.serve(outDir);
    browser = await launchChromium();
  }, options.setupTimeout ?? 120_000);
  afterAll(async () => {
    await browser?.close();
    if (server !== undefined) await options.stop(server);
    if (outDir) await rm(outDir, { recursive: true, force: true });
  }, options.teardownTimeout);
  return {
    get server() {
      if (server === undefined) throw new Error("The page is not served yet: use the server in a test or a hook after the file's beforeAll.");
      return server;
    },
    get browser() {
      if (!browser) throw new Error("Chromium is not launched yet: use the browser in a test or a hook after the file's beforeAll.");
      return browser;
    },
  };
}

/** Which side the page shows, as its side note says once it has loaded. */
export type PageSide = "In this tab" | "On the Worker";

export interface OpenPageOptions {
  /** Default 1280 × 900. */
  viewport?: { width: number; height: number };
  /** Show instance histories as the list of rows (what most tests read) instead of the page's default, the Gantt chart. */
  historyList?: boolean;
  /** Runs on the new page before it loads (request listeners, routes). */
  prepare?(page: Page): unknown;
}

export interface OpenedPage {
  page: Page;
  context: BrowserContext;
  /** The page's uncaught errors, collected from before it loaded. */
  errors: string[];
}

/**
 * A fresh browser profile and a page loaded from `url`, once its side note shows `side`. The
 * caller closes `context`; if the page does not load, it is closed here.
 */
export async function openPage(browser: Browser, url: string, side: PageSide, options: OpenPageOptions = {}): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 900 } });
  try {
    if (options.historyList) await context.addInitScript(() => localStorage.setItem("durable-edge-demo:history-view", "list"));
    const page = await context.newPage();
    const errors = pageErrors(page);
    await options.prepare?.(page);
    await page.goto(url);
    await page.locator("#side-info", { hasText: side }).waitFor({ timeout: 15_000 });
    return { page, context, errors };
  } catch (error) {
    await context.close();
    throw error;
  }
}
