/**
 * @module simulator/program — random orchestration programs and the client operations played
 * against them, as plain data. One registered orchestrator (`SimProgram`, see `orchestrations.ts`)
 * interprets any program, so a generated scenario needs nothing registered for it.
 *
 * Timing is quantised so that a run with faults reaches the same outcome as the run without:
 * every timer, timeout and retry is a whole number of days (or a few seconds for retries), and
 * every client operation happens at its own offset within its day (`OP_SPACING` apart), so no
 * operation ever lands near a timer. Faults move the clock by at most `DRIFT_BUDGET_MS` in all,
 * far less than half the spacing: whatever raced in the fault-free run is decided the same way.
 */
import { LIMITS } from "../../src/limits.ts";
import { Rng } from "./prng.ts";

export const DAY = 86_400_000;
export const T0 = Date.UTC(2026, 0, 1);
/** Client operations sit at distinct offsets within their day, this far apart. */
export const OP_SPACING = 45 * 60_000;
export const MAX_OPS = 28;
/** The most the clock may be moved by faults (lease expiries, jumps) in one run. */
export const DRIFT_BUDGET_MS = 8 * 60_000;

export const ORCHESTRATOR = "SimProgram";

/** An activity leaf may be local (`{ local: true }`: run inside the step by the host that steps the instance). */
interface Local {
  local?: true;
}

/** A task an orchestrator can start. */
export type Leaf =
  /** `SimEcho` returns `key=v`. */
  | ({ t: "act"; key: string; v: number } & Local)
  /** `SimFlaky` with a retry policy: fails its first `failFirst` attempts (counted by work item). */
  | ({ t: "retry"; key: string; failFirst: number; attempts: number; firstMs: number } & Local)
  /** `SimFail` always fails. */
  | ({ t: "fail"; key: string; nonRetriable: boolean } & Local)
  /** `SimUntilRewind` fails until its root instance has been rewound. */
  | ({ t: "untilRewind"; key: string; root: string } & Local)
  | { t: "timer"; days: number }
  /** An external event; with `timeoutDays`, raced against a timeout (and a default value, if given). */
  | { t: "wait"; name: string; timeoutDays?: number; dflt?: string }
  | { t: "sub"; id: string; prog: Program }
  /** `SimBig` returns a string of `bytes` characters (near or over the payload limit). */
  | ({ t: "big"; key: string; bytes: number } & Local);

export type Stmt =
  | { s: "one"; leaf: Leaf; catch: boolean }
  | { s: "all"; leaves: Leaf[]; catch: boolean }
  /** `Task.any`: at most one leaf that finishes at once; the others are timers of distinct lengths and event waits. */
  | { s: "any"; leaves: Leaf[] }
  /** `setCustomStatus` of a string this long (the limit is 16 KB of JSON). */
  | { s: "status"; bytes: number; catch: boolean }
  | { s: "throw"; msg: string }
  /** `callEntity` (or, with `signal`, `signalEntity`) of `SimTally` `key`'s `add`. */
  | { s: "ent"; key: string; amount: number; signal: boolean }
  /** A critical section over the tallies `keys`: each is called with `add` inside, then released. */
  | { s: "lock"; keys: string[]; amount: number };

export interface Program {
  /** One body per execution: generation g continues as new into g + 1. */
  gens: Stmt[][];
  preserve: boolean;
}

/** What `SimProgram` takes as input. */
export interface ProgramInput {
  p: Program;
  g: number;
  carry: unknown[];
  /** Padding, to bring the input near the payload limit. */
  pad?: string;
}

export interface EventPayload {
  token: string;
  pad?: string;
}

export type Op =
  | { op: "start"; at: number; target: string; input: ProgramInput }
  | { op: "raise"; at: number; target: string; name: string; payload: EventPayload }
  | { op: "terminate"; at: number; target: string }
  | { op: "suspend"; at: number; target: string }
  | { op: "resume"; at: number; target: string }
  | { op: "rewind"; at: number; target: string };

