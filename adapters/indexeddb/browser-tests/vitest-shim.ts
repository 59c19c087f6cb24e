/**
 * Just enough of vitest's API (describe, it, it.skip, beforeEach, afterEach, expect) for the shared
 * store contract to run inside a browser page; esbuild aliases "vitest" to this file for test pages.
 * `expect` is vitest's own (`@vitest/expect` on chai), so matchers behave as in Node.
 */
import * as chai from "chai";
import { JestAsymmetricMatchers, JestChaiExpect, JestExtend, GLOBAL_EXPECT, setState } from "@vitest/expect";

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

/** vitest's `expect`: chai with the Jest-style matchers vitest adds (toEqual, toMatchObject, …). */
export const expect = chai.expect;
setState({ assertionCalls: 0, isExpectingAssertions: false, isExpectingAssertionsError: null, expectedAssertionsNumber: null, expectedAssertionsNumberErrorGen: null }, expect as unknown as Parameters<typeof setState>[1]);
(globalThis as Record<symbol, unknown>)[GLOBAL_EXPECT] = expect;

export interface TestCase {
  name: string;
  skip: boolean;
  fn: () => Promise<void> | void;
  before: Array<() => Promise<void> | void>;
  after: Array<() => Promise<void> | void>;
}

const cases: TestCase[] = [];
let prefix: string[] = [];
let before: Array<() => Promise<void> | void> = [];
let after: Array<() => Promise<void> | void> = [];

export function describe(name: string, body: () => void): void {
  const saved = { prefix, before, after };
  prefix = [...prefix, name];
  before = [...before];
  after = [...after];
  try {
    body();
  } finally {
    ({ prefix, before, after } = saved);
  }
}

function register(name: string, fn: () => Promise<void> | void, skip: boolean): void {
  // The hook arrays are shared with the enclosing describe, so hooks declared after `it` apply too.
  cases.push({ name: [...prefix, name].join(" > "), skip, fn, before, after });
}

export const it = Object.assign((name: string, fn: () => Promise<void> | void) => register(name, fn, false), {
  skip: (name: string, fn: () => Promise<void> | void) => register(name, fn, true),
});
export const test = it;

export function beforeEach(fn: () => Promise<void> | void): void {
  before.push(fn);
}
export function afterEach(fn: () => Promise<void> | void): void {
  after.push(fn);
}

export interface CaseResult {
  name: string;
  status: "passed" | "failed" | "skipped";
  error?: string;
}

/** Runs every registered case in order, each with its describe blocks' hooks. */
export async function runRegisteredCases(): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of cases) {
    if (c.skip) {
      results.push({ name: c.name, status: "skipped" });
      continue;
    }
    try {
      for (const hook of c.before) await hook();
      try {
        await c.fn();
      } finally {
        for (const hook of c.after) await hook();
      }
      results.push({ name: c.name, status: "passed" });
    } catch (error) {
      results.push({ name: c.name, status: "failed", error: error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error) });
    }
  }
  return results;
}
