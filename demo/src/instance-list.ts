/**
 * @module instance-list — the list of instances on one side: filter by status, id prefix and
 * created time, page through with the continuation token, open one.
 */
import type { Backend, InstanceFilter, OrchestrationStatus, RuntimeStatus } from "./backend.ts";
import { h, replace } from "./dom.ts";
import type { Notices } from "./notices.ts";
import { shortTime, statusBadge } from "./status-badge.ts";

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
  let tokens: (string | null)[] = [null];
  let pageIndex = 0;
  let nextToken: string | null = null;
  let request = 0;
  let rows: OrchestrationStatus[] = [];

  const status = h("select", { id: "f-status", name: "status" }, ...STATUS_CHOICES.map((c, i) => h("option", { value: i }, c.label)));
  const prefix = h("input", { id: "f-prefix", name: "prefix", type: "search", autocomplete: "off", spellcheck: "false", placeholder: "e.g. 3f2a" });
  const from = h("input", { id: "f-from", name: "from", type: "datetime-local", step: 1 });
  const to = h("input", { id: "f-to", name: "to", type: "datetime-local", step: 1 });
  const size = h("select", { id: "f-size", name: "size" }, ...[5, 10, 25, 100].map((n) => h("option", { value: n, selected: n === 10 }, String(n))));
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter instances" },
    field("Status", status), field("ID starts with", prefix), field("Created from", from), field("Created to", to), field("Per page", size));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    resetPaging();
  });
  form.addEventListener("change", () => resetPaging());
  let typing: ReturnType<typeof setTimeout> | undefined;
  prefix.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(resetPaging, 300);
  });

  const body = h("tbody");
  const table = h("table", { class: "instances" },
    h("caption", { class: "visually-hidden" }, "Orchestration instances, in the order the API pages them"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Orchestration"), h("th", { scope: "col" }, "Status"), h("th", { scope: "col" }, "Created"), h("th", { scope: "col", class: "col-id" }, "Instance ID"))),
    body);
  const summary = h("p", { class: "page-info", "aria-live": "polite" });
  const prev = h("button", { type: "button", onclick: () => go(-1) }, "← Previous page");
  const next = h("button", { type: "button", onclick: () => go(1) }, "Next page →");
  const refresh = h("button", { type: "button", class: "secondary", onclick: () => void load() }, "Refresh");
  const filterLabel = h("span", {}, "Filters");
  // Open on wide screens; folded on a phone, where the list matters more than the filters.
  const narrow = typeof matchMedia === "function" && matchMedia("(max-width: 520px)").matches;
  const filters = h("details", { class: "filter-box", open: !narrow }, h("summary", {}, filterLabel), form);
  replace(container, filters, h("div", { class: "table-wrap" }, table), h("div", { class: "pager" }, prev, summary, next, refresh));

  function field(label: string, input: HTMLElement): HTMLElement {
    return h("div", { class: "field" }, h("label", { for: input.id }, label), input);
  }

  function filter(): InstanceFilter {
    const choice = STATUS_CHOICES[Number(status.value)] ?? STATUS_CHOICES[0]!;
    const time = (input: HTMLInputElement) => (input.value ? new Date(input.value).getTime() : null);
    return { runtimeStatus: [...choice.value], instanceIdPrefix: prefix.value.trim(), createdFrom: time(from), createdTo: time(to), pageSize: Number(size.value) };
  }

  function activeFilters(): number {
    const f = filter();
    return [f.runtimeStatus.length > 0, f.instanceIdPrefix !== "", f.createdFrom !== null, f.createdTo !== null].filter(Boolean).length;
  }

  function describeFilters(): void {
    const active = activeFilters();
    filterLabel.textContent = active ? `Filters (${active} active)` : "Filters";
  }

  function resetPaging(): void {
    describeFilters();
    tokens = [null];
    pageIndex = 0;
    void load();
  }

  function go(delta: number): void {
    if (delta > 0 && nextToken) {
      tokens = tokens.slice(0, pageIndex + 1);
      tokens.push(nextToken);
      pageIndex++;
    } else if (delta < 0 && pageIndex > 0) {
      pageIndex--;
    } else return;
    void load();
  }

  async function load(): Promise<void> {
    if (!backend) return;
    const mine = ++request;
    const side = backend;
    try {
      const page = await side.list(filter(), tokens[pageIndex] ?? null);
      if (mine !== request || side !== backend) return;
      rows = page.instances;
      nextToken = page.continuationToken;
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
  const rowEls = new Map<string, { tr: HTMLTableRowElement; status: HTMLElement }>();
  const emptyRow = h("tr", {}, h("td", { colspan: 4, class: "empty" }));

  function rowFor(r: OrchestrationStatus): HTMLTableRowElement {
    let el = rowEls.get(r.instanceId);
    if (!el) {
      const status = h("td", {});
      const tr = h("tr", { "data-id": r.instanceId },
        h("td", {}, h("button", { type: "button", class: "link", onclick: () => options.onOpen(r.instanceId), "aria-label": `Open ${r.name} ${r.instanceId}` }, r.name)),
        status,
        h("td", {}, h("time", { datetime: r.createdTime }, shortTime(r.createdTime))),
        h("td", { class: "col-id mono" }, r.instanceId));
      el = { tr, status };
      rowEls.set(r.instanceId, el);
    }
    if (el.status.textContent !== r.runtimeStatus) replace(el.status, statusBadge(r.runtimeStatus));
    el.tr.classList.toggle("selected", r.instanceId === selected);
    if (r.instanceId === selected) el.tr.setAttribute("aria-current", "true");
    else el.tr.removeAttribute("aria-current");
    return el.tr;
  }

  function render(): void {
    const wanted = rows.map(rowFor);
    const keep = new Set(rows.map((r) => r.instanceId));
    for (const [id, el] of rowEls) {
      if (!keep.has(id)) {
        el.tr.remove();
        rowEls.delete(id);
      }
    }
    if (wanted.length === 0) {
      emptyRow.firstElementChild!.textContent =
        pageIndex > 0 ? "No more instances." : activeFilters() > 0 ? "No instances match these filters." : "No instances yet. Start a sample above.";
      if (body.firstChild !== emptyRow || body.children.length !== 1) replace(body, emptyRow);
    } else {
      emptyRow.remove();
      // Move only what is out of place, so rows (and a focused button) stay put.
      wanted.forEach((tr, i) => {
        if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] ?? null);
      });
    }
    summary.textContent = `Page ${pageIndex + 1} · ${rows.length} shown${nextToken ? " · more on the next page" : ""}`;
    prev.disabled = pageIndex === 0;
    next.disabled = !nextToken;
  }

  return {
    setBackend(b) {
      backend = b;
      rows = [];
      resetPaging();
    },
    setSelected(id) {
      selected = id;
      render();
    },
    refresh: load,
  };
}
