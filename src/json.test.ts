import { describe, expect, it } from "vitest";
import { DurableError } from "./errors.ts";
import { fromJson, toJson } from "./json.ts";

function refusal(value: unknown): string {
  try {
    toJson(value, "The input");
  } catch (error) {
    expect(DurableError.is(error, "InvalidInput")).toBe(true);
    return (error as Error).message;
  }
  throw new Error("toJson accepted the value");
}

describe("toJson", () => {
  it("serializes plain values, Dates and undefined", () => {
    expect(toJson(1, "x")).toBe("1");
    expect(toJson("a", "x")).toBe('"a"');
    expect(toJson(undefined, "x")).toBeNull();
    expect(toJson({ a: [1, "b", null, undefined, { c: true }], d: new Date(0) }, "x")).toBe('{"a":[1,"b",null,null,{"c":true}],"d":"1970-01-01T00:00:00.000Z"}');
    expect(toJson(Object.assign(Object.create(null), { a: 1 }), "x")).toBe('{"a":1}');
    const shared = { x: 1 };
    expect(toJson([shared, shared], "x")).toBe('[{"x":1},{"x":1}]'); // shared, not a cycle
  });

  it("names where a value JSON cannot represent sits", () => {
    expect(refusal(() => 1)).toMatch(/^The input must be JSON-serializable, but the value is a function\./);
    expect(refusal({ a: [1, { b: 10n }] })).toContain("the value.a[1].b is a bigint");
    expect(refusal([Number.NaN])).toContain("the value[0] is NaN");
    expect(refusal({ when: Infinity })).toContain("the value.when is Infinity");
    expect(refusal({ s: Symbol("x") })).toContain("the value.s is a symbol");
    expect(refusal({ m: new Map() })).toContain("the value.m is a Map, which JSON cannot represent");
    const cyclic: Record<string, unknown> = { list: [] };
    (cyclic.list as unknown[]).push({ back: cyclic });
    expect(refusal(cyclic)).toContain("the value.list[0].back contains a cycle");
  });
});

describe("fromJson", () => {
  it("parses JSON text, keeps null, and returns non-JSON text as it is", () => {
    expect(fromJson('{"a":1}')).toEqual({ a: 1 });
    expect(fromJson(null)).toBeNull();
    expect(fromJson("not json")).toBe("not json");
  });
});
