/**
 * @module simulator/model — what a program should return, worked out directly from its
 * description, with no runtime: activities answer at once, timers in days, events that are never
 * raised time out. It covers the instances no client operation touches and the payloads it can
 * predict; for the others it says "unknown". Checked against the reference run: a cross-check of
 * the runtime's semantics (Task.all waits for all and reports every failure, retries count
 * attempts, Task.any takes the first, sub-orchestrations and continue-as-new carry their results).
 */
import { LIMITS } from "../../src/limits.ts";
import { outcomes } from "./invariants.ts";
import { normalize } from "./orchestrations.ts";
import { DAY, ORCHESTRATOR, type Leaf, type Program, type Scenario, type Stmt } from "./program.ts";
import type { RunResult } from "./simulation.ts";

type ModelError =
  | { kind: "task"; name: string; type: string; message: string }
  | { kind: "agg"; errors: ModelError[] }
  | { kind: "timeout"; name: string; ms: number }
  | { kind: "plain"; type: string; message: string };

type Result = { ok: unknown } | { err: ModelError } | "stuck" | "unknown";

class Unknown extends Error {}

function describe(e: ModelError): string {
  switch (e.kind) {
    case "task":
      return `${e.type}:${normalize(e.message)}`;
    case "agg":
      return `agg(${e.errors.map(describe).join(",")})`;
    case "timeout":
      return `timeout:${e.name}`;
    case "plain":
      return `${e.type}:${e.message}`;
  }
}

/** The failure details an uncaught error becomes: its type and the innermost message it carries. */
function detailsOf(e: ModelError): { type: string; innermost: string } {
  switch (e.kind) {
    case "task":
      return { type: "TaskFailedError", innermost: e.message };
    case "agg":
      return { type: "TaskAggregateError", innermost: e.errors.length > 0 ? detailsOf(e.errors[0]!).innermost : "" };
    case "timeout":
      return { type: "EventTimeoutError", innermost: `No '${e.name}' event arrived` };
    case "plain":
      return { type: e.type, innermost: e.message };
  }
}

type Verdict = { status: "Completed"; output: unknown[] } | { status: "Failed"; error: ModelError } | { status: "Running" };

function evalProgram(p: Program): Verdict {
  let carry: unknown[] = [];
  for (const body of p.gens) {
    const out = carry.slice();
    for (const st of body) {
      const r = evalStmt(st, out);
      if (r === "stuck") return { status: "Running" };
      if (r !== null) return { status: "Failed", error: r };
    }
    carry = out;
  }
  return { status: "Completed", output: carry };
}

/** Runs one statement into `out`; returns the error that escapes it, "stuck", or null. */
function evalStmt(st: Stmt, out: unknown[]): ModelError | "stuck" | null {
  switch (st.s) {
    case "one": {
      const r = evalLeaf(st.leaf);
      if (r === "unknown") throw new Unknown();
      if (r === "stuck") return "stuck";
      if ("ok" in r) out.push(r.ok);
      else if (st.catch) out.push(`!${caught(r.err)}`);
      else return r.err;
      return null;
    }
    case "all": {
      const results = st.leaves.map(evalLeaf);
      if (results.includes("unknown")) throw new Unknown();
      if (results.includes("stuck")) return "stuck";
      const errors = results.flatMap((r) => (typeof r === "object" && "err" in r ? [r.err] : []));
      if (errors.length === 0) {
        out.push(results.map((r) => (r as { ok: unknown }).ok));
        return null;
      }
      const agg: ModelError = { kind: "agg", errors };
      if (!st.catch) return agg;
      out.push(`!${caught(agg)}`);
      return null;
    }
    case "any": {
      let best = -1;
      let bestAt = Infinity;
      st.leaves.forEach((l, i) => {
        const t = l.t === "timer" ? l.days * DAY : l.t === "wait" || l.t === "sub" ? Infinity : 0;
        if (t < bestAt) {
          bestAt = t;
          best = i;
        }
      });
      if (best < 0) return "stuck";
      const r = evalLeaf(st.leaves[best]!);
      if (r === "unknown" || r === "stuck") throw new Unknown();
      out.push({ won: best, r: "ok" in r ? r.ok : `!${caught(r.err)}` });
      return null;
    }
    case "status":
      if (st.bytes + 2 > LIMITS.customStatusBytes) throw new Unknown();
      out.push(`status:${st.bytes}`);
      return null;
    case "throw":
      return { kind: "plain", type: "Error", message: st.msg };
    case "ent":
      out.push(st.signal ? "signal" : "call");
      return null;
    case "lock":
      out.push("lock");
      return null;
  }
}

