/**
 * @module backend — what the dashboard needs from "a place where orchestrations run": this tab's
 * runtime (a client plus change notifications) or the Worker's HTTP API. One interface, two
 * implementations (`local-backend.ts`, `http-backend.ts`).
 */
import type { OrchestrationStatus, RuntimeStatus, TimeTravel, TimeTravelFrame } from "../../src/index.ts";

export type { OrchestrationStatus, RuntimeStatus, TimeTravel, TimeTravelFrame };

export type Side = "tab" | "edge";

export interface InstanceFilter {
  runtimeStatus: RuntimeStatus[];
  instanceIdPrefix: string;
  /** Epoch ms, or null for no bound. */
  createdFrom: number | null;
  createdTo: number | null;
  pageSize: number;
}

export interface InstancePage {
  instances: OrchestrationStatus[];
  /** Pass back for the next page; null on the last one. */
  continuationToken: string | null;
}

export interface Backend {
  readonly side: Side;
  /** Starts an orchestration by name; resolves with the new instance id. */
  start(name: string, input: unknown): Promise<string>;
  list(filter: InstanceFilter, continuationToken: string | null): Promise<InstancePage>;
  /** Status with input, output, custom status and history (with results); undefined when unknown. */
  get(instanceId: string): Promise<OrchestrationStatus | undefined>;
  raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<void>;
  terminate(instanceId: string, reason: string): Promise<void>;
  suspend(instanceId: string, reason: string): Promise<void>;
  resume(instanceId: string, reason: string): Promise<void>;
  rewind(instanceId: string, reason: string): Promise<void>;
  /** Starts the instance's orchestration again with its input, under a new id (returned). */
  restart(instanceId: string): Promise<string>;
  /** Deletes a finished instance and its history; resolves with how many were deleted. */
  purge(instanceId: string): Promise<number>;
  /**
   * The instance right after each event of its history, computed where its code is by running the
   * real orchestrator over the history (the tab's client, or the Worker's `…/timetravel` route).
   */
  timeTravel(instanceId: string): Promise<TimeTravel>;
  /**
   * Pushes one instance's status as it changes (the Worker's stream route), if this backend can;
   * `status` events replace polling it, `gone` means it was purged or never existed, `unavailable`
   * that there is no stream here (poll instead). Returns a stop function.
   */
  watch?(instanceId: string, listener: (event: WatchEvent) => void): () => void;
  /** Calls `listener` (coalesced) whenever something may have changed; returns an unsubscribe. */
  subscribe(listener: () => void): () => void;
  /** Releases what the backend holds (timers; the tab's runtime is shared and stays). */
  close(): void;
}

export type WatchEvent = { type: "status"; status: OrchestrationStatus } | { type: "gone" } | { type: "unavailable"; reason: string };

/** An error a person can cause or see, with the API's code (e.g. `InstanceGone`) when there is one. */
export class BackendError extends Error {
  readonly code: string;
  /** The HTTP status, for errors from the Worker's API. */
  readonly status: number | undefined;
  constructor(code: string, message: string, status?: number) {
    super(message);
    this.code = code;
    this.status = status;
    this.name = "BackendError";
  }
}

/** Turns anything thrown by a backend into a message fit for the page. */
export function describeError(error: unknown): { code: string; message: string; status?: number } {
  if (error instanceof BackendError) return { code: error.code, message: error.message, ...(error.status === undefined ? {} : { status: error.status }) };
  if (typeof error === "object" && error !== null && "code" in error && "message" in error) {
    const e = error as { code: unknown; message: unknown };
    if (typeof e.code === "string" && typeof e.message === "string") return { code: e.code, message: e.message };
  }
  if (error instanceof Error) return { code: error.name, message: error.message };
  return { code: "Error", message: String(error) };
}
