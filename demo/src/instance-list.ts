/**
 * @module instance-list — the list of instances on one side: filter by status, name, id prefix and
 * created time; sort by any column (newest first by default); page with first / previous / next /
 * last and a total; select instances to terminate or purge together (after a confirmation).
 * What it fetches and how it sorts and pages: `list-model.ts`.
 */
import { whyNot } from "./action-rules.ts";
import type { Backend, InstanceFilter, OrchestrationStatus, RuntimeStatus } from "./backend.ts";
import { confirmAction } from "./confirm-dialog.ts";
import { h, markCurrent, placeRows, replace } from "./dom.ts";
import { DEFAULT_SORT, durationMs, LIST_LIMIT, listView, nextSort, type Sort, type SortKey } from "./list-model.ts";
import type { Notices } from "./notices.ts";
import { statusBadge } from "./status-badge.ts";
import { coalesce } from "./throttle.ts";
import { dateTime, zoneName } from "./time-format.ts";
import { formatDuration } from "./timeline.ts";

const STATUS_CHOICES: { label: string; value: RuntimeStatus[] }[] = [
  { label: "Any status", value: [] },
  { label: "Not finished", value: ["Pending", "Running", "Suspended", "ContinuedAsNew"] },
  { label: "Finished", value: ["Completed", "Failed", "Terminated"] },
  ...(["Pending", "Running", "Suspended", "Completed", "Failed", "Terminated", "ContinuedAsNew"] as const).map((s) => ({ label: s, value: [s] })),
];

export interface InstanceList {
  setBackend(backend: Backend): void;
  setSelected(instanceId: string | null): void;
  refresh(): Promise<void>;
}

