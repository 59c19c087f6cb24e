/**
 * The accessibility checks every view of the page must pass: axe-core's WCAG 2.0 / 2.1 A and AA
 * rules (`axe.ts`), and the page's own checks below, which are kept because they are stricter than
 * axe where it is lenient or undecided:
 * - a form control needs a label (its `<label>`, `aria-label` or `aria-labelledby`): axe also
 *   accepts a placeholder or a title, which vanish or hide once the field is used;
 * - a button needs a name in its text or `aria-label`: axe also accepts a title (a tooltip);
 * - text meets WCAG AA contrast (4.5:1; 3:1 for large or bold ≥ 18.66 px text) against the
 *   background colour it sits on, found through its ancestors: text whose background axe cannot
 *   tell it leaves "to review", not a violation (over a gradient or an image, or partly covered:
 *   on this page it says so of clipped cells, JSON viewer rows and the chart's axis).
 * tab.node.test.ts shows each of these on a page made to break it, and what axe says of it.
 */
import type { Page } from "playwright-core";
import { axeViolations, type AxeViolation } from "./axe.ts";

/** What the page's own checks found: each element as `tag#id.class` (and the text and ratio for contrast). */
export interface OwnA11yProblems {
  unlabelled: string[];
  unnamedButtons: string[];
  lowContrast: string[];
}

export interface A11yProblems extends OwnA11yProblems {
  /** axe-core's violations of the WCAG 2.0 / 2.1 A and AA rules. */
  axe: AxeViolation[];
}

export const NO_A11Y_PROBLEMS: A11yProblems = { axe: [], unlabelled: [], unnamedButtons: [], lowContrast: [] };

/** axe-core and the page's own checks, on the page as it is shown now. */
export async function findA11yProblems(page: Page): Promise<A11yProblems> {
  const axe = await axeViolations(page);
  return { axe, ...(await ownA11yProblems(page)) };
}

/** The page's own checks alone. */
export function ownA11yProblems(page: Page): Promise<OwnA11yProblems> {
  return page.evaluate(() => {
    const describe = (el: Element) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${el.className && typeof el.className === "string" ? `.${el.className.split(" ").join(".")}` : ""}`;
    const visible = (el: Element) => {
      const r = (el as HTMLElement).getBoundingClientRect();
      const s = getComputedStyle(el);
      return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none" && !el.closest(".visually-hidden");
    };
    const unlabelled = [...document.querySelectorAll("input, select, textarea")]
      .filter((el) => visible(el))
      .filter((el) => !((el as HTMLInputElement).labels?.length) && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby"))
      .map(describe);
    const unnamedButtons = [...document.querySelectorAll("button")]
      .filter((el) => visible(el))
      .filter((el) => !(el.textContent ?? "").trim() && !el.getAttribute("aria-label"))
      .map(describe);

    const parse = (c: string): [number, number, number, number] => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return [0, 0, 0, 0];
      const parts = m[1]!.split(/[,\s/]+/).filter(Boolean).map(Number);
      return [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0, parts[3] ?? 1];
    };
    const background = (el: Element | null): [number, number, number] => {
      for (let e = el; e; e = e.parentElement) {
        const [r, g, b, a] = parse(getComputedStyle(e).backgroundColor);
        if (a > 0.5) return [r, g, b];
      }
      return [255, 255, 255];
    };
    const luminance = ([r, g, b]: [number, number, number]) => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const lowContrast: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set<Element>();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!el || seen.has(el) || !(node.textContent ?? "").trim() || !visible(el)) continue;
      if (el.closest("button:disabled, input:disabled, [aria-hidden='true'], option, select")) continue;
      seen.add(el);
      const style = getComputedStyle(el);
      const [r, g, b, a] = parse(style.color);
      const bg = background(el);
      const fg: [number, number, number] = [r * a + bg[0] * (1 - a), g * a + bg[1] * (1 - a), b * a + bg[2] * (1 - a)];
      const [l1, l2] = [luminance(fg), luminance(bg)].sort((x, y) => y - x) as [number, number];
      const ratio = (l1 + 0.05) / (l2 + 0.05);
      const size = parseFloat(style.fontSize);
      const bold = Number(style.fontWeight) >= 700;
      const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
      if (ratio < needed) lowContrast.push(`${describe(el)} "${(node.textContent ?? "").trim().slice(0, 30)}" ${ratio.toFixed(2)}:1`);
    }
    return { unlabelled, unnamedButtons, lowContrast };
  });
}
