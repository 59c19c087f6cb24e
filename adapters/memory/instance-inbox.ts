/**
 * @module instance-inbox — one instance's inbox in the memory store: its messages in arrival order,
 * unique by id. Messages are held by identity (a `Set` keeps arrival order, and an object hashes
 * for nothing); the index by id holds every message except the activity results the store records
 * under their lease (`addUnindexed`), which are indexed only when an id lookup needs them. A result
 * is written once per lease and consumed by the step that loaded it, so hashing its id (some 80
 * characters) on the way in would be pure cost: about a tenth of a remote activity's time.
 */
import type { InboxMessage } from "../../src/store.ts";

export class InstanceInbox {
  private readonly messages = new Set<InboxMessage>();
  private readonly byId = new Map<string, InboxMessage>();
  private readonly unindexed = new Set<InboxMessage>();

  get size(): number {
    return this.messages.size;
  }

  /** Whether this very message (the stored object) is still here. */
  holds(message: InboxMessage): boolean {
    return this.messages.has(message);
  }

  /** In arrival order. */
  values(): IterableIterator<InboxMessage> {
    return this.messages.values();
  }

  hasId(id: string): boolean {
    this.indexAll();
    return this.byId.has(id);
  }

  /** Adds a message whose id is not here (`hasId` was false). */
  add(message: InboxMessage): void {
    this.messages.add(message);
    this.byId.set(message.id, message);
  }

  /** Adds a message its caller knows to be unique (an activity's result under its lease), without indexing its id. */
  addUnindexed(message: InboxMessage): void {
    this.messages.add(message);
    this.unindexed.add(message);
  }

  /** Deletes this very message. */
  delete(message: InboxMessage): void {
    if (!this.messages.delete(message)) return;
    if (!this.unindexed.delete(message)) this.byId.delete(message.id);
  }

  /**
   * Deletes the messages with these ids. `loaded`, the messages a step was given in order, lets the
   * ids it consumed (a prefix of `ids`, in the same order) be matched by identity, with no lookup.
   */
  deleteIds(ids: readonly string[], loaded?: readonly InboxMessage[]): void {
    let i = 0;
    if (loaded) {
      while (i < ids.length && i < loaded.length && ids[i] === loaded[i]!.id) this.delete(loaded[i++]!);
    }
    if (i === ids.length) return;
    this.indexAll();
    for (; i < ids.length; i++) {
      const message = this.byId.get(ids[i]!);
      if (message) this.delete(message);
    }
  }

  private indexAll(): void {
    if (this.unindexed.size === 0) return;
    for (const m of this.unindexed) this.byId.set(m.id, m);
    this.unindexed.clear();
  }
}
