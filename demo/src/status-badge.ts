/** @module status-badge — a runtime status as a labelled, colour-and-text badge. */
import { h } from "./dom.ts";

export function statusBadge(status: string): HTMLElement {
  return h("span", { class: `badge status-${status.toLowerCase()}` }, status);
}

/** "2026-11-24T05:01:02Z" → local "05:01:02" today, or "24 Nov, 05:01:02" on another day. */
export function shortTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const time = d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  const today = new Date();
  if (d.toDateString() === today.toDateString()) return time;
  return `${d.toLocaleDateString(undefined, { day: "numeric", month: "short" })}, ${time}`;
}
