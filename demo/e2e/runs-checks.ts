/**
 * The open instance's runs (continue-as-new) as the Runs section shows them, and the check the
 * in-tab and edge tests share: a finished Monitor of `checks` one-second checks shows its current
 * run and each earlier one, with times, inputs, what it continued with and as which run, linked
 * both ways and reachable from the keyboard.
 */
import type { Page } from "playwright-core";
import { expect } from "vitest";

export interface ShownRun {
  run: string | null;
  current: boolean;
  executionId: string | null;
  /** The entry's heading (an earlier run's summary), as read. */
  head: string;
  /** `datetime` of its start and end `<time>` elements (the current run has no end). */
  started: string | null;
  ended: string | null;
  /** The texts shown for them (date, time and zone). */
  startedText: string | null;
  endedText: string | null;
  input: unknown;
  continuedWith: unknown;
  /** "Run 4 (the current run) <execution id>", as its Continued as field reads. */
  continuedAs: string | null;
}

/** Every run the section lists, from the current one back (earlier ones unfolded first), and the facts' summary; null without a Runs section. */
export async function shownRuns(page: Page): Promise<{ summary: string | null; runs: ShownRun[]; notKept: string | null } | null> {
  const section = page.locator("#instance-detail section.runs");
  if ((await section.count()) === 0) return null;
  const folded = section.locator("details.run-entry:not([open]) > summary");
  for (let n = await folded.count(); n > 0; n = await folded.count()) await folded.first().click();
  return section.evaluate((el) => {
    const json = (node: Element | null) => {
      const text = node?.closest(".json-view")?.getAttribute("data-json") ?? node?.getAttribute("data-json");
      return text === null || text === undefined ? undefined : (JSON.parse(text) as unknown);
    };
    const runs = [...el.querySelectorAll<HTMLElement>(".runs-list > li.run[data-execution-id]")].map((li) => {
      const n = li.dataset.run ?? null;
      const times = li.querySelectorAll("time");
      const current = li.classList.contains("run-current");
      return {
        run: n,
        current,
        executionId: li.dataset.executionId ?? null,
        head: ((current ? li.querySelector(".run-head") : li.querySelector("summary"))?.textContent ?? "").trim(),
        started: times[0]?.getAttribute("datetime") ?? null,
        ended: current ? null : (times[1]?.getAttribute("datetime") ?? null),
        startedText: times[0]?.textContent ?? null,
        endedText: current ? null : (times[1]?.textContent ?? null),
        input: json(li.querySelector(`.json-view[data-field="run-${n}-input"]`)),
        continuedWith: json(li.querySelector(`.json-view[data-field="run-${n}-continued-with"]`)),
        continuedAs: li.querySelector(`[data-field="run-${n}-continued-as"]`)?.textContent?.trim() ?? null,
      };
    });
    return {
      summary: document.querySelector('#instance-detail [data-field="run"]')?.firstChild?.textContent?.trim() ?? null,
      runs,
      notKept: el.querySelector(".run-not-kept")?.textContent?.trim() ?? null,
    };
  });
}

/**
 * The open instance is a finished Monitor started with `{ intervalSeconds: 1, checksLeft: checks }`:
 * its Runs section lists run `checks + 1` (current) back to run 1, each earlier one with its
 * execution id, start and end (one run's end the next one's start), about a second long, the input
 * it started with, the one it continued with (the next run's), and the run it continued as; the
 * links between them work from the keyboard.
 */
export async function expectMonitorRuns(page: Page, checks: number): Promise<void> {
  const last = checks + 1;
  await page.locator('#instance-detail [data-field="run"]', { hasText: `Run ${last} · ${checks} earlier runs` }).waitFor({ timeout: 10_000 });
  const shown = (await shownRuns(page))!;
  expect(shown.summary).toBe(`Run ${last} · ${checks} earlier runs`);
  expect(shown.notKept).toBeNull();
  expect(shown.runs.map((r) => [r.run, r.current])).toEqual(Array.from({ length: last }, (_, i) => [String(last - i), i === 0]));
  const [current, ...earlier] = shown.runs;
  expect(current!.head).toMatch(new RegExp(`^Run ${last} current run · started `));
  // Distinct executions, the current one the status's.
  expect(new Set(shown.runs.map((r) => r.executionId)).size).toBe(last);
  const inputOf = (run: number) => ({ intervalSeconds: 1, checksLeft: checks - run + 1, ...(run > 1 ? { checks: run - 1 } : {}) });
  for (const r of earlier) {
    const n = Number(r.run);
    expect(r.head).toMatch(new RegExp(`^Run ${n} · \\d+(\\.\\d)? s · continued as ${n + 1 === last ? "the current run" : `run ${n + 1}`}$`));
    expect(r.input).toEqual(inputOf(n));
    expect(r.continuedWith).toEqual(inputOf(n + 1));
    const next = shown.runs.find((x) => Number(x.run) === n + 1)!;
    expect(r.continuedAs).toBe(`Run ${n + 1}${n + 1 === last ? " (the current run)" : ""} ${next.executionId}`);
    expect(r.ended).toBe(next.started); // the next run starts where this one ended
    const ms = Date.parse(r.ended!) - Date.parse(r.started!);
    expect(ms).toBeGreaterThanOrEqual(1000); // its one-second check timer
    // Times as the others on the page: date, time and zone.
    for (const text of [r.startedText, r.endedText]) expect(text).toMatch(/\d{4}, \d\d:\d\d:\d\d \S+/);
  }
  expect(current!.started).toBe(earlier[0]!.ended);

  // From the keyboard: the facts' link goes to the run before the current one, its Continued as
  // link back to the current run, whose Continued from link goes back again.
  const active = () => page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    return el ? `${el.tagName.toLowerCase()}:${el.closest("li.run")?.getAttribute("data-run") ?? ""}` : "";
  });
  await page.locator('[data-key="runs-jump"]').focus();
  await page.keyboard.press("Enter");
  expect(await active()).toBe(`summary:${checks}`);
  await page.keyboard.press("Enter"); // folds it
  expect(await page.locator(`li.run[data-run="${checks}"] > details`).getAttribute("open")).toBeNull();
  await page.keyboard.press("Enter"); // and unfolds it again
  expect(await page.locator(`li.run[data-run="${checks}"] > details`).getAttribute("open")).toBe("");
  await page.locator(`[data-key="run-as-${checks}"]`).focus();
  await page.keyboard.press("Enter");
  expect(await active()).toBe(`li:${last}`);
  await page.keyboard.press("Tab");
  expect(await page.evaluate(() => document.activeElement?.getAttribute("data-key"))).toBe(`run-from-${last}`);
  await page.keyboard.press("Enter");
  expect(await active()).toBe(`summary:${checks}`);
}
