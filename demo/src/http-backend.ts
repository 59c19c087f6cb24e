/**
 * @module http-backend — the dashboard over the Durable Functions HTTP API of the Worker
 * (`/runtime/webhooks/durabletask`; starts with `POST {base}/orchestrators/{name}`). Live updates by
 * polling while the page is visible; after a 401 the polling waits until a different key is given.
 * An instance's status is read with `showRuns=true` (the earlier runs of one that continued as new).
 * The open instance is watched through the stream route (`GET {base}/stream/instances/{id}`,
 * server-sent events) where the Worker serves it, with `Last-Event-ID` on reconnect. Time travel
 * reads `GET {base}/instances/{id}/timetravel` (the frames, replayed with the Worker's code).
 * Entities: `GET {base}/entities[/{name}]?fetchState=true&includeDeleted=true&top=` (paged by the
 * `x-ms-continuation-token` header both ways), `GET {base}/entities/{name}/{key}?metadata=true`
 * (the state with the lock holder, backlog and last operation; a Worker without `metadata` answers
 * the state alone),
 * `POST {base}/entities/{name}/{key}?op=` (a signal, the input as the JSON body) and
 * `DELETE {base}/entities/{name}/{key}`; the key `$` stands for the empty key. A Worker without the
 * entity routes (404 `NotFound`) is reported as `NoEntityRoutes`. What the Worker registers comes
 * from `GET {base}/functions`; a Worker that cannot tell (404: an older Worker without the route;
 * 501 `NotImplemented`: a client without a registry) gets the functions the page knows instead
 * (`fallbackFunctions`), said so in `fallback`. Starts are `POST {base}/orchestrators/{name}[/{instanceId}]`.
 */
import { EntityId } from "../../src/index.ts";
import { BackendError, type Backend, type EntityFilter, type RegisteredFunctions, type SideFunctions, type EntityInfo, type EntityListPage, type InstanceFilter, type InstancePage, type OrchestrationStatus, type TimeTravel, type WatchEvent } from "./backend.ts";
import { toDetailedHistory } from "./detailed-history.ts";
import { isShown, toEntityInfo } from "./entity-model.ts";
import type { HistoryEvent } from "../../src/index.ts";
import { readSse } from "./sse.ts";

export interface HttpBackendOptions {
  /** Origin (and path prefix) of the Worker; "" for the page's own origin. */
  baseUrl?: string;
  /** Default `/runtime/webhooks/durabletask`. */
  basePath?: string;
  /** How often to poll for changes (default 2,000 ms). */
  pollMs?: number;
  fetch?: typeof fetch;
  /** The Worker's management key (`DURABLE_EDGE_KEY`), sent as `x-functions-key` when there is one. */
  key?: () => string | null;
  /** Called when the Worker answers 401: it wants a (different) key. */
  onUnauthorized?: () => void;
  /** What to offer when the Worker cannot say what it registers (404 or 501 for `GET {base}/functions`); default none. */
  fallbackFunctions?: RegisteredFunctions;
}

const CONTINUATION = "x-ms-continuation-token";

