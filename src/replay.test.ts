/**
 * Replay checks before deploy: histories recorded by running the samples (examples/*.ts) on the
 * memory store, replayed against the samples themselves (clean), and against ten deliberate code
 * changes: the eight that break instances in flight fail with a message naming the event, the two
 * safe ones (a versioned branch done right, a change that only reformats) pass.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createTestRuntime } from "../testing/index.ts";
import { fanOut, helloParallel, helloSequence, humanInteraction, monitor, samples, sayHello, square } from "../examples/index.ts";
import {
  activity,
  formatReplayReport,
  orchestrator,
  readHistory,
  replayHistories,
  replayHistory,
  Task,
  type HistoryEvent,
  type OrchestrationStatus,
  type OrchestratorDefinition,
} from "./index.ts";

/** A sample that is not in examples/: a parent running the tutorial's orchestration as a sub-orchestration. */
const citiesParent = orchestrator("CitiesParent", function* (ctx) {
  const greetings = yield* ctx.callSubOrchestrator(helloSequence, null, `${ctx.instanceId}:cities`);
  return { greetings };
});

interface Recorded {
  /** Stored events, as getHistory returns them. */
  history: HistoryEvent[];
  /** Durable Functions' rendered form (showHistory + showHistoryOutput). */
  status: OrchestrationStatus;
}

const recorded: Record<string, Recorded> = {};

async function record(key: string, run: (t: ReturnType<typeof createTestRuntime>) => Promise<string>, t: ReturnType<typeof createTestRuntime>) {
  const id = await run(t);
  recorded[key] = {
    history: await t.client.getHistory(id),
    status: (await t.client.getStatus(id, { showHistory: true, showHistoryOutput: true }))!,
  };
}

beforeAll(async () => {
  const t = createTestRuntime({ orchestrators: [...samples.orchestrators, citiesParent], activities: samples.activities });
  await record("sequence", async (t) => (await t.run(helloSequence, { instanceId: "seq-1" })).instanceId, t);
  await record("parallel", async (t) => (await t.run(helloParallel, { instanceId: "par-1" })).instanceId, t);
  await record("fanOut", async (t) => (await t.run(fanOut, { instanceId: "fan-1", input: { count: 4 } })).instanceId, t);
  await record("approved", async (t) => {
    const id = await t.start(humanInteraction, { instanceId: "hi-approved", input: { timeoutSeconds: 600 } });
    await t.advanceTime({ minutes: 1 });
    await t.raiseEvent(id, "Approval", { by: "ada" });
    return id;
  }, t);
  await record("timedOut", async (t) => (await t.run(humanInteraction, { instanceId: "hi-timeout", input: { timeoutSeconds: 60 } })).instanceId, t);
  await record("waiting", async (t) => t.start(humanInteraction, { instanceId: "hi-waiting" }), t); // in flight
  await record("monitor", async (t) => (await t.run(monitor, { instanceId: "mon-1", input: { intervalSeconds: 5, checksLeft: 2 } })).instanceId, t);
  await record("parent", async (t) => (await t.run(citiesParent, { instanceId: "parent-1" })).instanceId, t);
  expect(recorded.sequence!.status.runtimeStatus).toBe("Completed");
  expect(recorded.approved!.status.output).toEqual({ approved: true, approval: { by: "ada" } });
  expect(recorded.timedOut!.status.output).toEqual({ approved: false, timedOut: true });
  expect(recorded.waiting!.status.runtimeStatus).toBe("Running");
  expect(recorded.parent!.status.output).toEqual({ greetings: ["Hello Tokyo!", "Hello Seattle!", "Hello London!"] });
});

const ALL = [...samples.orchestrators, citiesParent];

