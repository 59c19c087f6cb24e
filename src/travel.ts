/**
 * @module travel — handing an instance over between hosts, the export side: what an export
 * seals where the instance was (it is marked as moved and stops there), one instance or a tree.
 *
 * An instance that waits for running sub-orchestrations moves with them, as a tree (at any
 * depth). No transaction spans instances (on the Worker each lives in its own Durable Object), so
 * `exportTree` seals one instance at a time, top-down: the root first (it stops running there, so
 * it can no longer start, signal or terminate a child), then each running descendant after its
 * parent. A descendant that finishes in between (its result then reaches a parent that is sealed,
 * which drops it) is found finished when its turn comes: it stays where it ran, and the result
 * its parent would have received, derived from its final row, goes into the parent's document.
 * One that had not started yet (its start message still on its way) is sealed as a tombstone
 * there and travels as a Pending instance; a start message that reaches a moved instance later is
 * refused (`planStep`).
 *
 * The store-level part (`exportPart`) runs where the instances live: in-process for one store
 * (`DurableClient`), in each instance's object on the Worker; `exportTree` is the same for both.
 * The import side is `travel-import.ts`.
 */
import { DurableError, type FailureDetails } from "./errors.ts";
import { newInstanceId } from "./guid.ts";
import type { HistoryEvent, ParentInstance, SubOrchestrationInstanceCreatedEvent } from "./history.ts";
import {
  MAX_DOCUMENT_BYTES,
  movedFailure,
  movedInfo,
  MOVED_STATUS,
  parentOf,
  toInstanceDocument,
  TREE_DOCUMENT_VERSION,
  waitedChildren,
  type InstanceDocument,
} from "./instance-document.ts";
import { formatBytes, utf8Length } from "./limits.ts";
import { isTerminal, TERMINAL_STATUSES, type RuntimeStatus } from "./status.ts";
import { childResult, messageIds, startMessage } from "./step.ts";
import type { InboxMessage, InstanceRecord, InstanceSeal, InstanceSnapshot, Store } from "./store.ts";

/** Refuses to export (or move) an instance that was moved away already, saying where it went. */
export function refuseMoved(snapshot: InstanceSnapshot): void {
  const moved = movedInfo(snapshot.instance);
  if (moved) {
    throw new DurableError(
      "InstanceGone",
      `Instance '${snapshot.instance.instanceId}' was moved to ${moved.to} at ${new Date(moved.at).toISOString()}; it runs there now. Export it from there.`,
    );
  }
}

/**
 * The seal of a move: the row becomes Terminated with `{ movedTo, movedAt }` as its output and the
 * moved marker in its failure details, the history records the termination, and the store drops
 * the inbox and activities (they travel in the document). Null for a finished instance: nothing
 * runs there any more, so it is left as it is. Which instances may be sealed (a root waiting for
 * sub-orchestrations only as a tree, a sub-orchestration only with its tree) is `exportPart`'s
 * to decide.
 */
export function moveSeal(snapshot: InstanceSnapshot, to: string, now: number): InstanceSeal | null {
  refuseMoved(snapshot);
  const row = snapshot.instance;
  if (isTerminal(row.runtimeStatus)) return null;
  const output = movedOutput(to, now);
  const history: HistoryEvent[] = [
    { EventType: "OrchestratorStarted", EventId: -1, Timestamp: now },
    { EventType: "ExecutionTerminated", EventId: -1, Timestamp: now, Input: JSON.stringify(`Moved to ${to}`), Recursive: false },
    { EventType: "ExecutionCompleted", EventId: -1, Timestamp: now, OrchestrationStatus: "Terminated", Result: output, FailureDetails: null },
    { EventType: "OrchestratorCompleted", EventId: -1, Timestamp: now },
  ];
  return {
    instance: {
      ...row,
      runtimeStatus: MOVED_STATUS,
      output,
      failureDetails: movedFailure(to, now),
      lastUpdatedAt: now,
      completedAt: now,
      etag: row.etag + 1,
      historyLength: row.historyLength + history.length,
    },
    history,
  };
}

