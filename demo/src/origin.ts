/**
 * @module origin — where an instance came from, for the instance view: an instance imported from
 * another host (handed over from a tab, moved from another Worker) records it in its history, and
 * one moved away from here says where it went. Plain text (`originText`) and an element
 * (`originLine`) for the detail panel, from the status the backends return (with `historyEvents`).
 */
import { importedFrom } from "../../src/index.ts";
import type { OrchestrationStatus } from "./backend.ts";
import { h } from "./dom.ts";

function when(iso: string | undefined): string {
  const ms = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(ms) ? "" : new Date(ms).toISOString().replace("T", " ").replace(/\.\d{3}Z$/, " UTC");
}

/** "Came from browser:demo (exported …, imported …)", "Moved to https://… at …", or null. */
export function originText(status: Pick<OrchestrationStatus, "runtimeStatus" | "output" | "historyEvents">): string | null {
  const output = status.output as { movedTo?: unknown; movedAt?: unknown } | null;
  if (status.runtimeStatus === "Terminated" && output && typeof output === "object" && typeof output.movedTo === "string") {
    const at = typeof output.movedAt === "string" ? when(output.movedAt) : "";
    return `Moved to ${output.movedTo}${at ? ` at ${at}` : ""}: it runs there now.`;
  }
  const mark = importedFrom((status.historyEvents ?? []) as { EventType: unknown; Data?: unknown }[]);
  if (!mark) return null;
  const from = mark.importedFrom ?? "another host";
  const times = [mark.exportedAt ? `exported ${when(mark.exportedAt)}` : "", mark.importedAt ? `imported ${when(mark.importedAt)}` : ""].filter(Boolean).join(", ");
  return `Came from ${from}${times ? ` (${times})` : ""}.`;
}

/** The detail panel's origin line (class `origin`), or null when the instance never travelled. */
export function originLine(status: Pick<OrchestrationStatus, "runtimeStatus" | "output" | "historyEvents">): HTMLElement | null {
  const text = originText(status);
  return text === null ? null : h("p", { class: "origin", "data-origin": "" }, text);
}
