/** Type-level checks of the public generics: what `yield*` gives back is typed. */
import { describe, expectTypeOf, it } from "vitest";
import { activity, orchestrator } from "./definitions.ts";
import { entity } from "./entities/entity-definition.ts";
import { EntityId, entityId } from "./entities/entity-id.ts";
import { DurableClient } from "./client.ts";
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

  it("entity operations are typed by the entity: names, inputs and results", () => {
    const counter = entity<{ add(amount: number): void; reset(): void; get(): number }, number>("Counter", (ctx) => ctx.getState(() => 0));
    class Account {
      balance = 0;
      deposit(amount: number) {
        this.balance += amount;
        return this.balance;
      }
      get() {
        return this.balance;
      }
    }
    const account = entity("Account", Account);
    orchestrator("TypedEntities", function* (ctx) {
      const c = entityId(counter, "k");
      const value = yield* ctx.callEntity(c, "get");
      expectTypeOf(value).toEqualTypeOf<number>();
      yield* ctx.callEntity(c, "add", 1);
      ctx.signalEntity(c, "reset");
      ctx.signalEntity(c, "add", 2, { at: 0 });
      // @ts-expect-error the input type is checked
      ctx.callEntity(c, "add", "one");
      // @ts-expect-error the operation must exist
      ctx.callEntity(c, "subtract", 1);
      // @ts-expect-error the input is required
      ctx.signalEntity(c, "add");
      const balance = yield* ctx.callEntity(entityId(account, "a"), "deposit", 5);
      expectTypeOf(balance).toEqualTypeOf<number>();
      // @ts-expect-error class-style entities are typed by their methods
      ctx.callEntity(entityId(account, "a"), "deposit", "5");
      const untyped = yield* ctx.callEntity(new EntityId("Anything", "k"), "whatever", { any: "input" });
      expectTypeOf(untyped).toEqualTypeOf<unknown>();
      const lock = yield* ctx.lockEntities(c, entityId(account, "a"));
      lock.release();
      return value;
    });
    const client = null as unknown as DurableClient;
    void (async () => {
      await client.signalEntity(entityId(counter, "k"), "add", 1);
      // @ts-expect-error the client's signals are typed too
      await client.signalEntity(entityId(counter, "k"), "add", "1");
    });
  });
});
