/**
 * @module runs — the runs of an instance that continues as new. `ctx.continueAsNew(input)` ends
 * the current run (execution) and starts the next one with a new execution id and a fresh
 * history; stores keep only the current run's history, so the row keeps a summary of the runs
 * before it (`InstanceRecord.runs`): for each, its execution id, when it started and ended, how
 * many history events it had, and previews (the first `RUN_PREVIEW_BYTES` of JSON) of the input
 * it started with and of its custom status at the end. The last `RUNS_KEPT` are kept; older ones
 * are counted (`olderRuns`), not kept, so an eternal orchestration that continues as new every
 * minute for a year keeps a row of the same size as one that did it twenty times.
 *
 * What each run continued with, and as which run, is not stored twice: it is the next run's input
 * and execution id (for the last one kept, the current run's), filled in by `toRunsStatus`.
 *
 * A re-created instance (`startNew` or `restart` of a finished id, a sub-orchestration started
 * again under the same id) is a new instance, as in Durable Functions: its chain starts over.
 * Rewind, terminate, suspend, resume and a move keep it; purge removes it with the row; an
 * instance document carries it (`instance.runs`), checked on import by `checkRunChain`.
 */
import { describeValue } from "./json.ts";
import { utf8Length } from "./limits.ts";
import type { InstanceRecord, JsonPreview, RunChain, RunSummary } from "./store.ts";

/** How many earlier runs a row keeps summaries of (older ones are only counted). */
export const RUNS_KEPT = 20;
/** How many UTF-8 bytes of a JSON value a run's preview keeps. */
export const RUN_PREVIEW_BYTES = 256;

/** The start of `json` (null: the JSON `null`), at most `RUN_PREVIEW_BYTES` bytes, never cutting a character in two. */
export function previewJson(json: string | null): JsonPreview {
  const text = json ?? "null";
  // A string of at most a third of the budget in UTF-16 units fits whatever its characters.
  if (text.length * 3 <= RUN_PREVIEW_BYTES) return { text, bytes: utf8Length(text), truncated: false };
  const bytes = utf8Length(text);
  if (bytes <= RUN_PREVIEW_BYTES) return { text, bytes, truncated: false };
  let used = 0;
  let end = 0;
  while (end < text.length) {
    const c = text.charCodeAt(end);
    const pair = c >= 0xd800 && c <= 0xdbff && end + 1 < text.length && (text.charCodeAt(end + 1) & 0xfc00) === 0xdc00;
    const size = pair ? 4 : c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    if (used + size > RUN_PREVIEW_BYTES) break;
    used += size;
    end += pair ? 2 : 1;
  }
  return { text: text.slice(0, end), bytes, truncated: true };
}

/** The number of the row's current run: 1 for an instance that never continued as new. */
export function currentRun(row: Pick<InstanceRecord, "runs">): number {
  return row.runs ? row.runs.olderRuns + row.runs.runs.length + 1 : 1;
}

/** When the row's current run started: the end of the run before it, or the instance's creation. */
export function currentRunStartedAt(row: Pick<InstanceRecord, "runs" | "createdAt">): number {
  return row.runs?.runs.at(-1)?.endedAt ?? row.createdAt;
}

/**
 * The row's chain with its current run ended (it continues as new at `endedAt`, its history
 * `historyLength` events long, its custom status `customStatus`): the run is appended, and the
 * oldest kept one is counted instead once more than `RUNS_KEPT` are kept. A new chain; the row's
 * own is not changed.
 */
export function withEndedRun(row: InstanceRecord, ended: { endedAt: number; historyLength: number; customStatus: string | null }): RunChain {
  const summary: RunSummary = {
    executionId: row.executionId,
    startedAt: currentRunStartedAt(row),
    endedAt: ended.endedAt,
    input: previewJson(row.input),
    customStatus: ended.customStatus === null ? null : previewJson(ended.customStatus),
    historyLength: ended.historyLength,
  };
  const kept = row.runs?.runs ?? [];
  const drop = Math.max(0, kept.length + 1 - RUNS_KEPT);
  return { runs: [...kept.slice(drop), summary], olderRuns: (row.runs?.olderRuns ?? 0) + drop };
}

// --- as status queries show them ---

/** One earlier run, as `getStatus(id, { showRuns: true })` shows it. Times are ISO 8601 with milliseconds. */
export interface RunStatus {
  /** 1 for the instance's first run. */
  run: number;
  executionId: string;
  startedTime: string;
  endedTime: string;
  /** The input it started with. */
  input: JsonPreview;
  /** What it passed to `continueAsNew`: the input of the run it continued as. */
  continuedWith: JsonPreview;
  /** The run it continued as (the next one; for the last one kept, the current run). */
  continuedAs: { run: number; executionId: string };
  /** Its custom status when it ended, or null. */
  customStatus: JsonPreview | null;
  /** How many history events it had when it ended. */
  historyLength: number;
}

/**
 * An instance's runs (`status.runs` with `showRuns`; Durable Edge's own, not part of Durable
 * Functions' status payload): the current run, and the earlier ones kept, oldest first.
 */
