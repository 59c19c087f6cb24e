/**
 * @module simulator/invariants — what must hold after every run, with or without faults:
 * - every instance ends as it ends in the fault-free run (status, output, custom status, failure),
 *   and every client operation gets the answer it got there;
 * - no result is recorded twice (each scheduled activity, sub-orchestration and timer has at most
 *   one result per execution) and no event is lost or applied twice (each raised event is recorded
 *   as often as in the fault-free run, at most once per execution);
 * - nothing is left Pending/Running without the work that moves it on, and a finished instance
 *   leaves no queued activity or message behind;
 * - every history replays cleanly in a fresh executor (no nondeterminism, the same outcome, no
 *   action that history does not hold);
 * - what the store holds is what was committed: the row's etag and historyLength, the history of
 *   the current execution, event for event (fencing and etag order are checked as commits go by),
 *   and its earlier runs (continue-as-new), the executions committed before the current one, in
 *   order, as many runs in all as in the fault-free run.
 */
import { OrchestrationExecutor, type ExecutorEnvironment } from "../../src/executor.ts";
import type { HistoryEvent } from "../../src/history.ts";
import type { Json } from "../../src/json.ts";
import { isTerminal, type RuntimeStatus } from "../../src/status.ts";
import { currentRun } from "../../src/runs.ts";
import { planStep } from "../../src/step.ts";
import { normalize } from "./orchestrations.ts";
import type { RunResult } from "./simulation.ts";
import type { InstanceSnapshot, Snapshot } from "./snapshot.ts";
import { readEntityRecord } from "../../src/entities/entity-state.ts";

export interface InstanceOutcome {
  status: RuntimeStatus;
  output: Json;
  customStatus: Json;
  failure: string | null;
  /** Which run it is on (1: it never continued as new). */
  run: number;
}

export function outcomes(snapshot: Snapshot): Map<string, InstanceOutcome> {
  const out = new Map<string, InstanceOutcome>();
  for (const [id, s] of snapshot.instances) {
    const f = s.row.failureDetails;
    out.set(id, {
      status: s.row.runtimeStatus,
      output: s.row.output === null ? null : normalize(s.row.output),
      customStatus: s.row.customStatus,
      failure: f ? `${f.ErrorType}: ${normalize(f.ErrorMessage)}` : null,
      run: currentRun(s.row),
    });
  }
  return out;
}

/** How often each raised event (by its token) was recorded, over every execution of every instance. */
export function eventCounts(snapshot: Snapshot): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [id, entry] of snapshot.log.instances) {
    for (const ex of entry.executions) {
      for (const e of ex.history) {
        if (e.EventType !== "EventRaised" || ENTITY_ANSWER.test(e.Name)) continue; // entity answers are named by request ids, which differ between runs
        const key = `${id}/${e.Name}/${tokenOf(e.Input)}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
  }
  return counts;
}

/** The name of an entity's answer: the request's id (a UUID). */
const ENTITY_ANSWER = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function tokenOf(input: Json): string {
  if (input === null) return "null";
  try {
    const v = JSON.parse(input) as { token?: unknown };
    return typeof v === "object" && v !== null && typeof v.token === "string" ? v.token : input.slice(0, 40);
  } catch {
    return input.slice(0, 40);
  }
}

/** Checks `run` on its own and, given the fault-free `reference`, against it. Returns the problems found. */
export function checkRun(run: RunResult, reference: RunResult | null, env: ExecutorEnvironment): string[] {
  const problems = [...run.failures];
  const snap = run.snapshot;
  if (!snap) return [...problems, "no snapshot was taken"];
  for (const v of snap.log.violations) problems.push(v);
  for (const a of snap.orphanActivities) problems.push(`activity ${a.id} is queued for an instance that does not exist`);

  for (const [id, s] of snap.instances) {
    checkStored(id, s, snap, problems);
    checkWork(id, s, snap, problems);
    checkReplay(id, s, env, problems);
  }
  for (const [id, entry] of snap.log.instances) {
    entry.executions.forEach((ex, i) => checkResultsOnce(`${id} (execution ${i + 1})`, ex.history, problems));
    // Earlier executions (continued as new) must replay cleanly too.
    for (const ex of entry.executions.slice(0, -1)) {
      const failure = replayFailure(id, ex.history, env);
      if (failure) problems.push(`${id}: an earlier execution's history does not replay: ${failure}`);
    }
  }

  for (const [id, e] of snap.entities) {
    const doc = readEntityRecord(e.row);
    if (doc.lock) problems.push(`entity ${id} is still locked by ${doc.lock.instanceId} (request ${doc.lock.requestId}) at the end`);
    if (doc.queue.length > 0) problems.push(`entity ${id} still has ${doc.queue.length} queued requests at the end`);
    if (e.inbox.length > 0) problems.push(`entity ${id} still has ${e.inbox.length} messages in its inbox at the end (${e.inbox[0]!.id})`);
  }

  if (reference) {
    if (!reference.snapshot) return [...problems, "the reference run has no snapshot"];
    const states = (s: Snapshot) => new Map([...s.entities].map(([id, e]) => [id, readEntityRecord(e.row).state]));
    const wantStates = states(reference.snapshot);
    const gotStates = states(snap);
    for (const id of new Set([...wantStates.keys(), ...gotStates.keys()])) {
      const w = wantStates.get(id) ?? null;
      const g = gotStates.get(id) ?? null;
      if (w !== g) problems.push(`entity ${id} holds ${g}, ${w} in the fault-free run (an operation ${Number(g) < Number(w) ? "lost" : "applied twice"})`);
    }
    compareOutcomes(outcomes(reference.snapshot), outcomes(snap), problems);
    reference.opResults.forEach((expected, i) => {
      if (run.opResults[i] !== expected) problems.push(`client operation #${i} answered ${run.opResults[i]}, the fault-free run ${expected}`);
    });
    const want = eventCounts(reference.snapshot);
    const got = eventCounts(snap);
    for (const key of new Set([...want.keys(), ...got.keys()])) {
      const w = want.get(key) ?? 0;
      const g = got.get(key) ?? 0;
      if (w !== g) problems.push(`event ${key} was recorded ${g} times, ${w} in the fault-free run (${g < w ? "lost" : "applied twice"})`);
    }
  }
  return problems;
}

