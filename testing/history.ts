/**
 * @module testing/history — reading an orchestration's history (the DTFx-shaped events of
 * `src/history.ts`) in tests: the activities it called in order, its timers, the events it received.
 */
import { fromJson, type EventType, type FailureDetails, type HistoryEvent, type HistoryEventOf } from "../src/index.ts";

/** One activity the orchestration scheduled, with its outcome once known. */
export interface ActivityCall {
  name: string;
  /** The sequence id (`TaskScheduled.EventId`). */
  taskId: number;
  input: unknown;
  scheduledAt: Date;
  /** `pending` while no result is in the history. */
  outcome: "pending" | "completed" | "failed";
  /** When completed. */
  result?: unknown;
  /** When failed. */
  failure?: FailureDetails;
}

/** One durable timer the orchestration created (including those inside retries, `callHttp` polling and event timeouts). */
export interface TimerRecord {
  timerId: number;
  createdAt: Date;
  fireAt: Date;
  /** False while pending, and for timers that were cancelled (a lost race). */
  fired: boolean;
}

export interface RaisedEvent {
  name: string;
  input: unknown;
  receivedAt: Date;
}

export interface SubOrchestrationCall {
  name: string;
  instanceId: string;
  taskId: number;
  input: unknown;
  outcome: "pending" | "completed" | "failed";
  result?: unknown;
  failure?: FailureDetails;
}

/**
 * The history of an instance's current execution (after `continueAsNew`, only the newest one),
 * with small finders. `events` are the raw events: epoch-ms timestamps, JSON-text payloads.
 *
 * ```ts
 * const history = await t.getHistory(id);
 * expect(history.activityNames()).toEqual(["Reserve", "Charge", "Ship"]);
 * expect(history.timers()[0]?.fireAt).toEqual(new Date("2026-01-31T00:00:00Z"));
 * ```
 */
export class OrchestrationHistory {
  readonly events: readonly HistoryEvent[];

  constructor(events: readonly HistoryEvent[]) {
    this.events = events;
  }

  /** The events of one type, typed: `history.ofType("TimerCreated")[0].FireAt`. */
  ofType<T extends EventType>(type: T): HistoryEventOf<T>[] {
    return this.events.filter((e): e is HistoryEventOf<T> => e.EventType === type);
  }

  /** The first event of that type matching `where`, or undefined. */
  find<T extends EventType>(type: T, where: (event: HistoryEventOf<T>) => boolean = () => true): HistoryEventOf<T> | undefined {
    return this.ofType(type).find(where);
  }

  /** The event types in order, e.g. for a snapshot (`OrchestratorStarted`/`OrchestratorCompleted` markers left out unless `markers`). */
  eventTypes(options: { markers?: boolean } = {}): EventType[] {
    return this.events
      .map((e) => e.EventType)
      .filter((t) => options.markers === true || (t !== "OrchestratorStarted" && t !== "OrchestratorCompleted"));
  }

  /** The names of the activities scheduled, in the order the orchestrator called them (a retried activity appears once per attempt). */
  activityNames(): string[] {
    return this.ofType("TaskScheduled").map((e) => e.Name);
  }

  /** Every activity scheduled, in order, with its input and outcome. */
  activityCalls(): ActivityCall[] {
    const results = this.results();
    return this.ofType("TaskScheduled").map((e) => {
      const call: ActivityCall = { name: e.Name, taskId: e.EventId, input: fromJson(e.Input), scheduledAt: new Date(e.Timestamp), outcome: "pending" };
      const r = results.get(e.EventId);
      if (r?.EventType === "TaskCompleted") {
        call.outcome = "completed";
        call.result = fromJson(r.Result);
      } else if (r?.EventType === "TaskFailed") {
        call.outcome = "failed";
        call.failure = r.FailureDetails;
      }
      return call;
    });
  }

  /** Every durable timer created, in order. */
  timers(): TimerRecord[] {
    const fired = new Set(this.ofType("TimerFired").map((e) => e.TimerId));
    return this.ofType("TimerCreated").map((e) => ({
      timerId: e.EventId,
      createdAt: new Date(e.Timestamp),
      fireAt: new Date(e.FireAt),
      fired: fired.has(e.EventId),
    }));
  }

  /** The external events the instance received, in order (whether or not it waited for them). */
  raisedEvents(): RaisedEvent[] {
    return this.ofType("EventRaised").map((e) => ({ name: e.Name, input: fromJson(e.Input), receivedAt: new Date(e.Timestamp) }));
  }

  /** Every sub-orchestration started, in order, with its outcome. */
  subOrchestrations(): SubOrchestrationCall[] {
    const results = this.results();
    return this.ofType("SubOrchestrationInstanceCreated").map((e) => {
      const call: SubOrchestrationCall = { name: e.Name, instanceId: e.InstanceId, taskId: e.EventId, input: fromJson(e.Input), outcome: "pending" };
      const r = results.get(e.EventId);
      if (r?.EventType === "SubOrchestrationInstanceCompleted") {
        call.outcome = "completed";
        call.result = fromJson(r.Result);
      } else if (r?.EventType === "SubOrchestrationInstanceFailed") {
        call.outcome = "failed";
        call.failure = r.FailureDetails;
      }
      return call;
    });
  }

  /** The `ExecutionCompleted` event, once the execution finished. */
  completion(): HistoryEventOf<"ExecutionCompleted"> | undefined {
    return this.find("ExecutionCompleted");
  }

  private results(): Map<number, HistoryEvent> {
    const byTask = new Map<number, HistoryEvent>();
    for (const e of this.events) {
      switch (e.EventType) {
        case "TaskCompleted":
        case "TaskFailed":
        case "SubOrchestrationInstanceCompleted":
        case "SubOrchestrationInstanceFailed":
          byTask.set(e.TaskScheduledId, e);
      }
    }
    return byTask;
  }
}
