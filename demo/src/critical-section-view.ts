/**
 * @module critical-section-view — in an orchestration's facts: the critical section it holds or
 * waits for (from its history, `entity-history.ts`), each entity a link to the entity view; while
 * it waits, who holds each entity (read from the entities themselves), so a person sees what it
 * waits behind.
 */
import type { EntityInfo } from "./backend.ts";
import { h } from "./dom.ts";
import type { CriticalSection } from "./entity-history.ts";
import { clock } from "./timeline.ts";
import { entityLink } from "./timeline-view.ts";

export interface CriticalSectionLinks {
  onOpenEntity(entityInstanceId: string): void;
  onOpenInstance(instanceId: string): void;
}

/**
 * `dt`/`dd` for the facts list. `holders`: what each entity of the section says (undefined: not
 * read yet, or not there), read only while the orchestration waits.
 */
export function renderCriticalSection(section: CriticalSection, self: string, holders: ReadonlyMap<string, EntityInfo | null>, links: CriticalSectionLinks): HTMLElement[] {
  const n = section.lockset.length;
  const what = `${n} ${n === 1 ? "entity" : "entities"}`;
  const intro =
    section.state === "held"
      ? `Holds the lock on ${what} (acquired ${clock(section.acquiredAt ?? section.requestedAt)}); no one else's operation runs on ${n === 1 ? "it" : "them"} until it releases ${n === 1 ? "it" : "them"}.`
      : `Waits for the lock on ${what} (requested ${clock(section.requestedAt)}); it takes them one by one, in this order.`;
  return [
    h("dt", {}, "Critical section"),
    h("dd", { "data-field": "critical-section", "data-state": section.state },
      h("p", { class: "section-intro" }, intro),
      h("ul", { class: "section-entities" }, section.lockset.map((id) => h("li", { "data-entity": id }, entityLink(id, links.onOpenEntity), " ", holderText(section, self, holders.get(id), links))))),
  ];
}

function holderText(section: CriticalSection, self: string, info: EntityInfo | null | undefined, links: CriticalSectionLinks): HTMLElement {
  if (section.state === "held") return h("span", { class: "lock-state" }, "held by this orchestration");
  if (info === undefined) return h("span", { class: "lock-state muted" }, "checking who holds it…");
  if (info === null || info.lockedBy === null) return h("span", { class: "lock-state" }, "not locked yet (the request is on its way)");
  if (info.lockedBy === self) return h("span", { class: "lock-state" }, "held by this orchestration");
  const holder = info.lockedBy;
  return h("span", { class: "lock-state" }, "held by ",
    h("button", { type: "button", class: "link mono holder-link", "data-key": `holder-${holder}`, "aria-label": `Open the orchestration ${holder}, which holds the lock`, onclick: () => links.onOpenInstance(holder) }, holder),
    info.backlog > 0 ? ` (${info.backlog} ${info.backlog === 1 ? "request" : "requests"} waiting)` : "");
}