function compareOutcomes(want: Map<string, InstanceOutcome>, got: Map<string, InstanceOutcome>, problems: string[]): void {
  for (const id of new Set([...want.keys(), ...got.keys()])) {
    const w = want.get(id);
    const g = got.get(id);
    if (!w) {
      problems.push(`${id} exists (${g!.status}) but not in the fault-free run`);
      continue;
    }
    if (!g) {
      problems.push(`${id} is missing; the fault-free run left it ${w.status}`);
      continue;
    }
    if (g.status !== w.status) problems.push(`${id} ended ${g.status}, ${w.status} in the fault-free run (output ${clip(g.output)} vs ${clip(w.output)}; failure ${clip(g.failure)} vs ${clip(w.failure)})`);
    else if (g.output !== w.output) problems.push(`${id} (${g.status}) output ${clip(g.output)}, the fault-free run ${clip(w.output)}`);
    if (g.customStatus !== w.customStatus) problems.push(`${id} custom status ${clip(g.customStatus)}, the fault-free run ${clip(w.customStatus)}`);
    if (g.status === w.status && g.failure !== w.failure) problems.push(`${id} failure ${clip(g.failure)}, the fault-free run ${clip(w.failure)}`);
    if (g.run !== w.run) problems.push(`${id} is on run ${g.run}, run ${w.run} in the fault-free run (a continue-as-new ${g.run > w.run ? "counted twice" : "lost"})`);
  }
}

/** The store holds what was committed. */
function checkStored(id: string, s: InstanceSnapshot, snap: Snapshot, problems: string[]): void {
  if (s.row.historyLength !== s.history.length) problems.push(`${id}: the row says historyLength ${s.row.historyLength}, the store holds ${s.history.length} events`);
  const logged = snap.log.instances.get(id);
  if (!logged || logged.deleted) {
    problems.push(`${id}: the store has a row that no commit wrote`);
    return;
  }
  if (logged.etag !== s.row.etag) problems.push(`${id}: the row's etag is ${s.row.etag}, the last commit wrote ${logged.etag}`);
  const current = logged.executions[logged.executions.length - 1];
  if (!current) return;
  if (current.executionId !== s.row.executionId) problems.push(`${id}: the row is execution ${s.row.executionId}, the last commit wrote ${current.executionId}`);
  // The earlier runs it keeps are the executions committed right before the current one, in order.
  const kept = s.row.runs?.runs.map((r) => r.executionId) ?? [];
  const before = logged.executions.slice(0, -1).map((e) => e.executionId);
  if (kept.length > 0 && JSON.stringify(before.slice(-kept.length)) !== JSON.stringify(kept)) {
    problems.push(`${id}: the row keeps earlier runs ${clip(kept.join(", "))}, the executions committed before it were ${clip(before.slice(-kept.length).join(", "))}`);
  }
  if (currentRun(s.row) > logged.executions.length) problems.push(`${id}: the row says run ${currentRun(s.row)}, but only ${logged.executions.length} executions were committed`);
  if (current.history.length !== s.history.length) {
    problems.push(`${id}: the store holds ${s.history.length} history events, the commits wrote ${current.history.length}`);
  } else {
    for (let i = 0; i < s.history.length; i++) {
      if (JSON.stringify(s.history[i]) !== JSON.stringify(current.history[i])) {
        problems.push(`${id}: history event #${i} is ${clip(JSON.stringify(s.history[i]))}, the commit wrote ${clip(JSON.stringify(current.history[i]))}`);
        break;
      }
    }
  }
}

