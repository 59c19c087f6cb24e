/**
 * @module instance-detail — one instance: status, input, output, custom status, the sample's own
 * widget, where it came from or went (`origin.ts`), the earlier runs of one that continued as new
 * (`runs-view.ts`), its history timeline, time travel through it
 * (`time-travel-view.ts`), and the management actions (raise an event, terminate, suspend,
 * resume, rewind, restart, purge).
 */
import { ACTIONS, isFinished, whyNot, type ActionName } from "./action-rules.ts";
import type { Backend, EntityInfo, OrchestrationStatus, RuntimeStatus } from "./backend.ts";
import { confirmAction } from "./confirm-dialog.ts";
import { h, replace } from "./dom.ts";
import { renderCriticalSection } from "./critical-section-view.ts";
import { openCriticalSection, type CriticalSection } from "./entity-history.ts";
import { displayName, splitEntityInstanceId } from "./entity-model.ts";
import { renderFailure } from "./failure-view.ts";
import { renderGantt } from "./gantt-view.ts";
import { renderRelations } from "./relations-view.ts";
import { renderRuns } from "./runs-view.ts";
import { toTimeline } from "./timeline.ts";
import { jsonText, renderJson } from "./json-view.ts";
import type { Notices } from "./notices.ts";
import { originLine } from "./origin.ts";
import { countdownText, renderWidget } from "./sample-widgets.ts";
import { statusBadge } from "./status-badge.ts";
import { dateTimeWithZone } from "./time-format.ts";
import { createTimeTravelPanel } from "./time-travel-view.ts";
import { renderTimeline } from "./timeline-view.ts";

export interface InstanceDetail {
  show(backend: Backend, instanceId: string | null): void;
  refresh(): Promise<void>;
}

export interface DetailOptions {
  notices: Notices;
  /** Opens another instance (after a restart). */
  onOpen(instanceId: string): void;
  /** Opens an entity (`@name@key`) in the entities view: one its critical section locks, one it called. */
  onOpenEntity(entityInstanceId: string): void;
  /** Something changed through an action: the list should refresh too. */
  onChanged(): void;
}

