/** @module instance-id — the rules Durable Functions applies to instance ids. */
import { DurableError } from "./errors.ts";

export const MAX_INSTANCE_ID_LENGTH = 256;

/** Throws `InvalidInstanceId` unless `id` is a usable instance id. */
export function validateInstanceId(id: unknown): asserts id is string {
  const fail = (why: string) => {
    throw new DurableError("InvalidInstanceId", `Instance ID ${JSON.stringify(id)} is not valid: ${why}`);
  };
  if (typeof id !== "string") return fail("it must be a string.");
  if (id.length === 0 || id.trim().length === 0) return fail("it must not be empty.");
  if (id.length > MAX_INSTANCE_ID_LENGTH) return fail(`it is ${id.length} characters long; the limit is ${MAX_INSTANCE_ID_LENGTH}.`);
  if (id.startsWith("@")) return fail("it must not start with '@' (reserved for entities).");
  const bad = /[/\\#?]/.exec(id);
  if (bad) return fail(`it must not contain '${bad[0]}' (nor any of / \\ # ?).`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(id)) return fail("it must not contain control characters.");
}