/** A finished instance leaves nothing behind; an unfinished one has the work that moves it on. */
function checkWork(id: string, s: InstanceSnapshot, snap: Snapshot, problems: string[]): void {
  const { row, inbox, activities, history } = s;
  const stale = activities.filter((a) => a.executionId !== row.executionId);
  if (stale.length > 0) problems.push(`${id}: ${stale.length} activities of an earlier execution are still queued (${stale[0]!.id})`);
  const staleMessages = inbox.filter((m) => m.executionId !== null && m.executionId !== row.executionId);
  if (staleMessages.length > 0) problems.push(`${id}: messages of an earlier execution are still in its inbox (${staleMessages[0]!.id})`);
  if (isTerminal(row.runtimeStatus)) {
    if (activities.length > 0) problems.push(`${id} is ${row.runtimeStatus} but has ${activities.length} queued activities (${activities[0]!.id})`);
    if (inbox.length > 0) problems.push(`${id} is ${row.runtimeStatus} but has ${inbox.length} inbox messages (${inbox[0]!.id}: ${inbox[0]!.event.EventType})`);
    return;
  }
  if (row.runtimeStatus === "Pending" && !inbox.some((m) => m.event.EventType === "ExecutionStarted")) {
    problems.push(`${id} is Pending with no start message`);
  }
  const results = new Set<number>();
  for (const e of history) {
    if (e.EventType === "TaskCompleted" || e.EventType === "TaskFailed" || e.EventType === "SubOrchestrationInstanceCompleted" || e.EventType === "SubOrchestrationInstanceFailed") {
      results.add(e.TaskScheduledId);
    }
  }
  const inboxResults = new Set<number>();
  for (const m of inbox) if ("TaskScheduledId" in m.event) inboxResults.add(m.event.TaskScheduledId);
  for (const e of history) {
    if (results.has(e.EventId) || inboxResults.has(e.EventId)) continue;
    if (e.EventType === "TaskScheduled" && !activities.some((a) => a.taskId === e.EventId)) {
      problems.push(`${id} (${row.runtimeStatus}) waits on activity #${e.EventId} '${e.Name}', which is neither queued nor answered`);
    }
    if (e.EventType === "SubOrchestrationInstanceCreated") {
      const child = snap.instances.get(e.InstanceId);
      const starting = snap.instances.get(e.InstanceId)?.inbox.some((m) => m.event.EventType === "ExecutionStarted") ?? false;
      if (!starting && (!child || isTerminal(child.row.runtimeStatus))) {
        problems.push(`${id} (${row.runtimeStatus}) waits on sub-orchestration ${e.InstanceId}, which is ${child ? child.row.runtimeStatus : "missing"} and has not answered`);
      }
    }
  }
}

/** Each scheduled task has at most one result in one execution's history, and each id is scheduled once. */
function checkResultsOnce(what: string, history: readonly HistoryEvent[], problems: string[]): void {
  const scheduled = new Map<number, string>();
  const answered = new Map<string, number>();
  let stepAt = -Infinity;
  for (const e of history) {
    switch (e.EventType) {
      case "OrchestratorStarted":
        stepAt = e.Timestamp;
        break;
      case "TaskScheduled":
      case "TimerCreated":
      case "SubOrchestrationInstanceCreated": {
        const seen = scheduled.get(e.EventId);
        if (seen !== undefined) problems.push(`${what}: sequence id ${e.EventId} was scheduled twice (${seen}, ${e.EventType})`);
        scheduled.set(e.EventId, e.EventType);
        break;
      }
      case "TaskCompleted":
      case "TaskFailed":
      case "SubOrchestrationInstanceCompleted":
      case "SubOrchestrationInstanceFailed":
      case "TimerFired": {
        const id = e.EventType === "TimerFired" ? e.TimerId : e.TaskScheduledId;
        if (e.EventType === "TimerFired" && stepAt < e.FireAt) problems.push(`${what}: timer #${id} due at ${e.FireAt} fired in a step at ${stepAt}, before its time`);
        const key = `${e.EventType === "TimerFired" ? "timer" : "task"}#${id}`;
        const n = (answered.get(key) ?? 0) + 1;
        answered.set(key, n);
        if (n === 2) problems.push(`${what}: the result of ${key} is recorded twice (${e.EventType})`);
        break;
      }
      default:
        break;
    }
  }
  const tokens = new Map<string, number>();
  for (const e of history) {
    if (e.EventType !== "EventRaised") continue;
    const key = `${e.Name}/${tokenOf(e.Input)}`;
    const n = (tokens.get(key) ?? 0) + 1;
    tokens.set(key, n);
    if (n === 2) problems.push(`${what}: event ${key} is recorded twice`);
  }
}

