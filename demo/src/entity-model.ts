/**
 * @module entity-model — entities as the dashboard lists them, from what either side answers (the
 * tab's `listEntities` / `getEntity`, or the Worker's `GET {base}/entities`, which carries the same
 * fields): which to show, in which order, under which name, and the operations the samples'
 * entities take (offered in the signal form). Pure, so it is tested in Node.
 */
import { entityInstanceId } from "../../src/index.ts";
import { samples } from "../../examples/index.ts";
import type { EntityInfo } from "./backend.ts";

/** The most entities the view fetches (following continuation tokens) before it asks to narrow the filter. */
export const ENTITY_LIMIT = 1000;

/** The entities the samples define, as registered (the store lower-cases names; this gives them back their spelling). */
export const SAMPLE_ENTITIES: readonly string[] = samples.entities.map((e) => e.name);

/** The entity names the open side registers, then the samples' (`setRegisteredEntities`): the spelling `displayName` gives by default. */
let knownEntities: readonly string[] = SAMPLE_ENTITIES;

/** Sets the names the open side registers (its `registered()` answer), so an entity of its own shows in its registered spelling too. */
export function setRegisteredEntities(names: readonly string[]): void {
  knownEntities = [...names, ...SAMPLE_ENTITIES];
}

/** The operations of the samples' entities (`examples/entities.ts`), with an example input; every entity also takes `delete`. */
export const SAMPLE_OPERATIONS: Readonly<Record<string, readonly { op: string; example?: string }[]>> = {
  counter: [{ op: "add", example: "1" }, { op: "reset" }, { op: "get" }, { op: "delete" }],
  account: [{ op: "deposit", example: "100" }, { op: "withdraw", example: "30" }, { op: "get" }, { op: "delete" }],
};

export function operationsOf(name: string): readonly { op: string; example?: string }[] {
  return SAMPLE_OPERATIONS[name.toLowerCase()] ?? [{ op: "delete" }];
}

/** The registered spelling of an entity name ("account" → "Account"), or the name as given. */
export function displayName(name: string, known: readonly string[] = knownEntities): string {
  const lower = name.toLowerCase();
  return known.find((k) => k.toLowerCase() === lower) ?? name;
}

/** "Account alice" (an empty key shows as "(empty key)"). */
export function entityLabel(name: string, key: string, known?: readonly string[]): string {
  return `${displayName(name, known)} ${key === "" ? "(empty key)" : key}`;
}

/** The name and key of an entity instance id `@name@key` (null when it is not one). */
export function splitEntityInstanceId(instanceId: string): { name: string; key: string } | null {
  if (!instanceId.startsWith("@")) return null;
  const at = instanceId.indexOf("@", 1);
  if (at < 2) return null;
  return { name: instanceId.slice(1, at), key: instanceId.slice(at + 1) };
}

/** What a listing or `getEntity` says (`EntityMetadata`, or the HTTP listing's item), as the view holds it. */
export function toEntityInfo(m: {
  entityId: { name: string; key: string };
  lastOperationTime?: string | null | undefined;
  lastOperation?: string | null | undefined;
  entityExists?: boolean | undefined;
  lockedBy?: string | null | undefined;
  backlogQueueSize?: number | undefined;
  state?: unknown;
}): EntityInfo {
  const info: EntityInfo = {
    instanceId: entityInstanceId(m.entityId),
    name: m.entityId.name,
    key: m.entityId.key,
    // A Durable Functions listing names only entities with state, and says nothing of it.
    exists: m.entityExists ?? true,
    lastOperation: m.lastOperation ?? null,
    lastOperationTime: m.lastOperationTime ?? null,
    lockedBy: m.lockedBy ?? null,
    backlog: typeof m.backlogQueueSize === "number" ? m.backlogQueueSize : 0,
  };
  if (m.state !== undefined) info.state = m.state;
  return info;
}

/** Listed: an entity with state, or one that is locked or has requests waiting (a lock on an account not yet funded). */
export function isShown(e: EntityInfo): boolean {
  return e.exists || e.lockedBy !== null || e.backlog > 0;
}

/** By name, then key (ordinal), as people look entities up. */
export function sortEntities(entities: readonly EntityInfo[]): EntityInfo[] {
  return [...entities].sort((a, b) => cmp(a.name.toLowerCase(), b.name.toLowerCase()) || cmp(a.key, b.key));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface EntityView {
  rows: EntityInfo[];
  total: number;
  pageIndex: number;
  pageCount: number;
}

/** Filters by key (contains, case-insensitive) and pages what was fetched. */
export function entityView(all: readonly EntityInfo[], options: { keyFilter: string; pageSize: number; pageIndex: number }): EntityView {
  const needle = options.keyFilter.trim().toLowerCase();
  const matching = sortEntities(needle ? all.filter((e) => e.key.toLowerCase().includes(needle)) : all);
  const pageCount = Math.max(1, Math.ceil(matching.length / options.pageSize));
  const pageIndex = Math.min(Math.max(0, options.pageIndex), pageCount - 1);
  return { rows: matching.slice(pageIndex * options.pageSize, (pageIndex + 1) * options.pageSize), total: matching.length, pageIndex, pageCount };
}
