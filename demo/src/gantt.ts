/**
 * @module gantt — the timeline as a Gantt chart's rows: one per task from scheduled to completed
 * (running ones end at `now`), a task's retries on its row as attempts, timers as bars (created →
 * fired, or → due while waiting), events and lifecycle changes as markers, and fan-outs (many
 * tasks of one name scheduled in one step) folded into one group with a count and a duration distribution.
 * Rows keep a stable order: by start, then task id. Pure, so it is tested in Node.
 */
import { toTimeline, type TimelineEntry, type TimelineKind, type TimelineOutcome } from "./timeline.ts";

export interface GanttBar {
  start: number;
  /** null while running or waiting. */
  end: number | null;
  outcome: TimelineOutcome;
  attempt: number;
  failure?: string;
}

export interface GanttRow {
  kind: TimelineKind;
  title: string;
  label: string;
  /** Bars on this row: one, or a task's attempts in order. */
  bars: GanttBar[];
  /** Instantaneous (events, lifecycle, start, end): drawn as a marker. */
  marker: boolean;
  taskId?: number;
  /** A timer's due time. */
  due?: number;
  note?: string;
  entry: TimelineEntry;
}

export interface GanttGroup {
  kind: "group";
  title: string;
  members: GanttRow[];
  start: number;
  /** null while any member runs. */
  end: number | null;
  done: number;
  failed: number;
  running: number;
  /** Durations of the finished members, ascending (ms). */
  durations: number[];
}

export type GanttItem = GanttRow | GanttGroup;

export interface GanttModel {
  items: GanttItem[];
  origin: number;
  /** The right edge of the axis: the last thing that happened, a pending timer's due time, or now. */
  end: number;
  /** Whether the history's times have milliseconds (the tab) or whole seconds (the status API). */
  precise: boolean;
}

/** Fan-outs of at least this many same-named tasks in a row fold into a group. */
export const GROUP_AT = 8;

export function toGantt(historyEvents: readonly Record<string, unknown>[], options: { finished: boolean; now: number; groupAt?: number }): GanttModel {
  return ganttFromEntries(toTimeline(historyEvents, options.finished), options);
}

export function ganttFromEntries(entries: readonly TimelineEntry[], options: { finished: boolean; now: number; groupAt?: number }): GanttModel {
  const { now, finished } = options;
  const rows: GanttRow[] = [];
  /** Task rows by call (kind, name, input) whose last attempt failed: the next attempt joins them. */
  const retrying = new Map<string, GanttRow>();
  for (const e of entries) {
    const bar: GanttBar = { start: e.start, end: e.end, outcome: e.outcome, attempt: e.attempt, ...(e.failure ? { failure: e.failure } : {}) };
    if (e.kind === "activity" || e.kind === "suborchestration") {
      const key = `${e.kind}|${e.title}|${safeJson(e.input)}`;
      const previous = e.attempt > 1 ? retrying.get(key) : undefined;
      if (previous) {
        previous.bars.push(bar);
        previous.entry = e;
      } else {
        rows.push({ kind: e.kind, title: e.title, label: e.label, bars: [bar], marker: false, ...(e.taskId !== undefined ? { taskId: e.taskId } : {}), entry: e });
      }
      const row = previous ?? rows[rows.length - 1]!;
      if (e.outcome === "failed") retrying.set(key, row);
      else retrying.delete(key);
      continue;
    }
    const marker = e.kind !== "timer" && e.end === e.start;
    rows.push({ kind: e.kind, title: e.title, label: e.label, bars: [bar], marker, ...(e.due !== undefined ? { due: e.due } : {}), ...(e.note ? { note: e.note } : {}), entry: e });
  }
  // Stable order: by when the row began, then by task id (tasks scheduled together keep their order).
  const order = rows.map((r, i) => ({ r, i }));
  const rank = (r: GanttRow) => (r.kind === "start" ? 0 : r.kind === "end" ? 2 : 1);
  order.sort((a, b) => a.r.bars[0]!.start - b.r.bars[0]!.start || rank(a.r) - rank(b.r) || (a.r.taskId ?? Infinity) - (b.r.taskId ?? Infinity) || a.i - b.i);
  const items = group(order.map((x) => x.r), options.groupAt ?? GROUP_AT);

  const starts = rows.map((r) => r.bars[0]!.start);
  const origin = starts.length ? Math.min(...starts) : now;
  let end = origin;
  for (const r of rows) {
    for (const b of r.bars) end = Math.max(end, b.end ?? now);
    if (r.due !== undefined && r.bars[0]!.end === null) end = Math.max(end, r.due);
  }
  if (!finished) end = Math.max(end, now);
  const precise = entries.some((e) => e.start % 1000 !== 0 || (e.end !== null && e.end % 1000 !== 0));
  return { items, origin, end: Math.max(end, origin + 1), precise };
}