export interface Scenario {
  /** Started at T0, before anything else. */
  starts: Extract<Op, { op: "start" }>[];
  /** In time order, each at its own offset. */
  ops: Op[];
  /** Whether the scenario plays near-limit and over-limit payloads (the `sizeLimit` fault kind). */
  sizes: boolean;
}

/** An operation before it is given its time. */
type Draft = Op extends infer O ? (O extends Op ? Omit<O, "at"> : never) : never;

interface WaitSite {
  instanceId: string;
  name: string;
  timeout: boolean;
}

interface GenContext {
  rng: Rng;
  sizes: boolean;
  counter: number;
  waits: WaitSite[];
  /** Roots whose programs have a `untilRewind` task. */
  rewindRoots: Set<string>;
  /** Every instance id a program may create (children), for stray operations. */
  children: string[];
}

export interface ScenarioOptions {
  /** Play near-limit and over-limit payloads. */
  sizes: boolean;
  /** Add entity statements to some programs (default: for about a third of the seeds, see `ENTITY_FREE_SEEDS`). */
  entities?: boolean | undefined;
  /** How many top-level instances (default 1–3). */
  instances?: number;
}

/** The scenario of a seed: programs for a few instances and the client operations against them. */
export function generateScenario(seed: number, options: ScenarioOptions): Scenario {
  const rng = Rng.fork(seed, "program");
  const ctx: GenContext = { rng, sizes: options.sizes, counter: 0, waits: [], rewindRoots: new Set(), children: [] };
  const count = options.instances ?? rng.range(1, 3);
  const starts: Extract<Op, { op: "start" }>[] = [];
  for (let i = 0; i < count; i++) {
    const id = `p${i}`;
    const input: ProgramInput = { p: genProgram(ctx, id, id, 0), g: 0, carry: [] };
    if (ctx.sizes && rng.chance(0.25)) input.pad = "i".repeat(LIMITS.payloadBytes - JSON.stringify(input).length - rng.range(20, 400));
    starts.push({ op: "start", at: T0, target: id, input });
  }
  if (ctx.sizes && rng.chance(0.5)) {
    // Refused before anything is stored: PayloadTooLarge.
    const input: ProgramInput = { p: { gens: [[]], preserve: false }, g: 0, carry: [], pad: "o".repeat(LIMITS.payloadBytes + rng.range(1, 2000)) };
    starts.push({ op: "start", at: T0, target: "oversize", input });
  }

  const roots = starts.filter((s) => s.target !== "oversize").map((s) => s.target);
  const drafts: { day: number; op: Draft }[] = [];
  let token = 0;
  const payload = (): EventPayload => {
    const p: EventPayload = { token: `t${token++}` };
    if (ctx.sizes && rng.chance(0.2)) p.pad = "e".repeat(rng.chance(0.5) ? LIMITS.payloadBytes - rng.range(40, 300) : LIMITS.payloadBytes + rng.range(1, 500));
    return p;
  };
  for (const w of ctx.waits) {
    if (!rng.chance(w.timeout ? 0.6 : 0.85)) continue;
    drafts.push({ day: rng.range(0, 4), op: { op: "raise", target: w.instanceId, name: w.name, payload: payload() } });
  }
  const anyTarget = () => (ctx.children.length > 0 && rng.chance(0.3) ? rng.pick(ctx.children) : rng.pick(roots));
  if (roots.length > 0) {
    if (rng.chance(0.3)) drafts.push({ day: rng.range(0, 3), op: { op: "raise", target: anyTarget(), name: "stray", payload: payload() } });
    for (const root of roots) {
      if (rng.chance(0.12)) drafts.push({ day: rng.range(0, 5), op: { op: "terminate", target: root } });
      if (rng.chance(0.15)) {
        const day = rng.range(0, 3);
        drafts.push({ day, op: { op: "suspend", target: root } });
        if (rng.chance(0.85)) drafts.push({ day: day + rng.range(1, 3), op: { op: "resume", target: root } });
      }
      if (ctx.rewindRoots.has(root)) {
        const day = rng.range(1, 5);
        drafts.push({ day, op: { op: "rewind", target: root } });
        if (rng.chance(0.3)) drafts.push({ day: day + rng.range(1, 3), op: { op: "rewind", target: root } });
      } else if (rng.chance(0.08)) {
        drafts.push({ day: rng.range(1, 8), op: { op: "rewind", target: anyTarget() } });
      }
    }
  }
  // Each operation gets its own offset within its day: no two land together, none near a timer.
  const chosen = rng.shuffle(drafts).slice(0, MAX_OPS);
  const ops = chosen.map((d, i) => ({ ...d.op, at: T0 + d.day * DAY + (i + 1) * OP_SPACING }) as Op);
  // A resume must follow its suspend (and a second rewind its first): order by time keeps that.
  ops.sort((a, b) => a.at - b.at);
  if (options.entities ?? (!ENTITY_FREE_SEEDS.has(seed) && Rng.fork(seed, "entities?").chance(0.35))) addEntityStatements(seed, starts);
  return { starts, ops, sizes: ctx.sizes };
}

