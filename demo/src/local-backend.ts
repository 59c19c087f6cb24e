/**
 * @module local-backend — the dashboard over a runtime in this tab: its client for reads and
 * actions, its change notifications (which the browser host also relays from other tabs) for live
 * updates. What it registers is its client's `registered()`.
 */
import { DurableError, EntityId, type EntityClient, type HistoryEvent, type OrchestrationClient, type TimeTravel } from "../../src/index.ts";
import { BackendError, type Backend, type EntityFilter, type EntityListPage, type InstanceFilter, type InstancePage, type OrchestrationStatus, type RegisteredFunctions, type SideFunctions } from "./backend.ts";
import { toDetailedHistory } from "./detailed-history.ts";
import { isShown, toEntityInfo } from "./entity-model.ts";
import { throttle } from "./throttle.ts";

/** What a host in the tab offers: `createRuntime(...)` and `createBrowserRuntime(...)` both fit. */
export interface LocalHost {
  /** With `getHistory` (as `DurableClient` has), the timeline gets millisecond times and running tasks. */
  readonly client: OrchestrationClient & EntityClient & { getHistory?(instanceId: string): Promise<HistoryEvent[]>; timeTravel?(instanceId: string): Promise<TimeTravel> };
  /** The entities the runtime registers: a signal to another name is refused here (nothing would run it). */
  readonly entityNames: readonly string[];
  onChange(listener: () => void): () => void;
}

export interface LocalBackendOptions {
  /** What to offer when the client cannot say what it registers (no `registered()`); default: the host's entities alone. */
  fallbackFunctions?: RegisteredFunctions;
}

export function createLocalBackend(host: LocalHost, options: LocalBackendOptions = {}): Backend {
  const { client } = host;
  const unsubscribers = new Set<() => void>();
  return {
    side: "tab",
    start: (name, input, instanceId) => call(() => client.startNew(name, instanceId === undefined ? { input } : { input, instanceId })),
    registered: () =>
      call(async (): Promise<SideFunctions> => {
        const own = client.registered?.();
        if (own) return { orchestrators: own.orchestrators.map((o) => ({ ...o })), activities: own.activities.map((a) => ({ ...a })), entities: own.entities.map((e) => ({ ...e })), fallback: null };
        const fallback = options.fallbackFunctions ?? { orchestrators: [], activities: [], entities: host.entityNames.map((name) => ({ name })) };
        return { ...fallback, fallback: "This tab's client does not say what it registers, so the page offers the samples it knows." };
      }),
    list: (filter, token) => call(() => listPage(client, filter, token)),
    get: (id) => call(() => getDetailed(host.client, id)),
    raiseEvent: (id, name, data) => call(() => client.raiseEvent(id, name, data)),
    terminate: (id, reason) => call(() => client.terminate(id, reason)),
    suspend: (id, reason) => call(() => client.suspend(id, reason)),
    resume: (id, reason) => call(() => client.resume(id, reason)),
    rewind: (id, reason) => call(() => client.rewind(id, reason)),
    restart: (id) => call(() => client.restart(id, { restartWithNewInstanceId: true })),
    purge: (id) => call(async () => (await client.purge(id)).instancesDeleted),
    timeTravel: (id) =>
      call(async () => {
        if (!client.timeTravel) throw new BackendError("NotImplemented", "This tab's client cannot replay instances.");
        return client.timeTravel(id);
      }),
    listEntities: (filter, token) => call(() => entityPage(client, filter, token)),
    getEntity: (name, key) =>
      call(async () => {
        const found = await client.getEntity(new EntityId(name, key), { includeState: true });
        if (!found) return undefined;
        const info = toEntityInfo(found);
        return isShown(info) ? info : undefined;
      }),
    signalEntity: (name, key, operation, input) =>
      call(async () => {
        const id = registeredEntity(host, name, key);
        if (!operation.trim()) throw new BackendError("InvalidArgument", "Give the operation a name, e.g. add.");
        await (input === undefined ? client.signalEntity(id, operation) : client.signalEntity(id, operation, input));
      }),
    deleteEntity: (name, key) => call(() => client.signalEntity(registeredEntity(host, name, key), "delete")),
    subscribe(listener) {
      const notify = throttle(listener, 150);
      const off = host.onChange(() => notify());
      const unsubscribe = () => {
        off();
        notify.cancel();
        unsubscribers.delete(unsubscribe);
      };
      unsubscribers.add(unsubscribe);
      return unsubscribe;
    },
    close() {
      for (const u of [...unsubscribers]) u();
    },
  };
}

async function getDetailed(client: LocalHost["client"], id: string): Promise<OrchestrationStatus | undefined> {
  const status = await client.getStatus(id, { showHistory: true, showHistoryOutput: true, showInput: true, showRuns: true });
  if (!status || !client.getHistory || status.runtimeStatus === "Pending") return status;
  try {
    status.historyEvents = toDetailedHistory(await client.getHistory(id));
  } catch (error) {
    // Purged between the two reads: the status we have is still the last word.
    if (!DurableError.is(error, "InstanceNotFound")) throw error;
  }
  return status;
}

async function listPage(client: OrchestrationClient, filter: InstanceFilter, token: string | null): Promise<InstancePage> {
  const page = await client.listInstances({
    runtimeStatus: filter.runtimeStatus,
    instanceIdPrefix: filter.instanceIdPrefix || undefined,
    createdTimeFrom: filter.createdFrom ?? undefined,
    createdTimeTo: filter.createdTo ?? undefined,
    pageSize: filter.pageSize,
    continuationToken: token,
    showInput: false,
  });
  return { instances: page.instances as OrchestrationStatus[], continuationToken: page.continuationToken };
}

async function entityPage(client: EntityClient, filter: EntityFilter, token: string | null): Promise<EntityListPage> {
  const page = await client.listEntities({
    ...(filter.name ? { entityName: filter.name } : {}),
    pageSize: filter.pageSize,
    continuationToken: token,
    fetchState: true,
    // Entities without state are listed too, and kept when they hold a lock or a backlog.
    includeDeleted: true,
  });
  return { entities: page.entities.map(toEntityInfo).filter(isShown), continuationToken: page.continuationToken };
}

/** The entity id (validated by the core: name and key rules), if the tab registers an entity of that name. */
function registeredEntity(host: LocalHost, name: string, key: string): EntityId {
  const id = new EntityId(name, key);
  const wanted = name.toLowerCase();
  if (!host.entityNames.some((n) => n.toLowerCase() === wanted)) {
    throw new BackendError("UnknownEntity", `No entity named '${name}' is registered in this tab. Registered: ${host.entityNames.join(", ") || "none"}.`);
  }
  return id;
}

/** Runs a client call, turning the library's `DurableError` into a `BackendError` with its code. */
async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (DurableError.is(error)) throw new BackendError(error.code, error.message);
    throw error;
  }
}
