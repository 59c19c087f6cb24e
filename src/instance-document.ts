/**
 * @module instance-document — one instance as a versioned JSON document: its row, its whole
 * history, its inbox (pending timers, buffered events, results not yet consumed), its queued
 * activities and references to its sub-orchestrations. `DurableClient.exportInstance` writes it,
 * `importInstance` recreates the instance from it on any store, and `replayHistories` replays
 * its history against new code. Every value is plain JSON (timestamps epoch ms, payloads JSON
 * text), so a document written by one store is read by every other.
 *
 * A move of an instance that waits for running sub-orchestrations moves the tree: its document
 * (format version 2) carries theirs in `descendants`, at any depth, each after its parent. One
 * instance alone is still written as version 1, which every reader since the first takes; a
 * reader of version 1 refuses a tree, which it would import as a parent waiting forever.
 */
import { DurableError, type FailureDetails } from "./errors.ts";
import type { EventType, HistoryEvent, ParentInstance } from "./history.ts";
import { EVENT_TYPE_CODES } from "./history.ts";
import { validateInstanceId } from "./instance-id.ts";
import { describeValue } from "./json.ts";
import { formatBytes, LIMITS, overUtf8Limit, utf8Length } from "./limits.ts";
import { checkRunChain } from "./runs.ts";
import { isRuntimeStatus, isTerminal, type RuntimeStatus } from "./status.ts";
import type { ActivityWorkItem, InboxMessage, InstanceRecord, InstanceSnapshot } from "./store.ts";

export type { InstanceSnapshot } from "./store.ts";

export const INSTANCE_DOCUMENT_FORMAT = "durable-edge/instance";
/**
 * The newest format version this code reads: 1, one instance; 2, a tree (an instance with the
 * running sub-orchestrations moved with it, `descendants`). It writes 1 for one instance alone
 * and 2 for a tree (the root's document and each of its descendants'). A newer one is refused
 * (upgrade the reader).
 */
export const INSTANCE_DOCUMENT_VERSION = 2;
/** The version of a tree's documents (`InstanceDocument.descendants`). */
export const TREE_DOCUMENT_VERSION = 2;
/**
 * The largest document (UTF-8 bytes of its JSON) an import takes: twice what one step may add to
 * a history, so any instance whose history fits a store travels, and one import stays one
 * reasonable transaction.
 */
export const MAX_DOCUMENT_BYTES = 2 * LIMITS.historyBytesPerStep;

/** A sub-orchestration the instance started (from its history). */
export interface ChildReference {
  instanceId: string;
  name: string;
  /** The sequence id of its `SubOrchestrationInstanceCreated` event. */
  taskScheduledId: number;
  /** What the parent's history says: still running, or how it ended. */
  state: "running" | "completed" | "failed";
}

export interface InstanceDocument {
  format: typeof INSTANCE_DOCUMENT_FORMAT;
  /** 1: one instance; 2: a tree's document (the root's, with `descendants`, or one of them). */
  version: 1 | typeof TREE_DOCUMENT_VERSION;
  /** ISO time of the export. */
  exportedAt: string;
  /** Where it was exported from (a URL, `browser:<db>`, a label), or null. */
  source: string | null;
  /**
   * True when the export stopped the instance where it was (a move: import it once, elsewhere);
   * false for a snapshot (the instance goes on running there: for replay checks and backups).
   */
  moved: boolean;
  /**
   * The row, as the store held it (the etag is informational; an import starts a new one), with
   * the summaries of its earlier runs (`runs`) when it continued as new; documents without them
   * (older ones too) import as instances with none.
   */
  instance: InstanceRecord;
  /** The current execution's history, in order. `instance.historyLength` events. */
  history: HistoryEvent[];
  /** Every inbox message, visible or not (timers are messages with a future `visibleAt`), in order. */
  inbox: InboxMessage[];
  /** Activities queued or running. An import queues them all again (at-least-once). */
  activities: ActivityWorkItem[];
  children: ChildReference[];
  /**
   * Version 2, on the root's document of a moved tree only: the documents of the running
   * sub-orchestrations moved with it, at any depth, each listed after its parent (each moved, a
   * document of its own without `descendants`). Finished sub-orchestrations stay where they ran:
   * `children` references them, and a result that had not reached its parent when the tree was
   * moved is in the parent's `inbox`.
   */
  descendants?: InstanceDocument[];
}

