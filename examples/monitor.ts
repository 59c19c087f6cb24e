/**
 * Monitor: check something on a durable timer, and keep history short with continueAsNew.
 * Input `{ intervalSeconds, checksLeft, checks }`; completes when `checksLeft` reaches 0.
 */
import { activity, orchestrator } from "../src/index.ts";

export interface MonitorInput {
  intervalSeconds?: number;
  checksLeft?: number;
  checks?: number;
}

export const checkStatus = activity("CheckStatus", (check: number) => ({ check, healthy: true }));

export const monitor = orchestrator("Monitor", function* (ctx) {
  const input = (ctx.getInput() ?? {}) as MonitorInput;
  const interval = input.intervalSeconds ?? 5;
  const checksLeft = input.checksLeft ?? 3;
  const checks = input.checks ?? 0;
  if (checksLeft <= 0) return { checks };
  const result = yield* ctx.callActivity(checkStatus, checks + 1);
  ctx.setCustomStatus({ lastCheck: result, checksLeft: checksLeft - 1 });
  yield* ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + interval * 1000));
  ctx.continueAsNew({ intervalSeconds: interval, checksLeft: checksLeft - 1, checks: checks + 1 });
  return undefined;
});
