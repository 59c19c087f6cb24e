/**
 * @module notices — one place for messages to the person: errors (announced as alerts) and
 * confirmations (announced politely), each dismissable.
 */
import { describeError } from "./backend.ts";
import { h, replace } from "./dom.ts";

export interface Notices {
  /** `background`: from a refresh, not a person's action: the same error again is not re-announced. */
  error(context: string, error: unknown, options?: { background?: boolean }): void;
  info(text: string): void;
  clear(): void;
}

/** Confirmations fade after this long; errors stay until dismissed or replaced. */
const INFO_MS = 6000;

export function createNotices(errorRegion: HTMLElement, infoRegion: HTMLElement): Notices {
  let infoTimer: ReturnType<typeof setTimeout> | undefined;
  const dismiss = (region: HTMLElement) => h("button", { type: "button", class: "dismiss", "aria-label": "Dismiss message", onclick: () => replace(region) }, "×");
  return {
    error(context, error, options = {}) {
      const { code, message, status } = describeError(error);
      // A poll failing the same way every few seconds is announced once, not every time.
      const shown = errorRegion.firstElementChild as HTMLElement | null;
      if (options.background && shown?.dataset.code === code && shown.dataset.message === `${context}: ${message}`) return;
      replace(infoRegion);
      replace(
        errorRegion,
        h("div", { class: "notice notice-error", "data-code": code, "data-message": `${context}: ${message}` },
          h("p", {}, h("strong", {}, `${context}: `), message),
          h("p", { class: "code" }, `Error code: ${code}${status === undefined ? "" : ` · HTTP ${status}`}`),
          dismiss(errorRegion)),
      );
    },
    info(text) {
      replace(errorRegion);
      replace(infoRegion, h("div", { class: "notice notice-info" }, h("p", {}, text), dismiss(infoRegion)));
      clearTimeout(infoTimer);
      infoTimer = setTimeout(() => replace(infoRegion), INFO_MS);
    },
    clear() {
      replace(errorRegion);
      replace(infoRegion);
    },
  };
}
