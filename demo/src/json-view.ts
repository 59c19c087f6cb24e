/**
 * @module json-view — a JSON value to read: a tree whose objects and arrays fold (the first levels
 * open), a Copy button, and the value itself in `data-json` (what tests and scripts read). Long
 * arrays and objects show their first entries, then say how many more, so a 10,000-item output
 * stays quick.
 */
import { h } from "./dom.ts";

/** Entries shown per object or array before "… n more". */
export const JSON_VIEW_ENTRIES = 200;
/** Levels open at first. */
const OPEN_LEVELS = 2;

export interface JsonViewOptions {
  /** What the value is, for the Copy button's accessible name ("Copy input"). */
  label: string;
  /** `data-field`, for tests and styles. */
  field?: string;
}

export function jsonText(value: unknown): string {
  if (value === undefined) return "null";
  try {
    return JSON.stringify(value, null, 2) ?? "null";
  } catch {
    return JSON.stringify(String(value));
  }
}

export function renderJson(value: unknown, options: JsonViewOptions): HTMLElement {
  const text = jsonText(value);
  const status = h("span", { class: "copy-status", role: "status" });
  const copy = h("button", { type: "button", class: "secondary small", "aria-label": `Copy ${options.label} as JSON`, onclick: () => void copyText(text, status) }, "Copy");
  const simple = value === null || value === undefined || typeof value !== "object";
  return h("div", { class: "json-view", "data-json": text, ...(options.field ? { "data-field": options.field } : {}) },
    h("div", { class: "json-tools" }, copy, status),
    h("div", { class: "json-tree mono" }, simple ? scalar(value) : node(value as object, 0)));
}

function node(value: object, depth: number): HTMLElement {
  const isArray = Array.isArray(value);
  const entries: [string, unknown][] = isArray ? (value as unknown[]).map((v, i) => [String(i), v]) : Object.entries(value);
  if (entries.length === 0) return h("span", { class: "j-punct" }, isArray ? "[]" : "{}");
  const shown = entries.slice(0, JSON_VIEW_ENTRIES);
  const summary = isArray ? `[ ${entries.length} ${entries.length === 1 ? "item" : "items"} ]` : `{ ${entries.length} ${entries.length === 1 ? "key" : "keys"} }`;
  return h("details", { class: "j-node", open: depth < OPEN_LEVELS },
    h("summary", {}, summary),
    h("ul", {},
      shown.map(([k, v]) => h("li", {},
        h("span", { class: isArray ? "j-index" : "j-key" }, isArray ? `${k}: ` : `${JSON.stringify(k)}: `),
        v !== null && typeof v === "object" ? node(v, depth + 1) : scalar(v))),
      entries.length > shown.length ? h("li", { class: "j-more" }, `… ${entries.length - shown.length} more (Copy has them all)`) : null));
}

function scalar(value: unknown): HTMLElement {
  if (value === undefined) return h("span", { class: "j-null" }, "—");
  if (value === null) return h("span", { class: "j-null" }, "null");
  if (typeof value === "string") return h("span", { class: "j-string" }, JSON.stringify(value));
  if (typeof value === "number" || typeof value === "bigint") return h("span", { class: "j-number" }, String(value));
  if (typeof value === "boolean") return h("span", { class: "j-bool" }, String(value));
  return h("span", {}, String(value));
}

async function copyText(text: string, status: HTMLElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = "Copied.";
  } catch {
    // No clipboard permission (an insecure origin, a denied prompt): select the text for Ctrl+C instead.
    const area = h("textarea", { class: "copy-fallback", readonly: true, "aria-label": "The JSON, selected: press Ctrl+C to copy" });
    area.value = text;
    status.replaceChildren(area);
    area.select();
  }
  setTimeout(() => {
    if (status.isConnected && !status.querySelector("textarea:focus")) status.textContent = "";
  }, 4000);
}
