/**
 * What the store keeps in memory about the activities it leased:
 * - the lease it holds on each, so a completion can be checked without reading IndexedDB;
 * - results held back until the step that consumes them commits (write-behind): that step's
 *   transaction deletes the activity row, and the result is never written on its own. If the tab
 *   dies first, the row is still there, leased, and the activity runs again once the lease is
 *   released (takeover) or expires: the at-least-once that leases give anyway;
 * - activities a step queued already leased to this store, waiting to be handed out by `claimWork`.
 */
import type { ClaimedActivity, InboxMessage } from "../../src/store.ts";

export interface HeldResult {
  /** The activity as this store leased it (its lease token is the one the activity row must still carry). */
  activity: ClaimedActivity;
  message: InboxMessage;
}

export type Offer = "held" | "duplicate" | "unknown";

export class ActivityBook {
  /** This store's latest lease on each activity, by activity id. */
  private readonly leases = new Map<string, ClaimedActivity>();
  /** Held results by activity id, in completion order. */
  private readonly held = new Map<string, HeldResult>();
  /** Leased to this store by a step's commit, not handed out yet, by activity id. */
  private readonly handouts = new Map<string, ClaimedActivity>();
  /** The ids of the activities above, by instance (so forgetting an instance's does not scan them all). */
  private readonly byInstance = new Map<string, Set<string>>();

  get heldCount(): number {
    return this.held.size;
  }

  get handoutCount(): number {
    return this.handouts.size;
  }

  leased(activity: ClaimedActivity): void {
    this.leases.set(activity.id, activity);
    this.handouts.delete(activity.id);
    this.index(activity);
  }

  /** Leased by a step's commit: handed out by the next claims. */
  queuedLeased(activity: ClaimedActivity): void {
    this.leases.set(activity.id, activity);
    this.handouts.set(activity.id, activity);
    this.index(activity);
  }

  /**
   * Up to `limit` pre-leased activities whose lease still runs at `now` (expired ones are dropped:
   * they can be claimed from IndexedDB again).
   */
  takeHandouts(now: number, limit: number): ClaimedActivity[] {
    const out: ClaimedActivity[] = [];
    for (const [id, a] of this.handouts) {
      if (a.lockedUntil <= now) {
        this.handouts.delete(id);
        continue;
      }
      if (out.length >= limit) break;
      this.handouts.delete(id);
      out.push(a);
    }
    return out;
  }

  /**
   * "held": `activity` carries this store's current lease, still running at `latestNow` (the latest
   * time this store was told), so the result is kept in memory. "duplicate": a result of that same
   * lease is held already; the completion changes nothing. "unknown": IndexedDB must decide (a lease
   * of another store or an older one, maybe expired): complete it there.
   */
  offer(activity: ClaimedActivity, result: InboxMessage, latestNow: number): Offer {
    const lease = this.leases.get(activity.id);
    if (!lease || lease.leaseToken !== activity.leaseToken) return "unknown";
    const held = this.held.get(activity.id);
    if (held) return held.activity.leaseToken === activity.leaseToken ? "duplicate" : "unknown";
    if (lease.lockedUntil <= latestNow || result.instanceId !== activity.instanceId) return "unknown";
    this.held.set(activity.id, { activity: lease, message: result });
    this.index(lease);
    return "held";
  }

  holdsResultOf(activityId: string): boolean {
    return this.held.has(activityId);
  }

  heldOf(instanceId: string): HeldResult[] {
    const out: HeldResult[] = [];
    for (const id of this.byInstance.get(instanceId) ?? []) {
      const h = this.held.get(id);
      if (h) out.push(h);
    }
    return out;
  }

  /** Instances with a held result visible at `now`. */
  readyInstances(now: number): string[] {
    const ids = new Set<string>();
    for (const h of this.held.values()) if (h.message.visibleAt <= now) ids.add(h.activity.instanceId);
    return [...ids];
  }

  nextVisibleAt(): number {
    let next = Infinity;
    for (const h of this.held.values()) if (h.message.visibleAt < next) next = h.message.visibleAt;
    return next;
  }

  /** The held result was consumed, written, or found void: forget it and its lease. */
  settle(h: HeldResult): void {
    if (this.held.get(h.activity.id) === h) this.held.delete(h.activity.id);
    this.forgetLease(h.activity);
  }

  /** The activity was completed in IndexedDB (or found gone): forget this lease on it. */
  forgetLease(activity: ClaimedActivity): void {
    if (this.leases.get(activity.id)?.leaseToken === activity.leaseToken) this.leases.delete(activity.id);
    this.prune(activity);
  }

  /** Takes every held result out (to write them before closing). */
  takeHeld(): HeldResult[] {
    const all = [...this.held.values()];
    this.held.clear();
    return all;
  }

  forgetExecution(instanceId: string, executionId: string): void {
    this.forgetOf(instanceId, (a) => a.executionId === executionId);
  }

  forgetInstance(instanceId: string): void {
    this.forgetOf(instanceId, () => true);
  }

  clear(): void {
    this.leases.clear();
    this.held.clear();
    this.handouts.clear();
    this.byInstance.clear();
  }

  /** Drops the activity from the instance index once no map holds it. */
  private prune(activity: ClaimedActivity): void {
    const { id, instanceId } = activity;
    if (this.leases.has(id) || this.held.has(id) || this.handouts.has(id)) return;
    const ids = this.byInstance.get(instanceId);
    ids?.delete(id);
    if (ids?.size === 0) this.byInstance.delete(instanceId);
  }

  private index(activity: ClaimedActivity): void {
    let ids = this.byInstance.get(activity.instanceId);
    if (!ids) this.byInstance.set(activity.instanceId, (ids = new Set()));
    ids.add(activity.id);
  }

  /** Forgets the matching activities of one instance. */
  private forgetOf(instanceId: string, match: (a: ClaimedActivity) => boolean): void {
    const ids = this.byInstance.get(instanceId);
    if (!ids) return;
    for (const id of [...ids]) {
      const a = this.leases.get(id) ?? this.held.get(id)?.activity ?? this.handouts.get(id);
      if (a && !match(a)) continue;
      this.leases.delete(id);
      this.held.delete(id);
      this.handouts.delete(id);
      ids.delete(id);
    }
    if (ids.size === 0) this.byInstance.delete(instanceId);
  }
}
