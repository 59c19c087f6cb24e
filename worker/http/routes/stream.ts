/**
 * @module worker/http/routes/stream — `GET {base}/stream/instances/{id}`: one instance's status, with
 * its history, as server-sent events (Hono's `streamSSE`), for dashboards that watch a run.
 *
 * Events: `status` (data: the status payload with `historyEvents` and results, as
 * `GET /instances/{id}?showHistory=true&showHistoryOutput=true` answers it, plus `events`, the
 * stored history as `GET /instances/{id}/history` answers it, when the client can read it; `id`: a
 * version of that state), sent whenever the state changes; `gone` when the instance was purged mid-stream; `end`
 * once it finished (the stream then closes). A stream lasts at most `maxMs`, then closes; the
 * client reconnects with `Last-Event-ID` and gets a `status` only if the state moved on since that
 * version (resume). An unknown id answers 404 before any stream starts, so a client knows to stop.
 *
 * How it learns of changes: it reads the instance every `pollMs` (250 ms) inside the Worker, one
 * Durable Object call a read, and sends only what changed, so the page makes one long request
 * instead of a poll every 2 s. A push from the instance object on commit would replace the read
 * loop without changing the events.
 *
 * Registration (in `createManagementApp`, next to the other routes): `registerStreamRoutes(app, deps)`.
 * The path sits outside `/instances/{id}/…`, whose catch-all for operations would answer first, so
 * where it is registered does not matter.
 */
import type { Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { DurableError, type HistoryEvent, type OrchestrationStatus } from "../../../src/index.ts";
import { authorize } from "../access.ts";
import type { Deps } from "../options.ts";
import { resource } from "../routing.ts";
import { INSTANCE_PATH } from "../schemas.ts";
import { valid, validate } from "../validation.ts";

export interface StreamRouteOptions {
  /** How often the instance is read while the stream is open (default 250 ms). */
  pollMs?: number | undefined;
  /** How long one stream stays open before the client is asked to reconnect (default 60 s). */
  maxMs?: number | undefined;
}

const FINISHED = new Set(["Completed", "Failed", "Terminated"]);
const SHOW = { showHistory: true, showHistoryOutput: true, showInput: true } as const;

export function registerStreamRoutes(app: Hono, deps: Deps, options: StreamRouteOptions = {}): void {
  const pollMs = options.pollMs ?? 250;
  const maxMs = options.maxMs ?? 60_000;
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
          // With a client that reads stored histories, each status also carries them (`events`):
          // millisecond times, task ids and running tasks, which the Durable Functions rendering lacks.
          const raw = client as typeof client & Partial<RawHistory>;
          const read = async (): Promise<StreamedStatus | undefined> => {
            const status = await client.getStatus(instanceId, SHOW);
            if (!status || typeof raw.getHistory !== "function") return status;
            try {
              return { ...status, events: await raw.getHistory(instanceId) };
            } catch (error) {
              if (DurableError.is(error, "InstanceNotFound")) return undefined; // purged between the two reads
              throw error;
            }
          };
          const first = await read();
          if (!first) throw new DurableError("InstanceNotFound", `No instance with ID '${instanceId}' found.`);
          const resumeFrom = c.req.header("last-event-id")?.trim() || null;
          c.header("cache-control", "no-store");
          return streamSSE(c, async (stream) => {
            let open = true;
            stream.onAbort(() => {
              open = false;
            });
            const deadline = Date.now() + maxMs;
            let sent = resumeFrom;
            let status: StreamedStatus | undefined = first;
            while (open) {
              if (!status) {
                await stream.writeSSE({ event: "gone", data: JSON.stringify({ instanceId }) });
                break;
              }
              const version = versionOf(status);
              if (version !== sent) {
                await stream.writeSSE({ event: "status", id: version, data: JSON.stringify(status) });
                sent = version;
              }
              if (FINISHED.has(status.runtimeStatus)) {
                await stream.writeSSE({ event: "end", data: JSON.stringify({ instanceId, runtimeStatus: status.runtimeStatus }) });
                break;
              }
              if (Date.now() >= deadline) break;
              await stream.sleep(pollMs);
              if (!open) break;
              status = await read();
            }
          });
        },
      ],
    },
    { head: false },
  );
}

/** What the stream sends: the status, and the stored events when the client can read them. */
type StreamedStatus = OrchestrationStatus & { events?: HistoryEvent[] };
type RawHistory = { getHistory(instanceId: string): Promise<HistoryEvent[]> };

/** A short version of what a watcher sees: status, last update, history length and a hash of the custom status and output. */
export function versionOf(status: StreamedStatus): string {
  const text = JSON.stringify([status.runtimeStatus, status.lastUpdatedTime, status.events?.length ?? status.historyEvents?.length ?? 0, status.customStatus ?? null, status.output ?? null]);
  let hash = 5381;
  for (let i = 0; i < text.length; i++) hash = ((hash << 5) + hash + text.charCodeAt(i)) | 0;
  return `${status.historyEvents?.length ?? 0}-${(hash >>> 0).toString(36)}`;
}