describe("replaying the samples' recorded histories against the samples", () => {
  it("every stored history replays cleanly", () => {
    const results = replayHistories(ALL, Object.values(recorded).map((r) => r.history));
    expect(results.map((r) => [r.name, r.ok, r.problems])).toEqual(Object.values(recorded).map((r) => [r.status.name, true, []]));
    expect(results.every((r) => r.format === "stored")).toBe(true);
  });

  it("every Durable Functions historyEvents rendering replays cleanly", () => {
    const results = replayHistories(ALL, Object.values(recorded).map((r) => r.status));
    for (const r of results) expect(r, formatReplayReport([r])).toMatchObject({ ok: true, format: "rendered" });
    expect(results.map((r) => r.instanceId)).toEqual(Object.values(recorded).map((r) => r.status.instanceId));
  });

  it("rendered completions are paired by name and input, whatever order they arrived in", () => {
    const status = structuredClone(recorded.fanOut!.status);
    const rows = status.historyEvents!;
    const completions = rows.filter((r) => r.EventType === "TaskCompleted").reverse();
    let k = 0;
    status.historyEvents = rows.map((r) => (r.EventType === "TaskCompleted" ? completions[k++]! : r));
    expect(replayHistory(ALL, status)).toMatchObject({ ok: true });
  });

  it("a rendered history without outputs is refused, saying how to fetch one", () => {
    const status = structuredClone(recorded.sequence!.status);
    for (const r of status.historyEvents!) delete r.Result;
    const [problem] = replayHistory(ALL, status).problems;
    expect(problem).toMatchObject({ kind: "unreadable", eventType: "TaskCompleted" });
    expect(problem!.message).toContain("showHistoryOutput=true");
  });

  it("an orchestrator missing from the code is named, with what was given", () => {
    const result = replayHistory([helloParallel], recorded.sequence!.history);
    expect(result.problems[0]).toMatchObject({ kind: "unknownOrchestrator", eventType: "ExecutionStarted" });
    expect(result.problems[0]!.message).toContain("'OrchestratorFunction'");
    expect(result.problems[0]!.message).toContain("given: OrchestratorFunction_Parallel");
  });

  it("what is not a history is reported per history, without stopping the others", () => {
    const results = replayHistories(ALL, [{ hello: 1 }, [{ EventType: "Nope" }], recorded.sequence!.history]);
    expect(results.map((r) => r.ok)).toEqual([false, false, true]);
    expect(results[0]!.problems[0]!.message).toContain("This is not a history");
    expect(results[1]!.problems[0]!.message).toContain("historyEvents[0] is not a history event");
  });
});

// --- ten deliberate changes ---

const greet = activity("Greet", (city: string) => `Hi ${city}!`);

/** The tutorial's orchestrator under its own name, with another body. */
function sequenceVariant(body: (ctx: Parameters<typeof helloSequence.fn>[0]) => Generator<any, unknown, any>): OrchestratorDefinition {
  return orchestrator(helloSequence.name, body as never);
}

interface Change {
  what: string;
  orchestrators: OrchestratorDefinition[];
  history: keyof typeof recorded;
  /** null: a safe change, it must pass. */
  /** `renderedEventType`: where the rendered form (no scheduling events) reports it, when elsewhere. */
  breaks: { eventType: string; renderedEventType?: string; kind: "nondeterminism" | "divergence"; mentions: string[] } | null;
}

