/**
 * @module entity-list — the entities on one side, beside the instances: name and key, the last
 * operation and its time (with the date; the header names the zone), the orchestration holding the
 * entity's lock (a link to it), the requests waiting behind the lock, and the state in the JSON
 * viewer. Filter by name (the API's filter) and key (contains); page through them. Live: it loads
 * again whenever the side reports a change (the tab) or polls (the edge), only while it is shown.
 */
import type { Backend, EntityInfo } from "./backend.ts";
import { describeError } from "./backend.ts";
import { h, markCurrent, placeRows, replace } from "./dom.ts";
import { displayName, ENTITY_LIMIT, entityLabel, entityView, SAMPLE_ENTITIES } from "./entity-model.ts";
import { jsonText, renderJson } from "./json-view.ts";
import type { Notices } from "./notices.ts";
import { coalesce } from "./throttle.ts";
import { dateTime, zoneName } from "./time-format.ts";

export interface EntityList {
  setBackend(backend: Backend): void;
  /** The open entity (`@name@key`), highlighted in the table. */
  setSelected(instanceId: string | null): void;
  /** Whether the view is on screen: it only asks the backend while it is. */
  setActive(active: boolean): void;
  /** The entity names the side registers, suggested in the name filter. */
  setEntityNames(names: readonly string[]): void;
  refresh(): Promise<void>;
}

export interface EntityListOptions {
  onOpenEntity(instanceId: string): void;
  onOpenInstance(instanceId: string): void;
  notices: Notices;
}