export function createInstanceDetail(container: HTMLElement, options: DetailOptions): InstanceDetail {
  let backend: Backend | null = null;
  let instanceId: string | null = null;
  let request = 0;
  let showAll = false;

  const header = h("div", { class: "detail-header" });
  const widget = h("div", { class: "widget-slot" });
  const facts = h("div", { class: "facts" });
  const runsSlot = h("div", { class: "runs-slot" });
  const timeline = h("div", { class: "timeline-slot" });
  // Outside the re-rendered parts, so a live update never swaps the button under a click.
  const moreText = h("span", {});
  const moreButton = h("button", { type: "button", class: "secondary", onclick: () => {
    showAll = true;
    void load(true);
  } });
  const more = h("p", { class: "timeline-more", hidden: true }, moreText, moreButton);
  const liveText = h("span", { class: "live-mode", "aria-live": "polite" });

  // The history as a Gantt chart (default) or as the list of rows; the choice is remembered.
  const VIEW_KEY = "durable-edge-demo:history-view";
  let view: "gantt" | "list" = readView();
  let zoom = 1;
  const openGroups = new Set<string>();
  const viewChoice = (value: "gantt" | "list", label: string) =>
    h("label", {}, h("input", { type: "radio", name: "history-view", value, checked: view === value, onchange: () => setView(value) }), ` ${label}`);
  const zoomText = h("span", { class: "zoom-text", "aria-live": "polite" }, "Fit");
  const zoomBy = (factor: number) => {
    zoom = Math.min(64, Math.max(1, zoom * factor));
    zoomText.textContent = zoom === 1 ? "Fit" : `${zoom}×`;
    renderHistory();
  };
  const zoomTools = h("div", { class: "zoom", role: "group", "aria-label": "Zoom the chart" },
    h("button", { type: "button", class: "secondary small", "aria-label": "Zoom out", "data-key": "zoom-out", onclick: () => zoomBy(0.5) }, "−"),
    zoomText,
    h("button", { type: "button", class: "secondary small", "aria-label": "Zoom in", "data-key": "zoom-in", onclick: () => zoomBy(2) }, "+"),
    h("button", { type: "button", class: "secondary small", "data-key": "zoom-fit", onclick: () => zoomBy(0) }, "Fit"));
  const viewTools = h("div", { class: "history-tools" },
    h("fieldset", { class: "view-toggle" }, h("legend", { class: "visually-hidden" }, "Show the history as"), viewChoice("gantt", "Gantt chart"), viewChoice("list", "List")),
    zoomTools);

  function readView(): "gantt" | "list" {
    try {
      return localStorage.getItem(VIEW_KEY) === "list" ? "list" : "gantt";
    } catch {
      return "gantt";
    }
  }
  function setView(next: "gantt" | "list"): void {
    view = next;
    try {
      localStorage.setItem(VIEW_KEY, next);
    } catch {
      // Storage off: the choice lasts for this page only.
    }
    renderHistory();
  }

  /** The last status shown, for the history download and the live chart. */
  let lastStatus: OrchestrationStatus | null = null;
  /** Whether the chart shows something still running (then it redraws twice a second so the bars grow). */
  let growing = false;

  /** Draws the history of the last status in the chosen view, keeping focus on the control that had it. */
  function renderHistory(): void {
    const status = lastStatus;
    zoomTools.hidden = view !== "gantt";
    if (!status) return;
    const focusKey = (document.activeElement as HTMLElement | null)?.dataset?.key;
    const finished = isFinished(status.runtimeStatus);
    if (view === "gantt") {
      const rendered = renderGantt(status.historyEvents, {
        finished,
        now: Date.now(),
        zoom,
        open: openGroups,
        onOpen: (child) => options.onOpen(child),
        onToggleGroup: (key) => {
          if (!openGroups.delete(key)) openGroups.add(key);
          renderHistory();
        },
      });
      growing = rendered.running && !finished;
      // A redraw (twice a second while it runs) keeps the chart where it was scrolled to.
      const scrolledTo = timeline.querySelector(".gantt-scroll")?.scrollLeft ?? 0;
      replace(timeline, rendered.element);
      const scroller = rendered.element.querySelector(".gantt-scroll");
      if (scroller) scroller.scrollLeft = scrolledTo;
      more.hidden = true;
    } else {
      growing = false;
      const rendered = renderTimeline(status.historyEvents, { finished, now: Date.now(), showAll, onOpen: (child) => options.onOpen(child), onOpenEntity: (id) => options.onOpenEntity(id) });
      replace(timeline, rendered.element);
      moreText.textContent = `Showing the latest ${rendered.total - rendered.hidden} of ${rendered.total} rows.`;
      moreButton.textContent = `Show all ${rendered.total}`;
      more.hidden = rendered.hidden === 0;
    }
    if (focusKey && !timeline.contains(document.activeElement)) timeline.querySelector<HTMLElement>(`[data-key="${CSS.escape(focusKey)}"]`)?.focus();
  }
  setInterval(() => {
    if (growing && document.visibilityState === "visible") renderHistory();
  }, 500);

  const reason = h("input", { id: "a-reason", type: "text", autocomplete: "off", placeholder: "optional" });
  const buttons = new Map<ActionName, HTMLButtonElement>();
  const action = (label: ActionName, run: (b: Backend, id: string) => Promise<string>, confirm?: (id: string) => { title: string; message: string }) => {
    const button = h("button", { type: "button", "data-key": `action-${label}`, onclick: () => void act(label, run, confirm) }, label);
    buttons.set(label, button);
    return button;
  };
  const actionsHint = h("p", { id: "actions-hint", class: "hint" });
  const actions = h("section", { class: "actions", "aria-labelledby": "actions-h" },
    h("h3", { id: "actions-h" }, "Manage"),
    h("div", { class: "field" }, h("label", { for: "a-reason" }, "Reason"), reason),
    h("div", { class: "row wrap" },
      action("Terminate", async (b, id) => (await b.terminate(id, reason.value), `Terminate requested for ${id}.`), (id) => ({
        title: "Terminate this instance?",
        message: `${id} stops for good: it runs nothing more and cannot be resumed (restart starts it again under a new ID).`,
      })),
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
      }, (id) => ({ title: "Purge this instance?", message: `${id} and its whole history are deleted. This cannot be undone.` }))),
    actionsHint);

  const eventName = h("input", { id: "e-name", name: "eventName", type: "text", required: true, autocomplete: "off", placeholder: "e.g. Approval" });
  const payloadError = h("p", { id: "e-payload-error", class: "field-error", "aria-live": "polite" });
  const payload = h("textarea", { id: "e-payload", name: "payload", rows: 3, spellcheck: "false", placeholder: '{"approved": true}', "aria-describedby": "e-payload-hint e-payload-error" });
  const eventForm = h("form", { class: "raise", "aria-labelledby": "raise-h" },
    h("h3", { id: "raise-h" }, "Raise an event"),
    h("div", { class: "field" }, h("label", { for: "e-name" }, "Event name"), eventName),
    h("div", { class: "field" }, h("label", { for: "e-payload" }, "Payload (JSON)"), payload,
      h("p", { id: "e-payload-hint", class: "hint" }, "Any JSON value; leave empty to send null."), payloadError),
    h("button", { type: "submit", "data-key": "action-Send event" }, "Send event"));
  buttons.set("Send event", eventForm.querySelector("button")!);
  eventForm.addEventListener("submit", (e) => {
    e.preventDefault();
    void raise();
  });
  payload.addEventListener("input", () => {
    payload.removeAttribute("aria-invalid");
    payloadError.textContent = "";
  });

  // Outside the re-rendered parts: a live update never resets the event picked.
  const travel = createTimeTravelPanel(options.notices);
  const body = h("div", { class: "detail-body" }, header, widget, facts, runsSlot,
    h("div", { class: "manage" }, actions, eventForm),
    h("section", { "aria-labelledby": "timeline-h" },
      h("div", { class: "history-head" }, h("h3", { id: "timeline-h" }, "History"), liveText,
        h("button", { type: "button", class: "secondary small", "data-key": "download", onclick: () => downloadHistory() }, "Download history (JSON)")),
      viewTools,
      more, timeline),
    travel.element);
  const empty = h("p", { class: "empty" }, "Start a sample or open an instance from the list to see its status and history here.");
  replace(container, empty);

  // The approval countdown ticks without reloading the instance.
  setInterval(() => {
    for (const el of container.querySelectorAll<HTMLElement>(".countdown[data-deadline]")) {
      el.textContent = countdownText(Number(el.dataset.deadline), Date.now());
    }
  }, 1000);

  /** The instance was not found (purged, or never here): nothing asks for it again until another is shown. */
  let gone = false;
  /** The open instance's stream (edge), while it runs: it pushes each change, so polling skips it. */
  let stopWatch: (() => void) | null = null;
  let streaming = false;
  function unwatch(): void {
    stopWatch?.();
    stopWatch = null;
    streaming = false;
    liveText.textContent = "";
  }
  /** Backends whose stream answered that there is none (no route, no key): they are polled, not asked again. */
  const noStream = new WeakSet<Backend>();
  function watch(b: Backend, id: string): void {
    if (!b.watch || stopWatch || gone || noStream.has(b)) return;
    stopWatch = b.watch(id, (e) => {
      if (b !== backend || id !== instanceId) return;
      if (e.type === "status") {
        streaming = true;
        liveText.textContent = "Live: each change is streamed as it happens.";
        request++; // a poll still in flight must not overwrite what the stream sent
        const key = JSON.stringify([id, e.status]);
        // A new status (e.g. Completed) shows in the list at once, not at its next poll.
        if (lastStatus?.runtimeStatus !== e.status.runtimeStatus) options.onChanged();
        if (key !== shown) {
          shown = key;
          render(id, e.status);
        }
        if (isFinished(e.status.runtimeStatus)) unwatch();
      } else if (e.type === "gone") {
        unwatch();
        gone = true;
        render(id, undefined);
      } else {
        noStream.add(b);
        unwatch();
      }
    });
  }

  /** Enables the actions valid for `status`; the others say why not (tooltip, and when pressed). */
  function setActions(status: RuntimeStatus | null): void {
    const unavailable: string[] = [];
    for (const name of ACTIONS) {
      const button = buttons.get(name)!;
      const why = status === null ? (gone ? "The instance no longer exists." : "Loading the instance…") : whyNot(name, status);
      if (why) {
        button.setAttribute("aria-disabled", "true");
        button.title = why;
        unavailable.push(name);
      } else {
        button.removeAttribute("aria-disabled");
        button.removeAttribute("title");
      }
    }
    actionsHint.textContent = status === null ? "" : unavailable.length ? `Not available while ${status}: ${unavailable.filter((n) => n !== "Send event").join(", ")}. Hover or press one to see why.` : "";
  }

  /** Whether `label` may run now; if not, says why (a person pressing a disabled-looking button learns the reason). */
  function allowed(label: ActionName): boolean {
    const why = buttons.get(label)?.getAttribute("aria-disabled") === "true" ? buttons.get(label)!.title : null;
    if (why) options.notices.info(`${label} is not available: ${why}`);
    return !why;
  }

  async function act(label: string, run: (b: Backend, id: string) => Promise<string>, confirm?: (id: string) => { title: string; message: string }): Promise<void> {
    if (!backend || !instanceId) return;
    if ((ACTIONS as readonly string[]).includes(label) && !allowed(label as ActionName)) return;
    const b = backend;
    const id = instanceId;
    if (confirm && !(await confirmAction({ ...confirm(id), confirmLabel: label }))) return;
    if (b !== backend || id !== instanceId) return;
    try {
      options.notices.info(await run(b, id));
    } catch (error) {
      options.notices.error(`Could not ${label.toLowerCase()} the instance`, error);
    }
    options.onChanged();
    await load();
  }

  async function raise(): Promise<void> {
    if (!backend || !instanceId || !allowed("Send event")) return;
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

  async function release(): Promise<void> {
    await act("release", async (b, id) => (await b.raiseEvent(id, "Release", { releasedBy: "the demo page" }), `Sent Release to ${id}.`));
  }

  /**
   * What each entity of a critical section it waits for says (its lock holder), read after each
   * render while it waits; the section's entry in the facts is drawn again when they arrive.
   */
  let holders = new Map<string, EntityInfo | null>();
  let holdersFor = "";
  let sectionEls: HTMLElement[] = [];
  async function loadHolders(b: Backend, id: string, section: CriticalSection): Promise<void> {
    const key = JSON.stringify([id, section.requestId]);
    if (holdersFor !== key) {
      holdersFor = key;
      holders = new Map();
    }
    const read = await Promise.all(section.lockset.map(async (e) => {
      const parts = splitEntityInstanceId(e);
      try {
        return [e, parts ? ((await b.getEntity(displayName(parts.name), parts.key)) ?? null) : null] as const;
      } catch {
        return [e, null] as const;
      }
    }));
    if (b !== backend || id !== instanceId || holdersFor !== key) return;
    const next = new Map(read);
    if (JSON.stringify([...next]) === JSON.stringify([...holders])) return;
    holders = next;
    drawSection(id, section);
  }
  /** Draws the section's dt/dd (in place of the ones shown, if any) and returns them. */
  function drawSection(id: string, section: CriticalSection | null): HTMLElement[] {
    const focusKey = (document.activeElement as HTMLElement | null)?.dataset?.key;
    const links = { onOpenEntity: (e: string) => options.onOpenEntity(e), onOpenInstance: (i: string) => options.onOpen(i) };
    const els = section ? renderCriticalSection(section, id, holders, links) : [];
    const old = sectionEls.filter((el) => el.isConnected);
    if (old.length && els.length) {
      old[0]!.replaceWith(...els);
      for (const el of old.slice(1)) el.remove();
      if (focusKey && !els.some((el) => el.contains(document.activeElement))) {
        for (const el of els) el.querySelector<HTMLElement>(`[data-key="${CSS.escape(focusKey)}"]`)?.focus();
      }
    }
    sectionEls = els;
    return els;
  }

  async function approve(): Promise<void> {
    await act("approve", async (b, id) => (await b.raiseEvent(id, "Approval", { approvedBy: "the demo page", at: new Date().toISOString() }), `Approved ${id}.`));
  }

  /** Each JSON field's viewer, kept while its value is unchanged, so what a person folded stays folded. */
  const jsonViews = new Map<string, { text: string; el: HTMLElement }>();
  function jsonField(field: string, label: string, value: unknown): HTMLElement {
    const text = jsonText(value);
    const kept = jsonViews.get(field);
    if (kept && kept.text === text) return kept.el;
    const el = renderJson(value, { label, field });
    jsonViews.set(field, { text, el });
    return el;
  }

  function downloadHistory(): void {
    const status = lastStatus;
    if (!status) return;
    const file = new Blob([JSON.stringify({ downloadedAt: new Date().toISOString(), side: backend?.side, ...status }, null, 2)], { type: "application/json" });
    const url = URL.createObjectURL(file);
    const link = h("a", { href: url, download: `${status.name}-${status.instanceId}-history.json`, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  /** The earlier runs shown, kept while they are unchanged (they change only when a run ends), so what a person unfolded stays so. */
  let runsShown: { key: string; view: ReturnType<typeof renderRuns> } | null = null;
  const runsOpen = new Set<number>();
  function runsView(status: OrchestrationStatus): ReturnType<typeof renderRuns> {
    const key = JSON.stringify(status.runs ?? null);
    if (runsShown?.key !== key) runsShown = { key, view: renderRuns(status.runs, runsOpen) };
    return runsShown.view;
  }

  /** What the view shows now; an update that changes nothing is not rendered (nothing flickers or moves). */
  let shown = "";

  async function load(force = false): Promise<void> {
    const b = backend;
    const id = instanceId;
    const mine = ++request;
    if (!b || !id || gone) return;
    try {
      const status = await b.get(id);
      if (mine !== request) return;
      if (!status) gone = true;
      else if (!isFinished(status.runtimeStatus)) watch(b, id);
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
      replace(runsSlot);
      replace(timeline);
      more.hidden = true;
      travel.element.hidden = true;
      setActions(null);
      return;
    }
    travel.element.hidden = false;
    setActions(status.runtimeStatus);
    replace(header,
      h("h2", { id: "detail-h", tabindex: -1, "data-key": "detail-h" }, status.name, " ", statusBadge(status.runtimeStatus)),
      h("p", { class: "mono instance-id" }, h("span", { class: "visually-hidden" }, "Instance ID: "), status.instanceId),
      originLine(status));
    replace(widget, renderWidget(status, { approve: () => void approve(), release: () => void release() }));
    const section = openCriticalSection(status.historyEvents ?? [], isFinished(status.runtimeStatus));
    sectionEls = [];
    const sectionFacts = drawSection(id, section);
    if (section?.state === "waiting" && backend) void loadHolders(backend, id, section);
    const runs = runsView(status);
    replace(facts, h("dl", {},
      h("dt", {}, "Created"), h("dd", {}, h("time", { datetime: status.createdTime }, dateTimeWithZone(status.createdTime))),
      h("dt", {}, "Last updated"), h("dd", {}, h("time", { datetime: status.lastUpdatedTime }, dateTimeWithZone(status.lastUpdatedTime))),
      runs.facts,
      h("dt", {}, "Input"), h("dd", {}, jsonField("input", "input", status.input)),
      h("dt", {}, "Output"), h("dd", {}, jsonField("output", "output", status.output)),
      h("dt", {}, "Custom status"), h("dd", {}, jsonField("customStatus", "custom status", status.customStatus)),
      renderRelations(toTimeline(status.historyEvents ?? [], isFinished(status.runtimeStatus)), (child) => options.onOpen(child)),
      sectionFacts,
      status.failureDetails ? [h("dt", {}, "Failure"), h("dd", {}, renderFailure(status.failureDetails))] : null));
    if (runs.section !== runsSlot.firstElementChild) replace(runsSlot, runs.section);
    lastStatus = status;
    renderHistory();
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
      unwatch();
      gone = false;
      lastStatus = null;
      holders = new Map();
      holdersFor = "";
      jsonViews.clear();
      runsShown = null;
      runsOpen.clear();
      openGroups.clear();
      growing = false;
      travel.reset(b, id);
      // Nothing typed for one instance is sent to the next (a reason, an event, its payload).
      reason.value = "";
      eventName.value = "";
      payload.value = "";
      payload.removeAttribute("aria-invalid");
      payloadError.textContent = "";
      setActions(null);
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
      replace(runsSlot);
      replace(timeline);
      void load();
    },
    async refresh() {
      if (instanceId && !gone && !streaming) await load();
    },
  };
}
