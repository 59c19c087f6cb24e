/**
 * @module durable-edge/browser — orchestrations in a browser tab, persisted in IndexedDB.
 *
 * Every tab of the app calls `createBrowserRuntime`. Exactly one of them, the leader (it holds a
 * Web Lock), runs the runtime: it claims work, runs activities, fires timers. The others are
 * clients: they write to IndexedDB directly (start, raise events, terminate…) and tell the leader
 * over a BroadcastChannel to wake up. The leader broadcasts every instance change, so each tab sees
 * live status. When the leader's tab closes or reloads, a waiting tab takes over; work leased by
 * the old leader is released at once, since it died with its tab.
 */
import { DurableClient } from "../../src/client.ts";
import { systemClock, type Clock } from "../../src/clock.ts";
import type { ReplaySafeLogger } from "../../src/context.ts";
import { Registry, type ActivityDefinition, type OrchestratorDefinition } from "../../src/definitions.ts";
import type { DurableError } from "../../src/errors.ts";
import { createRuntime, type FetchLike, type Runtime } from "../../src/runtime.ts";
import type { InstanceRecord } from "../../src/store.ts";
import { createIndexedDbStore, DEFAULT_DATABASE_NAME, type IndexedDbStore } from "./indexeddb-store.ts";
import { assertLocks, defaultLocks, electLeader, type Leadership } from "./leadership.ts";
import { broadcastChannelClass, openTabChannel, type TabChannel } from "./tab-channel.ts";

export interface BrowserRuntimeOptions {
  /** The IndexedDB database (default "durable-edge"); tabs using the same name share the work. */
  dbName?: string | undefined;
  orchestrators?: readonly OrchestratorDefinition[] | undefined;
  activities?: readonly ActivityDefinition[] | undefined;
  /**
   * How long an activity may run (default 5 minutes): one that would run longer fails with a
   * `Timeout` error just before, which the orchestrator sees as a `TaskFailedError`. A tab that
   * takes over releases the old leader's leases at once, so a reload never waits for this.
   */
  leaseMs?: number | undefined;
  maxConcurrentActivities?: number | undefined;
  maxBatchSize?: number | undefined;
  cacheSize?: number | undefined;
  clock?: Clock | undefined;
  logger?: ReplaySafeLogger | undefined;
  fetch?: FetchLike | undefined;
  /** Default: the global `indexedDB`. */
  indexedDB?: IDBFactory | undefined;
  /** IndexedDB transaction durability for writes (see `createIndexedDbStore`). */
  durability?: IDBTransactionDurability | undefined;
  /** Default: `navigator.locks`. */
  locks?: LockManager | undefined;
  /** Default: the global `BroadcastChannel`. Without one, tabs still share work but see changes by polling. */
  BroadcastChannel?: typeof BroadcastChannel | undefined;
}

export interface BrowserRuntime {
  /** Start, query and manage instances: works in every tab, leader or not. */
  readonly client: DurableClient;
  readonly store: IndexedDbStore;
  /** True while this tab runs the orchestrations. */
  isLeader(): boolean;
  /** Resolves when this tab becomes the leader (maybe never, while another tab leads). */
  whenLeader(): Promise<void>;
  onLeaderChange(listener: (leader: boolean) => void): () => void;
  /** Every committed change to an instance, whichever tab made it. */
  onChange(listener: (instance: InstanceRecord) => void): () => void;
  /** The store closed on its own (another tab deleted or upgraded the database), or leadership failed. */
  onError(listener: (error: unknown) => void): () => void;
  /** Stops the work (waiting for running activities), hands leadership to another tab, closes the database. */
  close(): Promise<void>;
}

/** The lock and channel names tabs agree on, derived from the database name. */
export const tabCoordinationName = (dbName: string) => `durable-edge:${dbName}`;

export function createBrowserRuntime(options: BrowserRuntimeOptions = {}): BrowserRuntime {
  return new TabRuntime(options);
}

class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();
  private readonly logger: ReplaySafeLogger;
  constructor(logger: ReplaySafeLogger) {
    this.logger = logger;
  }
  add(listener: (value: T) => void): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }
  emit(value: T): void {
    for (const l of this.set) {
      try {
        l(value);
      } catch (error) {
        this.logger.error("durable-edge: a listener threw:", error);
      }
    }
  }
}

