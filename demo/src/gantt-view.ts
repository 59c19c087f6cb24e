/**
 * @module gantt-view — the history as a Gantt chart: a time axis from the instance's start, one row
 * per task (attempts side by side, running bars reaching "now"), timers with their planned part,
 * markers for events and lifecycle changes, and fan-outs folded into a group row (count, progress,
 * duration distribution) that unfolds into compact bars. `zoom` widens the chart (it scrolls).
 * Each row also says in words what its bars show, for screen readers.
 */
import { h } from "./dom.ts";
import { childLink } from "./relations-view.ts";
import { axisTicks, histogram, preciseDuration, quantile, toGantt, type GanttBar, type GanttGroup, type GanttModel, type GanttRow } from "./gantt.ts";

export interface GanttOptions {
  finished: boolean;
  now: number;
  /** 1 = fit the width; 2, 4, … = that many times wider. */
  zoom: number;
  /** Groups (by title and start) shown unfolded. */
  open: ReadonlySet<string>;
  onToggleGroup(key: string): void;
  /** Opens a sub-orchestration's child. */
  onOpen?: (instanceId: string) => void;
}

export function renderGantt(historyEvents: readonly Record<string, unknown>[] | undefined, options: GanttOptions): { element: HTMLElement; running: boolean } {
  if (!historyEvents || historyEvents.length === 0) {
    const text = options.finished ? "No history (the instance was purged or never ran)." : "No history yet: the instance has not started running.";
    return { element: h("p", { class: "empty" }, text), running: false };
  }
  const model = toGantt(historyEvents, { finished: options.finished, now: options.now });
  const span = model.end - model.origin;
  const pos = (t: number) => ((t - model.origin) / span) * 100;
  const rows: HTMLElement[] = [];
  let running = false;
  for (const item of model.items) {
    if (item.kind === "group") {
      const key = groupKey(item);
      const open = options.open.has(key);
      if (item.running) running = true;
      rows.push(groupRow(item, model, pos, open, () => options.onToggleGroup(key)));
      if (open) rows.push(h("li", { class: "g-members" }, h("ol", { class: "g-compact", "aria-label": `${item.members.length} ${item.title} tasks` }, item.members.map((m) => taskRow(m, model, pos, options.now, true)))));
    } else {
      if (item.bars.some((b) => b.end === null) && item.kind !== "timer") running = true;
      rows.push(taskRow(item, model, pos, options.now, false, options.onOpen));
    }
  }
  const element = h("div", { class: "gantt" },
    // Zoomed (or on a phone) it scrolls sideways: focusable and named, so the keyboard can scroll it
    // too; its data-key brings the focus back after a redraw, which keeps where it was scrolled to.
    h("div", { class: "gantt-scroll", tabindex: 0, role: "group", "aria-label": "Gantt chart", "data-key": "gantt-scroll" },
      h("div", { class: "gantt-inner", style: `width:${Math.max(1, options.zoom) * 100}%` },
        axis(model, span),
        h("ol", { class: "gantt-rows", "aria-label": `History as a Gantt chart, ${preciseDuration(span, model.precise)} from the start${model.precise ? "" : " (times to the second)"}` }, rows))));
  return { element, running };
}

export function groupKey(g: GanttGroup): string {
  return `${g.title}@${g.start}`;
}

function axis(model: GanttModel, span: number): HTMLElement {
  return h("div", { class: "g-axis", "aria-hidden": "true" },
    h("span", { class: "g-label" }),
    h("div", { class: "g-track" },
      axisTicks(span).map((t) => h("span", { class: "g-tick", style: `left:${((t / span) * 100).toFixed(3)}%` }, `+${preciseDuration(t, true).replace("< 1 s", "0 s")}`))));
}

function taskRow(r: GanttRow, model: GanttModel, pos: (t: number) => number, now: number, compact: boolean, onOpen?: (id: string) => void): HTMLElement {
  const last = r.bars[r.bars.length - 1]!;
  const outcome = last.end === null ? (r.kind === "timer" ? "waiting" : "running") : last.outcome;
  const title = `${r.title}${r.taskId !== undefined ? ` #${r.taskId}` : ""}`;
  const attempts = r.bars.length > 1 ? ` · ${r.bars.length} attempts` : "";
  return h("li", { class: `g-row g-${r.kind} g-${outcome}${compact ? " g-small" : ""}`, "data-task": r.taskId ?? null },
    h("span", { class: "g-label" },
      compact ? null : h("span", { class: "g-kind" }, r.label),
      h("span", { class: "g-title" }, title),
      attempts ? h("span", { class: "tl-retry" }, `${r.bars.length} attempts`) : null,
      onOpen && r.entry.childId ? childLink(r.entry.childId, r.title, onOpen) : null,
      h("span", { class: "visually-hidden" }, ` ${describe(r, model, now)}`)),
    h("div", { class: "g-track", "aria-hidden": "true" },
      r.due !== undefined && last.end === null ? h("span", { class: "g-bar g-planned", style: place(pos(last.start), pos(r.due)) }) : null,
      r.marker
        ? h("span", { class: "g-marker", style: `left:${pos(last.start).toFixed(3)}%`, title: `${r.title} at +${preciseDuration(last.start - model.origin, model.precise)}` })
        : r.bars.map((b) => bar(b, r, model, pos, now))));
}

