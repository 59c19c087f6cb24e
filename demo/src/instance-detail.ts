/**
 * @module instance-detail — one instance: status, input, output, custom status, the sample's own
 * widget, its history timeline, and the management actions (raise an event, terminate, suspend,
 * resume, rewind, restart, purge).
 */
import type { FailureDetails } from "../../src/index.ts";
import type { Backend, OrchestrationStatus } from "./backend.ts";
import { h, json, replace } from "./dom.ts";
import type { Notices } from "./notices.ts";
import { countdownText, renderWidget } from "./sample-widgets.ts";
import { shortTime, statusBadge } from "./status-badge.ts";
import { renderTimeline } from "./timeline-view.ts";

export interface InstanceDetail {
  show(backend: Backend, instanceId: string | null): void;
  refresh(): Promise<void>;
}

export interface DetailOptions {
  notices: Notices;
  /** Opens another instance (after a restart). */
  onOpen(instanceId: string): void;
  /** Something changed through an action: the list should refresh too. */
  onChanged(): void;
}

const FINISHED = new Set(["Completed", "Failed", "Terminated"]);

export function createInstanceDetail(container: HTMLElement, options: DetailOptions): InstanceDetail {
  let backend: Backend | null = null;
  let instanceId: string | null = null;
  let request = 0;
  let showAll = false;

  const header = h("div", { class: "detail-header" });
  const widget = h("div", { class: "widget-slot" });
  const facts = h("div", { class: "facts" });
  const timeline = h("div", { class: "timeline-slot" });
  // Outside the re-rendered parts, so a live update never swaps the button under a click.
  const moreText = h("span", {});
  const moreButton = h("button", { type: "button", class: "secondary", onclick: () => {
    showAll = true;
    void load(true);
  } });
  const more = h("p", { class: "timeline-more", hidden: true }, moreText, moreButton);

  const reason = h("input", { id: "a-reason", type: "text", autocomplete: "off", placeholder: "optional" });
  const action = (label: string, run: (b: Backend, id: string) => Promise<string>) =>
    h("button", { type: "button", "data-key": `action-${label}`, onclick: () => void act(label, run) }, label);
  const actions = h("section", { class: "actions", "aria-labelledby": "actions-h" },
    h("h3", { id: "actions-h" }, "Manage"),
    h("div", { class: "field" }, h("label", { for: "a-reason" }, "Reason"), reason),
    h("div", { class: "row wrap" },
      action("Terminate", async (b, id) => (await b.terminate(id, reason.value), `Terminate requested for ${id}.`)),
      action("Suspend", async (b, id) => (await b.suspend(id, reason.value), `Suspend requested for ${id}.`)),
      action("Resume", async (b, id) => (await b.resume(id, reason.value), `Resume requested for ${id}.`)),
      action("Rewind", async (b, id) => (await b.rewind(id, reason.value), `Rewind requested for ${id}.`)),
      action("Restart", async (b, id) => {
        const next = await b.restart(id);
        options.onOpen(next);
        return `Restarted as a new instance ${next}.`;
      }),
      action("Purge", async (b, id) => {
        const n = await b.purge(id);
        return n > 0 ? `Purged ${id} and its history.` : `Nothing to purge: ${id} no longer exists.`;
      })));

  const eventName = h("input", { id: "e-name", name: "eventName", type: "text", required: true, autocomplete: "off", placeholder: "e.g. Approval" });
  const payloadError = h("p", { id: "e-payload-error", class: "field-error", "aria-live": "polite" });
  const payload = h("textarea", { id: "e-payload", name: "payload", rows: 3, spellcheck: "false", placeholder: '{"approved": true}', "aria-describedby": "e-payload-hint e-payload-error" });
  const eventForm = h("form", { class: "raise", "aria-labelledby": "raise-h" },
    h("h3", { id: "raise-h" }, "Raise an event"),
    h("div", { class: "field" }, h("label", { for: "e-name" }, "Event name"), eventName),
    h("div", { class: "field" }, h("label", { for: "e-payload" }, "Payload (JSON)"), payload,
      h("p", { id: "e-payload-hint", class: "hint" }, "Any JSON value; leave empty to send null."), payloadError),
    h("button", { type: "submit" }, "Send event"));
  eventForm.addEventListener("submit", (e) => {
    e.preventDefault();
    void raise();
  });
  payload.addEventListener("input", () => {
    payload.removeAttribute("aria-invalid");
    payloadError.textContent = "";
  });

  const body = h("div", { class: "detail-body" }, header, widget, facts,
    h("div", { class: "manage" }, actions, eventForm),
    h("section", { "aria-labelledby": "timeline-h" }, h("h3", { id: "timeline-h" }, "History"), more, timeline));
  const empty = h("p", { class: "empty" }, "Start a sample or open an instance from the list to see its status and history here.");
  replace(container, empty);

  // The approval countdown ticks without reloading the instance.
  setInterval(() => {
    for (const el of container.querySelectorAll<HTMLElement>(".countdown[data-deadline]")) {
      el.textContent = countdownText(Number(el.dataset.deadline), Date.now());
    }
  }, 1000);

  async function act(label: string, run: (b: Backend, id: string) => Promise<string>): Promise<void> {
    if (!backend || !instanceId) return;
    try {
      options.notices.info(await run(backend, instanceId));
    } catch (error) {
      options.notices.error(`Could not ${label.toLowerCase()} the instance`, error);
    }
    options.onChanged();
    await load();
  }

  async function raise(): Promise<void> {
    if (!backend || !instanceId) return;
    const name = eventName.value.trim();
    if (!name) {
      eventName.focus();
      options.notices.error("Could not raise the event", { code: "InvalidArgument", message: "Give the event a name." });
      return;
    }
    let data: unknown = null;
    const text = payload.value.trim();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        payload.setAttribute("aria-invalid", "true");
        payloadError.textContent = `Not valid JSON: ${why}. Strings need double quotes, e.g. "yes".`;
        options.notices.error("Could not raise the event", { code: "InvalidJson", message: `The payload is not valid JSON (${why}). Nothing was sent.` });
        payload.focus();
        return;
      }
    }
    await act("raise the event", async (b, id) => (await b.raiseEvent(id, name, data), `Sent event '${name}' to ${id}.`));
  }

  async function approve(): Promise<void> {
    await act("approve", async (b, id) => (await b.raiseEvent(id, "Approval", { approvedBy: "the demo page", at: new Date().toISOString() }), `Approved ${id}.`));
  }

  /** What the view shows now; an update that changes nothing is not rendered (nothing flickers or moves). */
  let shown = "";

  async function load(force = false): Promise<void> {
    const b = backend;
    const id = instanceId;
    const mine = ++request;
    if (!b || !id) return;
    try {
      const status = await b.get(id);
      if (mine !== request) return;
      const key = JSON.stringify([id, status ?? null]);
      if (!force && key === shown) return;
      shown = key;
      render(id, status);
    } catch (error) {
      if (mine !== request) return;
      options.notices.error("Could not load the instance", error, { background: true });
    }
  }

  function render(id: string, status: OrchestrationStatus | undefined): void {
    if (!body.isConnected) replace(container, body);
    const focusKey = (document.activeElement as HTMLElement | null)?.dataset?.key;
    if (!status) {
      replace(header, h("h2", { id: "detail-h", tabindex: -1, "data-key": "detail-h" }, "Instance not found"), h("p", { class: "mono" }, id));
      replace(widget);
      replace(facts, h("p", {}, "There is no such instance on this side: it was purged, or it lives on the other side."));
      replace(timeline);
      more.hidden = true;
      return;
    }
    const finished = FINISHED.has(status.runtimeStatus);
    replace(header,
      h("h2", { id: "detail-h", tabindex: -1, "data-key": "detail-h" }, status.name, " ", statusBadge(status.runtimeStatus)),
      h("p", { class: "mono instance-id" }, h("span", { class: "visually-hidden" }, "Instance ID: "), status.instanceId));
    replace(widget, renderWidget(status, { approve: () => void approve() }));
    replace(facts, h("dl", {},
      h("dt", {}, "Created"), h("dd", {}, h("time", { datetime: status.createdTime }, shortTime(status.createdTime))),
      h("dt", {}, "Last updated"), h("dd", {}, h("time", { datetime: status.lastUpdatedTime }, shortTime(status.lastUpdatedTime))),
      h("dt", {}, "Input"), h("dd", {}, h("pre", { class: "json", "data-field": "input" }, json(status.input))),
      h("dt", {}, "Output"), h("dd", {}, h("pre", { class: "json", "data-field": "output" }, json(status.output))),
      h("dt", {}, "Custom status"), h("dd", {}, h("pre", { class: "json", "data-field": "customStatus" }, json(status.customStatus))),
      status.failureDetails ? [h("dt", {}, "Failure"), h("dd", {}, failure(status.failureDetails))] : null));
    const rendered = renderTimeline(status.historyEvents, { finished, now: Date.now(), showAll });
    replace(timeline, rendered.element);
    moreText.textContent = `Showing the latest ${rendered.total - rendered.hidden} of ${rendered.total} rows.`;
    moreButton.textContent = `Show all ${rendered.total}`;
    more.hidden = rendered.hidden === 0;
    if (!eventName.value && status.name.toLowerCase() === "humaninteraction") eventName.value = "Approval";
    if (focusKey) container.querySelector<HTMLElement>(`[data-key="${focusKey}"]`)?.focus();
  }

  return {
    show(b, id) {
      const changed = b !== backend || id !== instanceId;
      backend = b;
      instanceId = id;
      if (!changed) return;
      showAll = false;
      shown = "";
      more.hidden = true;
      request++;
      if (!id) {
        replace(container, empty);
        return;
      }
      replace(container, body);
      replace(header, h("h2", { id: "detail-h", tabindex: -1, "data-key": "detail-h" }, "Loading…"), h("p", { class: "mono" }, id));
      replace(widget);
      replace(facts);
      replace(timeline);
      void load();
    },
    async refresh() {
      if (instanceId) await load();
    },
  };
}

/** What failed, in one line, with the stack (and inner failures) folded away. */
function failure(details: FailureDetails): HTMLElement {
  return h("div", { class: "failure" },
    h("p", {}, h("strong", {}, details.ErrorType), `: ${details.ErrorMessage}`),
    details.StackTrace || details.InnerFailure ? h("details", {}, h("summary", {}, "Details"), h("pre", { class: "json" }, json(details))) : null);
}