/** Builds the document of a snapshot. */
export function toInstanceDocument(
  snapshot: InstanceSnapshot,
  options: { exportedAt: number; source: string | null; moved: boolean },
): InstanceDocument {
  return {
    format: INSTANCE_DOCUMENT_FORMAT,
    version: 1,
    exportedAt: new Date(options.exportedAt).toISOString(),
    source: options.source,
    moved: options.moved,
    instance: { ...snapshot.instance },
    history: snapshot.history.slice(),
    inbox: snapshot.inbox.map(({ id, instanceId, executionId, visibleAt, event }) => ({ id, instanceId, executionId, visibleAt, event })),
    activities: snapshot.activities.map(({ id, instanceId, executionId, taskId, name, input, enqueuedAt }) => ({ id, instanceId, executionId, taskId, name, input, enqueuedAt })),
    children: childrenOf(snapshot.history),
  };
}

/** The sub-orchestrations a history started, and whether each is still running. */
export function childrenOf(history: readonly HistoryEvent[]): ChildReference[] {
  const children = new Map<number, ChildReference>();
  for (const e of history) {
    if (e.EventType === "SubOrchestrationInstanceCreated") {
      children.set(e.EventId, { instanceId: e.InstanceId, name: e.Name, taskScheduledId: e.EventId, state: "running" });
    } else if (e.EventType === "SubOrchestrationInstanceCompleted" || e.EventType === "SubOrchestrationInstanceFailed") {
      const child = children.get(e.TaskScheduledId);
      if (child) child.state = e.EventType === "SubOrchestrationInstanceCompleted" ? "completed" : "failed";
    }
  }
  return [...children.values()];
}

/** The instances a document holds: its own (without `descendants`), then each of its descendants. */
export function documentMembers(doc: InstanceDocument): InstanceDocument[] {
  if (doc.descendants === undefined) return [doc];
  const { descendants, ...root } = doc;
  return [root, ...descendants];
}

/** Whether a result for the sub-orchestration created at `taskScheduledId` waits in the document's inbox. */
export function childAnswered(doc: Pick<InstanceDocument, "instance" | "inbox">, taskScheduledId: number): boolean {
  return doc.inbox.some(
    (m) =>
      (m.event.EventType === "SubOrchestrationInstanceCompleted" || m.event.EventType === "SubOrchestrationInstanceFailed") &&
      m.event.TaskScheduledId === taskScheduledId &&
      (m.executionId === null || m.executionId === doc.instance.executionId),
  );
}

/**
 * The sub-orchestrations an instance still waits for: running by its history, and no result for
 * them in its inbox. None for a finished instance.
 */
export function waitedChildren(doc: Pick<InstanceDocument, "instance" | "history" | "inbox">): ChildReference[] {
  if (isTerminal(doc.instance.runtimeStatus)) return [];
  return childrenOf(doc.history).filter((c) => c.state === "running" && !childAnswered(doc, c.taskScheduledId));
}

/**
 * Who a sub-orchestration reports to, from its current execution's `ExecutionStarted` (in its
 * history, or its start message while it has not started): null for an instance with no parent.
 */
export function parentOf(doc: Pick<InstanceDocument, "history" | "inbox">): ParentInstance | null {
  const started = doc.history.find((e) => e.EventType === "ExecutionStarted") ?? doc.inbox.find((m) => m.event.EventType === "ExecutionStarted")?.event;
  return started?.EventType === "ExecutionStarted" ? started.ParentInstance : null;
}

// --- validation ---

/** Problems found in a document, each naming its field (`history[3].Input`). */
class Problems {
  readonly shape: string[] = [];
  readonly size: string[] = [];

  add(path: string, what: string): void {
    this.shape.push(`${path} ${what}`);
  }

