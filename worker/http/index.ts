/**
 * @module durable-edge/http — the Durable Functions HTTP management API (start, status, list,
 * raiseEvent, terminate, suspend, resume, rewind, restart, purge; entities: state, list, signal,
 * delete) and HTTP starters, as a Hono app.
 */
export { createManagementApp } from "./app.ts";
export type { ManagementAppOptions, ManagementClient, PerRequest, StarterOptions, StreamSettings } from "./options.ts";
export { DEFAULT_SIGNED_URL_TTL_SECONDS, MAX_SIGNED_URL_TTL_SECONDS, MIN_SIGNED_URL_TTL_SECONDS } from "./options.ts";
export { ACCESS_MODES, isLoopbackRequest, MIN_KEY_LENGTH, type AccessMode } from "./access.ts";
export { SIGNED_OPERATIONS, type SignedOperation } from "./signing.ts";
export { openApiDocument } from "./openapi.ts";
export { HttpError, jsonNotFound, managementErrorHandler, STATUS_BY_CODE, type ErrorBody } from "./errors.ts";
export { MAX_JSON_DEPTH, DEFAULT_MAX_BODY_BYTES } from "./body.ts";
export { CONTINUATION_HEADER } from "./routes/instances.ts";
