/** @module dom — a tiny element builder: `h("button", { class: "x", onclick }, "Label")`. */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
}

/** Replaces an element's children. */
export function replace(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** Pretty JSON for display (`undefined` shows as "—"). */
export function json(value: unknown): string {
  if (value === undefined) return "—";
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

export function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`The page has no element #${id}.`);
  return el as T;
}

/**
 * Puts a keyed table's rows in place: drops from `body` and `rowEls` the rows whose key is not in
 * `keep`, then shows `wanted` in order, moving only what is out of place (so rows, and a focused
 * button in one, stay put), or only `emptyRow`, saying `emptyText()`, when there are none.
 */
export function placeRows(body: Element, emptyRow: HTMLTableRowElement, rowEls: Map<string, { tr: HTMLTableRowElement }>, keep: ReadonlySet<string>, wanted: readonly HTMLTableRowElement[], emptyText: () => string): void {
  for (const [id, el] of rowEls) {
    if (!keep.has(id)) {
      el.tr.remove();
      rowEls.delete(id);
    }
  }
  if (wanted.length === 0) {
    emptyRow.firstElementChild!.textContent = emptyText();
    if (body.firstChild !== emptyRow || body.children.length !== 1) replace(body, emptyRow);
  } else {
    emptyRow.remove();
    wanted.forEach((tr, i) => {
      if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] ?? null);
    });
  }
}

/** Marks a table row as the one open (highlighted, `aria-current`), or not. */
export function markCurrent(tr: HTMLTableRowElement, current: boolean): void {
  tr.classList.toggle("selected", current);
  if (current) tr.setAttribute("aria-current", "true");
  else tr.removeAttribute("aria-current");
}
