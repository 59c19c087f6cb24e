/**
 * Human interaction: wait for an `Approval` event, raced against a timer of `timeoutSeconds`
 * (default one hour). Returns what the approval carried, or that it timed out.
 */
import { orchestrator, Task } from "../src/index.ts";

export interface HumanInteractionInput {
  timeoutSeconds?: number;
}

export type HumanInteractionResult = { approved: true; approval: unknown } | { approved: false; timedOut: true };

export const humanInteraction = orchestrator("HumanInteraction", function* (ctx) {
  const input = (ctx.getInput() ?? {}) as HumanInteractionInput;
  const timeoutSeconds = typeof input.timeoutSeconds === "number" && input.timeoutSeconds > 0 ? input.timeoutSeconds : 3600;
  const deadline = new Date(ctx.currentUtcDateTime.getTime() + timeoutSeconds * 1000);
  ctx.setCustomStatus({ waitingFor: "Approval", deadline: deadline.toISOString() });
  const approval = ctx.waitForExternalEvent("Approval");
  const timeout = ctx.createTimer(deadline);
  const winner = yield* Task.any([approval, timeout]);
  if (winner === approval) {
    timeout.cancel();
    ctx.setCustomStatus({ approved: true });
    return { approved: true, approval: approval.result } satisfies HumanInteractionResult;
  }
  ctx.setCustomStatus({ approved: false, timedOut: true });
  return { approved: false, timedOut: true } satisfies HumanInteractionResult;
});
