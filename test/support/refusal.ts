import { DurableError } from "../../src/errors.ts";

/** The typed error a call is refused with; fails the test if it succeeds or throws something untyped. */
export async function refusal(promise: Promise<unknown>): Promise<DurableError> {
  const error = await promise.then(
    () => {
      throw new Error("expected a refusal");
    },
    (e: unknown) => e,
  );
  if (!DurableError.is(error)) throw error;
  return error;
}
