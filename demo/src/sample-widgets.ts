/**
 * @module sample-widgets — what the samples show besides the generic view: the fan-out's
 * progress, the approval's countdown and Approve button, the monitor's checks, the lock holder's
 * Release button, a transfer's outcome. Read from the
 * instance's input, custom status and history, so they work the same on both sides.
 */
import type { OrchestrationStatus } from "./backend.ts";
import { h } from "./dom.ts";
import { formatDuration } from "./timeline.ts";

export interface WidgetActions {
  approve(): void;
  /** Sends `Release` to a HoldAccounts instance. */
  release(): void;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const finished = (s: OrchestrationStatus) => s.runtimeStatus === "Completed" || s.runtimeStatus === "Failed" || s.runtimeStatus === "Terminated";

export function renderWidget(status: OrchestrationStatus, actions: WidgetActions): HTMLElement | null {
  switch (status.name.toLowerCase()) {
    case "fanoutfanin":
      return fanOutProgress(status);
    case "humaninteraction":
      return approval(status, actions);
    case "monitor":
      return monitorChecks(status);
    case "holdaccounts":
      return lockHolder(status, actions);
    case "transferfunds":
      return transfer(status);
    default:
      return null;
  }
}

/** Progress = completed squares in the history over the requested count. */
export function fanOutCounts(status: OrchestrationStatus): { done: number; total: number } {
  const input = isObject(status.input) ? status.input : {};
  const total = Math.max(0, Number(input.count ?? 10)) || 0;
  const done = status.runtimeStatus === "Completed" ? total : (status.historyEvents ?? []).filter((e) => e.EventType === "TaskCompleted").length;
  return { done: Math.min(done, total), total };
}

function fanOutProgress(status: OrchestrationStatus): HTMLElement {
  const { done, total } = fanOutCounts(status);
  const output = isObject(status.output) ? status.output : null;
  return h("div", { class: "widget" },
    h("label", { for: "fan-progress" }, `Squares done: ${done} of ${total}`),
    h("progress", { id: "fan-progress", max: total || 1, value: done }),
    output && typeof output.sum === "number" ? h("p", { class: "result" }, `Sum of squares 1…${total}: ${output.sum}`) : null);
}

function approval(status: OrchestrationStatus, actions: WidgetActions): HTMLElement {
  const custom = isObject(status.customStatus) ? status.customStatus : {};
  const deadline = typeof custom.deadline === "string" ? Date.parse(custom.deadline) : NaN;
  const waiting = !finished(status) && custom.waitingFor === "Approval";
  const output = isObject(status.output) ? status.output : null;
  const parts: (HTMLElement | null)[] = [];
  if (waiting) {
    parts.push(
      h("p", {}, "Waiting for approval. Time left: ", h("strong", { class: "countdown", role: "timer", "data-deadline": Number.isFinite(deadline) ? deadline : null }, countdownText(deadline, Date.now()))),
      h("button", { type: "button", class: "primary", "data-key": "approve", onclick: () => actions.approve() }, "Approve"),
    );
  } else if (output) {
    parts.push(h("p", { class: "result" }, output.approved === true ? "Approved in time." : output.timedOut === true ? "Timed out: nobody approved before the deadline." : ""));
  } else if (status.runtimeStatus === "Pending") {
    parts.push(h("p", {}, "Starting…"));
  }
  return h("div", { class: "widget" }, ...parts);
}

export function countdownText(deadline: number, now: number): string {
  if (!Number.isFinite(deadline)) return "unknown";
  const left = deadline - now;
  return left <= 0 ? "0 s (the timeout fires now)" : formatDuration(Math.ceil(left / 1000) * 1000);
}

function monitorChecks(status: OrchestrationStatus): HTMLElement {
  const input = isObject(status.input) ? status.input : {};
  const custom = isObject(status.customStatus) ? status.customStatus : {};
  const output = isObject(status.output) ? status.output : null;
  const checks = typeof output?.checks === "number" ? output.checks : Number(input.checks ?? 0);
  const left = typeof custom.checksLeft === "number" ? custom.checksLeft : Number(input.checksLeft ?? 0);
  return h("div", { class: "widget" },
    h("p", {}, status.runtimeStatus === "Completed" ? `Done: ${checks} checks.` : `Checks so far: ${checks} · left after this one: ${left}`),
    h("p", { class: "hint" }, "Each check continues as new: the history below is only the current execution."));
}

function lockHolder(status: OrchestrationStatus, actions: WidgetActions): HTMLElement {
  const custom = isObject(status.customStatus) ? status.customStatus : {};
  const holding = Array.isArray(custom.holding) ? custom.holding.map(String) : [];
  const deadline = typeof custom.deadline === "string" ? Date.parse(custom.deadline) : NaN;
  const output = isObject(status.output) ? status.output : null;
  const parts: (HTMLElement | null)[] = [];
  if (!finished(status) && custom.waitingFor === "Release" && holding.length) {
    parts.push(
      h("p", {}, `Holding the lock on ${holding.map((k) => `Account ${k}`).join(", ")}: transfers touching ${holding.length === 1 ? "it" : "them"} wait. Released in `, h("strong", { class: "countdown", role: "timer", "data-deadline": Number.isFinite(deadline) ? deadline : null }, countdownText(deadline, Date.now())), " at the latest."),
      h("button", { type: "button", class: "primary", "data-key": "release", onclick: () => actions.release() }, "Release"),
    );
  } else if (output) {
    parts.push(h("p", { class: "result" }, `Released by ${String(output.releasedBy ?? "the orchestration")}.`));
  } else if (!finished(status)) {
    parts.push(h("p", {}, "Waiting for the lock…"));
  }
  return h("div", { class: "widget" }, ...parts);
}

function transfer(status: OrchestrationStatus): HTMLElement | null {
  const input = isObject(status.input) ? status.input : {};
  const what = `${String(input.amount ?? "?")} from Account ${String(input.from ?? "?")} to Account ${String(input.to ?? "?")}`;
  if (status.runtimeStatus === "Completed") {
    return h("div", { class: "widget" }, h("p", { class: "result" }, status.output === true ? `Transferred ${what}.` : `Not transferred (${what}): the balance was too low.`));
  }
  if (finished(status)) return null;
  return h("div", { class: "widget" }, h("p", {}, `Moving ${what} inside a critical section: both accounts locked, so no one else's operation runs on them meanwhile.`));
}