function movedOutput(to: string, now: number): string {
  return JSON.stringify({ movedTo: to, movedAt: new Date(now).toISOString() });
}

// --- export: one instance's part ---

/** What one instance's part of an export is asked to do (`exportPart`). */
export interface PartRequest {
  /** Seal it (a move), or only read it. */
  move: boolean;
  /** Where it goes, recorded with the seal. */
  to: string;
  /** The export's time (epoch ms): every seal and document of one export carries it. */
  now: number;
  /** Written into the document (`source`). */
  source: string | null;
  /**
   * The root of a move only: seal it even while it waits for running sub-orchestrations (the
   * caller moves them next). Without it such a root is left unsealed (`declined: "children"`).
   */
  tree?: boolean | undefined;
  /** A sub-orchestration of a tree being moved: its parent's reference, and the history event that created it. */
  child?: { parent: ParentInstance; created: SubOrchestrationInstanceCreatedEvent } | undefined;
}

/** What one part gives the export: a document, or (a sub-orchestration that has finished) the result its parent gets. */
export type PartResult =
  | {
      kind: "document";
      document: InstanceDocument;
      /** Whether this part sealed it (it runs here no more). */
      sealed: boolean;
      /** A root asked to move that was left as it was: it is a running sub-orchestration, or it waits for some (see `PartRequest.tree`). */
      declined?: "parent" | "children" | undefined;
    }
  | { kind: "result"; message: InboxMessage };

/**
 * One instance's part of an export, on the store that holds it, in one transaction of that store
 * (see the module comment): the root (read, or sealed), or a sub-orchestration of a tree being
 * moved: still running (sealed, its document), finished (left as it is, the result its parent
 * gets), not started yet (a moved tombstone written where it would start, its document Pending),
 * or an id held by another instance (the refusal its parent gets, as the runtime would send it).
 */
