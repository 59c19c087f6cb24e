/** Helpers for the workerd tests: requests to the Worker and polling its status URLs. */
import { abortAllDurableObjects, env, runInDurableObject, SELF } from "cloudflare:test";
import { expect } from "vitest";
import { indexShardCount, instanceObjectName, instancePartitionCount, type Placement } from "../routing.ts";

export const ORIGIN = "http://durable-edge.test";
export const BASE = `${ORIGIN}/runtime/webhooks/durabletask`;

export interface CheckStatus {
  id: string;
  statusQueryGetUri: string;
  sendEventPostUri: string;
  terminatePostUri: string;
  purgeHistoryDeleteUri: string;
}

export interface Status {
  name: string;
  instanceId: string;
  runtimeStatus: string;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  historyEvents?: { EventType: string; FunctionName?: string; Result?: unknown }[];
}

export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return SELF.fetch(path.startsWith("http") ? path : `${ORIGIN}${path}`, init);
}

export async function startOrchestration(name: string, input?: unknown, instanceId?: string): Promise<CheckStatus> {
  const response = await call(`${BASE}/orchestrators/${name}${instanceId ? `/${encodeURIComponent(instanceId)}` : ""}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(input ?? null),
  });
  expect(response.status, await response.clone().text()).toBe(202);
  return (await response.json()) as CheckStatus;
}

/** Polls the status URL until `done(status)` holds; fails after `timeoutMs`. */
export async function pollUntil(url: string, done: (s: Status) => boolean, timeoutMs = 30_000): Promise<Status> {
  const deadline = Date.now() + timeoutMs;
  let last: Status | undefined;
  while (Date.now() < deadline) {
    const response = await call(url);
    if (response.status === 200 || response.status === 202) {
      last = (await response.json()) as Status;
      if (done(last)) return last;
    } else {
      await response.body?.cancel();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting on ${url}; last status: ${JSON.stringify(last)?.slice(0, 500)}`);
}

export const finished = (s: Status) => ["Completed", "Failed", "Terminated"].includes(s.runtimeStatus);

/** Where the test Worker puts things (its bindings and `[vars]`), for `instanceStub(placement, id)`. */
export const placement: Placement = { instances: env.INSTANCES, index: env.INDEX, partitions: instancePartitionCount(env), shards: indexShardCount(env) };

/** The name of the object that holds an instance (itself, or its partition), as the Worker routes it. */
export const objectNameOf = (instanceId: string) => instanceObjectName(instanceId, placement.partitions);

/**
 * The time the object's alarm is set for, once `armed(time)` holds. An object arms its alarm when it
 * finishes a round (after delivering its outbox), which can come a moment after the status shows the
 * step, so a test that reads the alarm right away races the object.
 */
export async function alarmOnceArmed(
  stub: DurableObjectStub,
  armed: (at: number) => boolean = () => true,
  timeoutMs = 5000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let at: number | null = null;
  while (Date.now() < deadline) {
    at = await runInDurableObject(stub, (_o, state) => state.storage.getAlarm());
    if (at !== null && armed(at)) return at;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`The object's alarm was not armed as expected within ${timeoutMs} ms (last: ${at === null ? "none" : new Date(at).toISOString()})`);
}

/**
 * Aborts every Durable Object up to `times` times while the instance behind `statusUrl` runs (as a
 * deploy or crash would), `pauseMs` apart; returns how many aborts happened before it finished.
 */
export async function abortWhileRunning(statusUrl: string, times = 3, pauseMs = 20): Promise<number> {
  let aborts = 0;
  while (aborts < times) {
    const status = await pollUntil(statusUrl, (s) => s.runtimeStatus !== "Pending");
    if (finished(status)) break;
    await abortAllDurableObjects();
    aborts++;
    await new Promise((r) => setTimeout(r, pauseMs));
  }
  return aborts;
}