export function createInstanceList(container: HTMLElement, options: { onOpen(instanceId: string): void; notices: Notices }): InstanceList {
  let backend: Backend | null = null;
  let selected: string | null = null;
  let pageIndex = 0;
  let sort: Sort = DEFAULT_SORT;
  let all: OrchestrationStatus[] = [];
  let truncated = false;
  /** The ID filter asks for entities (`@…`): they have a view of their own, not this list. */
  let entityPrefix = false;
  let request = 0;
  /** The order instances were first seen in (ties within a second of creation go by it: see list-model). */
  const seen = new Map<string, number>();
  const seq = (s: OrchestrationStatus) => seen.get(s.instanceId) ?? 0;
  /** Instances ticked for a bulk action. */
  const picked = new Set<string>();

  const status = h("select", { id: "f-status", name: "status" }, ...STATUS_CHOICES.map((c, i) => h("option", { value: i }, c.label)));
  const names = h("datalist", { id: "f-name-list" });
  const name = h("input", { id: "f-name", name: "name", type: "search", autocomplete: "off", spellcheck: "false", list: "f-name-list", placeholder: "e.g. FanOut" });
  const prefix = h("input", { id: "f-prefix", name: "prefix", type: "search", autocomplete: "off", spellcheck: "false", placeholder: "e.g. 3f2a" });
  const from = h("input", { id: "f-from", name: "from", type: "datetime-local", step: 1 });
  const to = h("input", { id: "f-to", name: "to", type: "datetime-local", step: 1 });
  const size = h("select", { id: "f-size", name: "size" }, ...[5, 10, 25, 100].map((n) => h("option", { value: n, selected: n === 10 }, String(n))));
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter instances" },
    field("Status", status), field("Name contains", name), names, field("ID starts with", prefix), field("Created from", from), field("Created to", to), field("Per page", size));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    reload();
  });
  // The name filter and page size apply to what was fetched; the others ask the API again.
  form.addEventListener("change", (e) => (e.target === name || e.target === size ? repage() : reload()));
  let typing: ReturnType<typeof setTimeout> | undefined;
  prefix.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(reload, 300);
  });
  name.addEventListener("input", () => repage());

  const zone = zoneName();
  const sortButtons = new Map<SortKey, { th: HTMLTableCellElement; button: HTMLButtonElement }>();
  const sortable = (key: SortKey, label: string, cls?: string) => {
    const button = h("button", { type: "button", class: "sort", onclick: () => {
      sort = nextSort(sort, key);
      pageIndex = 0;
      render();
    } }, label);
    const th = h("th", { scope: "col", ...(cls ? { class: cls } : {}) }, button);
    sortButtons.set(key, { th, button });
    return th;
  };
  const pickAll = h("input", { type: "checkbox", id: "pick-all", "aria-label": "Select every instance on this page", onchange: () => {
    for (const r of view().rows) {
      if (pickAll.checked) picked.add(r.instanceId);
      else picked.delete(r.instanceId);
    }
    render();
  } });
  const body = h("tbody");
  const caption = h("caption", { class: "visually-hidden" });
  const table = h("table", { class: "instances" },
    caption,
    h("thead", {}, h("tr", {},
      h("th", { scope: "col", class: "col-pick" }, pickAll),
      sortable("name", "Orchestration"),
      sortable("status", "Status"),
      sortable("created", `Created (${zone})`),
      sortable("updated", "Last updated", "col-updated"),
      sortable("duration", "Duration"),
      h("th", { scope: "col", class: "col-id" }, "Instance ID"))),
    body);
  const summary = h("p", { class: "page-info", "aria-live": "polite" });
  const first = h("button", { type: "button", class: "secondary", onclick: () => go(0) }, "« First");
  const prev = h("button", { type: "button", onclick: () => go(pageIndex - 1) }, "← Previous page");
  const next = h("button", { type: "button", onclick: () => go(pageIndex + 1) }, "Next page →");
  const last = h("button", { type: "button", class: "secondary", onclick: () => go(Number.MAX_SAFE_INTEGER) }, "Last »");
  const refresh = h("button", { type: "button", class: "secondary", onclick: () => void load() }, "Refresh");
  const pickedText = h("span", { class: "bulk-count" });
  const bulkTerminate = h("button", { type: "button", class: "secondary", onclick: () => void bulk("Terminate") }, "Terminate selected");
  const bulkPurge = h("button", { type: "button", class: "secondary", onclick: () => void bulk("Purge") }, "Purge selected");
  const bulkClear = h("button", { type: "button", class: "secondary", onclick: () => {
    picked.clear();
    render();
  } }, "Clear selection");
  const bulkBar = h("div", { class: "bulk", role: "group", "aria-label": "Selected instances", hidden: true }, pickedText, bulkTerminate, bulkPurge, bulkClear);
  const filterLabel = h("span", {}, "Filters");
  // Open on wide screens; folded on a phone, where the list matters more than the filters.
  const narrow = typeof matchMedia === "function" && matchMedia("(max-width: 520px)").matches;
  const filters = h("details", { class: "filter-box", open: !narrow }, h("summary", {}, filterLabel), form);
  replace(container, filters, bulkBar, h("div", { class: "table-wrap" }, table), h("div", { class: "pager" }, first, prev, summary, next, last, refresh));

  function field(label: string, input: HTMLElement): HTMLElement {
    return h("div", { class: "field" }, h("label", { for: input.id }, label), input);
  }

  function filter(): InstanceFilter {
    const choice = STATUS_CHOICES[Number(status.value)] ?? STATUS_CHOICES[0]!;
    const time = (input: HTMLInputElement) => (input.value ? new Date(input.value).getTime() : null);
    return { runtimeStatus: [...choice.value], instanceIdPrefix: prefix.value.trim(), createdFrom: time(from), createdTo: time(to), pageSize: Math.min(1000, LIST_LIMIT) };
  }

  function activeFilters(): number {
    const f = filter();
    return [f.runtimeStatus.length > 0, name.value.trim() !== "", f.instanceIdPrefix !== "", f.createdFrom !== null, f.createdTo !== null].filter(Boolean).length;
  }

  function describeFilters(): void {
    const active = activeFilters();
    filterLabel.textContent = active ? `Filters (${active} active)` : "Filters";
  }

  function view() {
    return listView(all, { nameFilter: name.value, sort, pageSize: Number(size.value), pageIndex, now: Date.now(), seq });
  }

  function reload(): void {
    describeFilters();
    pageIndex = 0;
    void load();
  }

  function repage(): void {
    describeFilters();
    pageIndex = 0;
    render();
  }

  function go(index: number): void {
    pageIndex = Math.max(0, index);
    render();
  }

  /** Fetches every matching instance (up to LIST_LIMIT). A refresh asked for while one runs runs once after it. */
  const load = coalesce(fetchAll);

  async function fetchAll(): Promise<void> {
    if (!backend) return;
    const mine = ++request;
    const side = backend;
    const f = filter();
    entityPrefix = f.instanceIdPrefix.startsWith("@");
    if (entityPrefix) {
      all = [];
      truncated = false;
      render();
      return;
    }
    try {
      const rows: OrchestrationStatus[] = [];
      let token: string | null = null;
      do {
        const page = await side.list(f, token);
        if (mine !== request || side !== backend) return;
        rows.push(...page.instances);
        token = page.continuationToken;
      } while (token && rows.length < LIST_LIMIT);
      truncated = token !== null;
      for (const r of rows) if (!seen.has(r.instanceId)) seen.set(r.instanceId, seen.size + 1);
      all = rows.slice(0, LIST_LIMIT);
      render();
    } catch (error) {
      if (mine !== request) return;
      options.notices.error("Could not list instances", error, { background: true });
    }
  }

  /**
   * Rows are kept per instance and updated in place, never rebuilt: a live update in the middle of
   * a click (mouse down on one button, up on its replacement) would otherwise lose the click.
   */
  const rowEls = new Map<string, { tr: HTMLTableRowElement; status: HTMLElement; updated: HTMLTimeElement; duration: HTMLElement; pick: HTMLInputElement }>();
  const emptyRow = h("tr", {}, h("td", { colspan: 7, class: "empty" }));

  function rowFor(r: OrchestrationStatus, now: number): HTMLTableRowElement {
    let el = rowEls.get(r.instanceId);
    if (!el) {
      const status = h("td", {});
      const updated = h("time", {});
      const duration = h("td", { class: "num" });
      const pick = h("input", { type: "checkbox", "aria-label": `Select ${r.name} ${r.instanceId}`, onchange: () => {
        if (pick.checked) picked.add(r.instanceId);
        else picked.delete(r.instanceId);
        render();
      } });
      const tr = h("tr", { "data-id": r.instanceId },
        h("td", { class: "col-pick" }, pick),
        h("td", { class: "col-name" },
          h("button", { type: "button", class: "link", onclick: () => options.onOpen(r.instanceId), "aria-label": `Open ${r.name} ${r.instanceId}` }, breakable(r.name)),
          h("span", { class: "sub-id mono", "aria-hidden": "true" }, r.instanceId)),
        status,
        h("td", {}, h("time", { datetime: r.createdTime }, dateTime(r.createdTime))),
        h("td", { class: "col-updated" }, updated),
        duration,
        h("td", { class: "col-id mono" }, r.instanceId));
      el = { tr, status, updated, duration, pick };
      rowEls.set(r.instanceId, el);
    }
    if (el.status.textContent !== r.runtimeStatus) replace(el.status, statusBadge(r.runtimeStatus));
    if (el.updated.dateTime !== r.lastUpdatedTime) {
      el.updated.dateTime = r.lastUpdatedTime;
      el.updated.textContent = dateTime(r.lastUpdatedTime);
    }
    el.duration.textContent = formatDuration(durationMs(r, now));
    el.pick.checked = picked.has(r.instanceId);
    markCurrent(el.tr, r.instanceId === selected);
    return el.tr;
  }

  function render(): void {
    const now = Date.now();
    const v = view();
    pageIndex = v.pageIndex;
    const wanted = v.rows.map((r) => rowFor(r, now));
    const keep = new Set(v.rows.map((r) => r.instanceId));
    placeRows(body, emptyRow, rowEls, keep, wanted, () =>
      entityPrefix
        ? "IDs starting with @ are entities' (@name@key): they are listed in the Entities view."
        : activeFilters() > 0
          ? "No instances match these filters."
          : "No instances yet. Start a sample above.",
    );
    for (const [key, { th, button }] of sortButtons) {
      const on = sort.key === key;
      th.setAttribute("aria-sort", on ? (sort.direction === "asc" ? "ascending" : "descending") : "none");
      button.dataset.dir = on ? sort.direction : "";
    }
    caption.textContent = `Orchestration instances, sorted by ${sort.key} (${sort.direction === "asc" ? "ascending" : "descending"})`;
    const noun = v.total === 1 ? "instance" : "instances";
    summary.textContent = `Page ${v.pageIndex + 1} of ${v.pageCount} · ${v.rows.length} shown of ${truncated ? `the first ${v.total}` : v.total} ${noun}`;
    summary.title = truncated ? `The list holds the first ${LIST_LIMIT} instances the filters match; narrow them to see others.` : "";
    first.disabled = prev.disabled = v.pageIndex === 0;
    next.disabled = last.disabled = v.pageIndex >= v.pageCount - 1;
    pickAll.checked = v.rows.length > 0 && v.rows.every((r) => picked.has(r.instanceId));
    // Forget picks that are no longer listed (purged, filtered out).
    const listed = new Set(all.map((r) => r.instanceId));
    for (const id of picked) if (!listed.has(id)) picked.delete(id);
    bulkBar.hidden = picked.size === 0;
    pickedText.textContent = `${picked.size} selected`;
    const known = [...new Set(all.map((r) => r.name))].sort();
    if (names.children.length !== known.length) replace(names, known.map((n) => h("option", { value: n })));
  }

  async function bulk(action: "Terminate" | "Purge"): Promise<void> {
    const b = backend;
    if (!b) return;
    const chosen = all.filter((r) => picked.has(r.instanceId));
    const eligible = chosen.filter((r) => whyNot(action, r.runtimeStatus) === null);
    const skipped = chosen.length - eligible.length;
    const why = action === "Terminate" ? "already finished" : "not finished yet";
    if (eligible.length === 0) {
      options.notices.info(`Nothing to ${action.toLowerCase()}: the ${chosen.length} selected ${chosen.length === 1 ? "is" : "are"} ${why}.`);
      return;
    }
    const ok = await confirmAction({
      title: `${action} ${eligible.length} ${eligible.length === 1 ? "instance" : "instances"}?`,
      message: `${action === "Terminate" ? "They stop for good." : "They and their histories are deleted; this cannot be undone."}${skipped ? ` ${skipped} selected ${skipped === 1 ? "is" : "are"} ${why} and left alone.` : ""}`,
      confirmLabel: `${action} ${eligible.length}`,
    });
    if (!ok || b !== backend) return;
    let done = 0;
    const failed: string[] = [];
    for (const r of eligible) {
      try {
        if (action === "Terminate") await b.terminate(r.instanceId, "bulk terminate from the dashboard");
        else await b.purge(r.instanceId);
        done++;
        picked.delete(r.instanceId);
      } catch {
        failed.push(r.instanceId);
      }
    }
    const verb = action === "Terminate" ? "Terminate requested for" : "Purged";
    if (failed.length) options.notices.error(`${verb} ${done} of ${eligible.length}`, { code: "PartialFailure", message: `${failed.length} could not be: ${failed.slice(0, 3).join(", ")}${failed.length > 3 ? "…" : ""}` });
    else options.notices.info(`${verb} ${done} ${done === 1 ? "instance" : "instances"}${skipped ? `; ${skipped} skipped (${why})` : ""}.`);
    await load();
  }

  return {
    setBackend(b) {
      backend = b;
      all = [];
      picked.clear();
      seen.clear();
      reload();
    },
    setSelected(id) {
      selected = id;
      render();
    },
    refresh: load,
  };
}

/** The name with break opportunities after "_" and "." and before inner capitals, so it wraps between words, not mid-word. */
function breakable(name: string): (string | HTMLElement)[] {
  const parts = name.split(/(?<=[_.])|(?<=[a-z])(?=[A-Z])/);
  return parts.flatMap((p, i) => (i === 0 ? [p] : [h("wbr"), p]));
}