export async function exportPart(store: Store, instanceId: string, request: PartRequest): Promise<PartResult> {
  if (typeof store.exportInstance !== "function" || typeof store.importInstance !== "function") {
    throw new DurableError("InvalidState", "This store cannot export instances (it has no exportInstance); the memory, IndexedDB and Durable Object stores can.");
  }
  const document = (snapshot: InstanceSnapshot, moved: boolean): InstanceDocument => toInstanceDocument(snapshot, { exportedAt: request.now, source: request.source, moved });
  const child = request.child;
  if (!child) {
    let sealed = false;
    let declined: "parent" | "children" | undefined;
    const snapshot = await store.exportInstance(
      instanceId,
      request.move
        ? (s) => {
            refuseMoved(s);
            if (isTerminal(s.instance.runtimeStatus)) return null;
            if (s.instance.parentInstanceId !== null) declined = "parent";
            else if (!request.tree && waitedChildren(s).length > 0) declined = "children";
            if (declined) return null;
            const seal = moveSeal(s, request.to, request.now);
            sealed = seal !== null;
            return seal;
          }
        : undefined,
    );
    if (!snapshot) throw new DurableError("InstanceNotFound", `No instance with ID '${instanceId}' found.`);
    if (!request.move) refuseMoved(snapshot);
    return { kind: "document", document: document(snapshot, request.move), sealed, ...(declined ? { declined } : {}) };
  }

  const { parent } = child;
  for (let attempt = 1; ; attempt++) {
    let found = "other" as "ours" | "finished" | "moved" | "other" | "otherFinished";
    const snapshot = await store.exportInstance(instanceId, (s) => {
      const ours = isChildOf(s, parent);
      if (movedInfo(s.instance)) found = ours ? "moved" : "other";
      else if (!ours) found = isTerminal(s.instance.runtimeStatus) ? "otherFinished" : "other";
      else found = isTerminal(s.instance.runtimeStatus) ? "finished" : "ours";
      return found === "ours" && request.move ? moveSeal(s, request.to, request.now) : null;
    });
    if (snapshot && found === "ours") return { kind: "document", document: document(snapshot, request.move), sealed: request.move };
    if (snapshot && found === "finished") return { kind: "result", message: finishedChildResult(snapshot.instance, parent, request.now) };
    if (snapshot && found === "moved") {
      const moved = movedInfo(snapshot.instance)!;
      throw new DurableError(
        "InvalidState",
        `Sub-orchestration '${instanceId}' of '${parent.OrchestrationInstance.InstanceId}' was moved to ${moved.to} at ${new Date(moved.at).toISOString()} already (an earlier attempt of this move, whose answer was lost?): its document is not here any more.`,
      );
    }
    if (snapshot && found === "other") {
      // Its start is (or was) refused: the id is held by a running instance, or by one moved away.
      const held = snapshot.instance;
      const moved = movedInfo(held);
      const failure: FailureDetails = moved
        ? { ErrorType: "InstanceGone", ErrorMessage: `Instance '${instanceId}' was moved to ${moved.to}; it is not started here again.`, StackTrace: null, IsNonRetriable: true, InnerFailure: null }
        : { ErrorType: "InstanceAlreadyExists", ErrorMessage: `An instance with ID '${instanceId}' is already ${held.runtimeStatus}; a sub-orchestration needs an instance ID that is not in use.`, StackTrace: null, IsNonRetriable: true, InnerFailure: null };
      return { kind: "result", message: childResult(parent, `refused:${instanceId}`, request.now, { failure }) };
    }
    // Not started yet (no row, or a finished instance its start will replace, as the runtime would).
    const pending = unstartedSnapshot(instanceId, child, request.now);
    if (!request.move) return { kind: "document", document: document(pending, false), sealed: false };
    try {
      await store.importInstance(tombstoneOf(pending, request.to, request.now), { overwritableStatuses: found === "otherFinished" ? TERMINAL_STATUSES : [] });
    } catch (error) {
      if (DurableError.is(error, "InstanceAlreadyExists") && attempt < 5) continue; // it started (or changed) meanwhile: look again
      throw error;
    }
    return { kind: "document", document: document(pending, true), sealed: true };
  }
}

/** Whether the instance's current execution is the sub-orchestration `parent` created. */
function isChildOf(snapshot: InstanceSnapshot, parent: ParentInstance): boolean {
  const ref = parentOf(snapshot);
  return (
    ref !== null &&
    ref.OrchestrationInstance.InstanceId === parent.OrchestrationInstance.InstanceId &&
    ref.OrchestrationInstance.ExecutionId === parent.OrchestrationInstance.ExecutionId &&
    ref.TaskScheduleId === parent.TaskScheduleId
  );
}

/** The message a finished sub-orchestration sent (or would send) its parent, from its final row, as the step that finished it wrote it. */
export function finishedChildResult(row: InstanceRecord, parent: ParentInstance, now: number): InboxMessage {
  const at = row.completedAt ?? now;
  if (row.runtimeStatus === "Completed") return childResult(parent, row.executionId, at, { result: row.output });
  const failure: FailureDetails =
    row.runtimeStatus === "Failed" && row.failureDetails
      ? row.failureDetails
      : {
          ErrorType: "TaskTerminated",
          ErrorMessage: `Sub-orchestration '${row.instanceId}' was terminated: ${row.output ?? "no reason given"}`,
          StackTrace: null,
          IsNonRetriable: true,
          InnerFailure: null,
        };
  return childResult(parent, row.executionId, at, { failure });
}

