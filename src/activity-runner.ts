/**
 * @module activity-runner — runs one claimed activity and turns what it returned or threw into the
 * result message for its orchestration. Hosts that run activities elsewhere (the Worker runs them
 * in stateless invocations) call this there, then `store.completeActivity(item, result)`.
 */
import type { Clock } from "./clock.ts";
import { CoalescedDeadlines } from "./deadlines.ts";
import type { Registry } from "./definitions.ts";
import { DurableError, toFailureDetails } from "./errors.ts";
import type { HistoryEvent } from "./history.ts";
import { fromJson, toJson } from "./json.ts";
import { messageIds } from "./step.ts";
import type { ClaimedActivity, InboxMessage } from "./store.ts";

export interface ExecuteActivityOptions {
  /**
   * Give up on an activity that runs longer than this: its result is a `TaskFailed` with a
   * `Timeout` error (`activityTimedOut`), returned at once. The activity's own promise cannot be
   * cancelled and is abandoned (as Durable Functions does when a function times out).
   */
  timeoutMs?: number | undefined;
  /**
   * The same as an epoch-ms deadline (`timeoutMs` from the start is used when both are given): an
   * activity that returns synchronously then costs no clock read for it.
   */
  timeoutAt?: number | undefined;
  /** How a user allows longer activities on this host, for the timeout's message (e.g. "ACTIVITY_TIMEOUT_SECONDS"). */
  allowLonger?: string | undefined;
  /**
   * The timer for `timeoutMs`. A host running many activities passes one `CoalescedDeadlines` to
   * all of them: a host timer per activity costs more than a short activity step. Default: a timer
   * of its own.
   */
  deadlines?: CoalescedDeadlines | undefined;
}

/** Runs `item`'s activity; never rejects: a throw becomes a `TaskFailed` result. */
export function executeActivity(item: ClaimedActivity, registry: Registry, clock: Clock, options: ExecuteActivityOptions = {}): Promise<InboxMessage> {
  return Promise.resolve(runActivityNow(item, registry, clock, options));
}

/**
 * `executeActivity`, but an activity that returned (or threw) synchronously has its result at
 * once, with no promise and no timer: hosts that run many short activities in a row (local
 * activities) skip a turn of the event loop per activity.
 */
export function runActivityNow(item: ClaimedActivity, registry: Registry, clock: Clock, options: ExecuteActivityOptions = {}): InboxMessage | Promise<InboxMessage> {
  const started = start(item, registry, clock);
  if (!(started instanceof Promise)) return started;
  const timeoutMs = options.timeoutMs ?? (options.timeoutAt === undefined ? undefined : Math.max(0, options.timeoutAt - clock.now()));
  if (timeoutMs === undefined) return started;
  const deadlines = options.deadlines ?? new CoalescedDeadlines();
  return new Promise<InboxMessage>((resolve) => {
    const cancel = deadlines.after(timeoutMs, () => resolve(activityTimedOut(item, clock, timeoutMs, options.allowLonger)));
    void started.then((result) => {
      cancel();
      resolve(result);
    });
  });
}

/** The result of an activity given up on after `timeoutMs`: a `TaskFailed` with a `Timeout` error. */
function activityTimedOut(item: ClaimedActivity, clock: Clock, timeoutMs: number, allowLonger?: string): InboxMessage {
  const error = new DurableError(
    "Timeout",
    `Activity '${item.name}' ran longer than ${Math.round(timeoutMs)} ms, the host's limit for one activity, and was abandoned (it may still be running). ` +
      `Split it into shorter activities${allowLonger ? `, or allow longer ones with ${allowLonger}` : ", or raise the limit"}.`,
  );
  return resultMessage(item, failedEvent(item, clock, error));
}

/** Calls the activity: its result message at once if it returned synchronously, else a promise of it (never rejecting). */
function start(item: ClaimedActivity, registry: Registry, clock: Clock): InboxMessage | Promise<InboxMessage> {
  const definition = registry.activity(item.name);
  let output: unknown;
  try {
    if (!definition) {
      throw new DurableError(
        "UnknownActivity",
        `No activity named '${item.name}' is registered with this runtime. Register it in createRuntime({ activities }).`,
      );
    }
    output = definition.fn(fromJson(item.input), {
      instanceId: item.instanceId,
      executionId: item.executionId,
      name: item.name,
      taskId: item.taskId,
      idempotencyKey: item.id,
      dequeueCount: item.dequeueCount,
    });
  } catch (error) {
    return resultMessage(item, failedEvent(item, clock, error));
  }
  if (isThenable(output)) {
    return Promise.resolve(output).then(
      (value) => completed(item, clock, value),
      (error: unknown) => resultMessage(item, failedEvent(item, clock, error)),
    );
  }
  return completed(item, clock, output);
}

function completed(item: ClaimedActivity, clock: Clock, output: unknown): InboxMessage {
  let event: HistoryEvent;
  try {
    const result = toJson(output, `The output of activity '${item.name}'`);
    event = { EventType: "TaskCompleted", EventId: -1, Timestamp: clock.now(), TaskScheduledId: item.taskId, Result: result };
  } catch (error) {
    event = failedEvent(item, clock, error);
  }
  return resultMessage(item, event);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/** The result message of an activity that failed with `error` (its `TaskFailed`). */
export function activityFailed(item: ClaimedActivity, clock: Clock, error: unknown): InboxMessage {
  return resultMessage(item, failedEvent(item, clock, error));
}

function failedEvent(item: ClaimedActivity, clock: Clock, error: unknown): HistoryEvent {
  const failure = toFailureDetails(error);
  return {
    EventType: "TaskFailed",
    EventId: -1,
    Timestamp: clock.now(),
    TaskScheduledId: item.taskId,
    Reason: failure.ErrorMessage,
    Details: failure.StackTrace,
    FailureDetails: failure,
  };
}

function resultMessage(item: ClaimedActivity, event: HistoryEvent): InboxMessage {
  return {
    id: messageIds.activityResult(item.id),
    instanceId: item.instanceId,
    executionId: item.executionId,
    visibleAt: event.Timestamp,
    event,
  };
}