  tooLarge(path: string, bytes: number, limit: number): void {
    this.size.push(`${path} is ${formatBytes(bytes)} of JSON; the limit is ${formatBytes(limit)}`);
  }
}

const MAX_LISTED = 12;

function list(items: readonly string[]): string {
  const shown = items.slice(0, MAX_LISTED).join("; ");
  return items.length > MAX_LISTED ? `${shown}; and ${items.length - MAX_LISTED} more` : shown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

type Check = (value: unknown, path: string, p: Problems) => void;

const str: Check = (v, path, p) => {
  if (typeof v !== "string") p.add(path, `must be a string, got ${describeValue(v)}`);
};
const nonEmpty: Check = (v, path, p) => {
  if (typeof v !== "string" || v === "") p.add(path, `must be a non-empty string, got ${describeValue(v)}`);
};
const strOrNull: Check = (v, path, p) => {
  if (v !== null && typeof v !== "string") p.add(path, `must be a string or null, got ${describeValue(v)}`);
};
const int: Check = (v, path, p) => {
  if (typeof v !== "number" || !Number.isInteger(v)) p.add(path, `must be an integer, got ${describeValue(v)}`);
};
const time: Check = (v, path, p) => {
  if (typeof v !== "number" || !Number.isFinite(v)) p.add(path, `must be a time in epoch milliseconds (a finite number), got ${describeValue(v)}`);
};
const timeOrNull: Check = (v, path, p) => {
  if (v !== null) time(v, path, p);
};
const bool: Check = (v, path, p) => {
  if (typeof v !== "boolean") p.add(path, `must be true or false, got ${describeValue(v)}`);
};
const optionalBool: Check = (v, path, p) => {
  if (v !== undefined) bool(v, path, p);
};

/** JSON text (or null), within `limit` bytes. */
function jsonText(limit: number): Check {
  return (v, path, p) => {
    if (v === null) return;
    if (typeof v !== "string") {
      p.add(path, `must be JSON text (a string) or null, got ${describeValue(v)}`);
      return;
    }
    if (overUtf8Limit(v, limit)) {
      p.tooLarge(path, utf8Length(v), limit);
      return;
    }
    try {
      JSON.parse(v);
    } catch {
      p.add(path, `must be JSON text, got ${describeValue(v)}, which does not parse`);
    }
  };
}
const json = jsonText(LIMITS.payloadBytes);

function failure(depth = 0): Check {
  return (v, path, p) => {
    if (!isObject(v)) {
      p.add(path, `must be failure details ({ ErrorType, ErrorMessage, StackTrace, IsNonRetriable, InnerFailure }), got ${describeValue(v)}`);
      return;
    }
    str(v.ErrorType, `${path}.ErrorType`, p);
    str(v.ErrorMessage, `${path}.ErrorMessage`, p);
    strOrNull(v.StackTrace, `${path}.StackTrace`, p);
    bool(v.IsNonRetriable, `${path}.IsNonRetriable`, p);
    if (v.InnerFailure !== null) {
      if (depth >= 16) p.add(`${path}.InnerFailure`, "nests too deep (more than 16 inner failures)");
      else failure(depth + 1)(v.InnerFailure, `${path}.InnerFailure`, p);
    }
  };
}
const failureOrNull: Check = (v, path, p) => {
  if (v !== null) failure()(v, path, p);
};
const instanceRef: Check = (v, path, p) => {
  if (!isObject(v)) {
    p.add(path, `must be { InstanceId, ExecutionId }, got ${describeValue(v)}`);
    return;
  }
  nonEmpty(v.InstanceId, `${path}.InstanceId`, p);
  nonEmpty(v.ExecutionId, `${path}.ExecutionId`, p);
};
const parentOrNull: Check = (v, path, p) => {
  if (v === null) return;
  if (!isObject(v)) {
    p.add(path, `must be null or { Name, OrchestrationInstance, TaskScheduleId }, got ${describeValue(v)}`);
    return;
  }
  nonEmpty(v.Name, `${path}.Name`, p);
  instanceRef(v.OrchestrationInstance, `${path}.OrchestrationInstance`, p);
  int(v.TaskScheduleId, `${path}.TaskScheduleId`, p);
};
const completionStatus: Check = (v, path, p) => {
  if (v !== "Completed" && v !== "Failed" && v !== "Terminated") p.add(path, `must be "Completed", "Failed" or "Terminated", got ${describeValue(v)}`);
};

/** The fields each event type carries besides `EventType`, `EventId` and `Timestamp`. */
const EVENT_FIELDS: Record<EventType, Record<string, Check>> = {
  OrchestratorStarted: {},
  OrchestratorCompleted: {},
  ExecutionStarted: { Name: nonEmpty, Version: strOrNull, Input: json, OrchestrationInstance: instanceRef, ParentInstance: parentOrNull },
  ExecutionCompleted: { OrchestrationStatus: completionStatus, Result: json, FailureDetails: failureOrNull },
  ExecutionTerminated: { Input: json, Recursive: optionalBool },
  ExecutionSuspended: { Reason: strOrNull },
  ExecutionResumed: { Reason: strOrNull },
  ExecutionRewound: { Reason: strOrNull },
  TaskScheduled: { Name: nonEmpty, Version: strOrNull, Input: json },
  TaskCompleted: { TaskScheduledId: int, Result: json },
  TaskFailed: { TaskScheduledId: int, Reason: str, Details: strOrNull, FailureDetails: failure() },
  SubOrchestrationInstanceCreated: { Name: nonEmpty, Version: strOrNull, InstanceId: nonEmpty, Input: json },
  SubOrchestrationInstanceCompleted: { TaskScheduledId: int, Result: json },
  SubOrchestrationInstanceFailed: { TaskScheduledId: int, Reason: str, Details: strOrNull, FailureDetails: failure() },
  TimerCreated: { FireAt: time },
  TimerFired: { TimerId: int, FireAt: time },
  EventRaised: { Name: nonEmpty, Input: json },
  EventSent: { InstanceId: nonEmpty, Name: nonEmpty, Input: json },
  GenericEvent: { Data: strOrNull },
};

const EVENT_TYPES = Object.keys(EVENT_TYPE_CODES) as EventType[];

function isEventType(value: unknown): value is EventType {
  return typeof value === "string" && Object.hasOwn(EVENT_FIELDS, value);
}

function historyEvent(v: unknown, path: string, p: Problems): void {
  if (!isObject(v)) {
    p.add(path, `must be a history event (an object with EventType, EventId, Timestamp…), got ${describeValue(v)}`);
    return;
  }
  if (!isEventType(v.EventType)) {
    p.add(`${path}.EventType`, `must be one of ${EVENT_TYPES.join(", ")}; got ${describeValue(v.EventType)}`);
    return;
  }
  int(v.EventId, `${path}.EventId`, p);
  time(v.Timestamp, `${path}.Timestamp`, p);
  for (const [field, check] of Object.entries(EVENT_FIELDS[v.EventType])) check(v[field], `${path}.${field}`, p);
}

/**
 * Checks a list of stored history events (the DTFx shapes of `history.ts`). Returns the problems,
 * each naming its field; an empty list when the events are well formed.
 */
export function historyProblems(events: unknown, path = "history"): string[] {
  const p = new Problems();
  if (!Array.isArray(events)) p.add(path, `must be an array of history events, got ${describeValue(events)}`);
  else events.forEach((e, i) => historyEvent(e, `${path}[${i}]`, p));
  return [...p.shape, ...p.size];
}

function record(v: unknown, path: string, p: Problems): void {
  if (!isObject(v)) {
    p.add(path, `must be the instance row (an object), got ${describeValue(v)}`);
    return;
  }
  try {
    validateInstanceId(v.instanceId);
  } catch (error) {
    p.add(`${path}.instanceId`, `is not a valid instance ID: ${(error as Error).message}`);
  }
  nonEmpty(v.name, `${path}.name`, p);
  strOrNull(v.version, `${path}.version`, p);
  nonEmpty(v.executionId, `${path}.executionId`, p);
  if (typeof v.runtimeStatus !== "string" || !isRuntimeStatus(v.runtimeStatus)) {
    p.add(`${path}.runtimeStatus`, `must be one of Pending, Running, Completed, ContinuedAsNew, Failed, Terminated, Suspended; got ${describeValue(v.runtimeStatus)}`);
  }
  json(v.input, `${path}.input`, p);
  json(v.output, `${path}.output`, p);
  jsonText(LIMITS.customStatusBytes)(v.customStatus, `${path}.customStatus`, p);
  failureOrNull(v.failureDetails, `${path}.failureDetails`, p);
  strOrNull(v.parentInstanceId, `${path}.parentInstanceId`, p);
  time(v.createdAt, `${path}.createdAt`, p);
  time(v.lastUpdatedAt, `${path}.lastUpdatedAt`, p);
  timeOrNull(v.completedAt, `${path}.completedAt`, p);
  int(v.etag, `${path}.etag`, p);
  int(v.historyLength, `${path}.historyLength`, p);
  // Optional: documents from before it, and instances that never continued as new, have none.
  if (v.runs !== undefined) checkRunChain(v.runs, `${path}.runs`, v.executionId, (at, what) => p.add(at, what));
}

function inboxMessage(instanceId: unknown, v: unknown, path: string, p: Problems): void {
  if (!isObject(v)) {
    p.add(path, `must be an inbox message ({ id, instanceId, executionId, visibleAt, event }), got ${describeValue(v)}`);
    return;
  }
  nonEmpty(v.id, `${path}.id`, p);
  if (v.instanceId !== instanceId) p.add(`${path}.instanceId`, `must be the document's instance (${JSON.stringify(instanceId)}), got ${describeValue(v.instanceId)}`);
  strOrNull(v.executionId, `${path}.executionId`, p);
  time(v.visibleAt, `${path}.visibleAt`, p);
  historyEvent(v.event, `${path}.event`, p);
}

function activityItem(instanceId: unknown, v: unknown, path: string, p: Problems): void {
  if (!isObject(v)) {
    p.add(path, `must be an activity work item ({ id, instanceId, executionId, taskId, name, input, enqueuedAt }), got ${describeValue(v)}`);
    return;
  }
  nonEmpty(v.id, `${path}.id`, p);
  if (v.instanceId !== instanceId) p.add(`${path}.instanceId`, `must be the document's instance (${JSON.stringify(instanceId)}), got ${describeValue(v.instanceId)}`);
  nonEmpty(v.executionId, `${path}.executionId`, p);
  int(v.taskId, `${path}.taskId`, p);
  nonEmpty(v.name, `${path}.name`, p);
  json(v.input, `${path}.input`, p);
  time(v.enqueuedAt, `${path}.enqueuedAt`, p);
}

function child(v: unknown, path: string, p: Problems): void {
  if (!isObject(v)) {
    p.add(path, `must be { instanceId, name, taskScheduledId, state }, got ${describeValue(v)}`);
    return;
  }
  nonEmpty(v.instanceId, `${path}.instanceId`, p);
  nonEmpty(v.name, `${path}.name`, p);
  int(v.taskScheduledId, `${path}.taskScheduledId`, p);
  if (v.state !== "running" && v.state !== "completed" && v.state !== "failed") p.add(`${path}.state`, `must be "running", "completed" or "failed", got ${describeValue(v.state)}`);
}

/** Whether a value looks like an instance document at all (its `format`), whatever its version or shape. */
export function isInstanceDocument(value: unknown): value is { format: typeof INSTANCE_DOCUMENT_FORMAT } {
  return isObject(value) && value.format === INSTANCE_DOCUMENT_FORMAT;
}

/**
 * Checks an instance document and returns it typed. Refuses, naming every malformed or
 * incompatible field: `InvalidArgument` (not a document, another format version, a malformed
 * field, an inconsistent one), or `PayloadTooLarge` when it is well formed but a value, or the
 * whole document, is over the limits (`LIMITS`, `MAX_DOCUMENT_BYTES`).
 */
export function validateInstanceDocument(value: unknown, options: { measured?: boolean | undefined } = {}): InstanceDocument {
  const refuse = (message: string): never => {
    throw new DurableError("InvalidArgument", message);
  };
  if (!isObject(value)) return refuse(`An instance document must be a JSON object (from exportInstance), got ${describeValue(value)}.`);
  if (value.format !== INSTANCE_DOCUMENT_FORMAT) {
    return refuse(`This is not a durable-edge instance document: format must be "${INSTANCE_DOCUMENT_FORMAT}", got ${describeValue(value.format)}.`);
  }
  if (typeof value.version !== "number" || !Number.isInteger(value.version) || value.version < 1) {
    return refuse(`The instance document's version must be a positive integer, got ${describeValue(value.version)}.`);
  }
  if (value.version > INSTANCE_DOCUMENT_VERSION) {
    return refuse(
      `The instance document has format version ${value.version}, written by a newer durable-edge; this one reads version ${INSTANCE_DOCUMENT_VERSION}. Upgrade durable-edge where you import it.`,
    );
  }
  const p = new Problems();
  documentFields(value, "", p);
  const descendants = value.descendants;
  if (descendants !== undefined) {
    if (value.version < TREE_DOCUMENT_VERSION) p.add("descendants", `belong to a tree's document, format version ${TREE_DOCUMENT_VERSION}; this one says version ${value.version}`);
    if (!Array.isArray(descendants)) p.add("descendants", `must be an array of instance documents (the sub-orchestrations moved with this one), got ${describeValue(descendants)}`);
    else {
      descendants.forEach((d, i) => {
        const path = `descendants[${i}]`;
        if (!isObject(d)) return p.add(path, `must be an instance document, got ${describeValue(d)}`);
        if (d.format !== INSTANCE_DOCUMENT_FORMAT) p.add(`${path}.format`, `must be "${INSTANCE_DOCUMENT_FORMAT}", got ${describeValue(d.format)}`);
        if (d.version !== value.version) p.add(`${path}.version`, `must be the tree's version (${String(value.version)}), got ${describeValue(d.version)}`);
        if (d.descendants !== undefined) p.add(`${path}.descendants`, "must be absent: a tree lists every descendant, at any depth, in its root's descendants");
        documentFields(d, `${path}.`, p);
      });
    }
  }

  if (p.shape.length === 0) {
    const doc = value as unknown as InstanceDocument;
    consistency(doc, "", p);
    doc.descendants?.forEach((d, i) => consistency(d, `descendants[${i}].`, p));
    if (doc.descendants) treeConsistency(doc, doc.descendants, p);
  }
  if (p.shape.length > 0) refuse(`The instance document is not valid: ${list(p.shape)}.`);
  if (p.size.length > 0) {
    throw new DurableError("PayloadTooLarge", `The instance document holds values over the limits: ${list(p.size)}. Nothing was imported.`);
  }
  if (options.measured !== true) {
    const bytes = utf8Length(JSON.stringify(value));
    if (bytes > MAX_DOCUMENT_BYTES) {
      throw new DurableError(
        "PayloadTooLarge",
        `The instance document is ${formatBytes(bytes)} of JSON; the limit is ${formatBytes(MAX_DOCUMENT_BYTES)}. Nothing was imported.`,
      );
    }
  }
  return value as unknown as InstanceDocument;
}

/** The fields of one instance's document, each named under `prefix` (`""`, or `descendants[2].`). */
function documentFields(value: Record<string, unknown>, prefix: string, p: Problems): void {
  if (typeof value.exportedAt !== "string" || Number.isNaN(Date.parse(value.exportedAt))) p.add(`${prefix}exportedAt`, `must be an ISO time, got ${describeValue(value.exportedAt)}`);
  strOrNull(value.source, `${prefix}source`, p);
  bool(value.moved, `${prefix}moved`, p);
  record(value.instance, `${prefix}instance`, p);
  const instance = isObject(value.instance) ? value.instance : {};
  const id = instance.instanceId;
  if (!Array.isArray(value.history)) p.add(`${prefix}history`, `must be an array of history events, got ${describeValue(value.history)}`);
  else value.history.forEach((e, i) => historyEvent(e, `${prefix}history[${i}]`, p));
  if (!Array.isArray(value.inbox)) p.add(`${prefix}inbox`, `must be an array of inbox messages, got ${describeValue(value.inbox)}`);
  else value.inbox.forEach((m, i) => inboxMessage(id, m, `${prefix}inbox[${i}]`, p));
  if (!Array.isArray(value.activities)) p.add(`${prefix}activities`, `must be an array of activity work items, got ${describeValue(value.activities)}`);
  else value.activities.forEach((a, i) => activityItem(id, a, `${prefix}activities[${i}]`, p));
  if (!Array.isArray(value.children)) p.add(`${prefix}children`, `must be an array of sub-orchestration references, got ${describeValue(value.children)}`);
  else value.children.forEach((c, i) => child(c, `${prefix}children[${i}]`, p));
}

/** What must agree between the fields of a well-formed document. */
function consistency(doc: InstanceDocument, prefix: string, p: Problems): void {
  const row = doc.instance;
  if (row.historyLength !== doc.history.length) {
    p.add(`${prefix}instance.historyLength`, `is ${row.historyLength}, but the history holds ${doc.history.length} events`);
  }
  const started = doc.history.find((e) => e.EventType === "ExecutionStarted");
  if (started && started.EventType === "ExecutionStarted") {
    if (started.OrchestrationInstance.InstanceId !== row.instanceId) {
      p.add(`${prefix}history: ExecutionStarted.OrchestrationInstance.InstanceId`, `is ${JSON.stringify(started.OrchestrationInstance.InstanceId)}, not the instance's ID ${JSON.stringify(row.instanceId)}`);
    }
    if (started.OrchestrationInstance.ExecutionId !== row.executionId) {
      p.add(`${prefix}history: ExecutionStarted.OrchestrationInstance.ExecutionId`, `is ${JSON.stringify(started.OrchestrationInstance.ExecutionId)}, not the row's executionId ${JSON.stringify(row.executionId)}`);
    }
    if (started.Name.toLowerCase() !== row.name.toLowerCase()) {
      p.add(`${prefix}history: ExecutionStarted.Name`, `is ${JSON.stringify(started.Name)}, not the row's name ${JSON.stringify(row.name)}`);
    }
  } else if (doc.history.some((e) => e.EventType !== "GenericEvent")) {
    p.add(`${prefix}history`, "has events but no ExecutionStarted");
  }
  const ids = new Set<string>();
  doc.inbox.forEach((m, i) => {
    if (ids.has(m.id)) p.add(`${prefix}inbox[${i}].id`, `${JSON.stringify(m.id)} appears twice`);
    ids.add(m.id);
  });
  const activityIds = new Set<string>();
  doc.activities.forEach((a, i) => {
    if (activityIds.has(a.id)) p.add(`${prefix}activities[${i}].id`, `${JSON.stringify(a.id)} appears twice`);
    activityIds.add(a.id);
  });
}

/**
 * What must agree across a tree: every descendant is moved and still running, its id is its own,
 * and its parent is an instance listed before it that waits for it (the parent's history created
 * it at the sequence id its `ExecutionStarted` names, in the execution it names).
 */
function treeConsistency(root: InstanceDocument, descendants: readonly InstanceDocument[], p: Problems): void {
  const seen = new Map<string, InstanceDocument>([[root.instance.instanceId, root]]);
  descendants.forEach((d, i) => {
    const path = `descendants[${i}]`;
    const id = d.instance.instanceId;
    if (seen.has(id)) p.add(`${path}.instance.instanceId`, `${JSON.stringify(id)} appears twice in the tree`);
    if (!d.moved) p.add(`${path}.moved`, "must be true: a tree is moved whole");
    if (isTerminal(d.instance.runtimeStatus)) p.add(`${path}.instance.runtimeStatus`, `is ${d.instance.runtimeStatus}: a finished sub-orchestration is not moved (its result goes in its parent's inbox)`);
    const parentId = d.instance.parentInstanceId;
    const parent = parentId === null ? undefined : seen.get(parentId);
    const ref = parentOf(d);
    if (!parent) {
      p.add(`${path}.instance.parentInstanceId`, `is ${JSON.stringify(parentId)}, not the ID of an instance listed before it in this tree`);
    } else if (!ref || ref.OrchestrationInstance.InstanceId !== parentId || ref.OrchestrationInstance.ExecutionId !== parent.instance.executionId) {
      p.add(`${path}: ExecutionStarted.ParentInstance`, `must name its parent '${parentId}' and the parent's execution ${JSON.stringify(parent.instance.executionId)}, got ${ref ? JSON.stringify(ref.OrchestrationInstance) : "none"}`);
    } else if (!childrenOf(parent.history).some((c) => c.instanceId === id && c.taskScheduledId === ref.TaskScheduleId && c.state === "running")) {
      p.add(`${path}: ExecutionStarted.ParentInstance.TaskScheduleId`, `is ${ref.TaskScheduleId}, but the history of '${parentId}' has no running sub-orchestration '${id}' created there`);
    }
    if (d.history.length === 0 && !d.inbox.some((m) => m.event.EventType === "ExecutionStarted")) {
      p.add(`${path}.inbox`, "holds no ExecutionStarted, and the history is empty: nothing would start it");
    }
    if (!seen.has(id)) seen.set(id, d);
  });
}

// --- moved instances ---

/** The `ErrorType` of the failure details that mark a row as moved to another host. */
export const MOVED_MARKER = "InstanceMoved";

export interface MovedInfo {
  /** Where it went (a URL, `browser:<db>`, a label), as the exporter said. */
  to: string;
  /** Epoch ms. */
  at: number;
}

/**
 * Where an instance went, if its row says it was moved away. A moved instance is `Terminated`
 * (a status every Durable Functions client understands: nothing more happens here), its output
 * `{ movedTo, movedAt }`, and its failure details (which status payloads show for Failed
 * instances only) carry the marker.
 */
export function movedInfo(row: Pick<InstanceRecord, "runtimeStatus" | "failureDetails" | "output">): MovedInfo | null {
  if (row.runtimeStatus !== "Terminated" || row.failureDetails?.ErrorType !== MOVED_MARKER || row.output === null) return null;
  try {
    const output = JSON.parse(row.output) as { movedTo?: unknown; movedAt?: unknown };
    if (typeof output.movedTo !== "string") return null;
    const at = typeof output.movedAt === "string" ? Date.parse(output.movedAt) : NaN;
    return { to: output.movedTo, at: Number.isNaN(at) ? 0 : at };
  } catch {
    return null;
  }
}

/** The failure details that mark a row as moved (see `movedInfo`). */
export function movedFailure(to: string, at: number): FailureDetails {
  return {
    ErrorType: MOVED_MARKER,
    ErrorMessage: `Moved to ${to} at ${new Date(at).toISOString()}; it runs there now.`,
    StackTrace: null,
    IsNonRetriable: true,
    InnerFailure: null,
  };
}

/** The status an exported, moved instance has where it was. */
export const MOVED_STATUS: RuntimeStatus = "Terminated";

/** The `GenericEvent.Data` an import appends to the history: where the instance came from. */
export interface ImportedMark {
  importedFrom: string | null;
  importedAt: string;
  exportedAt: string;
}

const IMPORTED_PREFIX = "durable-edge:imported ";

export function importedMarkEvent(mark: ImportedMark, now: number): HistoryEvent {
  return { EventType: "GenericEvent", EventId: -1, Timestamp: now, Data: IMPORTED_PREFIX + JSON.stringify(mark) };
}

/**
 * Where an instance came from, if its history records an import (the last one wins). Reads stored
 * events and Durable Functions' rendered `historyEvents` alike (a `GenericEvent` keeps its `Data`).
 */
export function importedFrom(history: readonly { EventType: unknown; Data?: unknown }[]): ImportedMark | null {
  for (let i = history.length - 1; i >= 0; i--) {
    const e = history[i]!;
    if (e.EventType === "GenericEvent" && typeof e.Data === "string" && e.Data.startsWith(IMPORTED_PREFIX)) {
      try {
        return JSON.parse(e.Data.slice(IMPORTED_PREFIX.length)) as ImportedMark;
      } catch {
        return null;
      }
    }
  }
  return null;
}
