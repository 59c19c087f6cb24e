/**
 * @module travel — handing an instance over between hosts: what an export seals where the
 * instance was (it is marked as moved and stops there), and how an instance document becomes the
 * snapshot an import writes (optionally under another id, with where it came from recorded).
 * Pure: `DurableClient.exportInstance` / `importInstance` call these around the store.
 */
import type { Registry } from "./definitions.ts";
import { DurableError } from "./errors.ts";
import type { HistoryEvent } from "./history.ts";
import {
  childrenOf,
  importedMarkEvent,
  movedFailure,
  movedInfo,
  MOVED_STATUS,
  type InstanceDocument,
} from "./instance-document.ts";
import { replayHistory } from "./replay.ts";
import { isTerminal } from "./status.ts";
import type { InstanceSeal, InstanceSnapshot } from "./store.ts";

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
 * runs there any more, so it is left as it is. Refuses an instance whose result another instance
 * here waits for, or that waits for sub-orchestrations here: their messages would not follow it.
 */
export function moveSeal(snapshot: InstanceSnapshot, to: string, now: number): InstanceSeal | null {
  refuseMoved(snapshot);
  const row = snapshot.instance;
  if (isTerminal(row.runtimeStatus)) return null;
  const running = childrenOf(snapshot.history).filter((c) => c.state === "running");
  if (running.length > 0) {
    throw new DurableError(
      "InvalidState",
      `Instance '${row.instanceId}' waits for ${running.length} sub-orchestration${running.length === 1 ? "" : "s"} (${running
        .slice(0, 5)
        .map((c) => `'${c.instanceId}'`)
        .join(", ")}${running.length > 5 ? ", …" : ""}) that would stay here, and their results would not follow it. Let them finish (or terminate them) first.`,
    );
  }
  if (row.parentInstanceId !== null) {
    throw new DurableError(
      "InvalidState",
      `Instance '${row.instanceId}' is a sub-orchestration of '${row.parentInstanceId}', which waits for it here; move the parent once this one has finished instead.`,
    );
  }
  const output = JSON.stringify({ movedTo: to, movedAt: new Date(now).toISOString() });
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

/** `old|…` → `new|…`: message and activity ids start with their instance's id. */
function renameId(id: string, from: string, to: string): string {
  return from === to || !id.startsWith(`${from}|`) ? id : `${to}|${id.slice(from.length + 1)}`;
}

function renameEvent(e: HistoryEvent, from: string, to: string): HistoryEvent {
  if (from === to) return e;
  if (e.EventType === "ExecutionStarted" && e.OrchestrationInstance.InstanceId === from) {
    return { ...e, OrchestrationInstance: { ...e.OrchestrationInstance, InstanceId: to } };
  }
  return e;
}

/**
 * The snapshot an import writes: the document's instance under `instanceId` (ids of messages and
 * activities renamed with it), a new etag, every activity queued again (one that was running
 * where it came from runs again: at-least-once), and a `GenericEvent` at the end of the history
 * that records where it came from (`importedFrom`, shown by dashboards).
 */
export function importSnapshot(doc: InstanceDocument, instanceId: string, now: number): InstanceSnapshot {
  const from = doc.instance.instanceId;
  const history = doc.history.map((e) => renameEvent(e, from, instanceId));
  history.push(importedMarkEvent({ importedFrom: doc.source, importedAt: new Date(now).toISOString(), exportedAt: doc.exportedAt }, now));
  return {
    instance: { ...doc.instance, instanceId, etag: 1, historyLength: history.length, lastUpdatedAt: now },
    history,
    inbox: doc.inbox.map((m) => ({ id: renameId(m.id, from, instanceId), instanceId, executionId: m.executionId, visibleAt: m.visibleAt, event: renameEvent(m.event, from, instanceId) })),
    activities: doc.activities.map((a) => ({ ...a, id: renameId(a.id, from, instanceId), instanceId })),
  };
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
