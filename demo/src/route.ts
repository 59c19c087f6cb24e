/** @module route — which side and instance the page shows, kept in the URL hash (`#/edge/<id>`), so a reload keeps them. */
import type { Side } from "./backend.ts";

export interface Route {
  side: Side;
  instanceId: string | null;
}

export function readRoute(hash: string): Route {
  const [, side, ...rest] = hash.replace(/^#/, "").split("/");
  const id = rest.join("/");
  return { side: side === "edge" ? "edge" : "tab", instanceId: id ? safeDecode(id) : null };
}

export function writeRoute(route: Route): string {
  return `#/${route.side}${route.instanceId ? `/${encodeURIComponent(route.instanceId)}` : ""}`;
}

function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}