/** A caught error as the program writes it down; sub-orchestration failures carry runtime messages, which the model leaves alone. */
function caught(e: ModelError): string {
  const subs = (x: ModelError): boolean => (x.kind === "task" && x.name === ORCHESTRATOR) || (x.kind === "agg" && x.errors.some(subs));
  if (subs(e)) throw new Unknown();
  return describe(e);
}

function evalLeaf(leaf: Leaf): Result {
  switch (leaf.t) {
    case "act":
      return { ok: `${leaf.key}=${leaf.v}` };
    case "retry":
      return leaf.failFirst < leaf.attempts
        ? { ok: `${leaf.key}:ok@${leaf.failFirst + 1}` }
        : { err: { kind: "task", name: "SimFlaky", type: "Error", message: `${leaf.key} failed attempt ${leaf.attempts}` } };
    case "fail":
      return { err: { kind: "task", name: "SimFail", type: leaf.nonRetriable ? "NonRetriableError" : "Error", message: leaf.nonRetriable ? `${leaf.key} refuses` : `${leaf.key} always fails` } };
    case "untilRewind":
      return { err: { kind: "task", name: "SimUntilRewind", type: "Error", message: `${leaf.key} fails until ${leaf.root} is rewound` } };
    case "timer":
      return { ok: "timer" };
    case "wait":
      if (leaf.timeoutDays === undefined) return "stuck";
      if (leaf.dflt !== undefined) return { ok: `ev:${leaf.dflt}` };
      return { err: { kind: "timeout", name: leaf.name, ms: leaf.timeoutDays * DAY } };
    case "big":
      return leaf.bytes + 2 <= LIMITS.payloadBytes ? { ok: `big:${leaf.bytes}` } : "unknown";
    case "sub": {
      const v = evalProgram(leaf.prog);
      if (v.status === "Running") return "stuck";
      if (v.status === "Completed") return { ok: v.output };
      const d = detailsOf(v.error);
      return { err: { kind: "task", name: ORCHESTRATOR, type: d.type, message: d.innermost } };
    }
  }
}

/** Instances of the scenario no operation reaches (raise, terminate, suspend, rewind), with their descendants. */
function untouched(scenario: Scenario): Set<string> {
  const touched = new Set(scenario.ops.map((o) => o.target));
  const ok = new Set<string>();
  for (const s of scenario.starts) {
    if (s.input.pad !== undefined) continue;
    const ids = [s.target];
    const visit = (p: Program) => {
      for (const body of p.gens)
        for (const st of body)
          for (const l of st.s === "one" ? [st.leaf] : st.s === "all" || st.s === "any" ? st.leaves : [])
            if (l.t === "sub") {
              ids.push(l.id);
              visit(l.prog);
            }
    };
    visit(s.input.p);
    if (ids.every((id) => !touched.has(id))) ok.add(s.target);
  }
  return ok;
}

/** Compares the reference run with the model, for the instances the model covers. */
export function checkModel(scenario: Scenario, reference: RunResult): string[] {
  if (!reference.snapshot) return [];
  const got = outcomes(reference.snapshot);
  const problems: string[] = [];
  const covered = untouched(scenario);
  for (const s of scenario.starts) {
    if (!covered.has(s.target)) continue;
    let v: Verdict;
    try {
      v = evalProgram(s.input.p);
    } catch (error) {
      if (error instanceof Unknown) continue;
      throw error;
    }
    const g = got.get(s.target);
    if (!g) {
      problems.push(`${s.target} should be ${v.status}, but the reference run has no such instance`);
      continue;
    }
    if (g.status !== v.status) {
      problems.push(`${s.target} should be ${v.status}${v.status === "Completed" ? ` with ${JSON.stringify(v.output)}` : ""}, the reference run left it ${g.status} (${g.output ?? g.failure})`);
    } else if (v.status === "Completed" && g.output !== normalize(JSON.stringify(v.output))) {
      problems.push(`${s.target} should return ${JSON.stringify(v.output)}, the reference run returned ${g.output}`);
    } else if (v.status === "Failed") {
      const d = detailsOf(v.error);
      if (!g.failure?.startsWith(`${d.type}: `) || !g.failure.includes(normalize(d.innermost))) {
        problems.push(`${s.target} should fail with ${d.type} (${d.innermost}), the reference run failed with ${g.failure}`);
      }
    }
  }
  return problems;
}
