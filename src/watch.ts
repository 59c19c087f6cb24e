/**
 * @module watch — watching one instance: its state now, then again after each change, told by
 * whoever commits it (the runtime's change notifications, the client's own writes), so that a
 * watcher reads only when something happened. A host that cannot tell falls back to reading on an
 * interval. `DurableClient.watch` and the Worker's client are built on it; the HTTP stream route
 * consumes it.
 */
import type { HistoryEvent } from "./history.ts";
import type { OrchestrationStatus, StatusOptions } from "./status-payload.ts";

/** What the watch needs of an `AbortSignal` (the core is checked without the DOM's types). */
export interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

export interface WatchOptions {
  /** What each change's status holds, as `getStatus(instanceId, status)` answers it. */
  status?: StatusOptions | undefined;
  /** Each change also carries the stored history (as `getHistory` answers it). Default false. */
  history?: boolean | undefined;
  /** Stops the watch (as `return()` does). */
  signal?: AbortSignalLike | undefined;
  /**
   * How often to read when this client is told of no changes (a client made without a runtime,
   * default 1,000 ms). Unused where changes are pushed.
   */
  pollIntervalMs?: number | undefined;
}

/** The instance as one change left it. */
export interface InstanceChange {
  /** Undefined: the instance is gone (purged) or never existed. The watch ends after it. */
  status: OrchestrationStatus | undefined;
  /** With `history`: the current execution's stored events. */
  history?: HistoryEvent[] | undefined;
}

/**
 * A watch: `for await (const change of client.watch(id))`. The first change is the instance as it
 * is; each later one follows a commit (changes that come while one is read are merged into the
 * next read, so a slow reader sees the latest state, not a backlog). Ends after a change whose
 * `status` is undefined, on `return()` (a `break` out of `for await`) or on the signal; `return()`
 * ends it at once, also while a `next()` waits, and lets go of its subscription.
 */
export interface InstanceWatch extends AsyncIterableIterator<InstanceChange> {
  next(): Promise<IteratorResult<InstanceChange, undefined>>;
  return(): Promise<IteratorResult<InstanceChange, undefined>>;
}

/** A client that can watch instances (`DurableClient`, the Worker's client). */
export interface InstanceWatcher {
  watch(instanceId: string, options?: WatchOptions): InstanceWatch;
}

/** Subscribes to "something changed" and returns the unsubscribe function. */
export type ChangeSubscription = (changed: () => void) => () => void;

export const WATCH_DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };
const DONE = WATCH_DONE;

/**
 * What every watch shares (this module's, and the Worker's over its RPC stream): `next()` runs
 * one `step` at a time, in call order, and the signal ends the watch as `return()` does. A
 * subclass sets its fields, then calls `listen()`.
 */
export abstract class SerialWatch implements InstanceWatch {
  protected ended = false;
  private queue: Promise<unknown> = Promise.resolve();
  protected readonly signal: AbortSignalLike | undefined;
  private readonly onAbort = () => void this.return();

  constructor(signal: AbortSignalLike | undefined) {
    this.signal = signal;
  }

  /** Follows the signal (an aborted one ends the watch at once). */
  protected listen(): void {
    if (this.signal?.aborted) this.end();
    else this.signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  /** Stops following the signal (call from `end`). */
  protected unlisten(): void {
    this.signal?.removeEventListener("abort", this.onAbort);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<InstanceChange, undefined>> {
    const step = this.queue.then(() => this.step());
    this.queue = step.catch(() => {});
    return step;
  }

  abstract return(): Promise<IteratorReturnResult<undefined>>;
  protected abstract step(): Promise<IteratorResult<InstanceChange, undefined>>;
  protected abstract end(): void;
}

/**
 * A watch over `read`: read at once, then again after each `subscribe` notification, and every
 * `pollMs` when given (for a host that is not told of every change). `read` is never run twice
 * at once.
 */
export function watchChanges(read: () => Promise<InstanceChange>, subscribe: ChangeSubscription | null, options: { signal?: AbortSignalLike | undefined; pollMs?: number | undefined } = {}): InstanceWatch {
  return new ChangeWatch(read, subscribe, options.signal, options.pollMs);
}

class ChangeWatch extends SerialWatch {
  private dirty = true;
  private wake: (() => void) | null = null;
  private readonly unsubscribe: (() => void) | null;
  private readonly read: () => Promise<InstanceChange>;
  private readonly pollMs: number | undefined;

  constructor(read: () => Promise<InstanceChange>, subscribe: ChangeSubscription | null, signal: AbortSignalLike | undefined, pollMs: number | undefined) {
    super(signal);
    this.read = read;
    this.pollMs = pollMs;
    if (pollMs !== undefined && !(pollMs > 0)) throw new TypeError(`watch: pollIntervalMs must be a positive number of milliseconds, got ${String(pollMs)}.`);
    // Subscribed before the first read: a change during that read is not missed.
    this.unsubscribe = subscribe
      ? subscribe(() => {
          this.dirty = true;
          this.wake?.();
        })
      : null;
    this.listen();
  }

  return(): Promise<IteratorReturnResult<undefined>> {
    this.end();
    return Promise.resolve(DONE);
  }

  protected async step(): Promise<IteratorResult<InstanceChange, undefined>> {
    while (!this.dirty) {
      if (this.ended) return DONE;
      await new Promise<void>((resolve) => {
        const timer = this.pollMs === undefined ? undefined : setTimeout(() => ((this.dirty = true), resolve()), this.pollMs);
        this.wake = () => {
          if (timer !== undefined) clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
    if (this.ended) return DONE;
    this.dirty = false;
    let change: InstanceChange;
    try {
      change = await this.read();
    } catch (error) {
      this.end();
      throw error;
    }
    if (this.ended) return DONE; // stopped while it read
    if (change.status === undefined) this.end(); // gone: this is the last change
    return { done: false, value: change };
  }

  protected end(): void {
    if (this.ended) return;
    this.ended = true;
    this.unsubscribe?.();
    this.unlisten();
    this.wake?.();
  }
}
