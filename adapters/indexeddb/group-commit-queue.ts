/**
 * Group commit for activity completions: completions that arrive while one transaction is being
 * prepared or is in flight share the next one. Each completion still applies or not on its own
 * (its lease is checked alone); if a batch fails, its items are retried one by one, so one value
 * that cannot be stored fails only its own completion.
 */
import type { ClaimedActivity, InboxMessage } from "../../src/store.ts";

export interface Completion {
  activity: ClaimedActivity;
  result: InboxMessage;
}

interface Pending extends Completion {
  resolve: (applied: boolean) => void;
  reject: (error: unknown) => void;
}

export class CompletionBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  private inFlight = false;

  constructor(private readonly apply: (batch: readonly Completion[]) => Promise<boolean[]>) {}

  add(completion: Completion): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.queue.push({ ...completion, resolve, reject });
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
    // A microtask later: completions of activities that finished in the same turn join this batch.
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

  private async applyBatch(batch: Pending[]): Promise<void> {
    try {
      const outcomes = await this.apply(batch);
      batch.forEach((p, i) => p.resolve(outcomes[i] === true));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const p of batch) await this.applyBatch([p]);
    }
  }
}
