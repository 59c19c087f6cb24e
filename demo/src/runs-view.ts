/**
 * @module runs-view — the runs of an instance that continues as new (`status.runs`, which both
 * backends ask for: the tab's client and the Worker's `?showRuns=true` and its stream). A run
 * that calls `continueAsNew` ends and the next one starts with a new execution id and a fresh
 * history, so the history shown is the current run's; the row keeps a summary of the earlier runs
 * (the last 20), and this view lists them from the current run back: each with its execution id,
 * start and end (date and zone), duration, the input it started with and the one it continued
 * with (in the JSON viewer; a preview cut at 256 bytes says so), and which run continued it. Runs
 * before those kept are counted. Shown only for an instance with earlier runs.
 */
import type { JsonPreview, RunsStatus, RunStatus } from "../../src/index.ts";
import { h } from "./dom.ts";
import { renderJson } from "./json-view.ts";
import { dateTimeWithZone } from "./time-format.ts";
import { formatDuration } from "./timeline.ts";

/** "Run 4 · 3 earlier runs", or null for an instance that never continued as new. */
export function runsSummaryText(runs: RunsStatus | undefined): string | null {
  if (!runs || runs.run <= 1) return null;
  const earlier = runs.run - 1;
  return `Run ${runs.run} · ${earlier} earlier ${earlier === 1 ? "run" : "runs"}`;
}

function time(iso: string): HTMLElement {
  return h("time", { datetime: iso }, dateTimeWithZone(iso));
}

/** A preview in the JSON viewer, or, cut short, its text with how much of it this is. */
function preview(p: JsonPreview, label: string, field: string): HTMLElement {
  if (!p.truncated) {
    try {
      return renderJson(JSON.parse(p.text) as unknown, { label, field });
    } catch {
      // Not JSON after all (a document imported from elsewhere): shown as text below.
    }
  }
  return h("div", { class: "run-preview", "data-field": field, "data-truncated": String(p.truncated) },
    h("pre", { class: "json mono" }, p.truncated ? `${p.text}…` : p.text),
    p.truncated ? h("p", { class: "hint" }, `The first ${new TextEncoder().encode(p.text).length} of ${p.bytes.toLocaleString("en-US")} bytes: the instance keeps a preview of each earlier run's values.`) : null);
}

/**
 * The facts' `dt`/`dd` (which run this is, a button to the list) and the list itself, or nothing
 * for an instance without earlier runs. `open` holds the runs whose entries are unfolded, so a
 * redraw keeps them so.
 */
