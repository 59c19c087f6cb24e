/**
 * @module durable-edge/testing — test your own orchestrations: an in-memory runtime on a manual
 * clock that skips time (a 30-day timer fires when the test advances 30 days), runs an instance to
 * completion jumping from timer to timer, says what a stuck instance waits for, and reads history.
 * No test framework is imported: it works with vitest, node:test and jest alike.
 */
import { activity, type ActivityDefinition, type ActivityFunction } from "../src/index.ts";

export {
  createTestRuntime,
  type FinishedStatus,
  type InstanceId,
  type SkipOptions,
  type StatusTransition,
  type TestRuntime,
  type TestRuntimeOptions,
  type TypedStatus,
} from "./test-runtime.ts";
export { durationToMs, type Duration, type DurationParts } from "./duration.ts";
export { InstanceBlockedError, TimeSkipLimitError } from "./errors.ts";
export { OrchestrationHistory, type ActivityCall, type RaisedEvent, type SubOrchestrationCall, type TimerRecord } from "./history.ts";
export { describeWait, type Wait } from "./waits.ts";

/**
 * A stand-in for an activity, typed like the original, for `createTestRuntime({ mocks })`:
 * `mockActivity(fetchWeather, (city) => ({ city, temp: 21 }))`. (To swap one in a running test,
 * `t.mockActivity(original, fn)`.)
 */
export function mockActivity<I, O>(original: ActivityDefinition<I, O> | string, fn: ActivityFunction<I, O>): ActivityDefinition<I, O> {
  const name = typeof original === "string" ? original : original?.name;
  if (typeof name !== "string" || name === "") throw new TypeError("mockActivity needs the activity definition (or name) it replaces.");
  return activity(name, fn) as ActivityDefinition<I, O>;
}
