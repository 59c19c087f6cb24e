/**
 * axe-core (Deque's accessibility engine) run inside the page: its WCAG 2.0 / 2.1 level A and AA
 * rules over the whole document as it is shown, each violation with the elements it found.
 * `axe.min.js` is evaluated in the page once per document (a reload or a new page gets it again),
 * not added as a `<script>` tag: the Worker's Content-Security-Policy (`script-src 'self'`) refuses
 * inline scripts, and the page must be checked under its real headers.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type * as Axe from "axe-core";
import type { Page } from "playwright-core";

export const AXE_PATH = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
let axeSource: string | undefined;

/** The rule sets checked: WCAG 2.0 and 2.1, levels A and AA. */
export const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] as const;

/** One rule axe says the page breaks: its id, impact and help, and each element as "selector: what is wrong". */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** Runs axe on the page as it is now, every rule of `WCAG_TAGS` on, and returns its violations (none: `[]`). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => typeof (window as { axe?: unknown }).axe === "object"))) {
    axeSource ??= readFileSync(AXE_PATH, "utf8");
    await page.evaluate(axeSource);
  }
  return page.evaluate(
    async (tags: Axe.TagValue[]) => {
      const axe = (window as unknown as { axe: typeof Axe }).axe;
      const { violations } = await axe.run(document, {
        runOnly: { type: "tag", values: tags },
        resultTypes: ["violations"],
      });
      return violations.map((v) => ({
        id: v.id,
        impact: v.impact ?? null,
        help: v.help,
        nodes: v.nodes.map((n) => `${n.target.map(String).join(" ")}: ${(n.failureSummary ?? "").replace(/\s+/g, " ").trim()}`),
      }));
    },
    [...WCAG_TAGS],
  );
}