/** The tallies (`SimTally` entities) programs share, so that instances race on them. */
export const TALLY_KEYS = ["t0", "t1", "t2"];

/**
 * Seeds recorded before entities were simulated (the regressions of defects A, B and C): their
 * scenarios stay exactly as they were found.
 */
export const ENTITY_FREE_SEEDS = new Set([46, 723, 5581, 7127, 10_046, 13_126, 10_243, 10_397, 13_152, 10_587]);

/**
 * Inserts entity calls, signals and critical sections into the programs' bodies, from a stream of
 * its own (the rest of the scenario is what it would be without them).
 */
function addEntityStatements(seed: number, starts: readonly Extract<Op, { op: "start" }>[]): void {
  const rng = Rng.fork(seed, "entities");
  const visit = (p: Program) => {
    for (const body of p.gens) {
      for (const st of body) {
        const leaves = st.s === "one" ? [st.leaf] : st.s === "all" || st.s === "any" ? st.leaves : [];
        for (const l of leaves) if (l.t === "sub") visit(l.prog);
      }
      const count = rng.range(0, 3);
      for (let i = 0; i < count; i++) {
        const at = rng.range(0, body.length);
        const stmt: Stmt = rng.chance(0.25)
          ? { s: "lock", keys: rng.shuffle(TALLY_KEYS).slice(0, rng.range(1, 2)), amount: rng.range(1, 9) }
          : { s: "ent", key: rng.pick(TALLY_KEYS), amount: rng.range(1, 9), signal: rng.chance(0.4) };
        body.splice(at, 0, stmt);
      }
    }
  };
  for (const s of starts) if (s.target !== "oversize") visit(s.input.p);
}

function genProgram(ctx: GenContext, instanceId: string, root: string, depth: number): Program {
  const { rng } = ctx;
  const gens: Stmt[][] = [];
  const count = depth === 0 && rng.chance(0.2) ? rng.range(2, 3) : 1;
  for (let g = 0; g < count; g++) {
    const body: Stmt[] = [];
    const n = rng.range(1, depth === 0 ? 5 : 3);
    for (let i = 0; i < n; i++) body.push(genStmt(ctx, instanceId, root, depth));
    if (g === count - 1 && rng.chance(0.05)) body.push({ s: "throw", msg: `${instanceId} gives up` });
    gens.push(body);
  }
  return { gens, preserve: rng.chance(0.5) };
}