/** A sub-orchestration its parent created that has not started: Pending, its start message in its inbox. */
function unstartedSnapshot(instanceId: string, child: NonNullable<PartRequest["child"]>, now: number): InstanceSnapshot {
  const { parent, created } = child;
  const executionId = newInstanceId();
  const start = startMessage({
    id: messageIds.childStart(instanceId, parent.OrchestrationInstance.ExecutionId, parent.TaskScheduleId),
    instanceId,
    executionId,
    name: created.Name,
    version: created.Version,
    input: created.Input,
    parent,
    now: created.Timestamp,
  });
  return {
    instance: {
      instanceId,
      name: created.Name,
      version: created.Version,
      executionId,
      runtimeStatus: "Pending",
      input: created.Input,
      output: null,
      customStatus: null,
      failureDetails: null,
      parentInstanceId: parent.OrchestrationInstance.InstanceId,
      createdAt: now,
      lastUpdatedAt: now,
      completedAt: null,
      etag: 1,
      historyLength: 0,
    },
    history: [],
    inbox: [start],
    activities: [],
  };
}

/** What is left where an instance that had not started was moved from: a moved row, nothing to run. */
function tombstoneOf(pending: InstanceSnapshot, to: string, now: number): InstanceSnapshot {
  return {
    instance: { ...pending.instance, runtimeStatus: MOVED_STATUS, output: movedOutput(to, now), failureDetails: movedFailure(to, now), completedAt: now },
    history: [],
    inbox: [],
    activities: [],
  };
}

// --- export: the tree ---

/** What `exportTree` needs of the host: each instance's part, where it lives, and an instance's row. */
export interface TreeHost {
  part(instanceId: string, request: PartRequest): Promise<PartResult>;
  /** The instance's parent and status (null: no such instance), to name a tree's root. */
  rowOf(instanceId: string): Promise<Pick<InstanceRecord, "parentInstanceId" | "runtimeStatus"> | null>;
}

export interface TreeExportOptions {
  move: boolean;
  to: string;
  now: number;
  source: string | null;
}

/** How often a part that failed for a reason other than a refusal (an object unreachable on the Worker) is tried again. */
const PART_ATTEMPTS = 3;

/**
 * Exports an instance, and with `move` its tree (see the module comment): the root's document,
 * with `descendants` (version 2) when running sub-orchestrations moved with it. Before sealing
 * anything of a tree it reads it whole, to refuse (nothing changed) one whose document would be
 * over `MAX_DOCUMENT_BYTES`. A move of a running sub-orchestration alone is refused, naming its
 * tree's root.
 */
export async function exportTree(host: TreeHost, instanceId: string, options: TreeExportOptions): Promise<InstanceDocument> {
  const base = { to: options.to, now: options.now, source: options.source };
  const first = await host.part(instanceId, { ...base, move: options.move });
  if (first.kind !== "document") throw new Error("durable-edge: a root's part answered a result");
  if (!options.move || first.sealed || !first.declined) return first.document;
  if (first.declined === "parent") throw await subOrchestrationRefusal(host, first.document.instance);

  // A tree: read it whole first (nothing sealed), and refuse what could not be imported.
  const preview = await walk(host, first.document, { ...base, move: false }, null);
  const bytes = utf8Length(JSON.stringify(assemble(preview)));
  if (bytes > MAX_DOCUMENT_BYTES) {
    throw new DurableError(
      "PayloadTooLarge",
      `Instance '${instanceId}' and the ${preview.descendants.length} running sub-orchestration${preview.descendants.length === 1 ? "" : "s"} it waits for would be ${formatBytes(bytes)} of JSON together; a document holds at most ${formatBytes(MAX_DOCUMENT_BYTES)}. Nothing was moved: let some of them finish first.`,
    );
  }

  // Then seal, top-down: the root, then each descendant after its parent.
  const root = await host.part(instanceId, { ...base, move: true, tree: true });
  if (root.kind !== "document") throw new Error("durable-edge: a root's part answered a result");
  if (root.declined === "parent") throw await subOrchestrationRefusal(host, root.document.instance);
  if (!root.sealed) return root.document; // it finished meanwhile: exported as it is, left as it is
  const failures: { instanceId: string; error: unknown }[] = [];
  const tree = await walk(host, root.document, { ...base, move: true }, failures);
  const document = assemble(tree);
  if (failures.length > 0) {
    const shown = failures.slice(0, 5).map((f) => `'${f.instanceId}' (${f.error instanceof Error ? f.error.message : String(f.error)})`);
    const error = new DurableError(
      "StoreUnavailable",
      `Moved '${instanceId}' and ${tree.descendants.length} of its sub-orchestrations to ${options.to}, but could not move ${shown.join(", ")}${failures.length > 5 ? ` and ${failures.length - 5} more` : ""}: they may still run here, where their results no longer reach their parent. error.document holds what was moved (imported, it would wait for them).`,
    ) as DurableError & { document?: InstanceDocument };
    Object.defineProperty(error, "document", { value: document, enumerable: false });
    throw error;
  }
  return document;
}

