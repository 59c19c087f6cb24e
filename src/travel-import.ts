/**
 * @module travel-import — handing an instance over between hosts, the import side: how an
 * instance document (one instance, or a tree: `travel.ts`) is checked and planned before anything
 * is stored (`planImport`), and how each of its instances becomes the snapshot an import writes,
 * optionally under another id, with where it came from recorded. `importMember` runs where the
 * instance lives: in-process for one store (`DurableClient`), in its object on the Worker.
 */
import type { Registry } from "./definitions.ts";
import { DurableError } from "./errors.ts";
import { OrchestrationExecutor } from "./executor.ts";
import type { ExecutionStartedEvent, HistoryEvent } from "./history.ts";
import { validateInstanceId } from "./instance-id.ts";
import {
  childrenOf,
  documentMembers,
  importedFrom,
  importedMarkEvent,
  movedInfo,
  validateInstanceDocument,
  waitedChildren,
  type InstanceDocument,
} from "./instance-document.ts";
import { replayHistory } from "./replay.ts";
import { isTerminal, TERMINAL_STATUSES, type RuntimeStatus } from "./status.ts";
import type { InstanceRecord, InstanceSnapshot, Store } from "./store.ts";

export interface PlanOptions {
  instanceId?: string | undefined;
  onConflict?: "fail" | "replace" | undefined;
  allowCopy?: boolean | undefined;
}

/** What an import writes: one document per instance (renamed as asked), parents before their sub-orchestrations. */
export interface ImportPlan {
  /** The id the root is imported under. */
  instanceId: string;
  onConflict: "fail" | "replace";
  members: InstanceDocument[];
}

/**
 * Checks a document for import and plans it, storing nothing: the document field by field (a
 * tree's every instance), that it is a move (or `allowCopy`), that nothing it moves would wait
 * forever (a running sub-orchestration neither in the tree nor answered in its parent's inbox), a
 * sub-orchestration is not imported without its tree, the rename (`instanceId` renames the root;
 * its sub-orchestrations keep their ids and are told of their parent's new one), and, with a
 * registry, that this host runs every instance of it (`verifyImport`).
 */
export function planImport(value: unknown, options: PlanOptions, registry: Registry | undefined): ImportPlan {
  const doc = validateInstanceDocument(value);
  if (movedInfo(doc.instance)) {
    throw new DurableError("InvalidArgument", `The document's instance '${doc.instance.instanceId}' is marked as moved away; export it from where it runs now.`);
  }
  if (!doc.moved && options.allowCopy !== true) {
    throw new DurableError(
      "InvalidState",
      `This document is a snapshot of '${doc.instance.instanceId}' (exported without move): the instance still runs where it was${doc.source ? ` (${doc.source})` : ""}. Export it with move to hand it over, or import it with allowCopy to run a second copy.`,
    );
  }
  const onConflict = options.onConflict ?? "fail";
  if (onConflict !== "fail" && onConflict !== "replace") throw new DurableError("InvalidArgument", `onConflict must be "fail" or "replace", got ${JSON.stringify(onConflict)}.`);
  const from = doc.instance.instanceId;
  const instanceId = options.instanceId ?? from;
  validateInstanceId(instanceId);
  if (doc.moved && !isTerminal(doc.instance.runtimeStatus) && doc.instance.parentInstanceId !== null) {
    throw new DurableError(
      "InvalidArgument",
      `Instance '${from}' is a sub-orchestration of '${doc.instance.parentInstanceId}', moved with its tree: import the document of the tree's root, which holds it.`,
    );
  }
  const members = documentMembers(doc);
  if (doc.moved) {
    const stranded: string[] = [];
    for (const m of members) {
      for (const c of waitedChildren(m)) {
        if (!members.some((d) => d.instance.instanceId === c.instanceId && d.instance.parentInstanceId === m.instance.instanceId)) {
          stranded.push(`'${m.instance.instanceId}' waits for '${c.instanceId}'`);
        }
      }
    }
    if (stranded.length > 0) {
      throw new DurableError(
        "InvalidArgument",
        `The document moves instances that wait for running sub-orchestrations it does not hold, nor their results: ${stranded.slice(0, 5).join(", ")}${stranded.length > 5 ? `, and ${stranded.length - 5} more` : ""}. Imported, they would wait forever.`,
      );
    }
  }
  if (instanceId !== from && members.some((m, i) => i > 0 && m.instance.instanceId === instanceId)) {
    throw new DurableError("InvalidArgument", `'${instanceId}' is the ID of one of the tree's sub-orchestrations; import the root under another one.`);
  }
  const renamed = members.map((m, i) => (i === 0 ? renameDocument(m, from, instanceId) : reparentDocument(m, from, instanceId)));
  if (registry) {
    for (const m of renamed) verifyImport(m, registry);
    if (instanceId !== from) verifyChildIds(renamed[0]!, from, registry);
  }
  return { instanceId, onConflict, members: renamed };
}