function genStmt(ctx: GenContext, instanceId: string, root: string, depth: number): Stmt {
  const { rng } = ctx;
  const kind = rng.weighted<Stmt["s"]>([
    ["one", 45],
    ["all", 22],
    ["any", 13],
    ["status", ctx.sizes ? 8 : 4],
  ]);
  switch (kind) {
    case "one":
      return { s: "one", leaf: genLeaf(ctx, instanceId, root, depth, { plainWait: true }), catch: rng.chance(0.75) };
    case "all": {
      const big = ctx.sizes && rng.chance(0.3);
      const n = big ? rng.range(3, 9) : rng.range(2, 4);
      const leaves: Leaf[] = [];
      for (let i = 0; i < n; i++) leaves.push(big ? maybeLocal(ctx, bigLeaf(ctx, instanceId, true)) : genLeaf(ctx, instanceId, root, depth, { plainWait: false }));
      return { s: "all", leaves, catch: rng.chance(0.75) };
    }
    case "any": {
      const leaves: Leaf[] = [];
      if (rng.chance(0.6)) {
        leaves.push(
          maybeLocal(ctx, rng.weighted<Leaf>([
            [{ t: "act", key: key(ctx, instanceId), v: rng.int(100) }, 3],
            [{ t: "retry", key: key(ctx, instanceId), failFirst: rng.range(0, 3), attempts: rng.range(1, 4), firstMs: rng.range(5, 20) * 1000 }, 1],
            [{ t: "fail", key: key(ctx, instanceId), nonRetriable: false }, 1],
          ])),
        );
      }
      const days = rng.shuffle([1, 2, 3]).slice(0, rng.range(1, 2));
      for (const d of days) leaves.push({ t: "timer", days: d });
      if (rng.chance(0.5)) {
        const name = `ev${ctx.counter++}`;
        ctx.waits.push({ instanceId, name, timeout: true });
        leaves.push({ t: "wait", name });
      }
      return { s: "any", leaves: rng.shuffle(leaves) };
    }
    case "status": {
      const limit = LIMITS.customStatusBytes;
      const bytes = ctx.sizes && rng.chance(0.6) ? (rng.chance(0.5) ? limit - 2 - rng.range(0, 50) : limit + rng.range(1, 100)) : rng.range(1, 64);
      return { s: "status", bytes, catch: rng.chance(0.7) };
    }
    default:
      throw new Error(`unreachable: ${kind}`);
  }
}

function key(ctx: GenContext, instanceId: string): string {
  return `${instanceId}#${ctx.counter++}`;
}

function bigLeaf(ctx: GenContext, instanceId: string, near: boolean): Leaf {
  const { rng } = ctx;
  // The result is a JSON string: two quotes around the characters.
  const bytes = near ? LIMITS.payloadBytes - 2 - rng.range(0, 200) : LIMITS.payloadBytes + rng.range(1, 1000);
  return { t: "big", key: key(ctx, instanceId), bytes };
}

function genLeaf(ctx: GenContext, instanceId: string, root: string, depth: number, options: { plainWait: boolean }): Leaf {
  const leaf = genPlainLeaf(ctx, instanceId, root, depth, options);
  return maybeLocal(ctx, leaf);
}

/** A quarter of the activities run local (inside the step). */
function maybeLocal(ctx: GenContext, leaf: Leaf): Leaf {
  const activityLeaf = leaf.t === "act" || leaf.t === "retry" || leaf.t === "fail" || leaf.t === "untilRewind" || leaf.t === "big";
  return activityLeaf && ctx.rng.chance(0.25) ? { ...leaf, local: true } : leaf;
}

