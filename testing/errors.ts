/** @module testing/errors — what the test runtime throws when a wait cannot end. */
import type { OrchestrationStatus } from "../src/index.ts";
import type { Wait } from "./waits.ts";

/**
 * The instance did not reach what the test waits for, and nothing is left to run: no timer, no
 * activity, no message is due, ever. It waits on something only the test can give (an external
 * event, a resume); `waitingFor` says what.
 */
export class InstanceBlockedError extends Error {
  readonly instanceId: string;
  /** Its status when the test runtime gave up. */
  readonly status: OrchestrationStatus;
  readonly waitingFor: readonly Wait[];

  constructor(message: string, instanceId: string, status: OrchestrationStatus, waitingFor: readonly Wait[]) {
    super(message);
    this.name = "InstanceBlockedError";
    this.instanceId = instanceId;
    this.status = status;
    this.waitingFor = waitingFor;
  }
}

/**
 * Skipping time went past its bound: more wake-ups than `maxWakeUps` (something keeps scheduling
 * timers, e.g. a monitor on a short interval), or past the `within` deadline of a wait.
 */
export class TimeSkipLimitError extends Error {
  readonly reason: "maxWakeUps" | "within";
  /** The test clock when it stopped (epoch ms). */
  readonly at: number;

  constructor(message: string, reason: "maxWakeUps" | "within", at: number) {
    super(message);
    this.name = "TimeSkipLimitError";
    this.reason = reason;
    this.at = at;
  }
}
