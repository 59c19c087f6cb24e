/**
 * @module activity-runner — runs one claimed activity and turns what it returned or threw into the
 * result message for its orchestration. Hosts that run activities elsewhere (the Worker runs them
 * in stateless invocations) call this there, then `store.completeActivity(item, result)`.
 */
import type { Clock } from "./clock.ts";
import type { Registry } from "./definitions.ts";
import { DurableError, toFailureDetails } from "./errors.ts";
import type { HistoryEvent } from "./history.ts";
import { fromJson, toJson } from "./json.ts";
import { messageIds } from "./step.ts";
import type { ClaimedActivity, InboxMessage } from "./store.ts";

export interface ExecuteActivityOptions {
  /**
   * Give up on an activity that runs longer than this: its result is a `TaskFailed` with a
   * `Timeout` error, returned at once. The activity's own promise cannot be cancelled and is
   * abandoned (as Durable Functions does when a function times out).
   */
  timeoutMs?: number;
  /** How a user allows longer activities on this host, for the timeout's message (e.g. "createRuntime({ leaseMs })"). */
  allowLonger?: string;
}

export async function executeActivity(item: ClaimedActivity, registry: Registry, clock: Clock, options: ExecuteActivityOptions = {}): Promise<InboxMessage> {
  const definition = registry.activity(item.name);
  let event: HistoryEvent;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    if (!definition) {
      throw new DurableError(
        "UnknownActivity",
        `No activity named '${item.name}' is registered with this runtime. Register it in createRuntime({ activities }).`,
      );
    }
    const running = Promise.resolve(
      definition.fn(fromJson(item.input), {
        instanceId: item.instanceId,
        executionId: item.executionId,
        name: item.name,
        taskId: item.taskId,
        idempotencyKey: item.id,
        dequeueCount: item.dequeueCount,
      }),
    );
    const { timeoutMs } = options;
    const output =
      timeoutMs === undefined
        ? await running
        : await Promise.race([
            running,
            new Promise<never>((_, reject) => {
              timer = setTimeout(
                () =>
                  reject(
                    new DurableError(
                      "Timeout",
                      `Activity '${item.name}' ran longer than ${Math.round(timeoutMs)} ms, the host's limit for one activity, and was abandoned (it may still be running). Split it into shorter activities${options.allowLonger ? `, or allow longer ones with ${options.allowLonger}` : ", or raise the limit"}.`,
                    ),
                  ),
                timeoutMs,
              );
            }),
          ]);
    const result = toJson(output, `The output of activity '${item.name}'`);
    event = { EventType: "TaskCompleted", EventId: -1, Timestamp: clock.now(), TaskScheduledId: item.taskId, Result: result };
  } catch (error) {
    const failure = toFailureDetails(error);
    event = {
      EventType: "TaskFailed",
      EventId: -1,
      Timestamp: clock.now(),
      TaskScheduledId: item.taskId,
      Reason: failure.ErrorMessage,
      Details: failure.StackTrace,
      FailureDetails: failure,
    };
  } finally {
    clearTimeout(timer);
  }
  return {
    id: messageIds.activityResult(item.id),
    instanceId: item.instanceId,
    executionId: item.executionId,
    visibleAt: event.Timestamp,
    event,
  };
}
