/** @module status — runtime statuses, as Durable Functions names them. */

export const RUNTIME_STATUSES = [
  "Pending",
  "Running",
  "Completed",
  "ContinuedAsNew",
  "Failed",
  "Terminated",
  "Suspended",
] as const;
export type RuntimeStatus = (typeof RUNTIME_STATUSES)[number];

/** Statuses in which an instance is finished: nothing more happens unless it is rewound, restarted or purged. */
export const TERMINAL_STATUSES: readonly RuntimeStatus[] = ["Completed", "Failed", "Terminated"];

export function isTerminal(status: RuntimeStatus): boolean {
  return status === "Completed" || status === "Failed" || status === "Terminated";
}

export function isRuntimeStatus(value: string): value is RuntimeStatus {
  return (RUNTIME_STATUSES as readonly string[]).includes(value);
}
