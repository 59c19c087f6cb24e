/**
 * The IndexedDB store and the browser host in real headless Chromium (Debian's /usr/bin/chromium,
 * driven by playwright-core). Without Chromium these tests fail under CI and are skipped elsewhere.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { createHash } from "node:crypto";
import type { HistoryEvent } from "../../src/history.ts";
import { SCHEMA_VERSION } from "./schema.ts";
import { bundlePage, chromiumAvailable, CHROMIUM_PATH, launchChromium, servePage, type PageServer } from "./browser-tests/harness.ts";

const available = chromiumAvailable();
if (!available && process.env.CI) {
  describe("IndexedDB in Chromium", () => {
    it("needs Chromium", () => {
      throw new Error(`Chromium is missing at ${CHROMIUM_PATH}; CI must install it (apt-get install chromium).`);
    });
  });
} else if (!available) {
  console.warn(`Skipping the Chromium tests: no browser at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH).`);
}

describe.skipIf(!available)("IndexedDB in Chromium", () => {
  let browser: Browser;
  let server: PageServer;

  beforeAll(async () => {
    server = await servePage(await bundlePage("./page.ts"), {
      "/api/greeting": (url) => ({ body: { greeting: `Hello ${url.searchParams.get("name")}!` } }),
      "/api/broken": () => ({ status: 503, body: { error: "down for maintenance" } }),
    });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Runs `use` in a fresh browser context (its own storage, like another browser profile), closed afterwards. */
  async function inNewContext<T>(use: (context: BrowserContext) => Promise<T>): Promise<T> {
    const context = await browser.newContext();
    try {
      return await use(context);
    } finally {
      await context.close();
    }
  }

  async function open(context: BrowserContext, db?: string, leaseMs?: number): Promise<Page> {
    const page = await context.newPage();
    page.on("pageerror", (error) => console.error("page error:", error));
    const query = new URLSearchParams({ ...(db && { db }), ...(leaseMs && { leaseMs: String(leaseMs) }) }).toString();
    await page.goto(query ? `${server.url}?${query}` : server.url);
    await page.waitForFunction(() => window.durableTest !== undefined);
    return page;
  }

  const waitForCompletion = (page: Page, id: string) =>
    page.evaluate((id) => window.durableTest.runtime!.client.waitForCompletion(id, { timeoutMs: 20_000, pollIntervalMs: 200 }), id);
  const history = (page: Page, id: string) => page.evaluate((id) => window.durableTest.runtime!.client.getHistory(id), id);
  const start = (page: Page, name: string, input: unknown, instanceId?: string) =>
    page.evaluate(([name, input, instanceId]) => window.durableTest.runtime!.client.startNew(name as string, { input, instanceId: instanceId as string | undefined }), [name, input, instanceId] as const);

  /**
   * Waits until `predicate` (run in the page, awaited there) returns true. For async predicates:
   * `page.waitForFunction` does not await a returned promise, which is truthy, so it would return
   * at once.
   */
  async function waitUntil<A>(page: Page, predicate: (arg: A) => Promise<boolean>, arg: A, { pollMs = 20, timeoutMs = 20_000 } = {}): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const check = predicate as unknown as (arg: unknown) => Promise<boolean>;
    while (!(await page.evaluate(check, arg as unknown))) {
      if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${predicate.toString()}`);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /** Waits until the instance's stored history has at least `n` events of `type`. */
  async function waitForEvents(page: Page, id: string, type: string, n: number): Promise<void> {
    await waitUntil(
      page,
      async ([id, type, n]) => (await window.durableTest.runtime!.client.getHistory(id).catch(() => [])).filter((e) => e.EventType === type).length >= n,
      [id, type, n] as const,
    );
  }

  it("passes the shared store contract on real IndexedDB", async () => {
    await inNewContext(async (context) => {
      const page = await open(context);
      const results = await page.evaluate(() => window.durableTest.runContract());
      const failed = results.filter((r) => r.status === "failed");
      expect(failed, failed.map((f) => `${f.name}: ${f.error}`).join("\n\n")).toEqual([]);
      expect(results.filter((r) => r.status === "passed").length).toBeGreaterThanOrEqual(16);
    });
  }, 60_000);

  it("runs the tutorial's orchestration in a tab", async () => {
    await inNewContext(async (context) => {
      const page = await open(context, "tutorial");
      const id = await start(page, "OrchestratorFunction", null);
      const status = await waitForCompletion(page, id);
      expect(status.runtimeStatus).toBe("Completed");
      expect(status.output).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
      const parallel = await waitForCompletion(page, await start(page, "OrchestratorFunction_Parallel", null));
      expect(parallel.output).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
    });
  }, 60_000);

  /** What must match between runs: each event's type, name, ids and result; not timestamps. */
  const shape = (events: HistoryEvent[]) =>
    events.map((e) => {
      const r = e as unknown as Record<string, unknown>;
      return [e.EventType, r.Name ?? null, e.EventId, r.TaskScheduledId ?? null, r.Result ?? null].join(" ");
    });

  /** Runs `name` once uninterrupted and once with a reload after `after` completions; returns both histories. */
  async function runWithAndWithoutReload(name: string, input: unknown, after: number) {
    return inNewContext(async (context) => {
      const reference = await open(context, `${name}-reference`);
      await start(reference, name, input, "job");
      expect((await waitForCompletion(reference, "job")).runtimeStatus).toBe("Completed");
      const expected = await history(reference, "job");
      await reference.close();

      const page = await open(context, `${name}-reloaded`);
      await start(page, name, input, "job");
      await waitForEvents(page, "job", "TaskCompleted", after);
      const before = (await history(page, "job")).filter((e) => e.EventType === "TaskCompleted").length;
      expect(before).toBeLessThan((input as { count: number }).count); // really mid-way
      await page.reload();
      await page.waitForFunction(() => window.durableTest !== undefined);
      const status = await waitForCompletion(page, "job");
      expect(status.runtimeStatus).toBe("Completed");
      return { expected, actual: await history(page, "job"), counts: await page.evaluate(() => window.durableTest.runCounts()) };
    });
  }

  it("a page reloaded in the middle of a chain completes with the same history as an uninterrupted run", async () => {
    const { expected, actual } = await runWithAndWithoutReload("Chain", { count: 12, delayMs: 40 }, 4);
    expect(shape(actual)).toEqual(shape(expected));
    expect(actual.filter((e) => e.EventType === "TaskCompleted")).toHaveLength(12);
  }, 60_000);

  it("a page reloaded in the middle of a fan-out completes with every event once", async () => {
    const { expected, actual, counts } = await runWithAndWithoutReload("FanOutSteps", { count: 30, delayMs: 30, stagger: 15 }, 8);
    // Completions arrive in whatever order activities finish, and how many share a step varies from
    // run to run (so do the step markers): compare completions as sets, the other events in order.
    const markers = new Set(["TaskCompleted", "OrchestratorStarted", "OrchestratorCompleted"]);
    const ordered = (events: HistoryEvent[]) => shape(events.filter((e) => !markers.has(e.EventType)));
    const completions = (events: HistoryEvent[]) => shape(events.filter((e) => e.EventType === "TaskCompleted")).sort();
    expect(ordered(actual)).toEqual(ordered(expected));
    expect(completions(actual)).toEqual(completions(expected));
    expect(new Set(completions(actual)).size).toBe(30);
    // The steps interrupted by the reload ran again (at-least-once); none was lost.
    const reloadedRuns = Object.entries(counts).filter(([key]) => key.startsWith("job|"));
    expect(reloadedRuns.length).toBeGreaterThanOrEqual(30);
  }, 60_000);

  it("a page reloaded in the middle of a run of local activities completes (the new page replays what was committed); each recorded activity once", async () => {
    await inNewContext(async (context) => {
      const page = await open(context, "local-reloaded");
      await start(page, "LocalChain", { count: 40, delayMs: 60 }, "job");
      // One step runs local activities for about a second, then commits: wait for the first commit.
      await waitForEvents(page, "job", "TaskCompleted", 5);
      const before = (await history(page, "job")).filter((e) => e.EventType === "TaskCompleted").length;
      expect(before).toBeLessThan(40); // really mid-way
      await page.reload();
      await page.waitForFunction(() => window.durableTest !== undefined);
      const status = await waitForCompletion(page, "job");
      expect(status.runtimeStatus).toBe("Completed");
      expect(status.output).toBe(Array.from({ length: 40 }, (_, i) => i * 10).reduce((a, b) => a + b, 0));
      const events = await history(page, "job");
      const scheduled = events.filter((e) => e.EventType === "TaskScheduled").map((e) => e.EventId);
      const completed = events.filter((e) => e.EventType === "TaskCompleted").map((e) => (e as { TaskScheduledId: number }).TaskScheduledId);
      expect(scheduled).toEqual(Array.from({ length: 40 }, (_, i) => i));
      expect(completed).toEqual(Array.from({ length: 40 }, (_, i) => i));
    });
  }, 60_000);

  it("two tabs on one database: one leads, every step runs once, both see the final status, the other takes over", async () => {
    await inNewContext(async (context) => {
      const a = await open(context, "two-tabs");
      const b = await open(context, "two-tabs");
      await a.waitForFunction(() => window.durableTest.runtime!.isLeader());
      expect(await b.evaluate(() => window.durableTest.runtime!.isLeader())).toBe(false);

      // The follower starts work; the leader runs it.
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(await start(b, "Chain", { count: 4, delayMs: 5 }, `chain-${i}`));
      ids.push(await start(b, "FanOutSteps", { count: 20, delayMs: 5 }, "fan"));
      ids.push(await start(a, "FanOutSteps", { count: 10, delayMs: 5 }, "fan-from-leader"));
      for (const id of ids) {
        expect((await waitForCompletion(a, id)).runtimeStatus).toBe("Completed");
        expect((await waitForCompletion(b, id)).runtimeStatus).toBe("Completed");
      }
      // Live status reached the follower over BroadcastChannel.
      await b.waitForFunction((ids) => ids.every((id) => window.durableTest.seen[id] === "Completed"), ids);
      const counts = await b.evaluate(() => window.durableTest.runCounts());
      expect(Object.keys(counts)).toHaveLength(3 * 4 + 20 + 10);
      expect(Object.values(counts).every((n) => n === 1), JSON.stringify(counts)).toBe(true);

      // The leader's tab closes: the other tab takes over and runs new work.
      await a.close();
      await b.waitForFunction(() => window.durableTest.runtime!.isLeader(), undefined, { timeout: 10_000 });
      const late = await start(b, "OrchestratorFunction", null);
      expect((await waitForCompletion(b, late)).output).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
    });
  }, 60_000);

  it("three tabs while the leading tab is reloaded, closed and crashed in turn: every instance completes, each activity recorded once, results right", async () => {
    await inNewContext(async (context) => {
      let tabs = [await open(context, "chaos"), await open(context, "chaos"), await open(context, "chaos")];
      const expectedOutput = new Map<string, number>();
      const sumOfSteps = (count: number) => (10 * count * (count - 1)) / 2;
      for (let i = 0; i < 12; i++) {
        const [name, count] = i % 3 === 2 ? ["FanOutSteps", 16] : ["Chain", 10];
        const id = await start(tabs[i % 3]!, name, { count, delayMs: 120, stagger: name === "FanOutSteps" ? 60 : 0 }, `chaos-${i}`);
        expectedOutput.set(id, sumOfSteps(count));
      }
      /** The tab leading now; after an interruption another must take over within seconds. */
      const leaderOf = async () => {
        for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
          for (const tab of tabs) if (await tab.evaluate(() => window.durableTest.runtime!.isLeader())) return tab;
        }
        throw new Error("No tab took over within 10 s");
      };
      // Interrupt whichever tab leads, in each of the ways a tab ends, while the work runs.
      const interrupted: string[] = [];
      for (const how of ["reload", "close", "crash", "reload", "close", "crash"] as const) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        const leader = await leaderOf();
        const running = await leader.evaluate(
          async (ids) => (await Promise.all(ids.map((id) => window.durableTest.runtime!.client.getStatus(id)))).filter((s) => s?.runtimeStatus === "Running").length,
          [...expectedOutput.keys()],
        );
        if (running === 0) break;
        if (how === "reload") {
          interrupted.push(how);
          await leader.reload();
          await leader.waitForFunction(() => window.durableTest !== undefined);
          continue;
        }
        if (how === "crash") {
          const crashed = new Promise((resolve) => leader.once("crash", resolve));
          await leader.goto("chrome://crash").catch(() => undefined); // its renderer dies mid-flight
          await crashed;
        }
        interrupted.push(how);
        await leader.close();
        tabs = [...tabs.filter((t) => t !== leader), await open(context, "chaos")];
      }
      const observer = tabs[0]!;
      for (const [id, output] of expectedOutput) {
        const status = await waitForCompletion(observer, id);
        expect(status.runtimeStatus, id).toBe("Completed");
        expect(status.output, id).toBe(output);
        const events = await history(observer, id);
        const scheduled = events.filter((e) => e.EventType === "TaskScheduled").map((e) => e.EventId);
        const completed = events.filter((e) => e.EventType === "TaskCompleted").map((e) => (e as { TaskScheduledId: number }).TaskScheduledId);
        expect(new Set(scheduled).size, `${id}: duplicated TaskScheduled`).toBe(scheduled.length);
        expect([...completed].sort((a, b) => a - b), `${id}: completions`).toEqual([...scheduled].sort((a, b) => a - b));
        expect(events.filter((e) => e.EventType === "ExecutionStarted")).toHaveLength(1);
        expect(events.filter((e) => e.EventType === "ExecutionCompleted")).toHaveLength(1);
      }
      expect(interrupted).toEqual(expect.arrayContaining(["reload", "close", "crash"]));
    });
  }, 120_000);

  // --- durable entities ---

  type EntityRef = { name: string; key: string };
  const peekEntities = (page: Page, db: string, ids: EntityRef[]) => page.evaluate(([db, ids]) => window.durableTest.peekEntities(db as string, ids as EntityRef[]), [db, ids] as const);
  const signalMany = (page: Page, name: string, key: string, count: number, operation: string, input?: unknown) =>
    page.evaluate(([name, key, count, operation, input]) => window.durableTest.signalMany(name as string, key as string, count as number, operation as string, input), [name, key, count, operation, input] as const);

  /**
   * Waits until nothing is left for these entities: every message sent to them is consumed (a batch
   * deletes its messages in the commit that stores its state, so an empty inbox means every
   * operation sent so far is applied, once), then returns what is stored. Callers first wait for
   * whatever still sends to them (the orchestrations) to finish.
   */
  async function settledEntities(page: Page, db: string, ids: EntityRef[]) {
    await waitUntil(page, async ([db, ids]) => (await window.durableTest.peekEntities(db, ids)).every((e) => e.inbox === 0), [db, ids] as const, { pollMs: 100, timeoutMs: 60_000 });
    return peekEntities(page, db, ids);
  }

  it("entities: 1,000 concurrent signals to one Counter, from the client and from CounterAggregation orchestrations, count exactly 1,000", async () => {
    await inNewContext(async (context) => {
      const page = await open(context, "entity-signals");
      await page.waitForFunction(() => window.durableTest.runtime!.isLeader());
      const aggregations = Array.from({ length: 5 }, (_, i) => `agg-${i}`);
      await Promise.all([
        signalMany(page, "Counter", "hits", 500, "add", 1),
        ...aggregations.map((id) => start(page, "CounterAggregation", { key: "hits", signals: 100 }, id)),
      ]);
      for (const id of aggregations) {
        const status = await waitForCompletion(page, id);
        expect(status.runtimeStatus).toBe("Completed");
        // Its own 100 signals were sent before its call, and the calls come after in the inbox.
        expect(status.output as number).toBeGreaterThanOrEqual(100);
      }
      const [hits] = await settledEntities(page, "entity-signals", [{ name: "Counter", key: "hits" }]);
      expect(hits).toMatchObject({ exists: true, state: 1000, lockedBy: null, backlog: 0 });
      // Entities stay out of the orchestration list, and are listed on their own.
      const listed = await page.evaluate(async () => {
        const client = window.durableTest.runtime!.client;
        return { instances: (await client.listInstances()).instances.map((s) => s.instanceId).sort(), entities: (await client.listEntities()).entities.map((e) => `${e.entityId.name}@${e.entityId.key}`) };
      });
      expect(listed).toEqual({ instances: aggregations, entities: ["counter@hits"] });
    });
  }, 120_000);

  it("entities: 200 TransferFunds between 10 Accounts keep the total, and every lock is released", async () => {
    await inNewContext(async (context) => {
      const page = await open(context, "entity-transfers");
      const accounts = Array.from({ length: 10 }, (_, i) => ({ name: "Account", key: `acct-${i}` }));
      for (const a of accounts) await signalMany(page, "Account", a.key, 1, "deposit", 100);
      const transfers = await Promise.all(
        Array.from({ length: 200 }, (_, i) => start(page, "TransferFunds", { from: `acct-${i % 10}`, to: `acct-${(i * 7 + 3) % 10}`, amount: 1 + (i % 37) }, `transfer-${i}`)),
      );
      const outputs: unknown[] = [];
      for (const id of transfers) {
        const status = await waitForCompletion(page, id);
        expect(status.runtimeStatus, id).toBe("Completed");
        outputs.push(status.output);
      }
      expect(outputs.every((o) => typeof o === "boolean")).toBe(true);
      expect(outputs).toContain(true);
      const stored = await settledEntities(page, "entity-transfers", accounts);
      let total = 0;
      for (const a of stored) {
        expect(a, a.id).toMatchObject({ exists: true, lockedBy: null, backlog: 0 });
        const { balance } = a.state as { balance: number };
        expect(balance, a.id).toBeGreaterThanOrEqual(0);
        total += balance;
      }
      expect(total).toBe(1000);
    });
  }, 180_000);

  it("entities: a page reloaded while a batch of async operations runs loses none and applies none twice (the batch runs again whole)", async () => {
    await inNewContext(async (context) => {
      const db = "entity-reload-batch";
      const ledger = [{ name: "Ledger", key: "book" }];
      const page = await open(context, db);
      await page.waitForFunction(() => window.durableTest.runtime!.isLeader());
      // Twenty appends of 100 ms each, one at a time: a batch takes seconds and commits only at its end.
      await page.evaluate(async () => {
        const client = window.durableTest.runtime!.client;
        for (let n = 0; n < 20; n++) await client.signalEntity({ name: "Ledger", key: "book" }, "append", { n, delayMs: 100 });
      });
      // Reload once a few appends were attempted, while the batch holding them has not committed.
      await page.waitForFunction(() => Object.keys(window.durableTest.attemptCounts()).length >= 3, undefined, { polling: 10, timeout: 20_000 });
      const [before] = await peekEntities(page, db, ledger);
      expect(before!.inbox).toBeGreaterThan(0); // really mid-way
      const attemptedBefore = await page.evaluate(() => window.durableTest.attemptCounts());
      await page.reload();
      await page.waitForFunction(() => window.durableTest !== undefined);
      const [book] = await settledEntities(page, db, ledger);
      expect(book!.state).toEqual(Array.from({ length: 20 }, (_, n) => n)); // each once, in the order sent
      const attempts = await page.evaluate(() => window.durableTest.attemptCounts());
      expect(Object.keys(attempts).sort()).toEqual(Array.from({ length: 20 }, (_, n) => `book|${n}`).sort());
      // The appends the reload interrupted ran again after it (their first run was never committed).
      const rerun = Object.keys(attemptedBefore).filter((k) => attempts[k]! > attemptedBefore[k]!);
      expect(rerun.length).toBeGreaterThan(0);
      expect(Object.values(attempts).every((n) => n <= 2), JSON.stringify(attempts)).toBe(true);
    });
  }, 60_000);

  it("entities: a page reloaded right after a burst of signals (client and orchestrations) counts every signal once", async () => {
    await inNewContext(async (context) => {
      const db = "entity-reload-burst";
      const counterRef = [{ name: "Counter", key: "burst" }];
      const page = await open(context, db);
      await page.waitForFunction(() => window.durableTest.runtime!.isLeader());
      const aggregations = Array.from({ length: 4 }, (_, i) => `burst-${i}`);
      // The burst, then (in the same page turn as its last write resolving) a look at what is applied.
      const before = await page.evaluate(
        async ([db, aggregations]) => {
          const { runtime, signalMany, peekEntities } = window.durableTest;
          await Promise.all([signalMany("Counter", "burst", 500, "add", 1), ...aggregations.map((id) => runtime!.client.startNew("CounterAggregation", { instanceId: id, input: { key: "burst", signals: 500 } }))]);
          return (await peekEntities(db, [{ name: "Counter", key: "burst" }]))[0]!;
        },
        [db, aggregations] as const,
      );
      expect((before.state as number | null) ?? 0).toBeLessThan(2500); // really mid-way
      await page.reload();
      await page.waitForFunction(() => window.durableTest !== undefined);
      for (const id of aggregations) expect((await waitForCompletion(page, id)).runtimeStatus).toBe("Completed");
      const [burst] = await settledEntities(page, db, counterRef);
      expect(burst).toMatchObject({ exists: true, state: 2500, lockedBy: null, backlog: 0 });
    });
  }, 60_000);

  it("entities: two tabs signal one Counter; only the leader runs it, a follower's signal wakes the idle leader, and the other tab takes over", async () => {
    await inNewContext(async (context) => {
      const db = "entity-two-tabs";
      const shared = [{ name: "Counter", key: "shared" }];
      const a = await open(context, db);
      const b = await open(context, db);
      await a.waitForFunction(() => window.durableTest.runtime!.isLeader());
      expect(await b.evaluate(() => window.durableTest.runtime!.isLeader())).toBe(false);
      await Promise.all([
        signalMany(a, "Counter", "shared", 300, "add", 1),
        signalMany(b, "Counter", "shared", 300, "add", 1),
        start(b, "CounterAggregation", { key: "shared", signals: 100 }, "from-follower"),
      ]);
      expect((await waitForCompletion(b, "from-follower")).runtimeStatus).toBe("Completed");
      expect((await settledEntities(b, db, shared))[0]).toMatchObject({ state: 700 });

      // The leader is idle now (nothing due, no timer): one signal from the follower must wake it.
      expect(await a.evaluate(() => window.durableTest.runtime!.store.nextWakeAt())).toBeNull();
      await signalMany(b, "Counter", "shared", 1, "add", 5);
      await waitUntil(b, async () => (await window.durableTest.runtime!.client.readEntityState({ name: "Counter", key: "shared" })).entityState === 705, undefined, { timeoutMs: 10_000 });
      // The follower never ran a batch: only the leader's runtime committed entity rows.
      expect(await b.evaluate(() => window.durableTest.runtime!.store.stats.commits)).toBe(0);
      // The leader saw its change and broadcast it: the follower's onChange saw the entity's row.
      await b.waitForFunction(() => window.durableTest.seen["@counter@shared"] !== undefined);

      await a.close();
      await b.waitForFunction(() => window.durableTest.runtime!.isLeader(), undefined, { timeout: 10_000 });
      await signalMany(b, "Counter", "shared", 10, "add", 1);
      expect((await settledEntities(b, db, shared))[0]).toMatchObject({ state: 715, lockedBy: null, backlog: 0 });
    });
  }, 120_000);

  it("storage quota exceeded: a typed error, and nothing half-written", async () => {
    await inNewContext(async (context) => {
      const page = await open(context);
      const cdp = await context.newCDPSession(page);
      await cdp.send("Storage.overrideQuotaForOrigin", { origin: new URL(server.url).origin, quotaSize: 400_000 });
      const probe = await page.evaluate(() => window.durableTest.quotaProbe("quota"));
      expect(probe.created).toMatch(/^StoreQuotaExceeded: .*out of storage quota/);
      expect(probe.committed).toMatch(/^StoreQuotaExceeded: /);
      expect(probe.bigStored).toBe(false);
      expect(probe.smallAfter).toEqual(probe.smallExpected); // the failed commit changed nothing
      expect(probe.smallMessages).toBe(1); // its start message is still there
    });
  }, 60_000);

  /**
   * A tab that leads on `db` and has run the tutorial, while another tab does `toTheDatabase`
   * (deletes it, upgrades it): the tab once it stepped down, and the first error its host reported.
   */
  async function leaderLosingItsDatabase(context: BrowserContext, db: string, toTheDatabase: (other: Page) => Promise<void>) {
    const page = await open(context, db);
    await page.waitForFunction(() => window.durableTest.runtime!.isLeader());
    await waitForCompletion(page, await start(page, "OrchestratorFunction", null));
    await toTheDatabase(await open(context));
    await page.waitForFunction(() => window.durableTest.errors.length > 0 && !window.durableTest.runtime!.isLeader());
    const [error] = await page.evaluate(() => window.durableTest.errors);
    return { page, error: error! };
  }

  it("the database deleted by another tab: the host closes, steps down and reports StoreClosed", async () => {
    await inNewContext(async (context) => {
      const { page, error } = await leaderLosingItsDatabase(context, "doomed", async (other) => {
        expect(await other.evaluate(() => window.durableTest.deleteDatabase("doomed"))).toBe("deleted"); // not blocked
      });
      expect(error).toMatchObject({ code: "StoreClosed" });
      expect(error.message).toMatch(/deleted by another tab/);
      const call = await page.evaluate(() => window.durableTest.runtime!.client.getStatus("x").then(() => "ok", (e: { code?: string }) => e.code));
      expect(call).toBe("StoreClosed");
    });
  }, 60_000);

  it("activities use the page's APIs: fetch from its server, Web Crypto; a failed request reaches the orchestrator as TaskFailedError", async () => {
    await inNewContext(async (context) => {
      const page = await open(context, "apis");
      const id = await start(page, "BrowserApis", { name: "Zürich" });
      const status = await waitForCompletion(page, id);
      expect(status.runtimeStatus).toBe("Completed");
      const digest = createHash("sha256").update("Hello Zürich!").digest("hex");
      expect(status.output).toEqual({ greeting: "Hello Zürich!", digest, failure: 'GET /api/broken answered 503: {"error":"down for maintenance"}' });
      const failed = (await history(page, id)).filter((e) => e.EventType === "TaskFailed");
      expect(failed).toHaveLength(1);
    });
  }, 60_000);

  it("an activity that would outlast its lease fails with a Timeout just before it runs out, caught by the orchestrator; it runs once, not again and again", async () => {
    await inNewContext(async (context) => {
      const page = await open(context, "patient", 1000);
      const quick = await waitForCompletion(page, await start(page, "Patient", { delayMs: 50 }));
      expect(quick.output).toBe("completed with 10");
      const id = await start(page, "Patient", { delayMs: 3000 });
      const status = await waitForCompletion(page, id);
      expect(status.output).toMatch(/^failed: Activity 'Step' ran longer than \d+ ms.*abandoned.*allow longer ones with a longer leaseMs/);
      const events = (await history(page, id)).map((e) => e.EventType);
      expect(events.filter((t) => t === "TaskScheduled")).toHaveLength(1);
      expect(events.filter((t) => t === "TaskFailed")).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 2500)); // past the abandoned run's end, and another lease
      const runs = await page.evaluate(() => window.durableTest.runCounts());
      expect(Object.values(runs)).toEqual([1, 1]);
    });
  }, 60_000);

  it("the database upgraded by a newer release in another tab: the host lets go at once (not blocked), steps down with StoreClosed; the old release reloaded reports StoreUnavailable", async () => {
    await inNewContext(async (context) => {
      const { page, error: lost } = await leaderLosingItsDatabase(context, "outgrown", async (newer) => {
        expect(await newer.evaluate((v) => window.durableTest.upgradeDatabase("outgrown", v), SCHEMA_VERSION + 1)).toBe(`upgraded to ${SCHEMA_VERSION + 1}`);
      });
      expect(lost).toMatchObject({ code: "StoreClosed" });
      expect(lost.message).toContain(`upgraded to schema version ${SCHEMA_VERSION + 1} by another tab`);

      await page.reload();
      await page.waitForFunction(() => window.durableTest?.errors.length > 0);
      const [refused] = await page.evaluate(() => window.durableTest.errors);
      expect(refused).toMatchObject({ code: "StoreUnavailable" });
      expect(refused!.message).toMatch(/newer schema/);
      const call = await page.evaluate(() => window.durableTest.runtime!.client.getStatus("x").then(() => "ok", (e: { code?: string }) => e.code));
      expect(call).toBe("StoreUnavailable");
    });
  }, 60_000);

  it("an old tab that holds the database open and ignores versionchange: opening is blocked with StoreUnavailable, and works once that tab lets go", async () => {
    await inNewContext(async (context) => {
      const old = await open(context);
      expect(await old.evaluate(() => window.durableTest.holdVersion1("held"))).toBe(1);
      const page = await open(context);
      const first = await page.evaluate(() => window.durableTest.openWhileBlocked("held", 300));
      expect(first).toMatch(/^StoreUnavailable: .*blocked: another tab keeps an older version open/);
      await old.evaluate(() => window.durableTest.releaseHeld());
      expect(await page.evaluate(() => window.durableTest.useOnceUnblocked())).toBe("after");
    });
  }, 60_000);

  it("a page where the browser denies storage (opaque origin, as in a sandboxed frame): StoreUnavailable from the host and from every call, saying why", async () => {
    await inNewContext(async (context) => {
      const page = await context.newPage();
      await page.goto(`${server.url}sandboxed?db=denied`);
      await page.waitForFunction(() => window.durableTest?.errors.length > 0);
      const [locks] = await page.evaluate(() => window.durableTest.errors);
      expect(locks).toMatchObject({ code: "StoreUnavailable" });
      expect(locks!.message).toMatch(/denies Web Locks here.*sandboxed frame/);
      const call = await page.evaluate(() => window.durableTest.runtime!.client.startNew("OrchestratorFunction").then(() => "started", (e: { code?: string; message: string }) => `${e.code}: ${e.message}`));
      expect(call).toMatch(/^StoreUnavailable: The browser denies IndexedDB here, so database 'denied' cannot be used/);
    });
  }, 60_000);

  it("a timer that came due while no tab was open fires on the next load", async () => {
    await inNewContext(async (context) => {
      const page = await open(context, "timers");
      await start(page, "Sleeper", { seconds: 1.5 }, "sleeper");
      await waitForEvents(page, "sleeper", "TimerCreated", 1);
      await page.close(); // no tab open now: time passes, nothing runs

      await new Promise((resolve) => setTimeout(resolve, 2000));
      const peeker = await open(context);
      const peek = await peeker.evaluate(() => window.durableTest.peek("timers", "sleeper"));
      expect(peek.instance?.runtimeStatus).toBe("Running");
      expect(peek.nextWakeAt).toBeLessThan(Date.now());
      await peeker.close();

      const reopened = await open(context, "timers");
      const status = await waitForCompletion(reopened, "sleeper");
      expect(status.runtimeStatus).toBe("Completed");
      const { fireAt, wokeAt } = status.output as { fireAt: number; wokeAt: number };
      expect(wokeAt).toBeGreaterThanOrEqual(fireAt);
    });
  }, 60_000);
});
