/**
 * @module durable-edge/browser — orchestrations in a browser tab, persisted in IndexedDB.
 *
 * Every tab of the app calls `createBrowserRuntime`. Exactly one of them, the leader (it holds a
 * Web Lock), runs the runtime: it claims work, runs activities, fires timers. The others are
 * clients: they write to IndexedDB directly (start, raise events, terminate…) and tell the leader
 * over a BroadcastChannel to wake up. The leader broadcasts every instance change, so each tab sees
 * live status. When the leader's tab closes or reloads, a waiting tab takes over; work leased by
 * the old leader is released at once, since it died with its tab.
 *
 * Durable entities (`entities`) follow the same rule: only the leader runs their batches. Any
 * tab's `client.signalEntity` appends the signal to the entity's inbox in IndexedDB and wakes the
 * leader, as `raiseEvent` does; a batch interrupted by a reload commits nothing and runs again
 * whole in the next leader, so no operation is lost or applied twice.
 */
import { DurableClient } from "../../src/client.ts";
import { systemClock, type Clock } from "../../src/clock.ts";
import type { ReplaySafeLogger } from "../../src/context.ts";
import { Registry, type ActivityDefinition, type OrchestratorDefinition } from "../../src/definitions.ts";
import { DurableError, ERROR_CODES, type ErrorCode } from "../../src/errors.ts";
import type { HttpManagementPayload } from "../../src/http-management.ts";
import { movedInfo, type InstanceDocument } from "../../src/instance-document.ts";
import { createRuntime, type FetchLike, type Runtime, type RuntimeOptions } from "../../src/runtime.ts";
import type { InstanceRecord } from "../../src/store.ts";
import type { EntityDefinition } from "../../src/entities/entity-definition.ts";
import { createIndexedDbStore, DEFAULT_DATABASE_NAME, type IndexedDbStore } from "./indexeddb-store.ts";
import { assertLocks, defaultLocks, electLeader, type Leadership } from "./leadership.ts";
import { broadcastChannelClass, openTabChannel, type TabChannel } from "./tab-channel.ts";

export interface BrowserRuntimeOptions {
  /** The IndexedDB database (default "durable-edge"); tabs using the same name share the work. */
  dbName?: string | undefined;
  orchestrators?: readonly OrchestratorDefinition[] | undefined;
  activities?: readonly ActivityDefinition[] | undefined;
  /**
   * Durable entities (`entity(name, handler)`), addressed as `@name@key`. Register the same ones
   * in every tab: the leader runs them, and any tab's client signals, reads and lists them.
   */
  entities?: readonly EntityDefinition<any>[] | undefined;
  /** How entity batches run: requests per batch (default 1,000), how long an async operation may take (default 30,000 ms). */
  entityOperations?: RuntimeOptions["entityOperations"];
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

export interface HandOverOptions {
  /**
   * The Worker (any Durable Edge management API): its origin (`https://my-worker.example`), or
   * the management base URL itself (`…/runtime/webhooks/durabletask`).
   */
  to: string;
  /** The Worker's management key, sent as `Authorization: Bearer`. */
  key?: string | undefined;
  /** Where the management API lives on the Worker. Default `/runtime/webhooks/durabletask`. */
  basePath?: string | undefined;
  /** Import under another id there. */
  instanceId?: string | undefined;
  /** When the Worker has an instance with that id: "fail" (default) or "replace" a finished one. */
  onConflict?: "fail" | "replace" | undefined;
  /** Default: the global `fetch`. */
  fetch?: ((url: string, init: RequestInit) => Promise<Response>) | undefined;
}

export interface HandOverResult {
  /** The id it runs under on the Worker. */
  instanceId: string;
  /** The Worker's check-status payload: its status URL, raise-event URL, … */
  managementUrls: HttpManagementPayload;
}

/** A hand-over that may or may not have reached the Worker: the instance is stopped here, and `document` holds it. */
export interface HandOverError extends DurableError {
  readonly document?: InstanceDocument;
}

export interface BrowserRuntime {
  /** Start, query and manage instances, signal and read entities: works in every tab, leader or not. */
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
  /**
   * Hands an instance over to a Worker in one call: moves it out of this tab (it stops here, in
   * the same transaction, and this tab never runs it again) and imports it there, where it goes
   * on with its history, pending timers, buffered events and queued work (activities that were
   * running here run again there). One that waits for running sub-orchestrations goes with them,
   * as a tree. If the Worker refuses it (409, 400, …), or cannot be reached before it got it, the
   * instance is put back here and the call rejects with the reason. If the answer is lost on the
   * way, or is a server error (5xx) while the Worker has it (or part of its tree), it rejects with
   * the document attached (`error.document`): import it there again (what it imported already is
   * left as it is), or back with `client.importInstance(document, { onConflict: "replace" })` once
   * you know the Worker does not have it.
   */
  handOver(instanceId: string, options: HandOverOptions): Promise<HandOverResult>;
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
  private readonly dbName: string;