interface Tree {
  root: InstanceDocument;
  descendants: InstanceDocument[];
}

/** The running descendants of `root`, level by level: each asked for only once its parent's part has answered. */
async function walk(host: TreeHost, root: InstanceDocument, request: Omit<PartRequest, "child" | "tree">, failures: { instanceId: string; error: unknown }[] | null): Promise<Tree> {
  const members = [root];
  const descendants: InstanceDocument[] = [];
  for (let i = 0; i < members.length; i++) {
    const member = members[i]!;
    const waiting = waitedChildren(member);
    if (waiting.length === 0) continue;
    const answers = await Promise.allSettled(
      waiting.map((c) => {
        const created = member.history.find((e): e is SubOrchestrationInstanceCreatedEvent => e.EventType === "SubOrchestrationInstanceCreated" && e.EventId === c.taskScheduledId)!;
        const parent: ParentInstance = {
          Name: member.instance.name,
          OrchestrationInstance: { InstanceId: member.instance.instanceId, ExecutionId: member.instance.executionId },
          TaskScheduleId: c.taskScheduledId,
        };
        return withAttempts(() => host.part(c.instanceId, { ...request, child: { parent, created } }), failures ? PART_ATTEMPTS : 1);
      }),
    );
    answers.forEach((answer, k) => {
      if (answer.status === "rejected") {
        if (!failures) throw answer.reason;
        failures.push({ instanceId: waiting[k]!.instanceId, error: answer.reason });
      } else if (answer.value.kind === "document") {
        descendants.push(answer.value.document);
        members.push(answer.value.document);
      } else {
        member.inbox.push(answer.value.message);
      }
    });
  }
  return { root, descendants };
}

async function withAttempts<T>(call: () => Promise<T>, attempts: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (DurableError.is(error) || attempt >= attempts) throw error;
    }
  }
}

/** One document: the root's alone (version 1), or with its descendants (version 2). */
function assemble(tree: Tree): InstanceDocument {
  if (tree.descendants.length === 0) return tree.root;
  return {
    ...tree.root,
    version: TREE_DOCUMENT_VERSION,
    descendants: tree.descendants.map((d) => ({ ...d, version: TREE_DOCUMENT_VERSION })),
  };
}

/** The refusal of a move of a running sub-orchestration alone, naming its tree's root. */
async function subOrchestrationRefusal(host: TreeHost, row: InstanceRecord): Promise<DurableError> {
  const parentId = row.parentInstanceId!;
  let top = parentId;
  let status: RuntimeStatus | undefined;
  for (let depth = 0; depth < 64; depth++) {
    const above = await host.rowOf(top).catch(() => null);
    if (!above) break;
    status = above.runtimeStatus;
    if (above.parentInstanceId === null || isTerminal(above.runtimeStatus)) break;
    top = above.parentInstanceId;
  }
  const how =
    status !== undefined && isTerminal(status) && top === parentId
      ? `Its parent '${parentId}' is ${status} and no longer waits for it; let it finish here, or terminate it.`
      : `Move the root of its tree instead, '${top}' (exportInstance('${top}', { move: true })): a move takes the running sub-orchestrations with it.`;
  return new DurableError("InvalidState", `Instance '${row.instanceId}' is a sub-orchestration of '${parentId}', which waits for it here; it is not moved alone. ${how}`);
}
