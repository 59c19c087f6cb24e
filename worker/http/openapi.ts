/**
 * @module worker/http/openapi — the OpenAPI 3.1 document of the whole API, generated from the same
 * Valibot schemas the routes validate with (`@valibot/to-json-schema`), for this app's base path and
 * starters. Served at `{basePath}/openapi.json`; built once per app, on first request.
 */
import { toJsonSchema, toJsonSchemaDefs, type ConversionConfig } from "@valibot/to-json-schema";
import type * as v from "valibot";
import { CONTINUATION_HEADER } from "./routes/instances.ts";
import { EXPORT_QUERY, IMPORT_QUERY } from "./routes/travel.ts";
import type { ResolvedStarters } from "./options.ts";
import {
  anyJson,
  checkStatusPayload,
  ENTITY_LIST_QUERY,
  ENTITY_NAME_PATH,
  ENTITY_PATH,
  ENTITY_QUERY,
  ENTITY_STATE_QUERY,
  entityList,
  entityMetadata,
  errorBody,
  failureDetails,
  FIXED_START_QUERY,
  INSTANCE_PATH,
  LIST_HEADERS,
  LIST_QUERY,
  orchestrationStatus,
  PURGE_BY_QUERY,
  PURGE_QUERY,
  purgeResult,
  RAISE_EVENT_PATH,
  RAISE_EVENT_QUERY,
  REASON_QUERY,
  RESTART_QUERY,
  SIGNAL_QUERY,
  START_PATH,
  START_QUERY,
  START_WITH_ID_PATH,
  STATUS_QUERY,
  statusList,
  type ParamSpecs,
} from "./schemas.ts";

type Json = Record<string, unknown>;

const COMPONENTS = {
  Error: errorBody,
  HttpManagementPayload: checkStatusPayload,
  OrchestrationStatus: orchestrationStatus,
  FailureDetails: failureDetails,
  PurgeHistoryResult: purgeResult,
  EntityMetadata: entityMetadata,
} as const;

const CONFIG: ConversionConfig = {
  target: "draft-2020-12",
  typeMode: "input",
  errorMode: "ignore",
  definitions: COMPONENTS as unknown as NonNullable<ConversionConfig["definitions"]>,
  overrideRef: ({ referenceId }) => `#/components/schemas/${referenceId}`,
};

function schema(s: v.GenericSchema<unknown, unknown>): Json {
  const { $schema: _schema, $defs: _defs, ...rest } = toJsonSchema(s as Parameters<typeof toJsonSchema>[0], CONFIG) as Json;
  return rest;
}

const ref = (name: keyof typeof COMPONENTS) => ({ $ref: `#/components/schemas/${name}` });
const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });

interface Reply {
  description: string;
  body?: Json | undefined;
  headers?: string[] | undefined;
  /** The body's media type (default application/json). */
  media?: string | undefined;
}

const ERROR = ref("Error");
const STATUS_OR_ERROR = { anyOf: [ref("OrchestrationStatus"), ERROR] };

function reply(description: string, body?: Json, headers?: string[], media?: string): Reply {
  return { description, ...(body ? { body } : {}), ...(headers ? { headers } : {}), ...(media ? { media } : {}) };
}