class TabRuntime implements BrowserRuntime {
  readonly client: DurableClient;
  readonly store: IndexedDbStore;
  private readonly runtime: Runtime;
  private readonly channel: TabChannel;
  private readonly leadership: Leadership;
  private readonly changes: Listeners<InstanceRecord>;
  private readonly leaderChanges: Listeners<boolean>;
  private readonly errors: Listeners<unknown>;
  private leader = false;
  private closing: Promise<void> | null = null;

  constructor(options: BrowserRuntimeOptions) {
    const logger = options.logger ?? console;
    const dbName = options.dbName ?? DEFAULT_DATABASE_NAME;
    const clock = options.clock ?? systemClock;
    const locks = options.locks ?? defaultLocks();
    assertLocks(locks);
    this.changes = new Listeners(logger);
    this.leaderChanges = new Listeners(logger);
    this.errors = new Listeners(logger);
    this.store = createIndexedDbStore({
      name: dbName,
      indexedDB: options.indexedDB,
      durability: options.durability,
      onClose: (error) => this.storeLost(error),
      // Other tabs write to the database directly and then post `wake` (handled below), so the
      // store may answer claims from memory in between. Without a channel it must always look.
      externalWritesSignalled: broadcastChannelClass(options.BroadcastChannel) !== undefined,
    });
    this.runtime = createRuntime({
      store: this.store,
      orchestrators: options.orchestrators,
      activities: options.activities,
      clock,
      logger,
      leaseMs: options.leaseMs ?? 5 * 60_000,
      maxConcurrentActivities: options.maxConcurrentActivities,
      maxBatchSize: options.maxBatchSize,
      cacheSize: options.cacheSize,
      fetch: options.fetch,
    });
    this.channel = openTabChannel(tabCoordinationName(dbName), options.BroadcastChannel, {
      onWake: () => {
        this.store.invalidate(); // another tab wrote: the next claim reads IndexedDB
        if (this.leader) this.runtime.wake();
      },
      onChanges: (rows) => {
        for (const row of rows) this.changes.emit(row);
      },
    });
    this.runtime.onChange((row) => {
      this.changes.emit(row);
      this.channel.publishChange(row);
    });
    this.client = new DurableClient({
      store: this.store,
      clock,
      registry: new Registry(options.orchestrators, options.activities),
      onWrite: () => (this.leader ? this.runtime.wake() : this.channel.wakeLeader()),
      subscribe: (listener) => this.changes.add(listener),
    });
    this.leadership = electLeader({
      locks,
      lockName: tabCoordinationName(dbName),
      onAcquired: async () => {
        // Only the leader runs activities, and the previous one is gone with its tab: its leases are void.
        const released = await this.store.releaseLeases();
        if (released > 0) logger.info(`durable-edge: took over '${dbName}'; running ${released} interrupted activit${released === 1 ? "y" : "ies"} again.`);
        this.leader = true;
        this.runtime.start();
        this.leaderChanges.emit(true);
      },
      onReleasing: async () => {
        this.leader = false;
        await this.runtime.stop();
        // Results still held in memory are written before the next leader starts, so it need not run them again.
        await this.store.flushCompletions().catch((error: unknown) => logger.warn("durable-edge: could not write held activity results; they run again.", error));
        this.leaderChanges.emit(false);
      },
      onError: (error) => this.errors.emit(error),
    });
  }

  isLeader(): boolean {
    return this.leader;
  }

  whenLeader(): Promise<void> {
    return this.leadership.acquired;
  }

  onLeaderChange(listener: (leader: boolean) => void): () => void {
    return this.leaderChanges.add(listener);
  }

  onChange(listener: (instance: InstanceRecord) => void): () => void {
    return this.changes.add(listener);
  }

  onError(listener: (error: unknown) => void): () => void {
    return this.errors.add(listener);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.leadership.resign();
      this.channel.close();
      await this.store.close();
    })();
    return this.closing;
  }

  private storeLost(error: DurableError): void {
    this.errors.emit(error);
    void this.leadership.resign();
  }
}
