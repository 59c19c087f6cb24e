/** @module worker/http/validate — path segments checked before anything reaches the client. */
import { DurableError, MAX_INSTANCE_ID_LENGTH, validateInstanceId } from "../../src/index.ts";
import { HttpError } from "./errors.ts";

export const MAX_NAME_LENGTH = 256;

/** An instance id from the path: Durable Functions' rules (≤ 256 chars, no `@` first, no `/ \ # ?`, no control chars). */
export function instanceIdSegment(value: string | undefined): string {
  if (value === undefined || value === "") throw new DurableError("InvalidInstanceId", "An instance ID is required.");
  if (value.length > MAX_INSTANCE_ID_LENGTH) {
    throw new DurableError("InvalidInstanceId", `Instance ID is ${value.length} characters long; the limit is ${MAX_INSTANCE_ID_LENGTH}.`);
  }
  validateInstanceId(value);
  return value;
}

/** An orchestrator or event name from the path: non-empty, ≤ 256 chars, no control characters. */
export function nameSegment(value: string | undefined, what: string): string {
  if (value === undefined || value.trim() === "") throw new HttpError(400, "InvalidArgument", `The ${what} must not be empty.`);
  if (value.length > MAX_NAME_LENGTH) {
    throw new HttpError(400, "InvalidArgument", `The ${what} is ${value.length} characters long; the limit is ${MAX_NAME_LENGTH}.`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) throw new HttpError(400, "InvalidArgument", `The ${what} must not contain control characters.`);
  return value;
}

/** A free-text query value (reason, version): bounded so it cannot bloat history. */
export function textParam(value: string | undefined, what: string, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (value.length > max) throw new HttpError(400, "InvalidArgument", `The ${what} is ${value.length} characters long; the limit is ${max}.`);
  return value;
}
