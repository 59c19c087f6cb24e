/**
 * What the store knows, in memory, about the work waiting in IndexedDB, so that `claimWork` and
 * `nextWakeAt` can answer without a transaction when nothing else could have written since the
 * store last looked. It is built by a real look (a claim transaction) and then kept exact by the
 * store's own `runSteps` commits, which know precisely what they changed. It is dropped, forcing
 * the next claim to look again, when:
 * - anything else may have written: another tab (the host calls `invalidate()` on its `wake`
 *   message), or this store outside `runSteps` (creations, events, purges, stored completions);
 * - time reaches the horizon: the first not-yet-visible message or expiring lease seen by the look;
 * - activities are wanted and some are queued unleased (more than could be leased at once).
 * Only enabled when every outside write is signalled (the browser host with a BroadcastChannel).
 */
export interface Look {
  asOf: number;
  /** Every instance with a message visible at `asOf`. */
  visible: Iterable<string>;
  /** The earliest `visibleAt` after `asOf`, or Infinity. */
  nextVisibleAt: number;
  /** The earliest lease expiry after `asOf`, or Infinity. */
  nextLockedUntil: number;
  /** Activities claimable at `asOf` that the look did not lease. */
  unleased: boolean;
}

interface Known {
  asOf: number;
  /** Instance → the earliest `visibleAt` in its inbox (those with messages only). */
  earliest: Map<string, number>;
  /** Before this time nothing becomes due that `earliest` does not show. */
  horizon: number;
  unleased: boolean;
}

export class WorkView {
  private generation = 0;
  private known: Known | null = null;

  readonly enabled: boolean;
  constructor(enabled: boolean) {
    this.enabled = enabled;
  }

  /** Something else may have written: the next claim looks at IndexedDB. */
  invalidate(): void {
    this.generation++;
    this.known = null;
  }

  /** Call before a look; pass the token to `adopt`. */
  beginLook(): number {
    return this.generation;
  }

  /** Adopts a look, unless something wrote while it ran (then the next claim looks again). */
  adopt(token: number, look: Look): void {
    if (!this.enabled || token !== this.generation) return;
    this.known = {
      asOf: look.asOf,
      earliest: new Map([...look.visible].map((id) => [id, look.asOf])),
      horizon: Math.min(look.nextVisibleAt, look.nextLockedUntil),
      unleased: look.unleased,
    };
  }

  /** The instances with a message visible at `now`, or null when only a look can tell. */
  ready(now: number, wantsActivities: boolean): string[] | null {
    const k = this.known;
    if (!k || now < k.asOf || now >= k.horizon || (wantsActivities && k.unleased)) return null;
    const ids: string[] = [];
    for (const [id, at] of k.earliest) if (at <= now) ids.push(id);
    return ids;
  }

  /** The earliest time something stored becomes due, null for never, undefined when only a look can tell. */
  nextWakeAt(): number | null | undefined {
    const k = this.known;
    if (!k) return undefined;
    if (k.unleased) return 0;
    let next = k.horizon;
    for (const at of k.earliest.values()) if (at < next) next = at;
    return next === Infinity ? null : next;
  }

  // --- exact updates from this store's own runSteps commits ---

  /** A commit of this store: looks that began before it may have missed it, so they are not adopted. */
  committed(): void {
    this.generation++;
  }

  /** The instance's whole inbox after a commit: its earliest message, or null when empty. */
  inboxIs(instanceId: string, earliest: number | null): void {
    if (!this.known) return;
    if (earliest === null) this.known.earliest.delete(instanceId);
    else this.known.earliest.set(instanceId, earliest);
  }

  /** Messages were added to an inbox (whose other messages are as known). */
  inboxGained(instanceId: string, earliest: number): void {
    if (!this.known) return;
    const at = this.known.earliest.get(instanceId);
    if (at === undefined || earliest < at) this.known.earliest.set(instanceId, earliest);
  }

  /** A lease this store took expires at `at`: the activity becomes claimable again then. */
  leaseUntil(at: number): void {
    if (this.known && at < this.known.horizon) this.known.horizon = at;
  }

  /** Activities were queued without a lease. */
  queuedUnleased(): void {
    if (this.known) this.known.unleased = true;
  }
}
