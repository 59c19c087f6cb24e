/**
 * @module confirm-dialog — asks before a destructive action (terminate, purge, bulk actions): a
 * native modal `<dialog>` (focus trapped, Escape cancels), the safe choice focused first, focus
 * back where it was afterwards.
 */
import { h } from "./dom.ts";

export interface ConfirmOptions {
  title: string;
  message: string;
  /** The confirming button's label, e.g. "Terminate". */
  confirmLabel: string;
}

export function confirmAction(options: ConfirmOptions): Promise<boolean> {
  const opener = document.activeElement as HTMLElement | null;
  const cancel = h("button", { type: "button", class: "secondary", value: "cancel" }, "Cancel");
  const ok = h("button", { type: "button", class: "danger", value: "confirm", "data-key": "confirm" }, options.confirmLabel);
  const dialog = h("dialog", { class: "confirm", "aria-labelledby": "confirm-h", "aria-describedby": "confirm-text" },
    h("h2", { id: "confirm-h" }, options.title),
    h("p", { id: "confirm-text" }, options.message),
    h("div", { class: "row" }, cancel, ok));
  document.body.append(dialog);
  return new Promise((resolve) => {
    let answer = false;
    cancel.addEventListener("click", () => dialog.close());
    ok.addEventListener("click", () => {
      answer = true;
      dialog.close();
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (opener?.isConnected) opener.focus();
      resolve(answer);
    });
    dialog.showModal();
    cancel.focus();
  });
}