export function createEntityList(container: HTMLElement, options: EntityListOptions): EntityList {
  let backend: Backend | null = null;
  let selected: string | null = null;
  let active = false;
  let all: EntityInfo[] = [];
  let truncated = false;
  let pageIndex = 0;
  let request = 0;
  let loaded = false;
  /** This side has no entity routes (an older Worker): not asked again until Refresh is pressed. */
  let unavailable: string | null = null;

  const names = h("datalist", { id: "ef-name-list" }, SAMPLE_ENTITIES.map((n) => h("option", { value: n })));
  const name = h("input", { id: "ef-name", name: "entityName", type: "search", autocomplete: "off", spellcheck: "false", list: "ef-name-list", placeholder: "e.g. Counter", "aria-describedby": "ef-name-hint" });
  const key = h("input", { id: "ef-key", name: "entityKey", type: "search", autocomplete: "off", spellcheck: "false", placeholder: "e.g. alice" });
  const size = h("select", { id: "ef-size", name: "size" }, ...[5, 10, 25, 100].map((n) => h("option", { value: n, selected: n === 10 }, String(n))));
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter entities" },
    field("Entity name", name, h("span", { id: "ef-name-hint", class: "visually-hidden" }, "The whole name, any case")), names, field("Key contains", key), field("Page size", size));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    reload();
  });
  let typing: ReturnType<typeof setTimeout> | undefined;
  name.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(reload, 300);
  });
  key.addEventListener("input", () => {
    pageIndex = 0;
    render();
  });
  size.addEventListener("change", () => {
    pageIndex = 0;
    render();
  });

  const body = h("tbody");
  const caption = h("caption", { class: "visually-hidden" }, "Entities, by name and key");
  const table = h("table", { class: "entities", role: "table" },
    caption,
    h("thead", {}, h("tr", { role: "row" },
      h("th", { scope: "col", role: "columnheader" }, "Entity"),
      h("th", { scope: "col", role: "columnheader" }, `Last operation (${zoneName()})`),
      h("th", { scope: "col", role: "columnheader" }, "Locked by"),
      h("th", { scope: "col", role: "columnheader", class: "num" }, "Backlog"),
      h("th", { scope: "col", role: "columnheader", class: "col-state" }, "State"))),
    body);
  const summary = h("p", { class: "entity-page-info", "aria-live": "polite" });
  const prev = h("button", { type: "button", onclick: () => go(pageIndex - 1) }, "← Previous page");
  const next = h("button", { type: "button", onclick: () => go(pageIndex + 1) }, "Next page →");
  const refresh = h("button", { type: "button", class: "secondary", onclick: () => {
    unavailable = null;
    void load(true);
  } }, "Refresh");
  const narrow = typeof matchMedia === "function" && matchMedia("(max-width: 520px)").matches;
  const filters = h("details", { class: "entity-filter-box", open: !narrow }, h("summary", {}, "Filters"), form);
  replace(container, filters, h("div", { class: "table-wrap" }, table), h("div", { class: "pager" }, prev, summary, next, refresh));

  function field(label: string, input: HTMLElement, extra?: HTMLElement): HTMLElement {
    return h("div", { class: "field" }, h("label", { for: input.id }, label), input, extra ?? null);
  }

  function reload(): void {
    pageIndex = 0;
    void load(true);
  }

  function go(index: number): void {
    pageIndex = Math.max(0, index);
    render();
  }

  /** Fetches every matching entity (up to ENTITY_LIMIT); a refresh asked for meanwhile runs once after it. */
  async function load(byPerson = false): Promise<void> {
    if (!active || (unavailable && !byPerson)) return;
    return fetchEvery(byPerson);
  }
  const fetchEvery = coalesce(fetchAll);

  async function fetchAll(byPerson: boolean): Promise<void> {
    const b = backend;
    if (!b) return;
    const mine = ++request;
    const wanted = name.value.trim();
    try {
      const rows: EntityInfo[] = [];
      let token: string | null = null;
      do {
        const page = await b.listEntities({ name: wanted, pageSize: Math.min(1000, ENTITY_LIMIT) }, token);
        if (mine !== request || b !== backend) return;
        rows.push(...page.entities);
        token = page.continuationToken;
      } while (token && rows.length < ENTITY_LIMIT);
      truncated = token !== null;
      all = rows.slice(0, ENTITY_LIMIT);
      loaded = true;
      unavailable = null;
      render();
    } catch (error) {
      if (mine !== request) return;
      const { code, message } = describeError(error);
      if (code === "NoEntityRoutes") {
        unavailable = message;
        all = [];
        loaded = true;
        render();
      }
      options.notices.error("Could not list entities", error, { background: !byPerson });
    }
  }

  /** Rows are kept per entity and updated in place (a live update never swaps a button under a click, nor refolds the state). */
  const rowEls = new Map<string, { tr: HTMLTableRowElement; op: HTMLElement; lock: HTMLElement; backlog: HTMLElement; state: HTMLElement; stateText: string; lockedBy: string | null | undefined }>();
  const emptyRow = h("tr", { role: "row" }, h("td", { colspan: 5, class: "empty", role: "cell" }));

  function rowFor(e: EntityInfo): HTMLTableRowElement {
    let el = rowEls.get(e.instanceId);
    if (!el) {
      const label = entityLabel(e.name, e.key);
      const op = h("td", { role: "cell", "data-label": "Last operation" });
      const lock = h("td", { role: "cell", "data-label": "Locked by" });
      const backlog = h("td", { role: "cell", class: "num", "data-label": "Backlog" });
      const state = h("td", { role: "cell", class: "col-state", "data-label": "State" });
      const tr = h("tr", { role: "row", "data-entity": e.instanceId },
        h("td", { role: "cell", class: "col-entity" },
          h("button", { type: "button", class: "link", "aria-label": `Open the entity ${label}`, onclick: () => options.onOpenEntity(e.instanceId) },
            h("span", { class: "entity-name" }, displayName(e.name)), " ", h("span", { class: "entity-key mono" }, e.key === "" ? "(empty key)" : e.key))),
        op, lock, backlog, state);
      el = { tr, op, lock, backlog, state, stateText: "", lockedBy: undefined };
      rowEls.set(e.instanceId, el);
    }
    const opText = e.lastOperation ?? "";
    if (el.op.dataset.text !== `${opText}|${e.lastOperationTime}`) {
      el.op.dataset.text = `${opText}|${e.lastOperationTime}`;
      replace(el.op, e.lastOperation ? h("span", { class: "mono" }, e.lastOperation) : h("span", { class: "muted" }, "none yet"),
        e.lastOperationTime ? [h("br"), h("time", { datetime: e.lastOperationTime }, dateTime(e.lastOperationTime))] : null);
    }
    if (el.lockedBy !== e.lockedBy) {
      el.lockedBy = e.lockedBy;
      const holder = e.lockedBy;
      replace(el.lock, holder
        ? h("button", { type: "button", class: "link mono holder-link", title: holder, "aria-label": `Open the orchestration ${holder}, which holds the lock`, onclick: () => options.onOpenInstance(holder) }, holder)
        : h("span", { class: "muted" }, "—", h("span", { class: "visually-hidden" }, "not locked")));
    }
    el.backlog.textContent = String(e.backlog);
    const text = e.exists ? jsonText(e.state) : "";
    if (el.stateText !== text || el.state.childElementCount === 0) {
      el.stateText = text;
      replace(el.state, e.exists ? renderJson(e.state, { label: `the state of ${entityLabel(e.name, e.key)}`, field: "entity-state" }) : h("span", { class: "muted" }, "no state"));
    }
    markCurrent(el.tr, e.instanceId === selected);
    return el.tr;
  }

  function render(): void {
    const v = entityView(all, { keyFilter: key.value, pageSize: Number(size.value), pageIndex });
    pageIndex = v.pageIndex;
    const wanted = v.rows.map(rowFor);
    const keep = new Set(v.rows.map((r) => r.instanceId));
    placeRows(body, emptyRow, rowEls, keep, wanted, () => {
      const filtered = name.value.trim() !== "" || key.value.trim() !== "";
      return unavailable
        ? unavailable
        : !loaded
          ? "Loading the entities…"
          : filtered
            ? "No entities match these filters."
            : "No entities yet. Signal a Counter or fund an Account above: an entity exists once it is sent an operation.";
    });
    const noun = v.total === 1 ? "entity" : "entities";
    summary.textContent = `Page ${v.pageIndex + 1} of ${v.pageCount} · ${v.rows.length} shown of ${truncated ? `the first ${v.total}` : v.total} ${noun}`;
    summary.title = truncated ? `The list holds the first ${ENTITY_LIMIT} entities; filter by name to see others.` : "";
    prev.disabled = v.pageIndex === 0;
    next.disabled = v.pageIndex >= v.pageCount - 1;
  }

  return {
    setEntityNames(list) {
      replace(names, list.map((n) => h("option", { value: n })));
    },
    setBackend(b) {
      if (b === backend) return;
      backend = b;
      all = [];
      loaded = false;
      unavailable = null;
      request++;
      pageIndex = 0;
      render();
      void load();
    },
    setSelected(id) {
      selected = id;
      render();
    },
    setActive(on) {
      const was = active;
      active = on;
      if (on && !was) void load();
    },
    refresh: () => load(),
  };
}
