/**
 * @module list-model — what the instance list shows of the instances it fetched: filtered by name,
 * sorted by a column (newest first by default), cut into pages. Pure, so it is tested in Node.
 *
 * The list APIs page in their own order (oldest first) with opaque continuation tokens, so there is
 * no "last page" or "newest first" to ask them for; the page fetches every instance the server-side
 * filters match (up to `LIST_LIMIT`, inputs left out) and sorts and pages them itself. That also
 * gives the total. Over the limit it says so: narrow the filters to see the rest.
 */
import type { OrchestrationStatus } from "./backend.ts";
import { isFinished } from "./action-rules.ts";

export type SortKey = "created" | "updated" | "duration" | "name" | "status";
export type SortDirection = "asc" | "desc";
export interface Sort {
  key: SortKey;
  direction: SortDirection;
}

export const DEFAULT_SORT: Sort = { key: "created", direction: "desc" };

/** Most instances the list fetches for one view. */
export const LIST_LIMIT = 2000;

/** How long the instance has run: until its last update once finished, until `now` while not. */
export function durationMs(s: OrchestrationStatus, now: number): number {
  const created = Date.parse(s.createdTime);
  const end = isFinished(s.runtimeStatus) ? Date.parse(s.lastUpdatedTime) : now;
  return Math.max(0, (Number.isFinite(end) ? end : now) - (Number.isFinite(created) ? created : now));
}

export function matchesName(s: OrchestrationStatus, nameFilter: string): boolean {
  const wanted = nameFilter.trim().toLowerCase();
  return wanted === "" || s.name.toLowerCase().includes(wanted);
}

/**
 * Sorted copy. The APIs' times are whole seconds, so instances started in the same second tie;
 * ties go by `seq` (the list numbers instances in the order it first saw them, so one started
 * later while the page is open counts as newer; default: position in `rows`), reversed for a
 * descending time sort. The order is stable from one refresh to the next.
 */
export function sortInstances(rows: readonly OrchestrationStatus[], sort: Sort, now: number, seq?: (s: OrchestrationStatus) => number): OrchestrationStatus[] {
  const value = (s: OrchestrationStatus): number | string => {
    switch (sort.key) {
      case "created":
        return Date.parse(s.createdTime) || 0;
      case "updated":
        return Date.parse(s.lastUpdatedTime) || 0;
      case "duration":
        return durationMs(s, now);
      case "name":
        return s.name.toLowerCase();
      case "status":
        return s.runtimeStatus;
    }
  };
  const sign = sort.direction === "asc" ? 1 : -1;
  return rows
    .map((s, i) => ({ s, v: value(s), i: seq ? seq(s) : i }))
    .sort((a, b) => (a.v < b.v ? -sign : a.v > b.v ? sign : (a.i - b.i) * (sort.key === "created" || sort.key === "updated" ? sign : 1)))
    .map((x) => x.s);
}

export interface ListView {
  rows: OrchestrationStatus[];
  /** Matching instances (after the name filter). */
  total: number;
  pageIndex: number;
  pageCount: number;
}

/** The page `pageIndex` (clamped to the last one) of the instances matching `nameFilter`, sorted. */
export function listView(
  all: readonly OrchestrationStatus[],
  options: { nameFilter: string; sort: Sort; pageSize: number; pageIndex: number; now: number; seq?: (s: OrchestrationStatus) => number },
): ListView {
  const matching = all.filter((s) => matchesName(s, options.nameFilter));
  const sorted = sortInstances(matching, options.sort, options.now, options.seq);
  const pageCount = Math.max(1, Math.ceil(sorted.length / options.pageSize));
  const pageIndex = Math.min(Math.max(0, options.pageIndex), pageCount - 1);
  return { rows: sorted.slice(pageIndex * options.pageSize, (pageIndex + 1) * options.pageSize), total: sorted.length, pageIndex, pageCount };
}

/** The next sort when a column header is pressed: the same column flips, another starts in its natural order. */
export function nextSort(current: Sort, key: SortKey): Sort {
  if (current.key === key) return { key, direction: current.direction === "asc" ? "desc" : "asc" };
  return { key, direction: key === "name" || key === "status" ? "asc" : "desc" };
}
