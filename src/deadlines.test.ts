/** CoalescedDeadlines: many deadlines, one host timer. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CoalescedDeadlines } from "./deadlines.ts";

describe("CoalescedDeadlines", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it("fires each deadline once, on time, unless cancelled, with one timer armed at a time", () => {
    const deadlines = new CoalescedDeadlines();
    const fired: string[] = [];
    deadlines.after(100, () => fired.push("a"));
    const cancelB = deadlines.after(200, () => fired.push("b"));
    deadlines.after(300, () => fired.push("c"));
    expect(vi.getTimerCount()).toBe(1); // later deadlines leave the armed timer alone
    deadlines.after(50, () => fired.push("early"));
    expect(vi.getTimerCount()).toBe(1); // an earlier one re-arms it
    vi.advanceTimersByTime(60);
    expect(fired).toEqual(["early"]);
    cancelB();
    vi.advanceTimersByTime(239);
    expect(fired).toEqual(["early", "a"]); // b was cancelled; c is not due yet
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(["early", "a", "c"]);
    expect(vi.getTimerCount()).toBe(0); // nothing left: no timer
  });

  it("a cancelled deadline leaves its timer to fire harmlessly; clear() drops everything", () => {
    const deadlines = new CoalescedDeadlines();
    const fired: string[] = [];
    deadlines.after(100, () => fired.push("a"))();
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([]);
    deadlines.after(100, () => fired.push("b"));
    deadlines.clear();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(200);
    expect(fired).toEqual([]);
  });
});
