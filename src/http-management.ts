/** @module http-management — the check-status payload: the management URLs of one instance. */

export const DEFAULT_BASE_PATH = "/runtime/webhooks/durabletask";

export interface ManagementUrlOptions {
  /** Origin (and optional path prefix) the URLs start with, e.g. "https://example.com". */
  baseUrl: string;
  /** Default `/runtime/webhooks/durabletask`. */
  basePath?: string | undefined;
  /** Default "DurableEdgeHub". */
  taskHub?: string | undefined;
  /** Default "Storage". */
  connection?: string | undefined;
  /** The management key, appended as `code=` so the URLs work as they are. */
  code?: string | undefined;
  /** Appends `returnInternalServerErrorOnFailure=true` to the status URL. */
  returnInternalServerErrorOnFailure?: boolean | undefined;
}

/** Durable Functions' `HttpManagementPayload`: the id and the eight management URLs. */
export interface HttpManagementPayload {
  id: string;
  statusQueryGetUri: string;
  sendEventPostUri: string;
  terminatePostUri: string;
  rewindPostUri: string;
  purgeHistoryDeleteUri: string;
  restartPostUri: string;
  suspendPostUri: string;
  resumePostUri: string;
}

export function createHttpManagementPayload(instanceId: string, options: ManagementUrlOptions): HttpManagementPayload {
  const base = options.baseUrl.replace(/\/+$/, "");
  const path = options.basePath ?? DEFAULT_BASE_PATH;
  const prefix = `${base}${path}/instances/${encodeURIComponent(instanceId)}`;
  let qs = `taskHub=${encodeURIComponent(options.taskHub ?? "DurableEdgeHub")}&connection=${encodeURIComponent(options.connection ?? "Storage")}`;
  if (options.code) qs += `&code=${encodeURIComponent(options.code)}`;
  const status = `${prefix}?${qs}${options.returnInternalServerErrorOnFailure ? "&returnInternalServerErrorOnFailure=true" : ""}`;
  return {
    id: instanceId,
    statusQueryGetUri: status,
    sendEventPostUri: `${prefix}/raiseEvent/{eventName}?${qs}`,
    terminatePostUri: `${prefix}/terminate?reason={text}&${qs}`,
    rewindPostUri: `${prefix}/rewind?reason={text}&${qs}`,
    purgeHistoryDeleteUri: `${prefix}?${qs}`,
    restartPostUri: `${prefix}/restart?${qs}`,
    suspendPostUri: `${prefix}/suspend?reason={text}&${qs}`,
    resumePostUri: `${prefix}/resume?reason={text}&${qs}`,
  };
}

export interface CheckStatusResponse {
  status: 202;
  headers: { "Content-Type": "application/json"; Location: string; "Retry-After": "10" };
  body: HttpManagementPayload;
}

/** What an HTTP starter answers: 202, `Location` = the status URL, `Retry-After: 10`, the payload. */
export function createCheckStatusResponse(instanceId: string, options: ManagementUrlOptions): CheckStatusResponse {
  const body = createHttpManagementPayload(instanceId, options);
  return {
    status: 202,
    headers: { "Content-Type": "application/json", Location: body.statusQueryGetUri, "Retry-After": "10" },
    body,
  };
}