/** An instance document (`durable-edge/instance`): see `src/instance-document.ts` for every field. */
const DOCUMENT_FIELDS = {
  format: { const: "durable-edge/instance" },
  version: { type: "integer", description: "1: one instance; 2: a tree (the root's document with descendants, or one of them)." },
  moved: { type: "boolean" },
  instance: { type: "object" },
  history: { type: "array" },
  inbox: { type: "array" },
  activities: { type: "array" },
  children: { type: "array", description: "The sub-orchestrations its history started, each running, completed or failed." },
};
const DOCUMENT = {
  type: "object",
  required: ["format", "version", "instance", "history", "inbox", "activities"],
  properties: {
    ...DOCUMENT_FIELDS,
    descendants: {
      type: "array",
      description:
        "Version 2, on the root's document of a moved tree: the documents of the running sub-orchestrations moved with it, at any depth, each after its parent (each without descendants of its own).",
      items: { type: "object", required: ["format", "version", "instance", "history", "inbox", "activities"], properties: DOCUMENT_FIELDS },
    },
  },
};
const NAMED = { type: "object", required: ["name"], properties: { name: { type: "string" } } };
/** `GET {base}/functions`: `Registry.registered()`. */
const FUNCTIONS = {
  type: "object",
  required: ["orchestrators", "activities", "entities"],
  properties: {
    orchestrators: { type: "array", items: NAMED },
    activities: { type: "array", items: { type: "object", required: ["name", "local"], properties: { name: { type: "string" }, local: { type: "boolean" } } } },
    entities: { type: "array", items: NAMED },
  },
};
const TIME_TRAVEL = { type: "object", required: ["instanceId", "frames"], properties: { instanceId: { type: "string" }, frames: { type: "array", items: { type: "object" } } } };

/** Answers every operation may give (authorization, methods, limits, store trouble). */
const COMMON_REPLIES: Record<string, Reply> = {
  "401": reply("No key, a wrong key, or a signed URL that is expired or for another instance or operation.", ERROR, ["WWW-Authenticate"]),
  "403": reply("No key is set and the request is not local; the read-only key on a write; a cross-site request.", ERROR),
  "503": reply("The store is unavailable for now.", ERROR, ["Retry-After"]),
  default: reply("Any other error.", ERROR),
};

interface Operation {
  method: "get" | "post" | "delete";
  path: string;
  operationId: string;
  summary: string;
  signed: boolean;
  params: ParamSpecs;
  query: ParamSpecs;
  headers?: ParamSpecs;
  body?: { required: boolean; description: string; media: string | readonly string[] };
  replies: Record<string, Reply>;
}

const payload202 = reply("Started: the management URLs of the instance.", ref("HttpManagementPayload"), ["Location", "Retry-After"]);
const waited200 = reply("Start-and-wait: completed in time (the output), or Failed/Terminated (the status).", schema(anyJson));

function parameters(where: "path" | "query" | "header", specs: ParamSpecs): Json[] {
  return Object.entries(specs).map(([name, spec]) => ({
    name,
    in: where,
    description: spec.description,
    ...(where === "path" || spec.required ? { required: true } : {}),
    schema: { ...schema(spec.schema as v.GenericSchema<unknown, unknown>), ...(spec.default !== undefined ? { default: spec.default } : {}) },
    ...(spec.multi ? { explode: true } : {}),
  }));
}