const CHANGES: Change[] = [
  {
    what: "activity renamed",
    history: "sequence",
    orchestrators: [
      sequenceVariant(function* (ctx) {
        const out: string[] = [];
        for (const city of ["Tokyo", "Seattle", "London"]) out.push(yield* ctx.callActivity(greet, city));
        return out;
      }),
    ],
    breaks: { eventType: "TaskScheduled", renderedEventType: "TaskCompleted", kind: "nondeterminism", mentions: ["'OrchestratorFunction_Hello'", "'Greet'", "sequence id 0"] },
  },
  {
    what: "input changed",
    history: "sequence",
    orchestrators: [
      sequenceVariant(function* (ctx) {
        const out: string[] = [];
        for (const city of ["Tokyo", "Seattle", "London"]) out.push(yield* ctx.callActivity(sayHello, city.toUpperCase()));
        return out;
      }),
    ],
    breaks: { eventType: "TaskScheduled", renderedEventType: "TaskCompleted", kind: "nondeterminism", mentions: ['"Tokyo"', '"TOKYO"'] },
  },
  {
    what: "step added",
    history: "sequence",
    orchestrators: [
      sequenceVariant(function* (ctx) {
        const out: string[] = [];
        out.push(yield* ctx.callActivity(sayHello, "Tokyo"));
        yield* ctx.callActivity(square, 7); // new
        out.push(yield* ctx.callActivity(sayHello, "Seattle"));
        out.push(yield* ctx.callActivity(sayHello, "London"));
        return out;
      }),
    ],
    breaks: { eventType: "TaskScheduled", renderedEventType: "TaskCompleted", kind: "nondeterminism", mentions: ["'OrchestratorFunction_Hello'", "'Square'", "sequence id 1"] },
  },
  {
    what: "step removed",
    history: "sequence",
    orchestrators: [
      sequenceVariant(function* (ctx) {
        return [yield* ctx.callActivity(sayHello, "Tokyo"), yield* ctx.callActivity(sayHello, "Seattle")];
      }),
    ],
    breaks: { eventType: "TaskScheduled", renderedEventType: "TaskCompleted", kind: "nondeterminism", mentions: ['"London"', "sequence id 2", "had already finished"] },
  },
  {
    what: "order swapped",
    history: "sequence",
    orchestrators: [
      sequenceVariant(function* (ctx) {
        const out: string[] = [];
        for (const city of ["Seattle", "Tokyo", "London"]) out.push(yield* ctx.callActivity(sayHello, city));
        return out;
      }),
    ],
    breaks: { eventType: "TaskScheduled", renderedEventType: "TaskCompleted", kind: "nondeterminism", mentions: ['"Tokyo"', '"Seattle"', "sequence id 0"] },
  },
  {
    what: "timer added",
    history: "sequence",
    orchestrators: [
      sequenceVariant(function* (ctx) {
        yield* ctx.createTimer(ctx.currentUtcDateTime.getTime() + 1000); // new: a pause first
        const out: string[] = [];
        for (const city of ["Tokyo", "Seattle", "London"]) out.push(yield* ctx.callActivity(sayHello, city));
        return out;
      }),
    ],
    breaks: { eventType: "TaskScheduled", renderedEventType: "TaskCompleted", kind: "nondeterminism", mentions: ["a timer", "'OrchestratorFunction_Hello'"] },
  },
  {
    what: "event name changed",
    history: "approved",
    orchestrators: [
      orchestrator(humanInteraction.name, function* (ctx) {
        const input = (ctx.getInput() ?? {}) as { timeoutSeconds?: number };
        const deadline = new Date(ctx.currentUtcDateTime.getTime() + (input.timeoutSeconds ?? 3600) * 1000);
        ctx.setCustomStatus({ waitingFor: "Approved", deadline: deadline.toISOString() });
        const approval = ctx.waitForExternalEvent("Approved"); // was "Approval"
        const timeout = ctx.createTimer(deadline);
        const winner = yield* Task.any([approval, timeout]);
        if (winner === approval) {
          timeout.cancel();
          return { approved: true, approval: approval.result };
        }
        return { approved: false, timedOut: true };
      }),
    ],
    breaks: { eventType: "EventRaised", kind: "divergence", mentions: ["'Approval'", "'Approved'"] },
  },
  {
    what: "sub-orchestration changed",
    history: "parent",
    orchestrators: [
      orchestrator(citiesParent.name, function* (ctx) {
        const greetings = yield* ctx.callSubOrchestrator(helloParallel, null, `${ctx.instanceId}:cities`); // was helloSequence
        return { greetings };
      }),
      ...samples.orchestrators.filter((o) => o.name !== citiesParent.name),
    ],
    breaks: { eventType: "SubOrchestrationInstanceCreated", renderedEventType: "SubOrchestrationInstanceCompleted", kind: "nondeterminism", mentions: ["'OrchestratorFunction'", "'OrchestratorFunction_Parallel'"] },
  },
  {
    what: "versioned branch done right",
    history: "sequence",
    orchestrators: [
      sequenceVariant(function* (ctx) {
        const out: string[] = [];
        if (ctx.version === undefined || ctx.version === "1") {
          // The path instances started before version 2 took: unchanged, so they replay it.
          for (const city of ["Tokyo", "Seattle", "London"]) out.push(yield* ctx.callActivity(sayHello, city));
          return out;
        }
        // Version 2: a new city first, and greetings in parallel.
        return yield* Task.all(["Paris", "Tokyo", "Seattle", "London"].map((city) => ctx.callActivity(greet, city)));
      }),
    ],
    breaks: null,
  },
  {
    what: "code that only reformats",
    history: "sequence",
    orchestrators: [
      sequenceVariant(function* (context) {
        const say = (place: string) => context.callActivity(sayHello, place);
        const greetings = [];
        greetings.push(yield* say("Tokyo"));
        greetings.push(yield* say("Seattle"));
        greetings.push(yield* say("London"));
        return greetings;
      }),
    ],
    breaks: null,
  },
];

describe("ten deliberate changes to the samples, replayed against their recorded histories", () => {
  it.each(CHANGES.map((c) => [c.what, c]))("%s", (_what, change) => {
    const { history, status } = recorded[change.history]!;
    const orchestrators = change.orchestrators.some((o) => o.name === citiesParent.name) ? change.orchestrators : [...change.orchestrators, citiesParent];
    for (const form of [history, status]) {
      const result = replayHistory(orchestrators, form);
      const report = formatReplayReport([result]);
      if (!change.breaks) {
        expect(result.ok, report).toBe(true);
        expect(report).toMatch(/^ok /);
        continue;
      }
      expect(result.ok, report).toBe(false);
      expect(result.problems).toHaveLength(1);
      const [p] = result.problems;
      const eventType = form === history ? change.breaks.eventType : (change.breaks.renderedEventType ?? change.breaks.eventType);
      expect(p).toMatchObject({ eventType, kind: change.breaks.kind });
      // The message names the event: its position in the history as given, and its type.
      expect(p!.message).toMatch(new RegExp(`^Event #${p!.eventIndex} \\(${eventType}\\)`));
      const rows = (form === history ? history : status.historyEvents!) as { EventType: unknown }[];
      expect(rows[p!.eventIndex]!.EventType).toBe(eventType);
      for (const text of change.breaks.mentions.filter((m) => form === history || !m.startsWith("sequence id"))) expect(p!.message).toContain(text);
      expect(report).toContain(`event #${p!.eventIndex} ${eventType}`);
      expect(report).toContain(`history: ${p!.expected}`);
      expect(report).toContain(`code:    ${p!.actual}`);
    }
  });

  it("eight break, two pass", () => {
    const results = CHANGES.map((c) => replayHistory([...c.orchestrators, citiesParent].filter((o, i, all) => all.findIndex((x) => x.name === o.name) === i), recorded[c.history]!.history));
    expect(results.filter((r) => !r.ok)).toHaveLength(8);
    expect(CHANGES.filter((_, i) => results[i]!.ok).map((c) => c.what)).toEqual(["versioned branch done right", "code that only reformats"]);
  });
});

