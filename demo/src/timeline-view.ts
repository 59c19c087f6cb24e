/** @module timeline-view — an instance's history as an ordered list of rows with time bars. */
import { h } from "./dom.ts";
import { renderJson } from "./json-view.ts";
import { childLink } from "./relations-view.ts";
import { clock, entityTitle, formatDuration, toTimeline, type TimelineEntry } from "./timeline.ts";

/** Long histories (a big fan-out) show their latest rows only, until asked for all. */
export const TIMELINE_ROWS = 60;

export interface TimelineOptions {
  finished: boolean;
  now: number;
  showAll: boolean;
  /** Opens a linked instance (a sub-orchestration's child, a child's parent). */
  onOpen?: (instanceId: string) => void;
  /** Opens an entity (`@name@key`) in the entities view. */
  onOpenEntity?: (entityInstanceId: string) => void;
}

/** The timeline, and how many of its earliest rows it left out (see `TIMELINE_ROWS`). */
export function renderTimeline(historyEvents: readonly Record<string, unknown>[] | undefined, options: TimelineOptions): { element: HTMLElement; total: number; hidden: number } {
  const { finished, now } = options;
  if (!historyEvents || historyEvents.length === 0) {
    const text = finished ? "No history (the instance was purged or never ran)." : "No history yet: the instance has not started running.";
    return { element: h("p", { class: "empty" }, text), total: 0, hidden: 0 };
  }
  const entries = toTimeline(historyEvents, finished);
  const origin = Math.min(...entries.map((e) => e.start));
  // A timer still waiting stretches the scale to its due time, so its bar shows how far along it is.
  const last = Math.max(...entries.map((e) => (e.end === null && e.due !== undefined ? Math.max(e.due, now) : e.end ?? now)), finished ? 0 : now);
  const span = Math.max(1000, last - origin);
  const hidden = options.showAll ? 0 : Math.max(0, entries.length - TIMELINE_ROWS);
  const element = h("ol", { class: "timeline", "aria-label": "History timeline", start: hidden + 1 }, entries.slice(hidden).map((e) => row(e, origin, span, now, options.onOpen, options.onOpenEntity)));
  return { element, total: entries.length, hidden };
}

function row(e: TimelineEntry, origin: number, span: number, now: number, onOpen?: (id: string) => void, onOpenEntity?: (id: string) => void): HTMLElement {
  const end = e.end ?? now;
  const width = Math.max(0.8, ((end - e.start) / span) * 100);
  const left = Math.min(100 - 0.8, ((e.start - origin) / span) * 100);
  const timing =
    e.kind === "entity" && e.label !== "Entity signal"
      ? e.label === "Critical section"
        ? `requested ${clock(e.start)}${e.note ? ` · ${e.note}` : ""}`
        : e.end === null
          ? `sent ${clock(e.start)}, waiting for the answer for ${formatDuration(now - e.start)}`
          : `sent ${clock(e.start)} → ${e.outcome === "failed" ? "failed" : "answered"} ${clock(end)} (${formatDuration(end - e.start)})`
      : (e.kind === "activity" || e.kind === "suborchestration") && e.end === null
      ? `scheduled ${clock(e.start)}, running for ${formatDuration(now - e.start)}`
      : e.kind === "activity" || e.kind === "suborchestration"
      ? `scheduled ${clock(e.start)} → ${e.outcome === "failed" ? "failed" : "completed"} ${clock(end)} (${formatDuration(end - e.start)})${e.note ? ` · ${e.note}` : ""}`
      : e.kind === "timer"
        ? e.end === null || e.outcome !== "ok"
          ? `created ${clock(e.start)}, ${e.note ?? ""}`
          : `created ${clock(e.start)} → ${e.note ?? "fired"} ${clock(end)} (${formatDuration(end - e.start)})`
        : `${clock(e.start)}${e.note ? ` · ${e.note}` : ""}`;
  const io = describeIo(e);
  return h("li", { class: `tl tl-${e.kind} tl-${e.outcome}` },
    h("div", { class: "tl-head" },
      h("span", { class: "tl-kind" }, e.label),
      h("span", { class: "tl-title" }, e.title),
      e.attempt > 1 ? h("span", { class: "tl-retry" }, `retry, attempt ${e.attempt}`) : null,
      e.outcome === "pending" ? h("span", { class: "tl-pending" }, "pending") : null),
    h("div", { class: "tl-timing" }, timing),
    h("div", { class: "tl-bar", "aria-hidden": "true" },
      e.end === null && e.due !== undefined
        ? h("span", { class: "planned", style: `left:${left.toFixed(2)}%;width:${Math.min(((e.due - e.start) / span) * 100, 100 - left).toFixed(2)}%` })
        : null,
      h("span", { style: `left:${left.toFixed(2)}%;width:${Math.min(width, 100 - left).toFixed(2)}%` })),
    io ? h("div", { class: "tl-io mono" }, io) : null,
    onOpen && (e.childId || e.parentId) ? h("div", { class: "tl-link" }, e.childId ? "child " : "parent ", childLink((e.childId ?? e.parentId)!, e.childId ? e.title : "the parent", onOpen)) : null,
    onOpenEntity && e.entities?.length ? h("div", { class: "tl-link" }, e.entities.length > 1 ? "entities " : "entity ", e.entities.map((id) => entityLink(id, onOpenEntity))) : null,
    e.failure ? h("div", { class: "tl-failure" }, e.failure) : null,
    e.events?.length ? eventJson(e) : null);
}

/** The row's history records in the JSON viewer, built when first opened (a 500-row history stays light). */
function eventJson(e: TimelineEntry): HTMLElement {
  const details = h("details", { class: "tl-json" }, h("summary", {}, e.events!.length > 1 ? `The ${e.events!.length} events (JSON)` : "The event (JSON)"));
  details.addEventListener("toggle", () => {
    if (details.open && details.children.length === 1) details.append(renderJson(e.events!.length === 1 ? e.events![0] : e.events, { label: `the ${e.title} event` }));
  });
  return details;
}

/** A button that opens an entity in the entities view, labelled by its name and key. */
export function entityLink(instanceId: string, onOpen: (id: string) => void): HTMLElement {
  const label = entityTitle(instanceId);
  return h("button", { type: "button", class: "link entity-link", "data-key": `entity-${instanceId}`, "aria-label": `Open the entity ${label}`, onclick: () => onOpen(instanceId) }, label);
}

function describeIo(e: TimelineEntry): string {
  const short = (v: unknown) => {
    const text = JSON.stringify(v) ?? "";
    return text.length > 90 ? `${text.slice(0, 87)}…` : text;
  };
  const input = e.input !== undefined && e.input !== null ? short(e.input) : "";
  const result = e.result !== undefined && e.result !== null ? short(e.result) : "";
  if (e.kind === "activity" || e.kind === "suborchestration") return `${input || "()"}${result ? ` → ${result}` : e.outcome === "pending" ? " → …" : ""}`;
  if (e.kind === "entity" && e.label === "Entity call") return `${input || "()"}${result ? ` → ${result}` : e.outcome === "pending" ? " → …" : ""}`;
  if (e.kind === "entity" && e.label === "Entity signal") return input ? `input ${input}` : "";
  if (e.kind === "start" || e.kind === "event") return input ? `input ${input}` : "";
  if (e.kind === "end") return result ? `output ${result}` : "";
  return "";
}
