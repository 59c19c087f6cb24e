/**
 * @module start-any — start any orchestration the side registers, by name, with a JSON input
 * (checked before anything is sent, the error on the field; **Format** lays it out) and an
 * optional instance id (checked by the core's rules). The names offered are what the side says it
 * registers (the tab's client `registered()`, the Worker's `GET {base}/functions`), each also in a
 * list that puts its name in the field; where the side cannot tell, the samples the page knows,
 * and the form says so. Another name can be typed: the API then says which it knows.
 */
import { validateInstanceId } from "../../src/index.ts";
import { h, replace } from "./dom.ts";

/** Starts `name`; resolves true once started (false: it failed, and the page said why). */
export type StartOrchestration = (name: string, input: unknown, instanceId?: string) => Promise<boolean>;

export type NamesSource = "side" | "fallback" | "pending";

export interface StartAny {
  /**
   * The orchestrations to offer and where the list comes from (`note`, shown under the name):
   * `side`, the side's own answer; `fallback`, the side could not tell, so these are the samples
   * the page knows; `pending`, still asking.
   */
  setNames(names: readonly string[], note: string, source: NamesSource): void;
}

export function createStartAny(container: HTMLElement, start: StartOrchestration): StartAny {
  const names = h("datalist", { id: "any-names" });
  const name = h("input", { id: "any-name", name: "name", type: "text", required: true, autocomplete: "off", spellcheck: "false", list: "any-names", placeholder: "e.g. FanOutFanIn", "aria-describedby": "any-source" });
  const source = h("p", { id: "any-source", class: "hint", "data-source": "pending" }, "Asking what this side registers…");
  const listSummary = h("summary", {}, "Registered orchestrations");
  const list = h("ul", { class: "any-list" });
  const registered = h("details", { class: "any-registered" }, listSummary, list);
  const id = h("input", { id: "any-id", name: "instanceId", type: "text", autocomplete: "off", spellcheck: "false", "aria-describedby": "any-id-hint any-id-error" });
  const idError = h("p", { id: "any-id-error", class: "field-error", "aria-live": "polite" });
  const error = h("p", { id: "any-input-error", class: "field-error", "aria-live": "polite" });
  const input = h("textarea", { id: "any-input", name: "input", rows: 4, spellcheck: "false", placeholder: '{"count": 5}', "aria-describedby": "any-input-hint any-input-error" });
  const format = h("button", { type: "button", class: "secondary", "data-key": "any-format" }, "Format JSON");
  const button = h("button", { type: "submit" }, "Start");
  const form = h("form", { class: "card start-any", "aria-labelledby": "s-any" },
    h("h3", { id: "s-any" }, "Any orchestration"),
    h("div", { class: "field" }, h("label", { for: "any-name" }, "Orchestration"), name, names, source),
    registered,
    h("div", { class: "field" }, h("label", { for: "any-input" }, "Input (JSON)"), input,
      h("p", { id: "any-input-hint", class: "hint" }, "Any JSON value; empty sends null."), error),
    h("div", { class: "field" }, h("label", { for: "any-id" }, "Instance ID (optional)"), id,
      h("p", { id: "any-id-hint", class: "hint" }, "Empty: a new id. An id still in use is refused."), idError),
    h("div", { class: "row" }, button, format));

  const clear = (field: HTMLElement, message: HTMLElement) => {
    field.removeAttribute("aria-invalid");
    message.textContent = "";
  };
  const mark = (field: HTMLInputElement | HTMLTextAreaElement, message: HTMLElement, text: string) => {
    field.setAttribute("aria-invalid", "true");
    message.textContent = text;
    field.focus();
  };
  input.addEventListener("input", () => clear(input, error));
  id.addEventListener("input", () => clear(id, idError));

  /** The input's value (empty: null), or undefined after marking the field with why it is not JSON. */
  function parsedInput(then: string): { value: unknown } | undefined {
    const text = input.value.trim();
    if (!text) return { value: null };
    try {
      return { value: JSON.parse(text) };
    } catch (e) {
      mark(input, error, `Not valid JSON: ${e instanceof Error ? e.message : String(e)}. Strings need double quotes, e.g. "Tokyo".${then}`);
      return undefined;
    }
  }

  format.addEventListener("click", () => {
    if (!input.value.trim()) return;
    const parsed = parsedInput("");
    if (parsed) {
      input.value = JSON.stringify(parsed.value, null, 2);
      clear(input, error);
    }
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const parsed = parsedInput(" Nothing was started.");
    if (!parsed) return;
    const wanted = id.value.trim();
    if (wanted) {
      try {
        validateInstanceId(wanted);
      } catch (e) {
        mark(id, idError, `${e instanceof Error ? e.message : String(e)} Nothing was started.`);
        return;
      }
    }
    button.disabled = true;
    void start(name.value.trim(), parsed.value, wanted || undefined)
      .then((started) => {
        // An id names one instance: the next start gets a new one unless another is typed.
        if (started && wanted) id.value = "";
      })
      .finally(() => {
        button.disabled = false;
      });
  });
  replace(container, form);
  return {
    setNames(all, note, from) {
      replace(names, all.map((n) => h("option", { value: n })));
      replace(list, all.map((n) => h("li", {}, h("button", {
        type: "button",
        class: "link mono",
        "data-name": n,
        onclick: () => {
          name.value = n;
          name.focus();
        },
      }, n))));
      listSummary.textContent = `Registered orchestrations (${all.length})`;
      registered.hidden = all.length === 0;
      name.placeholder = all[0] ? `e.g. ${all[0]}` : "";
      source.textContent = note;
      source.dataset.source = from;
      source.classList.toggle("warn", from === "fallback");
    },
  };
}
