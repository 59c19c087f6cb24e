/**
 * Group commit for small writes (instance creations, activity completions): writes that arrive
 * while one transaction is being prepared or is in flight share the next one. Each item still
 * succeeds or fails on its own (`apply` returns one outcome per item). If a whole batch fails (say,
 * one value cannot be stored), its items are retried one by one, so only the bad one fails.
 */
export type ItemOutcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

interface Pending<I, R> {
  item: I;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

export class GroupCommitQueue<I, R> {
  private queue: Pending<I, R>[] = [];
  private scheduled = false;
  private inFlight = false;

  private readonly apply: (batch: readonly I[]) => Promise<ItemOutcome<R>[]>;
  constructor(apply: (batch: readonly I[]) => Promise<ItemOutcome<R>[]>) {
    this.apply = apply;
  }

  add(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Rejects everything still waiting (the store closed). */
  failPending(error: unknown): void {
    const waiting = this.queue;
    this.queue = [];
    for (const p of waiting) p.reject(error);
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    // A microtask later, so that writes issued in the same turn (a loop of starts, activities that
    // finished together) join this batch.
    queueMicrotask(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    this.inFlight = true;
    try {
      await this.applyBatch(batch);
    } finally {
      this.inFlight = false;
      if (this.queue.length > 0) this.schedule();
    }
  }

  private async applyBatch(batch: Pending<I, R>[]): Promise<void> {
    let outcomes: ItemOutcome<R>[];
    try {
      outcomes = await this.apply(batch.map((p) => p.item));
    } catch (error) {
      if (batch.length === 1) batch[0]!.reject(error);
      else for (const p of batch) await this.applyBatch([p]);
      return;
    }
    batch.forEach((p, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) p.resolve(outcome.value);
      else p.reject(outcome.error);
    });
  }
}
