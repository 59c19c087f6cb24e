/**
 * @module relations-view — an instance's family: the parent that started it as a sub-orchestration
 * and the children it started, each a link that opens it. Read from the history's rows (the tab's
 * detailed history carries the ids; the status API's rendering does not, so the edge shows none).
 */
import { h } from "./dom.ts";
import type { TimelineEntry } from "./timeline.ts";

export function childLink(id: string, name: string, onOpen: (id: string) => void): HTMLElement {
  return h("button", { type: "button", class: "link mono child-link", "data-key": `open-${id}`, "aria-label": `Open ${name} ${id}`, onclick: () => onOpen(id) }, id);
}

/** `dt`/`dd` pairs for the facts list, or nothing when the instance has no parent and no children. */
export function renderRelations(entries: readonly TimelineEntry[], onOpen: (id: string) => void): HTMLElement[] {
  const out: HTMLElement[] = [];
  const start = entries.find((e) => e.kind === "start");
  if (start?.parentId) {
    out.push(h("dt", {}, "Parent"), h("dd", { "data-field": "parent" }, childLink(start.parentId, "the parent", onOpen)));
  }
  const children = entries.filter((e) => e.kind === "suborchestration" && e.childId);
  if (children.length) {
    out.push(h("dt", {}, "Children"), h("dd", { "data-field": "children" },
      h("ul", { class: "children" }, children.map((c) => h("li", {}, `${c.title}${c.taskId !== undefined ? ` #${c.taskId}` : ""}: `, childLink(c.childId!, c.title, onOpen), ` (${c.outcome === "pending" ? "running" : c.outcome === "failed" ? "failed" : "completed"})`)))));
  }
  return out;
}
