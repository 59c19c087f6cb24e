/**
 * @module notices — one place for messages to the person: errors (announced as alerts) and
 * confirmations (announced politely), each dismissable.
 */
import { describeError } from "./backend.ts";
import { h, replace } from "./dom.ts";

export interface Notices {
  error(context: string, error: unknown): void;
  info(text: string): void;
  clear(): void;
}

/** Confirmations fade after this long; errors stay until dismissed or replaced. */
const INFO_MS = 6000;

export function createNotices(errorRegion: HTMLElement, infoRegion: HTMLElement): Notices {
  let infoTimer: ReturnType<typeof setTimeout> | undefined;
  const dismiss = (region: HTMLElement) => h("button", { type: "button", class: "dismiss", "aria-label": "Dismiss message", onclick: () => replace(region) }, "×");
  return {
    error(context, error) {
      const { code, message, status } = describeError(error);
      replace(infoRegion);
      replace(
        errorRegion,
        h("div", { class: "notice notice-error", "data-code": code },
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
