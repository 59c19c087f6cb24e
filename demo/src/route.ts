/**
 * @module route — which side, view and open item the page shows, kept in the URL hash, so a
 * reload keeps them: `#/edge/<id>` (the instances, one open), `#/tab/@entities` (the entities) and
 * `#/tab/@entities/<id>` (the entities, with an entity `@name@key` or an orchestration open).
 * Unambiguous: orchestration ids never start with `@` nor contain `/`, and entity keys never
 * contain `/`.
 */
import type { Side } from "./backend.ts";

export type View = "instances" | "entities";

export interface Route {
  side: Side;
  view: View;
  /** What the right-hand panel shows: an orchestration instance id, an entity's `@name@key`, or nothing. */
  instanceId: string | null;
}

const ENTITIES = "@entities";

export function readRoute(hash: string): Route {
  const [, side, ...rest] = hash.replace(/^#/, "").split("/");
  const listed = rest[0] === ENTITIES;
  const raw = (listed ? rest.slice(1) : rest).join("/");
  const id = raw ? safeDecode(raw) : null;
  // An entity (`#/tab/@counter@c1`, typed or from an old link) opens in the entities view.
  const view: View = listed || isEntityRoute(id) ? "entities" : "instances";
  return { side: side === "edge" ? "edge" : "tab", view, instanceId: id };
}

export function writeRoute(route: Route): string {
  // "@" stays as it is (`@account@alice` reads better than `%40account%40alice`); it decodes the same.
  const id = route.instanceId ? `/${encodeURIComponent(route.instanceId).replaceAll("%40", "@")}` : "";
  return `#/${route.side}${route.view === "entities" ? `/${ENTITIES}` : ""}${id}`;
}

export function sameRoute(a: Route, b: Route): boolean {
  return a.side === b.side && a.view === b.view && a.instanceId === b.instanceId;
}

/** Whether an id names an entity (`@name@key`) rather than an orchestration. */
export function isEntityRoute(instanceId: string | null): instanceId is string {
  return instanceId !== null && instanceId.startsWith("@");
}

function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}