/** `old|…` → `new|…`: message and activity ids start with their instance's id. */
function renameId(id: string, from: string, to: string): string {
  return from === to || !id.startsWith(`${from}|`) ? id : `${to}|${id.slice(from.length + 1)}`;
}

/** An event with `from` renamed to `to` where it names the instance itself or its parent. */
function renameEvent(e: HistoryEvent, from: string, to: string): HistoryEvent {
  if (from === to || e.EventType !== "ExecutionStarted") return e;
  let started: ExecutionStartedEvent = e;
  if (started.OrchestrationInstance.InstanceId === from) started = { ...started, OrchestrationInstance: { ...started.OrchestrationInstance, InstanceId: to } };
  if (started.ParentInstance?.OrchestrationInstance.InstanceId === from) {
    started = { ...started, ParentInstance: { ...started.ParentInstance, OrchestrationInstance: { ...started.ParentInstance.OrchestrationInstance, InstanceId: to } } };
  }
  return started;
}

/** The root's document under `to`: its row, history, and the ids of its messages and activities. */
function renameDocument(doc: InstanceDocument, from: string, to: string): InstanceDocument {
  if (from === to) return doc;
  return {
    ...doc,
    instance: { ...doc.instance, instanceId: to },
    history: doc.history.map((e) => renameEvent(e, from, to)),
    inbox: doc.inbox.map((m) => ({ ...m, id: renameId(m.id, from, to), instanceId: to, event: renameEvent(m.event, from, to) })),
    activities: doc.activities.map((a) => ({ ...a, id: renameId(a.id, from, to), instanceId: to })),
  };
}

/** A sub-orchestration's document, told that its parent `from` is now `to` (its row and every `ExecutionStarted.ParentInstance`). */
function reparentDocument(doc: InstanceDocument, from: string, to: string): InstanceDocument {
  if (from === to || doc.instance.parentInstanceId !== from) return doc;
  return {
    ...doc,
    instance: { ...doc.instance, parentInstanceId: to },
    history: doc.history.map((e) => renameEvent(e, from, to)),
    inbox: doc.inbox.map((m) => ({ ...m, event: renameEvent(m.event, from, to) })),
  };
}

/**
 * The snapshot an import writes of one (planned, renamed) document: a new etag (past that of the
 * row it replaces, `target`), every activity
 * queued again (one that was running where it came from runs again: at-least-once), and a
 * `GenericEvent` at the end of the history that records where it came from (`importedFrom`,
 * shown by dashboards, and how a second import of the same document knows it, `importedAlready`).
 */
export function importSnapshot(doc: InstanceDocument, now: number, target: ImportTarget = { kind: "absent" }): InstanceSnapshot {
  const history = [...doc.history, importedMarkEvent({ importedFrom: doc.source, importedAt: new Date(now).toISOString(), exportedAt: doc.exportedAt }, now)];
  // Past the etag of the row it replaces: a runtime may still hold that instance's executor for
  // an etag it had before it was moved away, and must not take the new row for it.
  const etag = target.kind === "taken" ? target.etag + 1 : 1;
  return {
    instance: { ...doc.instance, etag, historyLength: history.length, lastUpdatedAt: now },
    history,
    inbox: doc.inbox.map((m) => ({ id: m.id, instanceId: m.instanceId, executionId: m.executionId, visibleAt: m.visibleAt, event: m.event })),
    activities: doc.activities.map((a) => ({ ...a })),
  };
}

/**
 * Whether the instance stored here is the one this document imported already (the same
 * execution, its last import mark this document's): a second import of the same document (its
 * answer lost, or a part of a tree that failed) leaves it as it is.
 */
export function importedAlready(row: InstanceRecord, history: readonly HistoryEvent[], doc: InstanceDocument): boolean {
  if (row.executionId !== doc.instance.executionId) return false;
  const mark = importedFrom(history);
  return mark !== null && mark.exportedAt === doc.exportedAt && mark.importedFrom === doc.source;
}

/** What an import finds under one id: nothing, the instance it imported already, or another. */
export type ImportTarget = { kind: "absent" } | { kind: "imported" } | { kind: "taken"; runtimeStatus: RuntimeStatus; etag: number };

/** What is stored under the document's id, for `importTargets` and `importMember`. */
export async function importTarget(store: Store, doc: InstanceDocument): Promise<ImportTarget> {
  const row = await store.getInstance(doc.instance.instanceId);
  if (!row) return { kind: "absent" };
  if (row.executionId === doc.instance.executionId && importedAlready(row, await store.getHistory(row.instanceId), doc)) return { kind: "imported" };
  return { kind: "taken", runtimeStatus: row.runtimeStatus, etag: row.etag };
}

/**
 * Refuses, before anything is written, an import whose ids are in use (`InstanceAlreadyExists`):
 * a running instance always, a finished one unless `onConflict` is "replace". Returns the members
 * to write, parents first (those imported already by this same document are left out).
 */