/** Replays the current history in a fresh executor, and steps it with no new messages. */
function checkReplay(id: string, s: InstanceSnapshot, env: ExecutorEnvironment, problems: string[]): void {
  const { row, history } = s;
  const failure = replayFailure(id, history, env);
  if (failure) {
    problems.push(`${id}: its history does not replay: ${failure}`);
    return;
  }
  const completed = history.find((e) => e.EventType === "ExecutionCompleted");
  if (completed?.EventType === "ExecutionCompleted") {
    if (completed.OrchestrationStatus !== row.runtimeStatus) problems.push(`${id}: the history ends ${completed.OrchestrationStatus}, the row says ${row.runtimeStatus}`);
    if (completed.OrchestrationStatus === "Terminated") return;
    const executor = new OrchestrationExecutor(id, env);
    executor.applyAll(history, true);
    const outcome = executor.outcome;
    const status = outcome?.kind === "completed" ? "Completed" : outcome?.kind === "failed" ? "Failed" : outcome ? "ContinuedAsNew" : "unfinished";
    // A step the runtime failed itself (StepTooLarge, a step that could not be planned): the code never got there.
    if (status === "unfinished" && completed.OrchestrationStatus === "Failed" && completed.FailureDetails?.ErrorType === "DurableError") return;
    if (status !== completed.OrchestrationStatus) {
      problems.push(`${id}: replayed, its history ends ${status}; it was recorded ${completed.OrchestrationStatus}`);
    } else if (outcome && outcome.kind !== "continuedAsNew" && normalize(outcome.output ?? "null") !== normalize(completed.Result ?? "null")) {
      problems.push(`${id}: replayed, its output is ${clip(outcome.output)}; it was recorded ${clip(completed.Result)}`);
    }
    return;
  }
  if (isTerminal(row.runtimeStatus)) {
    if (history.length > 0) problems.push(`${id} is ${row.runtimeStatus} but its history has no ExecutionCompleted`);
    return;
  }
  if (history.length === 0) return;
  // The real step path, from history alone: it must schedule nothing that history does not already hold.
  const plan = planStep({ instanceId: id, instance: row, history, historyFrom: 0, messages: [] }, undefined, env, row.lastUpdatedAt);
  const c = plan.commit;
  const scheduled = c.history.events.filter((e) => e.EventType === "TaskScheduled" || e.EventType === "TimerCreated" || e.EventType === "SubOrchestrationInstanceCreated");
  if (scheduled.length > 0 || c.activities.length > 0) {
    problems.push(`${id} (${row.runtimeStatus}): replayed, it schedules ${scheduled.map((e) => e.EventType).join(", ")} that its history does not hold`);
  }
  if (c.instance && c.instance.runtimeStatus !== row.runtimeStatus) {
    problems.push(`${id}: replayed with nothing new, it becomes ${c.instance.runtimeStatus}; the row says ${row.runtimeStatus}`);
  }
}

/** Why `history` does not replay (nondeterminism, or a throw), or null. */
function replayFailure(id: string, history: readonly HistoryEvent[], env: ExecutorEnvironment): string | null {
  try {
    const executor = new OrchestrationExecutor(id, env);
    executor.applyAll(history, true);
    const outcome = executor.outcome;
    if (outcome?.kind === "failed" && outcome.failure.ErrorType === "NonDeterminismError") return outcome.failure.ErrorMessage;
    return null;
  } catch (error) {
    return `replay threw ${error instanceof Error ? error.message : String(error)}`;
  }
}

function clip(text: string | null | undefined): string {
  if (text === null || text === undefined) return String(text);
  return text.length > 160 ? `${text.slice(0, 160)}… (${text.length} chars)` : text;
}