function operations(base: string, starters: ResolvedStarters | null): Operation[] {
  const start = (path: string, id: string, withId: boolean): Operation => ({
    method: "post",
    path,
    operationId: id,
    summary: withId ? "Start an orchestration under the given instance id; the body is its input." : "Start an orchestration; the body is its input.",
    signed: false,
    params: withId ? START_WITH_ID_PATH : START_PATH,
    query: START_QUERY,
    body: { required: false, description: "The input (JSON); empty for none.", media: "application/json" },
    replies: {
      "200": waited200,
      "202": payload202,
      "400": reply("Unknown orchestrator, bad id, name, query value or JSON.", ERROR),
      ...(withId ? { "409": reply("An instance with this id is still running.", ERROR) } : {}),
      "413": reply("The body is larger than the limit.", ERROR),
      "415": reply("The body is not JSON.", ERROR),
      "500": reply("Start-and-wait with returnInternalServerErrorOnFailure: the instance Failed.", STATUS_OR_ERROR),
    },
  });
  const op = (name: string, summary: string, query: ParamSpecs, replies: Record<string, Reply>): Operation => ({
    method: "post",
    path: `${base}/instances/{instanceId}/${name}`,
    operationId: name,
    summary,
    signed: true,
    params: INSTANCE_PATH,
    query,
    replies,
  });
  const simple = (name: string, summary: string, conflict?: string) =>
    op(name, summary, REASON_QUERY, {
      "202": reply("Accepted: the instance acts on it."),
      "404": reply("No such instance.", ERROR),
      ...(conflict ? { "409": reply(conflict, ERROR) } : {}),
      "410": reply("The instance has finished.", ERROR),
    });
  const list: Operation[] = [
    start(`${base}/orchestrators/{functionName}`, "startOrchestration", false),
    start(`${base}/orchestrators/{functionName}/{instanceId}`, "startOrchestrationWithId", true),
    {
      method: "get",
      path: `${base}/instances`,
      operationId: "listInstances",
      summary: "List instances, a page at a time.",
      signed: false,
      params: {},
      query: LIST_QUERY,
      headers: LIST_HEADERS,
      replies: { "200": reply("A page of statuses.", schema(statusList), [CONTINUATION_HEADER]), "400": reply("A bad query value or continuation token.", ERROR) },
    },
    {
      method: "delete",
      path: `${base}/instances`,
      operationId: "purgeInstances",
      summary: "Purge the finished instances that match the filter.",
      signed: false,
      params: {},
      query: PURGE_BY_QUERY,
      replies: { "200": reply("Purged.", ref("PurgeHistoryResult")), "400": reply("createdTimeFrom missing, or a bad value.", ERROR), "404": reply("Nothing matched.", ERROR) },
    },
    {
      method: "get",
      path: `${base}/instances/{instanceId}`,
      operationId: "getStatus",
      summary: "The status of an instance.",
      signed: true,
      params: INSTANCE_PATH,
      query: STATUS_QUERY,
      replies: {
        "200": reply("Completed, Terminated or Failed.", ref("OrchestrationStatus")),
        "202": reply("Still running (Pending, Running, ContinuedAsNew, Suspended): poll Location.", ref("OrchestrationStatus"), ["Location", "Retry-After"]),
        "400": reply("A bad id or query value.", ERROR),
        "404": reply("No such instance.", ERROR),
        "500": reply("Failed, with returnInternalServerErrorOnFailure.", STATUS_OR_ERROR),
      },
    },
    {
      method: "delete",
      path: `${base}/instances/{instanceId}`,
      operationId: "purgeInstance",
      summary: "Purge a finished instance.",
      signed: true,
      params: INSTANCE_PATH,
      query: PURGE_QUERY,
      replies: { "200": reply("Purged.", ref("PurgeHistoryResult")), "404": reply("No such instance.", ERROR), "409": reply("The instance is still running.", ERROR) },
    },
    {
      method: "post",
      path: `${base}/instances/{instanceId}/raiseEvent/{eventName}`,
      operationId: "raiseEvent",
      summary: "Raise an event; the body is its data.",
      signed: true,
      params: RAISE_EVENT_PATH,
      query: RAISE_EVENT_QUERY,
      body: { required: true, description: "The event's data (JSON).", media: "application/json" },
      replies: {
        "202": reply("Accepted."),
        "400": reply("Not application/json, bad JSON, or a bad id or name.", ERROR),
        "404": reply("No such instance.", ERROR),
        "410": reply("The instance has finished.", ERROR),
        "413": reply("The body is larger than the limit.", ERROR),
      },
    },
    simple("terminate", "Terminate a running instance."),
    simple("suspend", "Suspend a running instance.", "Already suspended."),
    simple("resume", "Resume a suspended instance.", "Not suspended."),
    simple("rewind", "Rewind a Failed instance.", "Still running."),
    op("restart", "Start the instance again with its input (under a new id by default).", RESTART_QUERY, {
      "200": waited200,
      "202": payload202,
      "400": reply("No such instance, or a bad value.", ERROR),
      "409": reply("Same id while still running.", ERROR),
      "500": reply("Start-and-wait with returnInternalServerErrorOnFailure: the instance Failed.", STATUS_OR_ERROR),
    }),
    {
      method: "get",
      path: `${base}/instances/{instanceId}/export`,
      operationId: "exportInstance",
      summary: "A snapshot of the instance as an instance document; it goes on running here.",
      signed: false,
      params: INSTANCE_PATH,
      query: {},
      replies: { "200": reply("The instance document.", DOCUMENT), "400": reply("A bad instance id.", ERROR), "404": reply("No such instance.", ERROR) },
    },
    {
      method: "post",
      path: `${base}/instances/{instanceId}/export`,
      operationId: "moveInstance",
      summary:
        "Move the instance out: its document, and the instance stopped here in the same transaction (Terminated, output { movedTo, movedAt }). One that waits for running sub-orchestrations moves with them (descendants, version 2), each stopped here in turn, parents first.",
      signed: false,
      params: INSTANCE_PATH,
      query: EXPORT_QUERY,
      replies: {
        "200": reply("The instance document (with descendants for a tree); none of it runs here any more.", DOCUMENT),
        "404": reply("No such instance.", ERROR),
        "409": reply("It is a running sub-orchestration: move the root of its tree (the message names it).", ERROR),
        "410": reply("It was moved away already.", ERROR),
        "413": reply("Its tree's document would be over the limit; nothing was moved.", ERROR),
        "503": reply("A tree was moved part-way (an instance could not be stopped here); the message names what was not.", ERROR),
      },
    },
    {
      method: "post",
      path: `${base}/instances/import`,
      operationId: "importInstance",
      summary: "Recreate an instance (or a tree: a parent with its sub-orchestrations) from its document, exported by this API or another host's. Importing the same document again leaves what it imported as it is.",
      signed: false,
      params: {},
      query: IMPORT_QUERY,
      body: { required: true, description: "The instance document.", media: "application/json" },
      replies: {
        "201": reply("Imported: the management URLs of the instance.", ref("HttpManagementPayload"), ["Location"]),
        "400": reply("Not an instance document (each bad field named), or its orchestrator is not registered here.", ERROR),
        "409": reply("An id of it is in use (nothing imported), a snapshot without allowCopy, or a history this host's code does not replay.", ERROR),
        "413": reply("The document is larger than the limits.", ERROR),
        "503": reply("A tree was imported part-way (an instance could not be written); import the same document again to write the rest.", ERROR),
      },
    },
    {
      method: "get",
      path: `${base}/instances/{instanceId}/timetravel`,
      operationId: "timeTravel",
      summary: "The instance right after each event of its history (pending tasks, custom status, logs, the decision it took next), replayed with this server's code; nothing is committed.",
      signed: false,
      params: INSTANCE_PATH,
      query: {},
      replies: { "200": reply("One frame per history event.", TIME_TRAVEL), "400": reply("A bad instance id.", ERROR), "404": reply("No such instance.", ERROR) },
    },
    {
      method: "get",
      path: `${base}/instances/{instanceId}/history`,
      operationId: "getHistory",
      summary: "The current execution's history as stored: Durable Task event types, epoch-ms Timestamps, EventId and TaskScheduledId, JSON-text payloads, tasks still running included (the status route renders Durable Functions' shape instead).",
      signed: false,
      params: INSTANCE_PATH,
      query: {},
      replies: {
        "200": reply("The events, in order.", { type: "object", required: ["instanceId", "events"], properties: { instanceId: { type: "string" }, events: { type: "array", items: { type: "object", required: ["EventType", "EventId", "Timestamp"] } } } }),
        "400": reply("A bad instance id.", ERROR),
        "404": reply("No such instance.", ERROR),
      },
    },
    {
      method: "get",
      path: `${base}/stream/instances/{instanceId}`,
      operationId: "streamInstance",
      summary: "The status of an instance, with its history, as server-sent events pushed as each change commits: 'status' whenever it changes (id: a version of the state), 'gone' when purged, 'end' once finished (then the stream closes), a comment while nothing changes. Reconnect with Last-Event-ID to resume.",
      signed: false,
      params: INSTANCE_PATH,
      query: {},
      replies: {
        "200": reply("The event stream.", { type: "string" }, [], "text/event-stream"),
        "400": reply("A bad instance id.", ERROR),
        "404": reply("No such instance (answered before any stream starts).", ERROR),
      },
    },
    ...entityOperations(base),
    {
      method: "get",
      path: `${base}/functions`,
      operationId: "listFunctions",
      summary: "What this server runs: its orchestrators (start one with POST {base}/orchestrators/{name}), activities (local: run inside the calling instance's step) and entities, in the order registered; built-in activities left out.",
      signed: false,
      params: {},
      query: {},
      replies: {
        "200": reply("The registered functions, by kind.", FUNCTIONS),
        "501": reply("This server's client cannot tell which functions are registered.", ERROR),
      },
    },
    {
      method: "get",
      path: `${base}/openapi.json`,
      operationId: "openApiDocument",
      summary: "This document.",
      signed: false,
      params: {},
      query: {},
      replies: { "200": reply("The OpenAPI 3.1 document.", { type: "object", required: ["openapi", "paths"] }) },
    },
  ];
  if (starters) {
    for (const [route, orchestrator] of Object.entries(starters.fixed)) {
      for (const method of ["get", "post"] as const) {
        list.push({
          method,
          path: `${starters.prefix}/${route}`,
          operationId: `${method}Start_${route}`,
          summary: `Start ${orchestrator} with no input (a body is ignored).`,
          signed: false,
          params: {},
          query: FIXED_START_QUERY,
          replies: {
            "200": waited200,
            "202": payload202,
            "400": reply("A bad query value.", ERROR),
            ...(method === "get" ? { "405": reply("HEAD: refused, so that link checkers and previews start nothing.", ERROR, ["Allow"]) } : {}),
            "500": reply("Start-and-wait with returnInternalServerErrorOnFailure: the instance Failed.", STATUS_OR_ERROR),
          },
        });
      }
    }
    if (starters.generic) {
      list.push(start(`${starters.prefix}/orchestrators/{functionName}`, "starterStart", false));
      list.push(start(`${starters.prefix}/orchestrators/{functionName}/{instanceId}`, "starterStartWithId", true));
    }
  }
  return list;
}