export function membersToWrite(plan: ImportPlan, targets: readonly ImportTarget[]): InstanceDocument[] {
  const taken: { id: string; status: RuntimeStatus }[] = [];
  plan.members.forEach((m, i) => {
    const t = targets[i]!;
    if (t.kind === "taken" && !(plan.onConflict === "replace" && isTerminal(t.runtimeStatus))) taken.push({ id: m.instance.instanceId, status: t.runtimeStatus });
  });
  if (taken.length > 0) {
    const what = plan.onConflict === "replace" ? "A running instance is never replaced: terminate or purge it first" : 'Purge it first, or import with onConflict "replace" over a finished one';
    throw new DurableError(
      "InstanceAlreadyExists",
      plan.members.length === 1
        ? `An instance with ID '${taken[0]!.id}' already exists here and is ${taken[0]!.status}. ${what}, or import under another instance ID.`
        : `Instances of this tree already exist here: ${taken
            .slice(0, 8)
            .map((t) => `'${t.id}' (${t.status})`)
            .join(", ")}${taken.length > 8 ? `, and ${taken.length - 8} more` : ""}. Nothing was imported. ${what}${taken.some((t) => t.id === plan.instanceId) ? ", or import the root under another instance ID" : ""}.`,
    );
  }
  return plan.members.filter((_, i) => targets[i]!.kind !== "imported");
}

/**
 * Writes one planned document on the store that holds its instance, unless this document imported
 * it already; refuses an id in use as `membersToWrite` does (the store checks again, atomically).
 * Returns whether it wrote. On the Worker, each instance of a tree is written so, by its object.
 */
export async function importMember(store: Store, doc: InstanceDocument, onConflict: "fail" | "replace", now: number): Promise<boolean> {
  if (typeof store.importInstance !== "function") throw new DurableError("InvalidState", "This store cannot import instances (it has no importInstance); the memory, IndexedDB and Durable Object stores can.");
  const target = await importTarget(store, doc);
  const plan: ImportPlan = { instanceId: doc.instance.instanceId, onConflict, members: [doc] };
  if (membersToWrite(plan, [target]).length === 0) return false;
  await store.importInstance(importSnapshot(doc, now, target), { overwritableStatuses: onConflict === "replace" ? TERMINAL_STATUSES : [] });
  return true;
}

/**
 * Checks that this host can run the document's instance: its orchestrator is registered, and its
 * history replays against this host's code without failing (`replayHistory`, not strict: only
 * what would fail the instance). Throws `UnknownOrchestrator` or `InvalidState`.
 */
export function verifyImport(doc: InstanceDocument, registry: Registry): void {
  const name = doc.instance.name;
  if (!registry.orchestrator(name)) {
    const known = registry.orchestratorNames();
    throw new DurableError("UnknownOrchestrator", `No orchestrator named '${name}' is registered here, so instance '${doc.instance.instanceId}' could not run.${known.length ? ` Registered: ${known.join(", ")}.` : ""}`);
  }
  if (isTerminal(doc.instance.runtimeStatus)) return; // nothing replays it any more
  const result = replayHistory(registry, doc.history, { strict: false });
  if (!result.ok) {
    throw new DurableError(
      "InvalidState",
      `Instance '${doc.instance.instanceId}' would fail here: its history does not replay against this host's orchestrators. ${result.problems[0]!.message} Deploy the code it was started with (or a versioned branch of it) first.`,
    );
  }
}

const SILENT = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Under its new id, the root's code must still name its running sub-orchestrations as its history
 * did: one that derives their ids from its own (`${ctx.instanceId}:approval`) would, renamed, no
 * longer reach them (a terminate would cascade to ids that do not exist). Default ids
 * (`{executionId}:{sequenceId}`) do not depend on the instance id.
 */
function verifyChildIds(doc: InstanceDocument, from: string, registry: Registry): void {
  const running = childrenOf(doc.history).filter((c) => c.state === "running");
  if (running.length === 0 || isTerminal(doc.instance.runtimeStatus)) return;
  const executor = new OrchestrationExecutor(doc.instance.instanceId, { orchestrator: (name) => registry.orchestrator(name), logger: SILENT });
  executor.execute(doc.history, []);
  const named = new Set(executor.openChildInstanceIds());
  const lost = running.filter((c) => !named.has(c.instanceId));
  if (lost.length > 0) {
    throw new DurableError(
      "InvalidState",
      `Under the ID '${doc.instance.instanceId}', the code of '${from}' no longer names its running sub-orchestration${lost.length === 1 ? "" : "s"} ${lost
        .slice(0, 5)
        .map((c) => `'${c.instanceId}'`)
        .join(", ")} (it derives their IDs from its own), so it would lose track of them. Import it under its own ID.`,
    );
  }
}
