/** The in-memory book of leases, held results and pre-leased activities, and the view of due work. */
import { describe, expect, it } from "vitest";
import type { ClaimedActivity, InboxMessage } from "../../src/store.ts";
import { ActivityBook } from "./activity-book.ts";
import { WorkView } from "./work-view.ts";

const T0 = Date.UTC(2026, 0, 1);

function leased(instanceId: string, taskId: number, token: string, lockedUntil = T0 + 1000, executionId = "e1"): ClaimedActivity {
  const id = `${instanceId}|${executionId}|${taskId}`;
  return { id, instanceId, executionId, taskId, name: "Work", input: null, enqueuedAt: T0, leaseToken: token, lockedUntil, dequeueCount: 1 };
}

const result = (a: ClaimedActivity, at = T0): InboxMessage => ({
  id: `${a.id}|result`,
  instanceId: a.instanceId,
  executionId: a.executionId,
  visibleAt: at,
  event: { EventType: "TaskCompleted", EventId: -1, Timestamp: at, TaskScheduledId: a.taskId, Result: null },
});

describe("ActivityBook", () => {
  it("holds a result only for this store's current, running lease, once", () => {
    const book = new ActivityBook();
    const a = leased("x", 0, "t1");
    expect(book.offer(a, result(a), T0)).toBe("unknown"); // never leased here
    book.leased(a);
    expect(book.offer({ ...a, leaseToken: "older" }, result(a), T0)).toBe("unknown");
    expect(book.offer(a, result(a), T0 + 1000)).toBe("unknown"); // the lease may have run out
    expect(book.offer(a, { ...result(a), instanceId: "other" }, T0)).toBe("unknown");
    expect(book.offer(a, result(a), T0)).toBe("held");
    expect(book.offer(a, result(a), T0)).toBe("duplicate");
    expect(book.heldOf("x").map((h) => h.message.id)).toEqual([`${a.id}|result`]);
    expect(book.readyInstances(T0)).toEqual(["x"]);
    book.settle(book.heldOf("x")[0]!);
    expect(book.heldCount).toBe(0);
    expect(book.offer(a, result(a), T0)).toBe("unknown"); // settled: its lease is gone too
  });

  it("hands out pre-leased activities once, dropping expired ones, and forgets by execution or instance", () => {
    const book = new ActivityBook();
    const [a, b, c] = [leased("x", 0, "t1"), leased("x", 1, "t2", T0 + 5, "e2"), leased("y", 0, "t3")];
    for (const item of [a, b, c]) book.queuedLeased(item!);
    expect(book.takeHandouts(T0 + 10, 1).map((h) => h.id)).toEqual([a!.id]); // b expired: dropped
    expect(book.handoutCount).toBe(1);
    book.forgetExecution("y", "other");
    expect(book.handoutCount).toBe(1);
    book.forgetInstance("y");
    expect(book.takeHandouts(T0, 10)).toEqual([]);
    expect(book.offer(a!, result(a!), T0)).toBe("held");
    book.forgetExecution("x", "e1");
    expect(book.heldCount).toBe(0);
  });
});

describe("WorkView", () => {
  const look = { asOf: T0, visible: ["a"], nextVisibleAt: T0 + 100, nextLockedUntil: Infinity, unleased: false };

  it("answers until the horizon, a signal, or unleased activities when activities are wanted", () => {
    const view = new WorkView(true);
    expect(view.ready(T0, true)).toBeNull();
    view.adopt(view.beginLook(), look);
    expect(view.ready(T0, true)).toEqual(["a"]);
    expect(view.ready(T0 + 100, true)).toBeNull(); // a message seen as delayed is due
    expect(view.nextWakeAt()).toBe(T0);
    view.inboxIs("a", null);
    view.inboxGained("b", T0 + 50);
    expect(view.ready(T0 + 50, true)).toEqual(["b"]);
    view.queuedUnleased();
    expect(view.ready(T0, false)).toEqual([]);
    expect(view.ready(T0, true)).toBeNull();
    view.invalidate();
    expect(view.ready(T0, false)).toBeNull();
  });

  it("does not adopt a look that a write overtook, nor any look when disabled", () => {
    const view = new WorkView(true);
    const token = view.beginLook();
    view.committed();
    view.adopt(token, look);
    expect(view.ready(T0, false)).toBeNull();
    const off = new WorkView(false);
    off.adopt(off.beginLook(), look);
    expect(off.ready(T0, false)).toBeNull();
    expect(off.nextWakeAt()).toBeUndefined();
  });
});
