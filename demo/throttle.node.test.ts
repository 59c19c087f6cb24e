import { describe, expect, it } from "vitest";
import { coalesce } from "./src/throttle.ts";

describe("coalesce", () => {
  it("runs one at a time; calls made meanwhile wait for it and make it run once more, with its arguments", async () => {
    const runs: string[] = [];
    let release: (() => void) | null = null;
    const refresh = coalesce(async (label: string) => {
      runs.push(label);
      if (runs.length === 1) await new Promise<void>((r) => (release = r));
    });
    const first = refresh("first");
    const second = refresh("second");
    const third = refresh("third");
    expect(runs).toEqual(["first"]);
    release!();
    await Promise.all([first, second, third]);
    expect(runs).toEqual(["first", "first"]); // one more run for both calls, not one each
    await refresh("later");
    expect(runs).toEqual(["first", "first", "later"]);
  });

  it("a failing run rejects its callers and does not block the next call", async () => {
    let fail = true;
    const refresh = coalesce(async () => {
      if (fail) throw new Error("offline");
    });
    await expect(refresh()).rejects.toThrow("offline");
    fail = false;
    await expect(refresh()).resolves.toBeUndefined();
  });
});
