/**
 * @module tab-activities — the samples' activities as this tab runs them: the same functions, with
 * a little simulated work (a delay) in front, so a person can watch a fan-out make progress and see
 * sequential calls take longer than parallel ones. The orchestrators are the samples' own.
 */
import { activity, type ActivityDefinition } from "../../src/index.ts";
import { samples } from "../../examples/index.ts";
import { flakyStep, holdAccounts, parentDemo, retryDemo } from "./tab-samples.ts";

/** Milliseconds of simulated work per activity name, from its input. */
const WORK_MS: Record<string, (input: unknown) => number> = {
  // Spread over 1–4 s, so squares finish one by one rather than all at once.
  Square: (n) => 1000 + ((Number(n) * 379) % 3000),
  OrchestratorFunction_Hello: () => 700,
  CheckStatus: () => 300,
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function withSimulatedWork(definitions: readonly ActivityDefinition[]): ActivityDefinition[] {
  return definitions.map((a) => {
    const work = WORK_MS[a.name];
    if (!work) return a;
    return activity(a.name, async (input: unknown, context) => {
      await sleep(work(input));
      return a.fn(input, context);
    });
  });
}

/** The shared samples, plus the retry, parent/children and lock-holding samples only the tab has. */
export const tabOrchestrators = [...samples.orchestrators, retryDemo, parentDemo, holdAccounts];
export const tabActivities = [...withSimulatedWork(samples.activities), flakyStep];
/** The samples' entities (Counter, Account), as the Worker registers them too. */
export const tabEntities = samples.entities;
