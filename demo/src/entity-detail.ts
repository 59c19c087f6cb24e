/**
 * @module entity-detail — one entity: its state (JSON viewer), last operation, the orchestration
 * holding its lock (a link) and the requests waiting behind it, kept live; a form to signal any
 * entity an operation with a JSON input (checked before anything is sent, errors on the field);
 * and Delete, after a confirmation (it signals `delete`, as Durable Functions' DELETE route does).
 */
import type { Backend, EntityInfo } from "./backend.ts";
import { confirmAction } from "./confirm-dialog.ts";
import { h, replace } from "./dom.ts";
import { EntityId } from "../../src/index.ts";
import { displayName, entityLabel, operationsOf, SAMPLE_ENTITIES, splitEntityInstanceId } from "./entity-model.ts";
import { jsonText, renderJson } from "./json-view.ts";
import type { Notices } from "./notices.ts";
import { dateTimeWithZone } from "./time-format.ts";

export interface EntityDetail {
  /**
   * Shows an entity (`@name@key`), or only the signal form (null). `signalled`: a signal was just
   * sent to it, so "not there" may only mean "not yet": it keeps asking for a while.
   */
  show(backend: Backend, instanceId: string | null, signalled?: boolean): void;
  /** The entity names the side registers, suggested in the signal form's name field. */
  setEntityNames(names: readonly string[]): void;
  refresh(): Promise<void>;
}

export interface EntityDetailOptions {
  notices: Notices;
  onOpenEntity(instanceId: string): void;
  onOpenInstance(instanceId: string): void;
  /** Something changed through the form: the list should load again. */
  onChanged(): void;
}

/** After a signal, how many refreshes may find the entity not there yet before the page stops asking. */
const AWAIT_REFRESHES = 20;

