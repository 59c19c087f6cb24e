/**
 * @module worker/http/routes/stream — `GET {base}/stream/instances/{id}`: one instance's status, with
 * its history, as server-sent events (Hono's `streamSSE`), for dashboards that watch a run.
 *
 * Events: `status` (data: the status payload with `historyEvents` and results, as
 * `GET /instances/{id}?showHistory=true&showHistoryOutput=true&showRuns=true` answers it, plus `events`, the
 * stored history as `GET /instances/{id}/history` answers it, when the client can read it; `id`: a
 * version of that state), sent whenever the state changes; `gone` when the instance was purged
 * mid-stream; `end` once it finished (the stream then closes). Between events, a comment line
 * (`: heartbeat`) every `heartbeatMs`, so proxies keep the connection open and a client that left
 * is noticed. A stream lasts at most `maxMs`, then closes; the client reconnects with
 * `Last-Event-ID` and gets a `status` only if the state moved on since that version (resume).
 * Every `status` is the whole state, so a change made while the client was away is in the first
 * one it gets. An unknown id answers 404 before any stream starts, so a client knows to stop.
 *
 * How it learns of changes: from the client's `watch(instanceId)` (see `src/watch.ts`), which
 * pushes each change as it is committed: the memory runtime's client from its change
 * notifications, the Worker's client from the instance's Durable Object, which streams each
 * commit over RPC, so the Worker reads nothing in between. A client without `watch` is read every
 * `pollMs` instead (the same events).
 *
 * Every way out ends the watch, and with it the object's subscription: the instance finishing or
 * being purged, `maxMs` passing, and the client leaving. A host tells of a client that left when
 * a write to it fails (Hono's `onAbort`), so within a heartbeat or two (measured under `wrangler
 * dev`: the second heartbeat after the disconnect failed; in workerd's tests the first), or at
 * once where the request's signal aborts on disconnect (Node; workerd with the
 * `enable_request_signal` flag, where the platform tells). At the latest, `maxMs` ends it.
 *
 * Registration (in `createManagementApp`, next to the other routes, with its `stream` option):
 * `registerStreamRoutes(app, deps, options)`.
 * The path sits outside `/instances/{id}/…`, whose catch-all for operations would answer first, so
 * where it is registered does not matter.
 */