export function createHttpBackend(options: HttpBackendOptions = {}): Backend {
  const base = (options.baseUrl ?? "").replace(/\/+$/, "");
  const api = `${base}${options.basePath ?? "/runtime/webhooks/durabletask"}`;
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const pollMs = options.pollMs ?? 2000;
  const timers = new Set<ReturnType<typeof setInterval>>();
  /** The key (or "" for none) the Worker refused with a 401: polling waits until another is given. */
  let refusedKey: string | null = null;

  async function send(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    let response: Response;
    const key = options.key?.();
    if (key) headers = { ...headers, "x-functions-key": key };
    try {
      response = await doFetch(url, {
        method,
        headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new BackendError("Unreachable", `The Worker did not answer (${error instanceof Error ? error.message : String(error)}). Is it running (npm start)?`);
    }
    if (response.status === 401) {
      refusedKey = key ?? "";
      options.onUnauthorized?.();
    } else if (response.ok && refusedKey === (key ?? "")) refusedKey = null;
    if (!response.ok) throw await toError(response);
    return response;
  }

  const instanceUrl = (id: string, op = "") => `${api}/instances/${encodeURIComponent(id)}${op ? `/${op}` : ""}`;
  const withReason = (url: string, reason: string) => (reason ? `${url}?reason=${encodeURIComponent(reason)}` : url);
  /** `{base}/entities/{name}/{key}`, the name and key checked first (the core's rules), the empty key as `$`. */
  const entityUrl = (name: string, key: string) => {
    const id = checkedEntity(name, key);
    return `${api}/entities/${encodeURIComponent(id.name)}/${id.key === "" ? "$" : encodeURIComponent(id.key)}`;
  };

  /** A request to an entity route; a 404 `NotFound` (no such route on this Worker) becomes `NoEntityRoutes`. */
  async function sendEntity(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Response> {
    try {
      return await send(method, url, body, headers);
    } catch (error) {
      if (error instanceof BackendError && error.status === 404 && error.code === "NotFound") {
        throw new BackendError("NoEntityRoutes", `This Worker serves no entity routes (${method} ${new URL(url, "http://x").pathname} answered 404 ${error.code}), so its entities cannot be listed or signalled from here.`, 404);
      }
      throw error;
    }
  }

  async function entityPage(filter: EntityFilter, token: string | null): Promise<EntityListPage> {
    const q = new URLSearchParams({ fetchState: "true", includeDeleted: "true", top: String(filter.pageSize) });
    const path = filter.name ? `${api}/entities/${encodeURIComponent(checkedName(filter.name))}` : `${api}/entities`;
    const response = await sendEntity("GET", `${path}?${q}`, undefined, token ? { [CONTINUATION]: token } : {});
    const body = (await response.json()) as unknown;
    if (!Array.isArray(body)) throw new BackendError("BadResponse", "The Worker's entity list is not a JSON array.");
    const next = response.headers.get(CONTINUATION);
    const entities = body.filter(isListedEntity).map(toEntityInfo).filter(isShown);
    return { entities, continuationToken: next && next !== "null" ? next : null };
  }

  return {
    side: "edge",
    async start(name, input, instanceId) {
      // The management API's own start route (every Worker has it; the /api starters can be turned off).
      const path = `${api}/orchestrators/${encodeURIComponent(name)}${instanceId === undefined ? "" : `/${encodeURIComponent(instanceId)}`}`;
      const response = await send("POST", path, input ?? null);
      return idOf(await response.json());
    },
    async registered() {
      const url = `${api}/functions`;
      let response: Response;
      try {
        response = await send("GET", url);
      } catch (error) {
        if (!(error instanceof BackendError) || (error.status !== 404 && error.status !== 501)) throw error;
        const fallback = options.fallbackFunctions ?? { orchestrators: [], activities: [], entities: [] };
        return {
          ...copyFunctions(fallback),
          fallback: `This Worker does not say what it registers (GET ${new URL(url, "http://x").pathname} answered ${error.status} ${error.code}), so the page offers the samples it knows; the Worker may register others.`,
        } satisfies SideFunctions;
      }
      const body = (await response.json().catch(() => null)) as unknown;
      if (!isRegisteredFunctions(body)) throw new BackendError("BadResponse", "The Worker's GET …/functions answer is not { orchestrators: [{ name }], activities: [{ name, local }], entities: [{ name }] }.");
      return { ...copyFunctions(body), fallback: null };
    },
    async list(filter, token) {
      const response = await send("GET", `${api}/instances?${listQuery(filter)}`, undefined, token ? { [CONTINUATION]: token } : {});
      const instances = (await response.json()) as OrchestrationStatus[];
      const next = response.headers.get(CONTINUATION);
      return { instances, continuationToken: next && next !== "null" ? next : null } satisfies InstancePage;
    },
    async get(id) {
      let response: Response;
      try {
        // showRuns: the earlier runs of a continue-as-new chain (the Worker's own; an older Worker ignores it).
        response = await send("GET", `${instanceUrl(id)}?showHistory=true&showHistoryOutput=true&showInput=true&showRuns=true`);
      } catch (error) {
        if (error instanceof BackendError && error.status === 404) return undefined;
        throw error;
      }
      const status = (await response.json()) as OrchestrationStatus;
      if (status.runtimeStatus === "Pending") return status;
      // The stored history, where the Worker serves it: millisecond times, task ids and running
      // tasks, as the tab shows them. A Worker without the route keeps the status's rendering.
      try {
        const history = (await (await send("GET", instanceUrl(id, "history"))).json()) as { events?: HistoryEvent[] };
        if (Array.isArray(history.events)) status.historyEvents = toDetailedHistory(history.events);
      } catch (error) {
        if (!(error instanceof BackendError) || (error.status !== 404 && error.status !== 405 && error.status !== 501)) throw error;
      }
      return status;
    },
    async raiseEvent(id, name, data) {
      await send("POST", instanceUrl(id, `raiseEvent/${encodeURIComponent(name)}`), data ?? null);
    },
    async terminate(id, reason) {
      await send("POST", withReason(instanceUrl(id, "terminate"), reason));
    },
    async suspend(id, reason) {
      await send("POST", withReason(instanceUrl(id, "suspend"), reason));
    },
    async resume(id, reason) {
      await send("POST", withReason(instanceUrl(id, "resume"), reason));
    },
    async rewind(id, reason) {
      await send("POST", withReason(instanceUrl(id, "rewind"), reason));
    },
    async restart(id) {
      const response = await send("POST", `${instanceUrl(id, "restart")}?restartWithNewInstanceId=true`);
      return idOf(await response.json());
    },
    async purge(id) {
      const response = await send("DELETE", instanceUrl(id));
      const body = (await response.json()) as { instancesDeleted?: unknown };
      return typeof body.instancesDeleted === "number" ? body.instancesDeleted : 0;
    },
    async timeTravel(id) {
      const response = await send("GET", instanceUrl(id, "timetravel"));
      return (await response.json()) as TimeTravel;
    },
    listEntities: entityPage,
    async getEntity(name, key) {
      // `?metadata=true`: the lock holder, backlog and last operation with the state, in one read.
      const id = checkedEntity(name, key);
      let response: Response;
      try {
        response = await sendEntity("GET", `${entityUrl(name, key)}?metadata=true`);
      } catch (error) {
        if (error instanceof BackendError && error.status === 404 && error.code !== "NoEntityRoutes") return undefined;
        throw error;
      }
      const body = (await response.json()) as unknown;
      if (isListedEntity(body)) {
        const info = toEntityInfo(body);
        return isShown(info) ? info : undefined;
      }
      // A Worker with Durable Functions' route only answers with the state: no lock, no backlog.
      return { ...toEntityInfo({ entityId: { name: id.name.toLowerCase(), key: id.key } }), state: body } satisfies EntityInfo;
    },
    async signalEntity(name, key, operation, input) {
      if (!operation.trim()) throw new BackendError("InvalidArgument", "Give the operation a name, e.g. add.");
      await sendEntity("POST", `${entityUrl(name, key)}?op=${encodeURIComponent(operation)}`, input);
    },
    async deleteEntity(name, key) {
      await sendEntity("DELETE", entityUrl(name, key));
    },
    watch(id, listener) {
      const abort = new AbortController();
      let lastId: string | null = null;
      let failures = 0;
      const emit = (e: WatchEvent) => {
        if (!abort.signal.aborted) listener(e);
      };
      void (async () => {
        while (!abort.signal.aborted) {
          let finished = false;
          try {
            const key = options.key?.();
            const response = await doFetch(`${base}${options.basePath ?? "/runtime/webhooks/durabletask"}/stream/instances/${encodeURIComponent(id)}`, {
              headers: { accept: "text/event-stream", ...(key ? { "x-functions-key": key } : {}), ...(lastId ? { "last-event-id": lastId } : {}) },
              signal: abort.signal,
            });
            if (response.status === 401) {
              refusedKey = key ?? "";
              options.onUnauthorized?.();
              return emit({ type: "unavailable", reason: "the Worker wants the management key" });
            }
            if (response.status === 404) {
              const error = await toError(response);
              return emit(error.code === "InstanceNotFound" ? { type: "gone" } : { type: "unavailable", reason: "this Worker has no stream route" });
            }
            if (!response.ok || !response.body) return emit({ type: "unavailable", reason: `the stream answered ${response.status}` });
            failures = 0;
            await readSse(response.body, (e) => {
              if (e.event === "status") {
                lastId = e.id ?? lastId;
                const { events, ...status } = JSON.parse(e.data) as OrchestrationStatus & { events?: HistoryEvent[] };
                if (Array.isArray(events)) status.historyEvents = toDetailedHistory(events);
                emit({ type: "status", status });
              } else if (e.event === "gone") {
                finished = true;
                emit({ type: "gone" });
              } else if (e.event === "end") finished = true;
            }, abort.signal);
          } catch {
            if (abort.signal.aborted) return;
            // Dropped (network, Worker restart): reconnect with Last-Event-ID, backing off; give up after a few.
            if (++failures > 4) return emit({ type: "unavailable", reason: "the stream keeps dropping" });
          }
          if (finished) return;
          await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** failures)));
        }
      })();
      return () => abort.abort();
    },
    subscribe(listener) {
      const timer = setInterval(() => {
        const waitingForKey = refusedKey !== null && refusedKey === (options.key?.() ?? "");
        if (!waitingForKey && (typeof document === "undefined" || document.visibilityState === "visible")) listener();
      }, pollMs);
      timers.add(timer);
      return () => {
        clearInterval(timer);
        timers.delete(timer);
      };
    },
    close() {
      for (const t of timers) clearInterval(t);
      timers.clear();
    },
  };
}