export function renderRuns(runs: RunsStatus | undefined, open: Set<number>): { facts: HTMLElement[]; section: HTMLElement | null } {
  const summary = runsSummaryText(runs);
  if (!runs || summary === null) return { facts: [], section: null };
  /** Each earlier run's entry, by run number; the current run is `current`. */
  const entries = new Map<number, HTMLDetailsElement>();
  const jumpTo = (run: number) => {
    const entry = entries.get(run);
    if (!entry) {
      if (run === runs.run) current.focus();
      return;
    }
    entry.open = true;
    open.add(run);
    entry.querySelector("summary")?.focus();
  };
  const runButton = (run: number, label: string, key: string) =>
    h("button", { type: "button", class: "link", "data-key": key, "aria-label": label, onclick: () => jumpTo(run) }, `Run ${run}`);

  const previous = runs.previous.at(-1);
  const current = h("li", { class: "run run-current", tabindex: -1, "data-run": runs.run, "data-execution-id": runs.executionId },
    h("p", { class: "run-head" }, h("strong", {}, `Run ${runs.run}`), " ", h("span", { class: "run-label" }, "current run"), " · started ", time(runs.startedTime)),
    h("p", { class: "mono run-execution" }, h("span", { class: "visually-hidden" }, "Execution ID: "), runs.executionId),
    previous
      ? h("p", { class: "run-link" }, "Continued from ", runButton(previous.run, `Run ${previous.run}, the run this one continued from`, `run-from-${runs.run}`), ", which ended by continuing as new.")
      : h("p", { class: "run-link" }, `Continued from run ${runs.run - 1}, which is no longer kept.`));

  const earlier = [...runs.previous].reverse().map((r) => {
    const entry = earlierRun(r, runs, open, (run) => runButton(run, `Run ${run}, the run this one continued as`, `run-as-${r.run}`));
    entries.set(r.run, entry.details);
    return entry.item;
  });
  const notKept = runs.olderRuns > 0
    ? h("li", { class: "run run-not-kept", "data-run": "older" },
      `Run${runs.olderRuns === 1 ? " 1" : `s 1–${runs.olderRuns}`}: not kept. The instance keeps a summary of its last ${runs.previous.length} earlier runs.`)
    : null;

  const section = h("section", { class: "runs", "aria-labelledby": "runs-h", "data-field": "runs" },
    h("h3", { id: "runs-h" }, "Runs"),
    h("p", { class: "hint" }, `This instance continued as new ${runs.run - 1} ${runs.run === 2 ? "time" : "times"}: each run started with fresh history, so the history below is run ${runs.run}'s. Earlier runs, newest first:`),
    h("ol", { class: "runs-list", "aria-label": "Runs, from the current one back" }, current, earlier, notKept));
  return {
    facts: [
      h("dt", {}, "Run"),
      h("dd", { "data-field": "run" }, summary, " ",
        h("button", { type: "button", class: "link", "data-key": "runs-jump", onclick: () => (previous ? jumpTo(previous.run) : current.focus()) }, "See the earlier runs")),
    ],
    section,
  };
}

function earlierRun(r: RunStatus, runs: RunsStatus, open: Set<number>, link: (run: number) => HTMLElement): { item: HTMLElement; details: HTMLDetailsElement } {
  const duration = formatDuration(Date.parse(r.endedTime) - Date.parse(r.startedTime));
  const next = r.continuedAs.run === runs.run ? "the current run" : `run ${r.continuedAs.run}`;
  const details = h("details", { class: "run-entry", open: open.has(r.run) },
    h("summary", { "data-key": `run-${r.run}` }, h("strong", {}, `Run ${r.run}`), ` · ${duration} · continued as ${next}`),
    h("dl", {},
      h("dt", {}, "Execution ID"), h("dd", { class: "mono run-execution" }, r.executionId),
      h("dt", {}, "Started"), h("dd", {}, time(r.startedTime)),
      h("dt", {}, "Ended"), h("dd", {}, time(r.endedTime), " (continued as new)"),
      h("dt", {}, "Duration"), h("dd", {}, duration),
      h("dt", {}, "History"), h("dd", {}, `${r.historyLength} ${r.historyLength === 1 ? "event" : "events"}`),
      h("dt", {}, "Input"), h("dd", {}, preview(r.input, `run ${r.run}'s input`, `run-${r.run}-input`)),
      h("dt", {}, "Continued with"), h("dd", {}, preview(r.continuedWith, `what run ${r.run} continued with`, `run-${r.run}-continued-with`)),
      r.customStatus ? [h("dt", {}, "Custom status"), h("dd", {}, preview(r.customStatus, `run ${r.run}'s last custom status`, `run-${r.run}-custom-status`))] : null,
      h("dt", {}, "Continued as"), h("dd", { "data-field": `run-${r.run}-continued-as` }, link(r.continuedAs.run), r.continuedAs.run === runs.run ? " (the current run)" : null, " ", h("span", { class: "mono run-execution" }, r.continuedAs.executionId))));
  details.addEventListener("toggle", () => {
    if (details.open) open.add(r.run);
    else open.delete(r.run);
  });
  return { item: h("li", { class: "run", "data-run": r.run, "data-execution-id": r.executionId }, details), details };
}
