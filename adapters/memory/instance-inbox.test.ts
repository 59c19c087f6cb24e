import { describe, expect, it } from "vitest";
import type { InboxMessage } from "../../src/store.ts";
import { InstanceInbox } from "./instance-inbox.ts";

const message = (id: string): InboxMessage => ({ id, instanceId: "a", executionId: null, visibleAt: 0, event: { EventType: "EventRaised", EventId: -1, Timestamp: 0, Name: id, Input: null } });
const ids = (inbox: InstanceInbox) => [...inbox.values()].map((m) => m.id);

describe("InstanceInbox", () => {
  it("keeps arrival order across indexed messages and unindexed results", () => {
    const inbox = new InstanceInbox();
    inbox.add(message("e1"));
    inbox.addUnindexed(message("r1"));
    inbox.add(message("e2"));
    inbox.addUnindexed(message("r2"));
    expect(ids(inbox)).toEqual(["e1", "r1", "e2", "r2"]);
    expect(inbox.size).toBe(4);
  });

  it("finds an unindexed result by id when asked (a duplicate append is refused)", () => {
    const inbox = new InstanceInbox();
    inbox.addUnindexed(message("r1"));
    expect(inbox.hasId("r1")).toBe(true);
    expect(inbox.hasId("r2")).toBe(false);
  });

  it("deletes the loaded prefix by identity and the rest by id, unindexed results included", () => {
    const inbox = new InstanceInbox();
    const loaded = [message("r1"), message("r2"), message("e1")];
    inbox.addUnindexed(loaded[0]!);
    inbox.addUnindexed(loaded[1]!);
    inbox.add(loaded[2]!);
    const late = message("r3");
    inbox.addUnindexed(late);
    // The step consumed r1 and e1 (not r2: deferred), and cancels r3 by id.
    inbox.deleteIds(["r1", "e1", "r3"], loaded);
    expect(ids(inbox)).toEqual(["r2"]);
    inbox.deleteIds(["r2"]);
    expect(inbox.size).toBe(0);
    expect(inbox.hasId("r2")).toBe(false);
  });

  it("deletes a message by identity only while it is the one held", () => {
    const inbox = new InstanceInbox();
    const first = message("e1");
    inbox.add(first);
    expect(inbox.holds(first)).toBe(true);
    expect(inbox.holds(message("e1"))).toBe(false); // an equal copy is not the stored message
    inbox.delete(message("e1"));
    expect(inbox.size).toBe(1);
    inbox.delete(first);
    expect(inbox.size).toBe(0);
    expect(inbox.hasId("e1")).toBe(false);
  });
});