import type { Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import {
  DurableError,
  watchChanges,
  type HistoryEvent,
  type InstanceChange,
  type InstanceWatch,
  type OrchestrationStatus,
  type WatchOptions,
} from "../../../src/index.ts";
import { authorize } from "../access.ts";
import type { Deps, ManagementClient, StreamSettings } from "../options.ts";
import { resource } from "../routing.ts";
import { INSTANCE_PATH } from "../schemas.ts";
import { valid, validate } from "../validation.ts";

/** The route's settings (`createManagementApp({ stream })`). */
export type StreamRouteOptions = StreamSettings;

const FINISHED = new Set(["Completed", "Failed", "Terminated"]);
const SHOW = { showHistory: true, showHistoryOutput: true, showInput: true, showRuns: true } as const;

export function registerStreamRoutes(app: Hono, deps: Deps, options: StreamRouteOptions = {}): void {
  const pollMs = positive(options.pollMs, 250, "pollMs");
  const maxMs = positive(options.maxMs, 60_000, "maxMs");
  const heartbeatMs = positive(options.heartbeatMs, 5_000, "heartbeatMs");
  resource(
    app,
    `${deps.basePath}/stream/instances/:instanceId`,
    {
      GET: [
        authorize("status"),
        validate("param", INSTANCE_PATH),
        async function streamInstance(c: Context) {
          const { instanceId } = valid<{ instanceId: string }>(c, "param") as { instanceId: string };
          const client = await deps.client(c);
          const changes = watchOf(client, instanceId, pollMs);
          let first: IteratorResult<InstanceChange, undefined>;
          try {
            first = await changes.next();
          } catch (error) {
            await changes.return();
            throw error;
          }
          if (first.done || !first.value.status) {
            await changes.return();
            throw new DurableError("InstanceNotFound", `No instance with ID '${instanceId}' found.`);
          }
          const resumeFrom = c.req.header("last-event-id")?.trim() || null;
          const response = streamSSE(c, async (stream) => {
            let stop: () => void = () => {};
            const stopped = new Promise<"stop">((resolve) => (stop = () => resolve("stop")));
            // The client left: Hono learns it when a write fails (a heartbeat at the latest); a
            // request signal that aborts on disconnect (Node; workerd with enable_request_signal) tells sooner.
            stream.onAbort(stop);
            const signal = c.req.raw.signal as AbortSignal | undefined;
            signal?.addEventListener("abort", stop, { once: true });
            const deadline = setTimeout(stop, maxMs);
            let sent = resumeFrom;
            let change: InstanceChange = first.value;
            try {
              for (;;) {
                const status = streamed(change);
                if (!status) {
                  await stream.writeSSE({ event: "gone", data: JSON.stringify({ instanceId }) });
                  return;
                }
                const version = versionOf(status);
                if (version !== sent) {
                  await stream.writeSSE({ event: "status", id: version, data: JSON.stringify(status) });
                  sent = version;
                }
                if (FINISHED.has(status.runtimeStatus)) {
                  await stream.writeSSE({ event: "end", data: JSON.stringify({ instanceId, runtimeStatus: status.runtimeStatus }) });
                  return;
                }
                const next = changes.next();
                next.catch(() => {}); // awaited below, unless the stream stops first
                let got: IteratorResult<InstanceChange, undefined> | "stop" | "beat";
                do {
                  let beat: ReturnType<typeof setTimeout> | undefined;
                  got = await Promise.race([next, stopped, new Promise<"beat">((resolve) => (beat = setTimeout(() => resolve("beat"), heartbeatMs)))]);
                  if (beat !== undefined) clearTimeout(beat);
                  if (got === "beat") await stream.write(": heartbeat\n\n");
                } while (got === "beat" && !stream.aborted);
                if (got === "beat" || got === "stop" || got.done) return; // left, timed out, or the watch ended (the client reconnects)
                change = got.value;
              }
            } catch (error) {
              // The watch failed (e.g. the object was reset by a deployment): close, and the client reconnects and resumes.
              deps.logger.error(`durable-edge: the stream of instance '${instanceId}' failed; closing it (clients reconnect).`, error);
            } finally {
              signal?.removeEventListener("abort", stop);
              clearTimeout(deadline);
              await changes.return();
            }
          });
          response.headers.set("cache-control", "no-store"); // streamSSE's "no-cache" would still let a cache keep it
          return response;
        },
      ],
    },
    { head: false },
  );
}

/** The client's watch of the instance (status with history, and the stored events), or reads every `pollMs` for a client without one. */
function watchOf(client: ManagementClient, instanceId: string, pollMs: number): InstanceWatch {
  const raw = client as ManagementClient & Partial<RawHistory>;
  const options: WatchOptions = { status: SHOW, history: typeof raw.getHistory === "function" };
  if (typeof client.watch === "function") return client.watch(instanceId, options);
  return watchChanges(async () => {
    const status = await client.getStatus(instanceId, SHOW);
    if (!status || !options.history) return { status };
    try {
      return { status, history: await raw.getHistory!(instanceId) };
    } catch (error) {
      if (DurableError.is(error, "InstanceNotFound")) return { status: undefined }; // purged between the two reads
      throw error;
    }
  }, null, { pollMs });
}

/** What the stream sends: the status, and the stored events when the client can read them. */
type StreamedStatus = OrchestrationStatus & { events?: HistoryEvent[] };
type RawHistory = { getHistory(instanceId: string): Promise<HistoryEvent[]> };

function streamed(change: InstanceChange): StreamedStatus | undefined {
  if (!change.status) return undefined;
  return change.history ? { ...change.status, events: change.history } : change.status;
}

function positive(value: number | undefined, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value > 0) || value > 2_147_483_647) {
    throw new TypeError(`createManagementApp: stream.${option} must be a positive number of milliseconds (at most 2147483647), got ${String(value)}.`);
  }
  return value;
}

/** A short version of what a watcher sees: status, last update, history length and a hash of the custom status and output. */
export function versionOf(status: StreamedStatus): string {
  const text = JSON.stringify([status.runtimeStatus, status.lastUpdatedTime, status.events?.length ?? status.historyEvents?.length ?? 0, status.customStatus ?? null, status.output ?? null]);
  let hash = 5381;
  for (let i = 0; i < text.length; i++) hash = ((hash << 5) + hash + text.charCodeAt(i)) | 0;
  return `${status.historyEvents?.length ?? 0}-${(hash >>> 0).toString(36)}`;
}