/** The core's rules for names and keys, before anything is sent (a clear message rather than the API's 400). */
function checkedEntity(name: string, key: string): EntityId {
  try {
    return new EntityId(name, key);
  } catch (error) {
    throw new BackendError("InvalidArgument", error instanceof Error ? error.message : String(error));
  }
}

function checkedName(name: string): string {
  return checkedEntity(name, "x").name;
}

function isListedEntity(value: unknown): value is Parameters<typeof toEntityInfo>[0] {
  const id = (value as { entityId?: { name?: unknown; key?: unknown } } | null)?.entityId;
  return typeof id === "object" && id !== null && typeof id.name === "string" && typeof id.key === "string";
}

function isNamedList(value: unknown): value is { name: string }[] {
  return Array.isArray(value) && value.every((v) => typeof (v as { name?: unknown } | null)?.name === "string");
}

function isRegisteredFunctions(value: unknown): value is RegisteredFunctions {
  const v = value as Partial<Record<keyof RegisteredFunctions, unknown>> | null;
  return typeof v === "object" && v !== null && isNamedList(v.orchestrators) && isNamedList(v.entities) && isNamedList(v.activities);
}

/** The lists alone (a fresh copy, nothing else the answer held). */
function copyFunctions(f: RegisteredFunctions): RegisteredFunctions {
  return {
    orchestrators: f.orchestrators.map((o) => ({ name: o.name })),
    activities: f.activities.map((a) => ({ name: a.name, local: a.local === true })),
    entities: f.entities.map((e) => ({ name: e.name })),
  };
}