function genPlainLeaf(ctx: GenContext, instanceId: string, root: string, depth: number, options: { plainWait: boolean }): Leaf {
  const { rng } = ctx;
  const kind = rng.weighted<Leaf["t"]>([
    ["act", 30],
    ["retry", 15],
    ["fail", 5],
    ["untilRewind", 4],
    ["timer", 12],
    ["wait", options.plainWait ? 14 : 10],
    ["sub", depth < 2 ? 10 : 0],
    ["big", ctx.sizes ? 8 : 0],
  ]);
  switch (kind) {
    case "act":
      return { t: "act", key: key(ctx, instanceId), v: rng.int(1000) };
    case "retry":
      return { t: "retry", key: key(ctx, instanceId), failFirst: rng.range(0, 3), attempts: rng.range(1, 4), firstMs: rng.range(5, 20) * 1000 };
    case "fail":
      return { t: "fail", key: key(ctx, instanceId), nonRetriable: rng.chance(0.3) };
    case "untilRewind":
      ctx.rewindRoots.add(root);
      return { t: "untilRewind", key: key(ctx, instanceId), root };
    case "timer":
      return { t: "timer", days: rng.range(1, 3) };
    case "wait": {
      const name = `ev${ctx.counter++}`;
      const timeout = !options.plainWait || rng.chance(0.6);
      ctx.waits.push({ instanceId, name, timeout });
      if (!timeout) return { t: "wait", name };
      return rng.chance(0.3) ? { t: "wait", name, timeoutDays: rng.range(1, 3), dflt: "dflt" } : { t: "wait", name, timeoutDays: rng.range(1, 3) };
    }
    case "sub": {
      const id = `${instanceId}.c${ctx.counter++}`;
      ctx.children.push(id);
      return { t: "sub", id, prog: genProgram(ctx, id, root, depth + 1) };
    }
    case "big":
      return bigLeaf(ctx, instanceId, rng.chance(0.7));
    default:
      throw new Error(`unreachable: ${kind}`);
  }
}

/** Every instance id a scenario can create: its roots and every sub-orchestration in them. */
export function instanceIdsOf(scenario: Scenario): string[] {
  const ids: string[] = [];
  const visit = (p: Program) => {
    for (const body of p.gens)
      for (const st of body) {
        const leaves = st.s === "one" ? [st.leaf] : st.s === "all" || st.s === "any" ? st.leaves : [];
        for (const l of leaves)
          if (l.t === "sub") {
            ids.push(l.id);
            visit(l.prog);
          }
      }
  };
  for (const s of scenario.starts) {
    ids.push(s.target);
    visit(s.input.p);
  }
  return ids;
}

/** A short description, for failure reports. */
export function describeScenario(scenario: Scenario): string {
  const leaves = (l: Leaf): string => ("local" in l && l.local ? "local:" : "") + leaf(l);
  const leaf = (l: Leaf): string => {
    switch (l.t) {
      case "act":
        return "act";
      case "retry":
        return `retry(${l.failFirst}/${l.attempts})`;
      case "fail":
        return l.nonRetriable ? "fail!" : "fail";
      case "untilRewind":
        return "untilRewind";
      case "timer":
        return `timer(${l.days}d)`;
      case "wait":
        return `wait(${l.name}${l.timeoutDays === undefined ? "" : `,${l.timeoutDays}d${l.dflt === undefined ? "" : ",dflt"}`})`;
      case "sub":
        return `sub(${l.id}:${prog(l.prog)})`;
      case "big":
        return `big(${l.bytes})`;
    }
  };
  const stmt = (s: Stmt): string => {
    switch (s.s) {
      case "one":
        return `${leaves(s.leaf)}${s.catch ? "?" : ""}`;
      case "all":
        return `all[${s.leaves.map(leaves).join(",")}]${s.catch ? "?" : ""}`;
      case "any":
        return `any[${s.leaves.map(leaves).join(",")}]`;
      case "status":
        return `status(${s.bytes})`;
      case "throw":
        return "throw";
      case "ent":
        return `${s.signal ? "signal" : "call"}(${s.key}+${s.amount})`;
      case "lock":
        return `lock(${s.keys.join(",")}+${s.amount})`;
    }
  };
  const prog = (p: Program): string => p.gens.map((g) => g.map(stmt).join(";")).join(" |can| ");
  const starts = scenario.starts.map((s) => `${s.target}: ${prog(s.input.p)}${s.input.pad ? ` (+${s.input.pad.length} pad)` : ""}`);
  const ops = scenario.ops.map((o) => `${((o.at - T0) / DAY).toFixed(2)}d ${o.op} ${o.target}${o.op === "raise" ? ` ${o.name}` : ""}`);
  return [...starts, `ops: ${ops.join(", ") || "none"}`].join("\n");
}