function entityOperations(base: string): Operation[] {
  const listing = (path: string, operationId: string, summary: string, params: ParamSpecs): Operation => ({
    method: "get",
    path,
    operationId,
    summary,
    signed: false,
    params,
    query: ENTITY_LIST_QUERY,
    headers: LIST_HEADERS,
    replies: {
      "200": reply("A page of entities (fewer than top may come while more follow).", schema(entityList), [CONTINUATION_HEADER]),
      "400": reply("A bad name, query value or continuation token.", ERROR),
    },
  });
  const entity = `${base}/entities/{entityName}/{entityKey}`;
  return [
    listing(`${base}/entities`, "listEntities", "List entities, a page at a time.", {}),
    listing(`${base}/entities/{entityName}`, "listEntitiesByName", "List the entities of one name, a page at a time.", ENTITY_NAME_PATH),
    {
      method: "get",
      path: entity,
      operationId: "readEntityState",
      summary: "The state of an entity (with metadata=true: its EntityMetadata).",
      signed: false,
      params: ENTITY_PATH,
      query: ENTITY_STATE_QUERY,
      replies: {
        "200": reply("The entity's state; with metadata=true, its EntityMetadata.", schema(anyJson)),
        "400": reply("A bad name or key.", ERROR),
        "404": reply("The entity has no state (never given any, or deleted).", ERROR),
      },
    },
    {
      method: "post",
      path: entity,
      operationId: "signalEntity",
      summary: "Signal an operation to an entity (one-way); the body is its input: JSON with a JSON media type, else the text as a string; empty for none.",
      signed: false,
      params: ENTITY_PATH,
      query: SIGNAL_QUERY,
      body: { required: false, description: "The operation's input.", media: ["application/json", "text/plain"] },
      replies: {
        "202": reply("Accepted: the entity runs the operation."),
        "400": reply("A bad name or key, op missing, or JSON that does not parse.", ERROR),
        "404": reply("No entity of this name is registered.", ERROR),
        "413": reply("The body is larger than the limit.", ERROR),
      },
    },
    {
      method: "delete",
      path: entity,
      operationId: "deleteEntity",
      summary: "Signal the operation 'delete' to an entity, which deletes its state.",
      signed: false,
      params: ENTITY_PATH,
      query: ENTITY_QUERY,
      replies: {
        "202": reply("Accepted: the entity deletes its state."),
        "400": reply("A bad name or key.", ERROR),
        "404": reply("No entity of this name is registered.", ERROR),
      },
    },
  ];
}

