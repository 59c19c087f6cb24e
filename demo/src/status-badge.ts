/** @module status-badge — a runtime status as a labelled, colour-and-text badge. */
import { h } from "./dom.ts";

export function statusBadge(status: string): HTMLElement {
  return h("span", { class: `badge status-${status.toLowerCase()}` }, status);
}