export interface RunsStatus {
  /** The current run's number: 1 for an instance that never continued as new. */
  run: number;
  /** The current run's execution id. */
  executionId: string;
  /** When the current run started (ISO 8601 with milliseconds). */
  startedTime: string;
  /** Earlier runs older than `previous[0]`: counted, no longer kept. `run - 1 - previous.length`. */
  olderRuns: number;
  /** The earlier runs kept (at most `RUNS_KEPT`), oldest first. */
  previous: RunStatus[];
}

const iso = (ms: number) => new Date(ms).toISOString();

export function toRunsStatus(row: InstanceRecord): RunsStatus {
  const kept = row.runs?.runs ?? [];
  const olderRuns = row.runs?.olderRuns ?? 0;
  const run = olderRuns + kept.length + 1;
  return {
    run,
    executionId: row.executionId,
    startedTime: iso(currentRunStartedAt(row)),
    olderRuns,
    previous: kept.map((r, i) => {
      const next = kept[i + 1];
      return {
        run: olderRuns + i + 1,
        executionId: r.executionId,
        startedTime: iso(r.startedAt),
        endedTime: iso(r.endedAt),
        input: { ...r.input },
        continuedWith: next ? { ...next.input } : previewJson(row.input),
        continuedAs: { run: olderRuns + i + 2, executionId: next ? next.executionId : row.executionId },
        customStatus: r.customStatus && { ...r.customStatus },
        historyLength: r.historyLength,
      };
    }),
  };
}

// --- checked on import ---

/** Reports what is wrong with a stored chain (`instance.runs` of an instance document), each problem at its field. */
export function checkRunChain(value: unknown, path: string, executionId: unknown, add: (path: string, what: string) => void): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    add(path, `must be { runs, olderRuns } (the earlier runs of an instance that continued as new) or absent, got ${describeValue(value)}`);
    return;
  }
  const v = value as Record<string, unknown>;
  if (!isCount(v.olderRuns)) add(`${path}.olderRuns`, `must be a whole number of runs (0 or more), got ${describeValue(v.olderRuns)}`);
  if (!Array.isArray(v.runs)) {
    add(`${path}.runs`, `must be an array of run summaries, got ${describeValue(v.runs)}`);
    return;
  }
  if (v.runs.length > RUNS_KEPT) add(`${path}.runs`, `holds ${v.runs.length} runs; at most ${RUNS_KEPT} are kept (count older ones in olderRuns)`);
  const seen = new Set<string>();
  v.runs.forEach((r: unknown, i) => {
    const at = `${path}.runs[${i}]`;
    if (typeof r !== "object" || r === null || Array.isArray(r)) {
      add(at, `must be a run summary ({ executionId, startedAt, endedAt, input, customStatus, historyLength }), got ${describeValue(r)}`);
      return;
    }
    const s = r as Record<string, unknown>;
    if (typeof s.executionId !== "string" || s.executionId === "") add(`${at}.executionId`, `must be a non-empty string, got ${describeValue(s.executionId)}`);
    else if (s.executionId === executionId) add(`${at}.executionId`, `is the current execution's id ${JSON.stringify(executionId)}; an earlier run has its own`);
    else if (seen.has(s.executionId)) add(`${at}.executionId`, `${JSON.stringify(s.executionId)} appears twice`);
    else seen.add(s.executionId);
    for (const field of ["startedAt", "endedAt"] as const) {
      if (typeof s[field] !== "number" || !Number.isFinite(s[field])) add(`${at}.${field}`, `must be a time in epoch milliseconds (a finite number), got ${describeValue(s[field])}`);
    }
    checkPreview(s.input, `${at}.input`, add);
    if (s.customStatus !== null) checkPreview(s.customStatus, `${at}.customStatus`, add);
    if (!isCount(s.historyLength)) add(`${at}.historyLength`, `must be a whole number of events (0 or more), got ${describeValue(s.historyLength)}`);
  });
}

function checkPreview(value: unknown, path: string, add: (path: string, what: string) => void): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    add(path, `must be a JSON preview ({ text, bytes, truncated }), got ${describeValue(value)}`);
    return;
  }
  const p = value as Record<string, unknown>;
  if (typeof p.truncated !== "boolean") add(`${path}.truncated`, `must be true or false, got ${describeValue(p.truncated)}`);
  if (!isCount(p.bytes)) add(`${path}.bytes`, `must be a whole number of bytes (0 or more), got ${describeValue(p.bytes)}`);
  if (typeof p.text !== "string") {
    add(`${path}.text`, `must be a string, got ${describeValue(p.text)}`);
    return;
  }
  const length = utf8Length(p.text);
  if (length > RUN_PREVIEW_BYTES) add(`${path}.text`, `is ${length} bytes; a preview keeps at most ${RUN_PREVIEW_BYTES}`);
  else if (p.truncated === false) {
    if (isCount(p.bytes) && p.bytes !== length) add(`${path}.bytes`, `is ${p.bytes}, but the whole text (not truncated) is ${length} bytes`);
    try {
      JSON.parse(p.text);
    } catch {
      add(`${path}.text`, "must be JSON text when not truncated, and does not parse");
    }
  } else if (p.truncated === true && isCount(p.bytes) && p.bytes <= length) {
    add(`${path}.bytes`, `is ${p.bytes}, but a truncated preview's value is longer than its ${length} bytes of text`);
  }
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