describe("versioning: branch on ctx.version so old instances replay the old path", () => {
  const v2 = CHANGES.find((c) => c.what === "versioned branch done right")!.orchestrators[0]!;

  it("instances started as version 2 take the new path, and their histories replay against the same code", async () => {
    const t = createTestRuntime({ orchestrators: [v2], activities: [sayHello, greet] });
    const old = await t.run(v2, { instanceId: "v1" });
    const current = await t.run(v2, { instanceId: "v2", version: "2" });
    expect(old.output).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
    expect(current.output).toEqual(["Hi Paris!", "Hi Tokyo!", "Hi Seattle!", "Hi London!"]);
    const results = replayHistories([v2], [await t.client.getHistory("v1"), await t.client.getHistory("v2"), recorded.sequence!.history]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
  });

  it("without the branch, version-2 code breaks the old instances", () => {
    const unversioned = sequenceVariant(function* (ctx) {
      return yield* Task.all(["Paris", "Tokyo", "Seattle", "London"].map((city) => ctx.callActivity(greet, city)));
    });
    const result = replayHistory([unversioned], recorded.sequence!.history);
    expect(result.ok).toBe(false);
    expect(result.problems[0]!.message).toContain("'Greet'");
  });
});

describe("what replay checks beyond scheduling", () => {
  it("in-flight histories: extra work at a recorded step is a divergence, not counted with strict: false", () => {
    const extra = orchestrator(humanInteraction.name, function* (ctx) {
      const approval = ctx.waitForExternalEvent("Approval");
      const timeout = ctx.createTimer(ctx.currentUtcDateTime.getTime() + 3600_000);
      ctx.callActivity(sayHello, "audit"); // new, fire and forget, after the recorded timer (sequence id 1)
      const winner = yield* Task.any([approval, timeout]);
      return winner === approval ? { approved: true } : { approved: false };
    });
    const strict = replayHistory([extra], recorded.waiting!.history);
    expect(strict.ok).toBe(false);
    expect(strict.problems[0]).toMatchObject({ kind: "divergence", eventType: "OrchestratorCompleted" });
    expect(strict.problems[0]!.message).toContain("the code also scheduled activity 'OrchestratorFunction_Hello' with input \"audit\" (sequence id 1)");
    expect(replayHistory([extra], recorded.waiting!.history, { strict: false })).toMatchObject({ ok: true, problems: [] });
  });

  it("a different output of a completed history is a divergence, unless checkOutput is false", () => {
    const shout = sequenceVariant(function* (ctx) {
      const out: string[] = [];
      for (const city of ["Tokyo", "Seattle", "London"]) out.push((yield* ctx.callActivity(sayHello, city)).toUpperCase());
      return out;
    });
    const result = replayHistory([shout], recorded.sequence!.history);
    expect(result.problems[0]).toMatchObject({ kind: "divergence", eventType: "ExecutionCompleted" });
    expect(result.problems[0]!.message).toContain('"HELLO TOKYO!"');
    expect(replayHistory([shout], recorded.sequence!.history, { checkOutput: false }).ok).toBe(true);
    expect(replayHistory([shout], recorded.sequence!.history, { strict: false }).ok).toBe(true);
  });

  it("an instance document and a { history } object are read like stored events", () => {
    const loaded = readHistory({ instanceId: "x", name: "OrchestratorFunction", history: recorded.sequence!.history });
    expect(loaded).toMatchObject({ instanceId: "x", format: "stored" });
    expect(readHistory(recorded.sequence!.history)).toMatchObject({ instanceId: "seq-1", name: "OrchestratorFunction", format: "stored" });
    expect(readHistory({ events: recorded.sequence!.history })).toMatchObject({ instanceId: "seq-1", format: "stored" });
  });
});
