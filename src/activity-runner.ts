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

export async function executeActivity(item: ClaimedActivity, registry: Registry, clock: Clock): Promise<InboxMessage> {
  const definition = registry.activity(item.name);
  let event: HistoryEvent;
  try {
    if (!definition) {
      throw new DurableError(
        "UnknownActivity",
        `No activity named '${item.name}' is registered with this runtime. Register it in createRuntime({ activities }).`,
      );
    }
    const output = await definition.fn(fromJson(item.input), {
      instanceId: item.instanceId,
      executionId: item.executionId,
      name: item.name,
      taskId: item.taskId,
      idempotencyKey: item.id,
      dequeueCount: item.dequeueCount,
    });
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
  }
  return {
    id: messageIds.activityResult(item.id),
    instanceId: item.instanceId,
    executionId: item.executionId,
    visibleAt: event.Timestamp,
    event,
  };
}
