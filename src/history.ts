/**
 * @module history — the event-sourced history of an orchestration, with the Durable Functions
 * (DTFx) event types and field names. Timestamps are epoch milliseconds; payloads are JSON text.
 */
import type { FailureDetails } from "./errors.ts";
import type { Json } from "./json.ts";

interface Base {
  /** The sequence id of the action this event schedules, or -1. */
  EventId: number;
  /** Epoch milliseconds. */
  Timestamp: number;
}

export interface OrchestrationInstanceRef {
  InstanceId: string;
  ExecutionId: string;
}

export interface ParentInstance {
  Name: string;
  OrchestrationInstance: OrchestrationInstanceRef;
  TaskScheduleId: number;
}

export interface OrchestratorStartedEvent extends Base { EventType: "OrchestratorStarted" }
export interface OrchestratorCompletedEvent extends Base { EventType: "OrchestratorCompleted" }
export interface ExecutionStartedEvent extends Base {
  EventType: "ExecutionStarted";
  Name: string;
  Version: string | null;
  Input: Json;
  OrchestrationInstance: OrchestrationInstanceRef;
  ParentInstance: ParentInstance | null;
}
export type CompletionStatus = "Completed" | "Failed" | "Terminated";
export interface ExecutionCompletedEvent extends Base {
  EventType: "ExecutionCompleted";
  OrchestrationStatus: CompletionStatus;
  Result: Json;
  FailureDetails: FailureDetails | null;
}
export interface ExecutionTerminatedEvent extends Base { EventType: "ExecutionTerminated"; Input: Json; Recursive?: boolean }
export interface ExecutionSuspendedEvent extends Base { EventType: "ExecutionSuspended"; Reason: string | null }
export interface ExecutionResumedEvent extends Base { EventType: "ExecutionResumed"; Reason: string | null }
export interface ExecutionRewoundEvent extends Base { EventType: "ExecutionRewound"; Reason: string | null }
export interface TaskScheduledEvent extends Base { EventType: "TaskScheduled"; Name: string; Version: string | null; Input: Json }
export interface TaskCompletedEvent extends Base { EventType: "TaskCompleted"; TaskScheduledId: number; Result: Json }
export interface TaskFailedEvent extends Base {
  EventType: "TaskFailed";
  TaskScheduledId: number;
  Reason: string;
  Details: string | null;
  FailureDetails: FailureDetails;
}
export interface SubOrchestrationInstanceCreatedEvent extends Base {
  EventType: "SubOrchestrationInstanceCreated";
  Name: string;
  Version: string | null;
  InstanceId: string;
  Input: Json;
}
export interface SubOrchestrationInstanceCompletedEvent extends Base {
  EventType: "SubOrchestrationInstanceCompleted";
  TaskScheduledId: number;
  Result: Json;
}
export interface SubOrchestrationInstanceFailedEvent extends Base {
  EventType: "SubOrchestrationInstanceFailed";
  TaskScheduledId: number;
  Reason: string;
  Details: string | null;
  FailureDetails: FailureDetails;
}
export interface TimerCreatedEvent extends Base { EventType: "TimerCreated"; FireAt: number }
export interface TimerFiredEvent extends Base { EventType: "TimerFired"; TimerId: number; FireAt: number }
export interface EventRaisedEvent extends Base { EventType: "EventRaised"; Name: string; Input: Json }
export interface EventSentEvent extends Base { EventType: "EventSent"; InstanceId: string; Name: string; Input: Json }
export interface GenericEvent extends Base { EventType: "GenericEvent"; Data: string | null }

export type HistoryEvent =
  | OrchestratorStartedEvent
  | OrchestratorCompletedEvent
  | ExecutionStartedEvent
  | ExecutionCompletedEvent
  | ExecutionTerminatedEvent
  | ExecutionSuspendedEvent
  | ExecutionResumedEvent
  | ExecutionRewoundEvent
  | TaskScheduledEvent
  | TaskCompletedEvent
  | TaskFailedEvent
  | SubOrchestrationInstanceCreatedEvent
  | SubOrchestrationInstanceCompletedEvent
  | SubOrchestrationInstanceFailedEvent
  | TimerCreatedEvent
  | TimerFiredEvent
  | EventRaisedEvent
  | EventSentEvent
  | GenericEvent;

export type EventType = HistoryEvent["EventType"];
export type HistoryEventOf<T extends EventType> = Extract<HistoryEvent, { EventType: T }>;

/** DTFx's numeric event type codes (append only), for tools that want them. */
export const EVENT_TYPE_CODES: Record<EventType, number> = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  GenericEvent: 17,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
  ExecutionRewound: 21,
};
