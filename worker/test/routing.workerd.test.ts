/** Where instances live: one object per instance, or a partition chosen by a stable hash of the id. */
import { describe, expect, it } from "vitest";
import { hashId, instanceObjectName, instancePartitionCount, MAX_INSTANCE_PARTITIONS } from "../routing.ts";

describe("instance routing", () => {
  it("without INSTANCE_PARTITIONS (or with 0), each instance has its own object, named by its id", () => {
    expect(instancePartitionCount({})).toBe(0);
    expect(instancePartitionCount({ INSTANCE_PARTITIONS: "0" })).toBe(0);
    expect(instanceObjectName("order-42", 0)).toBe("order-42");
  });

  it("with N partitions, an instance lives in partition hash(id) mod N, the same everywhere", () => {
    expect(instancePartitionCount({ INSTANCE_PARTITIONS: "32" })).toBe(32);
    expect(hashId("order-42")).toBe(hashId("order-42"));
    expect(instanceObjectName("order-42", 32)).toBe(`partition-${hashId("order-42") % 32}`);
    const used = new Set(Array.from({ length: 1000 }, (_, i) => instanceObjectName(`instance-${i}`, 32)));
    expect(used.size).toBe(32); // 1,000 ids reach every partition
  });

  it.each(["-1", "1.5", "many", String(MAX_INSTANCE_PARTITIONS + 1)])("rejects INSTANCE_PARTITIONS=%s with a message that says what fits", (value) => {
    expect(() => instancePartitionCount({ INSTANCE_PARTITIONS: value })).toThrow(
      `INSTANCE_PARTITIONS must be an integer from 0 (one object per instance) to ${MAX_INSTANCE_PARTITIONS}, got '${value}'.`,
    );
  });
});
