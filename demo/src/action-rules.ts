/**
 * @module action-rules — which management actions make sense for an instance in a given status,
 * and, for the others, why not (shown as the button's tooltip and said when it is pressed). Pure.
 * The API stays the judge: a status can change between the render and the click, and its error
 * (410, 409) is still shown.
 */
import type { RuntimeStatus } from "./backend.ts";

export type ActionName = "Terminate" | "Suspend" | "Resume" | "Rewind" | "Restart" | "Purge" | "Send event";

export const ACTIONS: readonly ActionName[] = ["Terminate", "Suspend", "Resume", "Rewind", "Restart", "Purge", "Send event"];

const FINISHED: ReadonlySet<RuntimeStatus> = new Set(["Completed", "Failed", "Terminated"]);

export const isFinished = (status: RuntimeStatus): boolean => FINISHED.has(status);

/** null when the action is valid for `status`; otherwise the reason it is not, for a person. */
export function whyNot(action: ActionName, status: RuntimeStatus): string | null {
  const finished = isFinished(status);
  switch (action) {
    case "Terminate":
      return finished ? `Already ${status}: only instances that have not finished can be terminated.` : null;
    case "Suspend":
      if (status === "Suspended") return "Already suspended: resume it instead.";
      return finished ? `Already ${status}: only running instances can be suspended.` : null;
    case "Resume":
      return status === "Suspended" ? null : `Not suspended (it is ${status}): only suspended instances can be resumed.`;
    case "Rewind":
      return status === "Failed" ? null : `It is ${status}: only failed instances can be rewound.`;
    case "Restart":
      return null;
    case "Purge":
      return finished ? null : `Still ${status}: terminate it or let it finish before purging.`;
    case "Send event":
      return finished ? `Already ${status}: a finished instance takes no more events.` : null;
  }
}

/** The valid actions for `status`, in button order. */
export function validActions(status: RuntimeStatus): ActionName[] {
  return ACTIONS.filter((a) => whyNot(a, status) === null);
}