function listQuery(filter: InstanceFilter): string {
  const q = new URLSearchParams();
  if (filter.runtimeStatus.length > 0) q.set("runtimeStatus", filter.runtimeStatus.join(","));
  if (filter.instanceIdPrefix) q.set("instanceIdPrefix", filter.instanceIdPrefix);
  if (filter.createdFrom !== null) q.set("createdTimeFrom", new Date(filter.createdFrom).toISOString());
  if (filter.createdTo !== null) q.set("createdTimeTo", new Date(filter.createdTo).toISOString());
  q.set("top", String(filter.pageSize));
  q.set("showInput", "false"); // the list shows no inputs; leaving them out keeps 500 rows small
  return q.toString();
}

function idOf(body: unknown): string {
  const id = (body as { id?: unknown } | null)?.id;
  if (typeof id !== "string") throw new BackendError("BadResponse", "The Worker answered without an instance id.");
  return id;
}

/** The API's error body (`{ code, message }`, possibly under `error`), or a message from the status. */
async function toError(response: Response): Promise<BackendError> {
  const text = await response.text().catch(() => "");
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  const inner = (body as { error?: unknown } | null)?.error;
  const source = (typeof inner === "object" && inner !== null ? inner : body) as { code?: unknown; message?: unknown } | null;
  const code = typeof source?.code === "string" ? source.code : STATUS_CODES[response.status] ?? `HTTP${response.status}`;
  if (typeof source?.code !== "string" && response.status === 404 && !(typeof body === "object" && body !== null)) {
    return new BackendError(
      "NoWorkerHere",
      `No Durable Edge API answers at ${new URL(response.url || "/", location.href).pathname} (HTTP 404). Run the Worker (npm start) and open the page it serves.`,
      404,
    );
  }
  const message =
    typeof source?.message === "string"
      ? source.message
      : typeof inner === "string"
        ? inner
        : text && body === null
          ? text.slice(0, 300)
          : `The Worker answered ${response.status} ${response.statusText}.`;
  return new BackendError(code, message, response.status);
}

const STATUS_CODES: Record<number, string> = {
  400: "InvalidArgument",
  404: "InstanceNotFound",
  409: "InvalidState",
  410: "InstanceGone",
};
