/** One benchmark figure; `--json` prints exactly this, one object per line. */
export interface BenchResult {
  suite: string;
  workload: string;
  n: number;
  ms: number;
  /** µs per step (per activity, or per history event for cold replay). */
  usPerStep: number;
  /** Steps per second for single instances; orchestrations per second for many-instances. */
  opsPerSec: number;
  rssMb: number | null;
  /** Workload-specific figures (e.g. an entity's batches), printed after the rest. */
  extra?: Record<string, number> | undefined;
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

export function printResults(results: readonly BenchResult[], json: boolean): void {
  for (const r of results) {
    const { extra, ...rest } = r;
    const clean = { ...rest, ms: round(r.ms), usPerStep: round(r.usPerStep, 3), opsPerSec: Math.round(r.opsPerSec), ...extra };
    if (json) console.log(JSON.stringify(clean));
    else
      console.log(
        `${r.suite.padEnd(8)} ${r.workload.padEnd(15)} n=${String(r.n).padStart(6)}  ${clean.ms.toFixed(1).padStart(9)} ms  ${clean.usPerStep.toFixed(2).padStart(8)} µs/step  ${String(clean.opsPerSec).padStart(9)} /s  rss ${r.rssMb ?? "-"} MB` +
          (extra ? "  " + Object.entries(extra).map(([k, v]) => `${k}=${v}`).join(" ") : ""),
      );
  }
}