/** Folds runs of at least `groupAt` task rows of one name scheduled together (a fan-out) into a group. */
function group(rows: GanttRow[], groupAt: number): GanttItem[] {
  const out: GanttItem[] = [];
  let i = 0;
  while (i < rows.length) {
    const r = rows[i]!;
    let j = i + 1;
    if (r.kind === "activity" || r.kind === "suborchestration") {
      // A fan-out: tasks of one name scheduled in the same step (the same start).
      while (j < rows.length && rows[j]!.kind === r.kind && rows[j]!.title === r.title && rows[j]!.bars[0]!.start === r.bars[0]!.start) j++;
    }
    if (j - i >= groupAt) {
      out.push(toGroup(rows.slice(i, j)));
    } else {
      out.push(...rows.slice(i, j));
    }
    i = j;
  }
  return out;
}

function toGroup(members: GanttRow[]): GanttGroup {
  let done = 0;
  let failed = 0;
  let running = 0;
  const durations: number[] = [];
  let end: number | null = 0;
  for (const m of members) {
    const last = m.bars[m.bars.length - 1]!;
    if (last.end === null) {
      running++;
      end = null;
    } else {
      if (last.outcome === "failed") failed++;
      else done++;
      durations.push(last.end - last.start);
      if (end !== null) end = Math.max(end, last.end);
    }
  }
  durations.sort((a, b) => a - b);
  const start = Math.min(...members.map((m) => m.bars[0]!.start));
  return { kind: "group", title: members[0]!.title, members, start, end: end === null ? null : Math.max(end, start), done, failed, running, durations };
}

/** The q-quantile (0…1) of ascending values; NaN for none. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index]!;
}

/** Counts of `values` in `buckets` equal slices of [min, max]. */
export function histogram(values: readonly number[], buckets: number): number[] {
  const counts = new Array<number>(buckets).fill(0);
  if (values.length === 0) return counts;
  const min = Math.min(...values);
  const max = Math.max(...values);
  for (const v of values) counts[max === min ? 0 : Math.min(buckets - 1, Math.floor(((v - min) / (max - min)) * buckets))]!++;
  return counts;
}

/** A duration with the precision the history has: "340 ms", "1.25 s", "2 min 5 s"; "< 1 s" for whole-second histories. */
export function preciseDuration(ms: number, precise: boolean): string {
  if (ms < 0) ms = 0;
  if (!precise && ms < 1000) return "< 1 s";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000 && precise) return `${(ms / 1000).toFixed(2).replace(/\.?0+$/, "")} s`;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  const min = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${min} min ${s} s` : `${min} min`;
}

/** Tick positions (ms from the origin) for an axis `span` ms long: at most 8, at round steps. */
export function axisTicks(span: number): number[] {
  const steps = [1, 2, 5, 10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 86_400_000];
  const step = steps.find((s) => span / s <= 7) ?? Math.ceil(span / 7);
  const ticks: number[] = [];
  for (let t = 0; t <= span; t += step) ticks.push(t);
  return ticks;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "undefined";
  } catch {
    return String(value);
  }
}