  constructor(options: BrowserRuntimeOptions) {
    const logger = options.logger ?? console;
    const dbName = options.dbName ?? DEFAULT_DATABASE_NAME;
    this.dbName = dbName;
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
      entities: options.entities,
      entityOperations: options.entityOperations,
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
      registry: new Registry(options.orchestrators, options.activities, options.entities),
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

  async handOver(instanceId: string, options: HandOverOptions): Promise<HandOverResult> {
    if (typeof options?.to !== "string" || !/^https?:\/\//i.test(options.to)) {
      throw new DurableError("InvalidArgument", `handOver needs { to: <the Worker's URL> }, e.g. "https://my-worker.example"; got ${JSON.stringify(options?.to)}.`);
    }
    const basePath = (options.basePath ?? "/runtime/webhooks/durabletask").replace(/\/+$/, "");
    const root = options.to.replace(/\/+$/, "");
    const base = root.endsWith(basePath) ? root : `${root}${basePath}`;
    const fetcher = options.fetch ?? ((url: string, init: RequestInit) => fetch(url, init));
    const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
    if (options.key) headers.authorization = `Bearer ${options.key}`;

    // First, can the Worker take it? Unreachable, a wrong key, an id in use there: nothing changes here.
    const target = options.instanceId ?? instanceId;
    let preflight: Response;
    try {
      preflight = await fetcher(`${base}/instances/${encodeURIComponent(target)}`, { method: "GET", headers });
    } catch (error) {
      throw new DurableError("StoreUnavailable", `Could not reach ${base} (${errorText(error)}); '${instanceId}' stays in this tab, unchanged.`);
    }
    const seen = await preflight.text();
    if (preflight.status === 200 || preflight.status === 202) {
      if (options.onConflict !== "replace") {
        throw new DurableError(
          "InstanceAlreadyExists",
          `${base} already has an instance '${target}'; '${instanceId}' stays in this tab, unchanged. Hand it over under another id, or with onConflict "replace" over a finished one.`,
        );
      }
    } else if (preflight.status !== 404) {
      throw refusal(base, instanceId, preflight.status, seen, "unchanged");
    }

    const document = await this.client.exportInstance(instanceId, { move: true, to: base, source: `browser:${this.dbName}` });
    await this.announce(instanceId);
    const putBack = async (why: DurableError): Promise<never> => {
      const row = await this.store.getInstance(instanceId);
      if (row && movedInfo(row)) await this.client.importInstance(document, { onConflict: "replace" });
      await this.announce(instanceId);
      throw why;
    };
    let query = `onConflict=${encodeURIComponent(options.onConflict ?? "fail")}`;
    if (options.instanceId !== undefined) query += `&instanceId=${encodeURIComponent(options.instanceId)}`;
    // Did the Worker get it (some of it, for a tree)? Only a clear "no" puts it back here.
    const unsure = async (what: string): Promise<never> => {
      const status = await fetcher(`${base}/instances/${encodeURIComponent(target)}`, { method: "GET", headers }).catch(() => null);
      await status?.body?.cancel().catch(() => undefined);
      if (status?.status === 404) {
        return putBack(new DurableError("StoreUnavailable", `Could not hand '${instanceId}' over to ${base}: ${what}. It stays in this tab.`));
      }
      const lost = new DurableError(
        "StoreUnavailable",
        `Handing '${instanceId}' over to ${base} failed on the way (${what}); the Worker may have it${document.descendants ? ", or part of its tree" : ""}. It is stopped in this tab; error.document holds it: import it there again (what it imported already is left as it is), or back here once you know the Worker does not have it.`,
      ) as DurableError & { document?: InstanceDocument };
      Object.defineProperty(lost, "document", { value: document, enumerable: false });
      throw lost;
    };
    let response: Response;
    try {
      response = await fetcher(`${base}/instances/import?${query}`, { method: "POST", headers, body: JSON.stringify(document) });
    } catch (error) {
      return unsure(errorText(error));
    }
    const text = await response.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON
    }
    // A refusal (4xx) stores nothing there; a server error may have stored part of a tree.
    if (response.status >= 500) return unsure(refusal(base, instanceId, response.status, text, "stays").message.replace(/ It stays in this tab\.$/, ""));
    if (response.status !== 201) return putBack(refusal(base, instanceId, response.status, text, "stays"));
    const managementUrls = body as HttpManagementPayload;
    return { instanceId: managementUrls.id, managementUrls };
  }

  /** Tells every tab (and this one's listeners) of a change this tab made outside the runtime. */
  private async announce(instanceId: string): Promise<void> {
    const row = await this.store.getInstance(instanceId);
    if (!row) return;
    this.changes.emit(row);
    this.channel.publishChange(row);
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

/** The Worker's `{ code, message }` answer as a `DurableError` (its code when it is one of ours). */
function refusal(base: string, instanceId: string, status: number, text: string, here: "unchanged" | "stays"): DurableError {
  let answer: { code?: unknown; message?: unknown } = {};
  try {
    answer = (JSON.parse(text) ?? {}) as typeof answer;
  } catch {
    // not JSON
  }
  const code: ErrorCode = typeof answer.code === "string" && (ERROR_CODES as readonly string[]).includes(answer.code) ? (answer.code as ErrorCode) : status >= 500 ? "StoreUnavailable" : "InvalidState";
  const message = typeof answer.message === "string" ? answer.message : `HTTP ${status}`;
  return new DurableError(code, `${base} refused instance '${instanceId}' (${status}): ${message} It ${here === "unchanged" ? "stays in this tab, unchanged" : "stays in this tab"}.`);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