export function createEntityDetail(container: HTMLElement, options: EntityDetailOptions): EntityDetail {
  let backend: Backend | null = null;
  let instanceId: string | null = null;
  let request = 0;
  /** Not there (deleted, or never given state): not asked again until something is sent to it. */
  let gone = false;
  /** Refreshes left to wait for a signal just sent to take effect. */
  let awaiting = 0;
  let shown = "";

  const header = h("div", { class: "detail-header" });
  const facts = h("div", { class: "facts" });

  // The signal form: outside the re-rendered parts, so a live update never resets what is typed.
  const names = h("datalist", { id: "se-names" }, SAMPLE_ENTITIES.map((n) => h("option", { value: n })));
  const ops = h("datalist", { id: "se-ops" });
  const name = h("input", { id: "se-name", name: "entityName", type: "text", required: true, autocomplete: "off", spellcheck: "false", list: "se-names", placeholder: "e.g. Counter", "aria-describedby": "se-name-error" });
  const key = h("input", { id: "se-key", name: "entityKey", type: "text", required: true, autocomplete: "off", spellcheck: "false", placeholder: "e.g. c1", "aria-describedby": "se-key-error" });
  const op = h("input", { id: "se-op", name: "operation", type: "text", required: true, autocomplete: "off", spellcheck: "false", list: "se-ops", placeholder: "e.g. add", "aria-describedby": "se-op-error" });
  const input = h("textarea", { id: "se-input", name: "input", rows: 2, spellcheck: "false", placeholder: "1", "aria-describedby": "se-input-hint se-input-error" });
  const errors = {
    name: h("p", { id: "se-name-error", class: "field-error", "aria-live": "polite" }),
    key: h("p", { id: "se-key-error", class: "field-error", "aria-live": "polite" }),
    op: h("p", { id: "se-op-error", class: "field-error", "aria-live": "polite" }),
    input: h("p", { id: "se-input-error", class: "field-error", "aria-live": "polite" }),
  };
  const fields = { name, key, op, input } as const;
  const send = h("button", { type: "submit" }, "Send signal");
  const form = h("form", { class: "raise signal-form", "aria-labelledby": "signal-h", novalidate: true },
    h("h3", { id: "signal-h" }, "Signal an operation"),
    h("p", { class: "hint" }, "One-way: the entity runs it when its turn comes (after the lock holder, if it is locked). Sending to a new key creates the entity."),
    h("div", { class: "signal-grid" },
      h("div", { class: "field" }, h("label", { for: "se-name" }, "Entity name"), name, names, errors.name),
      h("div", { class: "field" }, h("label", { for: "se-key" }, "Key"), key, errors.key),
      h("div", { class: "field" }, h("label", { for: "se-op" }, "Operation"), op, ops, errors.op)),
    h("div", { class: "field" }, h("label", { for: "se-input" }, "Input for the operation (JSON)"), input,
      h("p", { id: "se-input-hint", class: "hint" }, "Any JSON value, e.g. 5 or {\"amount\": 5}; leave empty to send no input."), errors.input),
    h("div", { class: "row" }, send));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void signal();
  });
  for (const [k, el] of Object.entries(fields)) {
    el.addEventListener("input", () => {
      el.removeAttribute("aria-invalid");
      errors[k as keyof typeof errors].textContent = "";
      if (el === name) offerOperations();
    });
  }
  function offerOperations(): void {
    const list = operationsOf(name.value.trim());
    replace(ops, list.map((o) => h("option", { value: o.op })));
    const example = list.find((o) => o.op === op.value.trim())?.example ?? list.find((o) => o.example)?.example;
    input.placeholder = example ?? "";
  }
  op.addEventListener("input", offerOperations);
  offerOperations();

  const deleteButton = h("button", { type: "button", class: "secondary", "data-key": "entity-delete", onclick: () => void remove() }, "Delete entity");
  const manage = h("section", { class: "entity-actions", "aria-labelledby": "entity-manage-h" },
    h("h3", { id: "entity-manage-h" }, "Manage"),
    h("p", { class: "hint" }, "Delete removes its state (the operation delete). Orchestrations holding its lock keep it until they release it."),
    h("div", { class: "row wrap" }, deleteButton));

  const body = h("div", { class: "detail-body entity-detail" }, header, facts, h("div", { class: "manage" }, form, manage));
  replace(container, body);
  renderEmpty();

  function renderEmpty(): void {
    replace(header, h("h2", { id: "entity-h", tabindex: -1 }, "Entities"));
    replace(facts, h("p", { class: "empty" }, "Open an entity from the list to see its state, who holds its lock and what waits behind it; or signal one below (a new key creates it)."));
    manage.hidden = true;
  }

  function formTargets(id: string): boolean {
    try {
      return new EntityId(name.value.trim(), key.value).toString() === id;
    } catch {
      return false;
    }
  }

  /** Marks a field wrong with a message (on the field and announced), and focuses it. */
  function invalid(field: keyof typeof fields, message: string): void {
    fields[field].setAttribute("aria-invalid", "true");
    errors[field].textContent = message;
    fields[field].focus();
  }

  async function signal(): Promise<void> {
    const b = backend;
    if (!b) return;
    const n = name.value.trim();
    const k = key.value;
    const o = op.value.trim();
    if (!n) return invalid("name", "Give the entity's name, e.g. Counter.");
    if (k === "") return invalid("key", "Give the entity's key, e.g. c1.");
    try {
      new EntityId(n, k);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return invalid(/key/i.test(message) && !/name/i.test(message) ? "key" : "name", message);
    }
    if (!o) return invalid("op", "Give the operation, e.g. add.");
    let value: unknown = undefined;
    const text = input.value.trim();
    if (text) {
      try {
        value = JSON.parse(text);
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        options.notices.error("Could not signal the entity", { code: "InvalidJson", message: `The input is not valid JSON (${why}). Nothing was sent.` });
        return invalid("input", `Not valid JSON: ${why}. Strings need double quotes, e.g. "yes".`);
      }
    }
    send.disabled = true;
    try {
      await b.signalEntity(n, k, o, value);
      const target = new EntityId(n, k).toString();
      options.notices.info(`Signalled ${o} to ${entityLabel(n, k)}.`);
      options.onChanged();
      if (target !== instanceId) options.onOpenEntity(target);
      gone = false;
      awaiting = AWAIT_REFRESHES;
      await load();
    } catch (error) {
      options.notices.error("Could not signal the entity", error);
    } finally {
      send.disabled = false;
    }
  }

  async function remove(): Promise<void> {
    const b = backend;
    const id = instanceId;
    const parts = id ? splitEntityInstanceId(id) : null;
    if (!b || !id || !parts) return;
    const label = entityLabel(parts.name, parts.key);
    const ok = await confirmAction({
      title: `Delete ${label}?`,
      message: `Its state is deleted (the entity is sent the operation delete). This cannot be undone; signalling it again starts it afresh.`,
      confirmLabel: "Delete",
    });
    if (!ok || b !== backend || id !== instanceId) return;
    try {
      await b.deleteEntity(displayName(parts.name), parts.key);
      options.notices.info(`Delete signalled to ${label}.`);
      awaiting = AWAIT_REFRESHES;
    } catch (error) {
      options.notices.error("Could not delete the entity", error);
    }
    options.onChanged();
    await load();
  }

  /** Each JSON viewer, kept while its value is unchanged, so what a person folded stays folded. */
  let stateView: { text: string; el: HTMLElement } | null = null;
  function stateField(e: EntityInfo): HTMLElement {
    const text = jsonText(e.state);
    if (stateView && stateView.text === text) return stateView.el;
    const el = renderJson(e.state, { label: `the state of ${entityLabel(e.name, e.key)}`, field: "entity-state" });
    stateView = { text, el };
    return el;
  }

  async function load(): Promise<void> {
    const b = backend;
    const id = instanceId;
    const mine = ++request;
    const parts = id ? splitEntityInstanceId(id) : null;
    if (!b || !id || !parts || (gone && awaiting === 0)) return;
    try {
      const found = await b.getEntity(displayName(parts.name), parts.key);
      if (mine !== request) return;
      if (awaiting > 0) awaiting = found && found.exists ? 0 : awaiting - 1;
      if (!found) gone = true;
      const view = JSON.stringify([id, found ?? null]);
      if (view === shown) return;
      shown = view;
      render(id, parts, found);
    } catch (error) {
      if (mine !== request) return;
      options.notices.error("Could not load the entity", error, { background: true });
    }
  }

  function render(id: string, parts: { name: string; key: string }, e: EntityInfo | undefined): void {
    const focusKey = (document.activeElement as HTMLElement | null)?.dataset?.key;
    const label = entityLabel(parts.name, parts.key);
    replace(header,
      h("h2", { id: "entity-h", tabindex: -1, "data-key": "entity-h" }, label, " ", h("span", { class: `badge ${e?.exists ? "status-completed" : "status-pending"}` }, e?.exists ? "Has state" : "No state")),
      h("p", { class: "mono entity-instance-id" }, h("span", { class: "visually-hidden" }, "Entity instance ID: "), id));
    manage.hidden = false;
    if (!e) {
      replace(facts, h("p", { "data-field": "entity-missing" }, `There is no such entity on this side: it was deleted, or it has never been sent an operation. Signal it below to create it.`));
      return;
    }
    const holder = e.lockedBy;
    replace(facts, h("dl", {},
      h("dt", {}, "Entity"), h("dd", {}, displayName(e.name)),
      h("dt", {}, "Key"), h("dd", { class: "mono" }, e.key === "" ? "(empty key)" : e.key),
      h("dt", {}, "Last operation"), h("dd", { "data-field": "last-operation" }, e.lastOperation ? h("span", { class: "mono" }, e.lastOperation) : "none yet",
        e.lastOperationTime ? " at " : null, e.lastOperationTime ? h("time", { datetime: e.lastOperationTime }, dateTimeWithZone(e.lastOperationTime)) : null),
      h("dt", {}, "Locked by"), h("dd", { "data-field": "locked-by" }, holder
        ? [h("button", { type: "button", class: "link mono holder-link", "data-key": `holder-${holder}`, "aria-label": `Open the orchestration ${holder}, which holds the lock`, onclick: () => options.onOpenInstance(holder) }, holder), " (its critical section)"]
        : "nobody"),
      h("dt", {}, "Waiting"), h("dd", { "data-field": "backlog" }, e.backlog === 0 ? "nothing" : `${e.backlog} ${e.backlog === 1 ? "request" : "requests"} behind the lock`),
      h("dt", {}, "State"), h("dd", {}, e.exists ? stateField(e) : "none (deleted, or not yet given any)")));
    if (focusKey) container.querySelector<HTMLElement>(`[data-key="${CSS.escape(focusKey)}"]`)?.focus();
  }

  return {
    show(b, id, signalled = false) {
      const changed = b !== backend || id !== instanceId;
      backend = b;
      instanceId = id;
      if (signalled) {
        gone = false;
        awaiting = AWAIT_REFRESHES;
      }
      if (!changed) {
        if (signalled) void load();
        return;
      }
      request++;
      if (!signalled) {
        gone = false;
        awaiting = 0;
      }
      shown = "";
      stateView = null;
      const parts = id ? splitEntityInstanceId(id) : null;
      if (!id || !parts) {
        renderEmpty();
        return;
      }
      // The form is set to this entity (what was typed for another is not sent to this one); opened
      // by the form's own signal, it keeps the operation and input, to send again.
      if (!formTargets(id)) {
        op.value = "";
        input.value = "";
      }
      name.value = displayName(parts.name);
      key.value = parts.key;
      for (const [k, el] of Object.entries(fields)) {
        el.removeAttribute("aria-invalid");
        errors[k as keyof typeof errors].textContent = "";
      }
      offerOperations();
      replace(header, h("h2", { id: "entity-h", tabindex: -1, "data-key": "entity-h" }, "Loading…"), h("p", { class: "mono" }, id));
      replace(facts);
      manage.hidden = true;
      void load();
    },
    setEntityNames(list) {
      replace(names, list.map((n) => h("option", { value: n })));
    },
    async refresh() {
      await load();
    },
  };
}