function bar(b: GanttBar, r: GanttRow, model: GanttModel, pos: (t: number) => number, now: number): HTMLElement {
  const end = b.end ?? now;
  const state = b.end === null ? (r.kind === "timer" ? "waiting" : "running") : b.outcome;
  const text = `${r.title}${r.bars.length > 1 ? `, attempt ${b.attempt}` : ""}: ${preciseDuration(end - b.start, model.precise)}${b.end === null ? " so far" : ""}${b.failure ? ` (${b.failure})` : ""}`;
  return h("span", { class: `g-bar g-bar-${state}`, style: place(pos(b.start), pos(end)), title: text });
}

function groupRow(g: GanttGroup, model: GanttModel, pos: (t: number) => number, open: boolean, toggle: () => void): HTMLElement {
  const total = g.members.length;
  const d = g.durations;
  const dist = d.length ? `${preciseDuration(d[0]!, model.precise)} / ${preciseDuration(quantile(d, 0.5), model.precise)} / ${preciseDuration(quantile(d, 0.95), model.precise)} / ${preciseDuration(d[d.length - 1]!, model.precise)}` : "";
  const counts = histogram(d, 12);
  const peak = Math.max(1, ...counts);
  const state = g.running ? "running" : g.failed ? "failed" : "ok";
  const summary = `${g.done} done${g.running ? `, ${g.running} running` : ""}${g.failed ? `, ${g.failed} failed` : ""}`;
  return h("li", { class: `g-row g-group g-${state}` },
    h("span", { class: "g-label" },
      h("span", { class: "g-kind" }, "Fan-out"),
      h("span", { class: "g-title" }, `${g.title} × ${total}`),
      h("span", { class: "g-counts" }, summary),
      h("button", { type: "button", class: "secondary small", "aria-expanded": open ? "true" : "false", "data-key": `group-${groupKey(g)}`, onclick: toggle }, open ? `Fold the ${total} tasks` : `Show the ${total} tasks`)),
    h("div", { class: "g-track" },
      h("span", { class: `g-bar g-bar-envelope g-bar-${state}`, "aria-hidden": "true", style: place(pos(g.start), pos(g.end ?? model.end)) }),
      h("span", { class: "g-progress", "aria-hidden": "true", style: place(pos(g.start), pos(g.start) + (g.done + g.failed) / total * (pos(g.end ?? model.end) - pos(g.start))) })),
    d.length
      ? h("div", { class: "g-dist" },
        h("span", { class: "g-hist", "aria-hidden": "true" }, counts.map((c) => h("span", { style: `height:${Math.max(c ? 10 : 0, (c / peak) * 100).toFixed(0)}%` }))),
        h("span", { class: "g-dist-text" }, `duration min / median / p95 / max: ${dist}`))
      : null);
}

function describe(r: GanttRow, model: GanttModel, now: number): string {
  const at = (t: number) => `+${preciseDuration(t - model.origin, model.precise)}`;
  if (r.marker) return `at ${at(r.bars[0]!.start)}${r.note ? `, ${r.note}` : ""}`;
  return r.bars
    .map((b) => `${r.bars.length > 1 ? `attempt ${b.attempt}: ` : ""}from ${at(b.start)} ${b.end === null ? `, ${r.kind === "timer" ? "waiting" : "running"} for ${preciseDuration(now - b.start, model.precise)}` : `to ${at(b.end)} (${preciseDuration(b.end - b.start, model.precise)}, ${b.outcome === "failed" ? "failed" : r.kind === "timer" ? "fired" : "completed"})`}`)
    .join("; ");
}

function place(from: number, to: number): string {
  const left = Math.min(Math.max(0, from), 99.6);
  return `left:${left.toFixed(3)}%;width:${Math.max(0.4, Math.min(100 - left, to - from)).toFixed(3)}%`;
}
