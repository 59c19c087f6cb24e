/** Type-level checks of the public generics: what `yield*` gives back is typed. */
import { describe, expectTypeOf, it } from "vitest";
import { activity, orchestrator } from "./definitions.ts";
import { Task } from "./task.ts";

describe("types", () => {
  it("callActivity with a definition returns a Task of its output", () => {
    const sayHello = activity("SayHello", (city: string) => `Hello ${city}!`);
    const count = activity("Count", async (xs: number[]) => xs.length);
    orchestrator("Typed", function* (ctx) {
      const greeting = yield* ctx.callActivity(sayHello, "Tokyo");
      expectTypeOf(greeting).toEqualTypeOf<string>();
      const n = yield* ctx.callActivity(count, [1, 2]);
      expectTypeOf(n).toEqualTypeOf<number>();
      const both = yield* Task.all([ctx.callActivity(sayHello, "a"), ctx.callActivity(count, [])]);
      expectTypeOf(both).toEqualTypeOf<[string, number]>();
      // @ts-expect-error the input type is checked
      ctx.callActivity(sayHello, 42);
      const untyped = yield* ctx.callActivity<{ ok: boolean }>("ByName", 1);
      expectTypeOf(untyped).toEqualTypeOf<{ ok: boolean }>();
      return greeting;
    });
  });
});
