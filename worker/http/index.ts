/**
 * @module durable-edge/http — the Durable Functions HTTP management API (start, status, list,
 * raiseEvent, terminate, suspend, resume, rewind, restart, purge) and HTTP starters, as a Hono app.
 */
export { createManagementApp } from "./app.ts";
export type { ManagementAppOptions, StarterOptions } from "./options.ts";
export { HttpError, jsonNotFound, managementErrorHandler, STATUS_BY_CODE, type ErrorBody } from "./errors.ts";
export { MAX_JSON_DEPTH, DEFAULT_MAX_BODY_BYTES } from "./body.ts";
export { CONTINUATION_HEADER } from "./routes/instances.ts";
