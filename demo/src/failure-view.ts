/**
 * @module failure-view — what failed: the type and message, the stack trace as lines (not one
 * escaped string), and the failures it wraps, each with its own.
 */
import type { FailureDetails } from "../../src/index.ts";
import { h } from "./dom.ts";

export function renderFailure(details: FailureDetails, depth = 0): HTMLElement {
  const stack = typeof details.StackTrace === "string" && details.StackTrace ? details.StackTrace.split(/\r?\n/) : [];
  return h("div", { class: depth === 0 ? "failure" : "failure inner" },
    h("p", {}, depth > 0 ? "Caused by " : null, h("strong", {}, details.ErrorType || "Error"), `: ${details.ErrorMessage}`),
    stack.length
      ? h("details", { class: "stack" },
        h("summary", {}, `Stack trace (${stack.length} ${stack.length === 1 ? "line" : "lines"})`),
        // It scrolls past 14rem: focusable, so the keyboard can scroll it too.
        h("ol", { class: "stack-lines mono", tabindex: 0, "aria-label": "Stack trace" }, stack.map((line) => h("li", {}, line.trim()))))
      : null,
    details.InnerFailure ? renderFailure(details.InnerFailure, depth + 1) : null);
}
