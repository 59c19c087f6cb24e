/**
 * @module local-backend — the dashboard over a runtime in this tab: its client for reads and
 * actions, its change notifications (which the browser host also relays from other tabs) for live
 * updates.
 */
import { DurableError, type HistoryEvent, type OrchestrationClient, type TimeTravel } from "../../src/index.ts";
import { BackendError, type Backend, type InstanceFilter, type InstancePage, type OrchestrationStatus } from "./backend.ts";
import { toDetailedHistory } from "./detailed-history.ts";
import { throttle } from "./throttle.ts";

/** What a host in the tab offers: `createRuntime(...)` and `createBrowserRuntime(...)` both fit. */
export interface LocalHost {
  /** With `getHistory` (as `DurableClient` has), the timeline gets millisecond times and running tasks. */
  readonly client: OrchestrationClient & { getHistory?(instanceId: string): Promise<HistoryEvent[]>; timeTravel?(instanceId: string): Promise<TimeTravel> };
  onChange(listener: () => void): () => void;
}

export function createLocalBackend(host: LocalHost): Backend {
  const { client } = host;
  const unsubscribers = new Set<() => void>();
  return {
    side: "tab",
    start: (name, input) => call(() => client.startNew(name, { input })),
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
  const status = await client.getStatus(id, { showHistory: true, showHistoryOutput: true, showInput: true });
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

/** Runs a client call, turning the library's `DurableError` into a `BackendError` with its code. */
async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (DurableError.is(error)) throw new BackendError(error.code, error.message);
    throw error;
  }
}
