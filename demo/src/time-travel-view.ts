/**
 * @module time-travel-view — the instance right after any event of its history, as the backend's
 * `timeTravel(id)` computes it by running the real orchestrator code (nothing guessed here): pick
 * an event with the slider or Back / Forward, and see the event, status, pending tasks, custom
 * status, how many log lines were written so far and the decision taken next.
 */
import type { Backend, TimeTravelFrame } from "./backend.ts";
import { h, replace } from "./dom.ts";
import { renderJson } from "./json-view.ts";
import type { Notices } from "./notices.ts";
import { statusBadge } from "./status-badge.ts";

export interface TimeTravelPanel {
  readonly element: HTMLElement;
  /** Forgets what was loaded (another instance is shown). */
  reset(backend: Backend | null, instanceId: string | null): void;
}

/** One pending task in words ("activity 'Hello' with input \"Tokyo\"", "event 'Approval'"…). */
export function pendingText(p: TimeTravelFrame["pending"][number]): string {
  switch (p.kind) {
    case "activity":
      return `activity '${p.name}' with input ${JSON.stringify(p.input)}`;
    case "subOrchestration":
      return `sub-orchestration '${p.name}' with input ${JSON.stringify(p.input)}`;
    case "timer":
      return `timer for ${p.fireAt}`;
    case "event":
      return `event '${p.name}'${p.timeoutAt ? ` (times out at ${p.timeoutAt})` : ""}`;
    case "http":
      return `HTTP ${p.method} ${p.url}`;
    case "entity":
      return `entity operation '${p.operation}' on ${p.entity}`;
    case "lock":
      return `the locks of ${p.entities.join(", ")}`;
  }
}

/** The decision taken right after the frame's event, in words: what it scheduled, how it ended, or nothing. */
export function decisionText(frame: Pick<TimeTravelFrame, "decision" | "status">): string {
  const d = frame.decision;
  const parts = [...d.scheduled.map((s) => `scheduled ${s}`), ...(d.outcome ? [d.outcome] : [])];
  if (parts.length) return parts.join("; ");
  return frame.status === "Running" || frame.status === "Suspended" || frame.status === "Pending" ? "nothing new (it waits)" : "nothing (it has ended)";
}

export function createTimeTravelPanel(notices: Notices): TimeTravelPanel {
  let backend: Backend | null = null;
  let instanceId: string | null = null;
  let frames: TimeTravelFrame[] = [];
  let index = 0;
  let request = 0;

  const loadButton = h("button", { type: "button", class: "secondary small", "data-key": "tt-load", onclick: () => void load() }, "Time travel");
  const slider = h("input", { id: "tt-slider", type: "range", min: "0", max: "0", step: "1", value: "0", "aria-describedby": "tt-position" });
  slider.addEventListener("input", () => go(Number(slider.value)));
  const back = h("button", { type: "button", class: "secondary small", "data-key": "tt-back", onclick: () => go(index - 1) }, "Back");
  const forward = h("button", { type: "button", class: "secondary small", "data-key": "tt-forward", onclick: () => go(index + 1) }, "Forward");
  const position = h("span", { id: "tt-position", class: "tt-position", "aria-live": "polite" });
  const frameSlot = h("div", { class: "tt-frame" });
  const controls = h("div", { class: "tt-controls", hidden: true },
    h("div", { class: "field" }, h("label", { for: "tt-slider" }, "Event"), slider),
    h("div", { class: "row wrap", role: "group", "aria-label": "Step through the events" }, back, forward, position),
    frameSlot);
  const hint = h("p", { class: "hint" }, "The instance right after any event of its history, replayed with the real orchestrator code (nothing is committed).");
  const element = h("section", { class: "time-travel", "aria-labelledby": "tt-h" },
    h("div", { class: "history-head" }, h("h3", { id: "tt-h" }, "Time travel"), loadButton),
    hint, controls);

  async function load(): Promise<void> {
    const b = backend;
    const id = instanceId;
    const mine = ++request;
    if (!b || !id) return;
    try {
      const travel = await b.timeTravel(id);
      if (mine !== request) return;
      frames = travel.frames;
      loadButton.textContent = "Reload time travel";
      if (frames.length === 0) {
        controls.hidden = true;
        hint.textContent = "No events yet: nothing to step through.";
        return;
      }
      controls.hidden = false;
      slider.max = String(frames.length - 1);
      go(Math.min(index, frames.length - 1));
    } catch (error) {
      if (mine !== request) return;
      notices.error("Could not replay the instance", error);
    }
  }

  function go(next: number): void {
    if (frames.length === 0) return;
    index = Math.max(0, Math.min(frames.length - 1, next));
    slider.value = String(index);
    const frame = frames[index]!;
    back.setAttribute("aria-disabled", String(index === 0));
    forward.setAttribute("aria-disabled", String(index === frames.length - 1));
    position.textContent = `Event ${index + 1} of ${frames.length}: ${frame.eventType}`;
    slider.setAttribute("aria-valuetext", position.textContent);
    replace(frameSlot, h("dl", { "data-event-index": String(frame.eventIndex) },
      h("dt", {}, "Event"), h("dd", { "data-tt": "event" }, `#${frame.eventIndex} ${frame.eventType}`, " at ", h("time", { datetime: new Date(frame.timestamp).toISOString() }, new Date(frame.timestamp).toISOString())),
      h("dt", {}, "Status"), h("dd", { "data-tt": "status" }, statusBadge(frame.status)),
      h("dt", {}, "Pending tasks"), h("dd", { "data-tt": "pending" },
        frame.pending.length ? h("ul", {}, frame.pending.map((p) => h("li", {}, pendingText(p)))) : "none"),
      h("dt", {}, "Custom status"), h("dd", { "data-tt": "custom-status" }, renderJson(frame.customStatus, { label: "custom status at this event", field: "tt-custom-status" })),
      h("dt", {}, "Log lines"), h("dd", { "data-tt": "logs" }, String(frame.logCount)),
      h("dt", {}, "Decision next"), h("dd", { "data-tt": "decision" }, decisionText(frame))));
  }

  return {
    element,
    reset(b, id) {
      backend = b;
      instanceId = id;
      frames = [];
      index = 0;
      request++;
      controls.hidden = true;
      loadButton.textContent = "Time travel";
      hint.textContent = "The instance right after any event of its history, replayed with the real orchestrator code (nothing is committed).";
      replace(frameSlot);
    },
  };
}
