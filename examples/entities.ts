/**
 * Durable entities, as in Durable Functions' samples: a `Counter` (function style, the operations
 * of Durable Functions' own sample), the aggregator pattern (many producers signal one entity),
 * and a critical section that moves money between two `Account` entities (class style) so that
 * their total never changes.
 */
import { entity, entityId, orchestrator, type EntityContext, type OrchestrationContext } from "../src/index.ts";

/** The operations of `Counter`, for types: `callEntity(entityId(counter, key), "add", 1)`. */
export interface CounterOperations {
  add(amount: number): void;
  reset(): void;
  get(): number;
}

/** Durable Functions' Counter: `add` a number, `reset`, `get`. */
export const counter = entity<CounterOperations, number>("Counter", (ctx: EntityContext<number>) => {
  const value = ctx.getState(() => 0)!;
  switch (ctx.operationName) {
    case "add": {
      const amount = ctx.getInput<number>();
      if (typeof amount !== "number" || !Number.isFinite(amount)) throw new TypeError(`Counter.add needs a number, got ${JSON.stringify(amount)}.`);
      ctx.setState(value + amount);
      break;
    }
    case "reset":
      ctx.setState(0);
      break;
    case "get":
      ctx.return(value);
      break;
    default:
      throw new TypeError(`Counter has no operation '${ctx.operationName}'; it has add, reset and get.`);
  }
});

/**
 * The aggregator pattern: `{ producers, eventsEach, key }` sub-tasks each signal the `Counter`
 * `key` many times, then the orchestration reads the total back with `callEntity`.
 */
export const counterAggregation = orchestrator("CounterAggregation", function* (ctx: OrchestrationContext<{ key?: string; signals?: number }>) {
  const { key = "aggregate", signals = 10 } = ctx.getInput() ?? {};
  const id = entityId(counter, key);
  for (let i = 0; i < signals; i++) ctx.signalEntity(id, "add", 1);
  return yield* ctx.callEntity(id, "get");
});

/** A bank account, class style: the fields are the state, the methods the operations. */
export class Account {
  balance = 0;

  deposit(amount: number): number {
    assertAmount(amount);
    this.balance += amount;
    return this.balance;
  }

  withdraw(amount: number): number {
    assertAmount(amount);
    if (amount > this.balance) throw new Error(`Insufficient funds: the balance is ${this.balance}, the withdrawal ${amount}.`);
    this.balance -= amount;
    return this.balance;
  }

  get(): number {
    return this.balance;
  }
}

function assertAmount(amount: number): void {
  if (typeof amount !== "number" || !(amount > 0)) throw new TypeError(`An amount must be a positive number, got ${JSON.stringify(amount)}.`);
}

export const account = entity("Account", Account);

export interface TransferInput {
  from: string;
  to: string;
  amount: number;
}

/**
 * Moves money between two accounts inside a critical section: both are locked (in one global
 * order, so concurrent transfers never deadlock), the balance checked, then both changed. No
 * one else's operation runs on either account in between, so their total never changes.
 * Returns whether the transfer happened.
 */
export const transferFunds = orchestrator("TransferFunds", function* (ctx: OrchestrationContext<TransferInput>) {
  const { from, to, amount } = ctx.getInput();
  const source = entityId(account, from);
  const target = entityId(account, to);
  const lock = yield* ctx.lockEntities(source, target);
  try {
    const balance = yield* ctx.callEntity(source, "get");
    if (balance < amount) return false;
    yield* ctx.callEntity(source, "withdraw", amount);
    yield* ctx.callEntity(target, "deposit", amount);
    return true;
  } finally {
    lock.release();
  }
});