const HEADERS: Record<string, Json> = {
  Location: { description: "The status URL to poll (signed when a key is set).", schema: { type: "string" }, required: true },
  "Retry-After": { description: "Seconds to wait before polling again.", schema: { type: "string", pattern: "^\\d+$" }, required: true },
  [CONTINUATION_HEADER]: { description: "The next page's token; empty on the last page.", schema: { type: "string" }, required: true },
  "WWW-Authenticate": { description: "Bearer realm=\"durable-edge\".", schema: { type: "string" }, required: true },
  Allow: { description: "The methods the route serves.", schema: { type: "string" }, required: true },
  "X-Request-Id": { description: "The request's id (as logged); every answer has it.", schema: { type: "string" }, required: true },
};

/** The OpenAPI 3.1 document of an app with this base path and these starters. */
export function openApiDocument(base: string, starters: ResolvedStarters | null): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const o of operations(base, starters)) {
    const responses: Record<string, Json> = {};
    for (const [status, r] of Object.entries({ ...o.replies, ...COMMON_REPLIES })) {
      responses[status] = {
        description: r.description,
        headers: Object.fromEntries([...(r.headers ?? []), "X-Request-Id"].map((h) => [h, headerRef(h)])),
        ...(r.body ? { content: { [r.media ?? "application/json"]: { schema: r.body } } } : {}),
      };
    }
    const keyed = [{ bearer: [] }, { functionsKey: [] }, { code: [] }];
    (paths[o.path] ??= {})[o.method] = {
      operationId: o.operationId,
      summary: o.summary,
      parameters: [...parameters("path", o.params), ...parameters("query", o.query), ...parameters("header", o.headers ?? {})],
      ...(o.body ? { requestBody: { required: o.body.required, description: o.body.description, content: Object.fromEntries([o.body.media].flat().map((m) => [m, { schema: {} }])) } } : {}),
      responses,
      // `{}`: no key needed when none is set (and the request is allowed by `access`).
      security: [...keyed, ...(o.signed ? [{ signedUrl: [], signedUrlExpiry: [] }] : []), {}],
    };
  }
  const defs = toJsonSchemaDefs(COMPONENTS as unknown as Parameters<typeof toJsonSchemaDefs>[0], CONFIG) as Record<string, Json>;
  return {
    openapi: "3.1.0",
    info: {
      title: "Durable Edge management API",
      version: "1",
      description:
        "The Durable Functions HTTP management API and HTTP starters. With a management key set, every route needs the key " +
        "(Authorization: Bearer or x-functions-key), the read-only key (reads), or a signed URL from a check-status payload " +
        "(one operation on one instance, until exp). Errors are JSON { code, message }. A method a path does not serve is " +
        "answered 405 with Allow; OPTIONS preflights are answered for the origins of the CORS allow-list.",
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    paths,
    components: {
      schemas: defs,
      headers: HEADERS,
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "The management key (or the read-only key, or the previous key of a rotation)." },
        functionsKey: { type: "apiKey", in: "header", name: "x-functions-key", description: "The same keys, as Durable Functions clients send them." },
        code: { type: "apiKey", in: "query", name: "code", description: "The same keys in the URL; only when acceptKeyInQuery is on." },
        signedUrl: { type: "apiKey", in: "query", name: "sig", description: "A signature the API put in a URL it handed out (with exp)." },
        signedUrlExpiry: { type: "apiKey", in: "query", name: "exp", description: "The expiry of a signed URL (Unix seconds)." },
      },
    },
  };
}
