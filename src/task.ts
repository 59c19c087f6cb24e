/**
 * @module task — what orchestrators yield. Every task is iterable, so `yield* task` returns its
 * typed result; plain `yield task` works too (the Durable Functions JavaScript style).
 */
import { DurableError, TaskAggregateError, TaskCanceledError } from "./errors.ts";

type Listener = (task: Task<unknown>) => void;

export abstract class Task<T> {
  private state: "pending" | "completed" | "failed" = "pending";
  private value: T | undefined;
  private failure: Error | undefined;
  private listeners: Listener[] | null = null;

  get isCompleted(): boolean {
    return this.state !== "pending";
  }
  get isFaulted(): boolean {
    return this.state === "failed";
  }
  /** The result once completed successfully (undefined before). */
  get result(): T | undefined {
    return this.value;
  }
  /** The error once faulted (undefined otherwise). */
  get error(): Error | undefined {
    return this.failure;
  }

  *[Symbol.iterator](): Generator<Task<T>, T, any> {
    return (yield this) as T;
  }

  /** @internal */
  complete(value: T): void {
    if (this.state !== "pending") return;
    this.state = "completed";
    this.value = value;
    this.notify();
  }

  /** @internal */
  fail(error: Error): void {
    if (this.state !== "pending") return;
    this.state = "failed";
    this.failure = error;
    this.notify();
  }

  /** @internal */
  onSettled(listener: Listener): void {
    if (this.isCompleted) listener(this);
    else (this.listeners ??= []).push(listener);
  }

  private notify(): void {
    const listeners = this.listeners;
    this.listeners = null;
    if (listeners) for (const l of listeners) l(this);
  }

  /**
   * Completes when every task has completed, with their results in order. Unlike Durable
   * Functions' fail-fast `Task.all`, it waits for all of them and then throws a
   * `TaskAggregateError` listing every failure. `Task.all([])` completes at once with `[]`.
   */
  static all<const Ts extends readonly Task<unknown>[]>(tasks: Ts): Task<{ -readonly [K in keyof Ts]: TaskResult<Ts[K]> }> {
    return new WhenAllTask(tasks) as never;
  }

  /** Completes when the first task completes, with that task (read `.result`, or check `.isFaulted`). */
  static any<const Ts extends readonly Task<unknown>[]>(tasks: Ts): Task<Ts[number]> {
    if (tasks.length === 0) {
      throw new DurableError("InvalidArgument", "Task.any needs at least one task to race; it was given an empty list.");
    }
    return new WhenAnyTask(tasks) as never;
  }
}

export type TaskResult<X> = X extends Task<infer R> ? R : never;

/** A task completed by one history event (activity, sub-orchestration, timer, external event). */
export class CompletableTask<T> extends Task<T> {}

/** A durable timer. Cancel it when it lost a race, so nothing waits on it. */
export class TimerTask extends CompletableTask<void> {
  private canceled = false;
  readonly fireAt: Date;
  private readonly onCancel: (task: TimerTask) => void;
  constructor(
    fireAt: Date,
    onCancel: (task: TimerTask) => void,
  ) {
    super();
    this.fireAt = fireAt;
    this.onCancel = onCancel;
  }
  get isCanceled(): boolean {
    return this.canceled;
  }
  /** Cancels the timer. Awaiting it afterwards throws `TaskCanceledError`. */
  cancel(): void {
    if (this.isCompleted) {
      if (this.canceled) return;
      throw new DurableError("InvalidState", "This timer has already fired; a completed timer cannot be cancelled.");
    }
    this.canceled = true;
    this.onCancel(this);
    this.fail(new TaskCanceledError(`The timer due at ${this.fireAt.toISOString()}`));
  }
}

/** Waits for an external event. Cancelling it means it no longer takes events. */
export class ExternalEventTask<T> extends CompletableTask<T> {
  private canceled = false;
  readonly eventName: string;
  private readonly onCancel: (task: ExternalEventTask<T>) => void;
  constructor(
    eventName: string,
    onCancel: (task: ExternalEventTask<T>) => void,
  ) {
    super();
    this.eventName = eventName;
    this.onCancel = onCancel;
  }
  get isCanceled(): boolean {
    return this.canceled;
  }
  cancel(): void {
    if (this.isCompleted) return;
    this.canceled = true;
    this.onCancel(this);
    this.fail(new TaskCanceledError(`Waiting for the '${this.eventName}' event`));
  }
}

class WhenAllTask<T> extends Task<T[]> {
  private remaining: number;
  private readonly children: readonly Task<T>[];
  constructor(children: readonly Task<T>[]) {
    super();
    this.children = children;
    this.remaining = children.length;
    if (this.remaining === 0) {
      this.complete([]);
      return;
    }
    for (const child of children) child.onSettled(() => this.childSettled());
  }
  private childSettled(): void {
    if (--this.remaining > 0) return;
    const errors = this.children.filter((c) => c.isFaulted).map((c) => c.error!);
    if (errors.length > 0) this.fail(new TaskAggregateError(errors));
    else this.complete(this.children.map((c) => c.result as T));
  }
}

class WhenAnyTask<T extends Task<unknown>> extends Task<T> {
  constructor(children: readonly T[]) {
    super();
    for (const child of children) child.onSettled(() => this.complete(child));
  }
}
