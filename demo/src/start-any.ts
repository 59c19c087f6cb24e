/**
 * @module start-any — start any orchestration the side registers, by name, with a JSON input
 * (checked before anything is sent). The names offered are the side's registered orchestrators as
 * the page knows them (the tab's own list; on the edge, the Worker's samples); another name can be
 * typed, and the API says which it knows if it is not one of them.
 */
import type { StartSample } from "./samples-panel.ts";
import { h, replace } from "./dom.ts";

export interface StartAny {
  setNames(names: readonly string[]): void;
}

export function createStartAny(container: HTMLElement, start: StartSample): StartAny {
  const names = h("datalist", { id: "any-names" });
  const name = h("input", { id: "any-name", name: "name", type: "text", required: true, autocomplete: "off", spellcheck: "false", list: "any-names", placeholder: "e.g. FanOutFanIn" });
  const error = h("p", { id: "any-input-error", class: "field-error", "aria-live": "polite" });
  const input = h("textarea", { id: "any-input", name: "input", rows: 3, spellcheck: "false", placeholder: '{"count": 5}', "aria-describedby": "any-input-hint any-input-error" });
  const button = h("button", { type: "submit" }, "Start");
  const form = h("form", { class: "card start-any", "aria-labelledby": "s-any" },
    h("h3", { id: "s-any" }, "Any orchestration"),
    h("div", { class: "field" }, h("label", { for: "any-name" }, "Orchestration"), name, names),
    h("div", { class: "field" }, h("label", { for: "any-input" }, "Input (JSON)"), input,
      h("p", { id: "any-input-hint", class: "hint" }, "Any JSON value; empty sends null."), error),
    h("div", { class: "row" }, button));
  input.addEventListener("input", () => {
    input.removeAttribute("aria-invalid");
    error.textContent = "";
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    let value: unknown = null;
    const text = input.value.trim();
    if (text) {
      try {
        value = JSON.parse(text);
      } catch (e) {
        input.setAttribute("aria-invalid", "true");
        error.textContent = `Not valid JSON: ${e instanceof Error ? e.message : String(e)}. Nothing was started.`;
        input.focus();
        return;
      }
    }
    button.disabled = true;
    void start(name.value.trim(), value).finally(() => {
      button.disabled = false;
    });
  });
  replace(container, form);
  return {
    setNames(list) {
      replace(names, list.map((n) => h("option", { value: n })));
      name.placeholder = list[0] ? `e.g. ${list[0]}` : "";
    },
  };
}
