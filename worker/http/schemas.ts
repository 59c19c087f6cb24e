/**
 * @module worker/http/schemas — the API's request parameters and response bodies as Valibot
 * schemas: the routes validate with them (through `@hono/standard-validator`), and the OpenAPI
 * document is generated from them (`@valibot/to-json-schema`), so the two cannot drift apart.
 *
 * Query values are validated strictly (a value we cannot read is a 400 naming the parameter, never
 * silently replaced by the default); their names are matched case-insensitively, as ASP.NET and so
 * Durable Functions do (see `validation.ts`).
 */
import * as v from "valibot";
import { DurableError, MAX_INSTANCE_ID_LENGTH, RUN_PREVIEW_BYTES, RUNS_KEPT, RUNTIME_STATUSES, validateEntityKey, validateEntityName, validateInstanceId, type RuntimeStatus } from "../../src/index.ts";

/** Free-text names (orchestrators, events) and text values are bounded so they cannot bloat history. */
export const MAX_NAME_LENGTH = 256;
/** Reasons land in history; keep them to a sane size. */
export const MAX_REASON_LENGTH = 4096;
export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_CONTINUATION_TOKEN_LENGTH = 2048;

/** One query, path or header parameter: its schema (a string in, the parsed value out) and its documentation. */
export interface ParamSpec {
  readonly schema: v.GenericSchema<string, unknown> | v.GenericSchema<string[], unknown>;
  readonly description: string;
  /** The error code of a value the schema refuses. Default `InvalidArgument`. */
  readonly code?: string;
  /** Repeated values are all kept (`runtimeStatus`); otherwise the first one counts. */
  readonly multi?: boolean;
  /** The value used when the parameter is absent (documentation only: the route applies it). */
  readonly default?: unknown;
  readonly required?: boolean;
}

export type ParamSpecs = Readonly<Record<string, ParamSpec>>;

class Invalid {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

function queryProblem(name: string, value: string, expected: string): Invalid {
  const shown = value.length > 64 ? `${value.slice(0, 64)}…` : value;
  return new Invalid(`Query parameter '${name}' must be ${expected}; got ${JSON.stringify(shown)}.`);
}

/** A string parsed by `parse` (which returns the value, or `Invalid` with the message of the 400). */
function parsed<T>(parse: (raw: string) => T | Invalid, ...actions: v.PipeAction<string, string, v.BaseIssue<unknown>>[]): v.GenericSchema<string, T> {
  const transform = v.rawTransform<string, T>(({ dataset, addIssue, NEVER }) => {
    const result = parse(dataset.value);
    if (result instanceof Invalid) {
      addIssue({ message: result.message });
      return NEVER;
    }
    return result;
  });
  const items: unknown[] = [v.string(), ...actions, transform];
  return (v.pipe as unknown as (...items: unknown[]) => v.GenericSchema<string, T>)(...items);
}

/** `true`/`false`/`1`/`0`, any case. */
export function booleanQuery(name: string): v.GenericSchema<string, boolean> {
  return parsed(
    (raw) => {
      switch (raw.trim().toLowerCase()) {
        case "true":
        case "1":
          return true;
        case "false":
        case "0":
          return false;
      }
      return queryProblem(name, raw, "true or false");
    },
    v.examples(["true", "false"]),
  );
}

/** A non-negative number of seconds (fractions allowed), parsed to milliseconds. */
export function secondsQuery(name: string): v.GenericSchema<string, number> {
  return parsed(
    (raw) => {
      const n = raw.trim() === "" ? NaN : Number(raw);
      if (!Number.isFinite(n) || n < 0) return queryProblem(name, raw, "a non-negative number of seconds");
      return Math.round(n * 1000);
    },
    v.examples(["10", "0.5"]),
  );
}

export function integerQuery(name: string, min: number, max: number): v.GenericSchema<string, number> {
  return parsed((raw) => {
    const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) return queryProblem(name, raw, `an integer from ${min} to ${max}`);
    return n;
  }, v.regex(/^\s*\d+\s*$/, (issue) => queryProblem(name, issue.input, `an integer from ${min} to ${max}`).message));
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** An ISO 8601 date or date-time; without a zone it is read as UTC (as Durable Functions does). */
export function dateQuery(name: string): v.GenericSchema<string, Date> {
  return parsed(
    (raw) => {
      const text = raw.trim();
      if (!ISO_DATE.test(text)) return queryProblem(name, raw, "an ISO 8601 date, e.g. 2026-01-31T12:00:00Z");
      const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(text) && text.length > 10;
      const normalized = text.replace(" ", "T").replace(/(\.\d{3})\d+/, "$1");
      const ms = Date.parse(hasZone || text.length === 10 ? normalized : `${normalized}Z`);
      if (!Number.isFinite(ms)) return queryProblem(name, raw, "a valid date");
      return new Date(ms);
    },
    v.examples(["2026-01-31T12:00:00Z", "2026-01-31"]),
  );
}

/** Free text (reason, version), at most `max` characters. */
export function textQuery(what: string, max: number): v.GenericSchema<string, string> {
  const tooLong = (length: number) => `The ${what} is ${length} characters long; the limit is ${max}.`;
  return parsed((raw) => (raw.length > max ? new Invalid(tooLong(raw.length)) : raw), v.maxLength(max, (issue) => tooLong(issue.input.length)));
}

/**
 * `runtimeStatus`: comma-separated and/or repeated, any case. "Canceled" (a legacy Durable Functions
 * status no instance can have) is accepted and matches nothing; other unknown names are a 400
 * (Durable Functions ignores them, which silently widens the filter). `[]`: only "Canceled".
 */
export const runtimeStatusQuery: v.GenericSchema<string[], RuntimeStatus[]> = v.pipe(
  v.array(v.string()),
  v.rawTransform<string[], RuntimeStatus[]>(({ dataset, addIssue, NEVER }) => {
    const out: RuntimeStatus[] = [];
    for (const s of dataset.value.flatMap((value) => value.split(",")).map((s) => s.trim())) {
      if (s === "" || s.toLowerCase() === "canceled") continue;
      const match = RUNTIME_STATUSES.find((r) => r.toLowerCase() === s.toLowerCase());
      if (!match) {
        addIssue({ message: queryProblem("runtimeStatus", s, `one of ${RUNTIME_STATUSES.join(", ")}`).message });
        return NEVER;
      }
      if (!out.includes(match)) out.push(match);
    }
    return out;
  }),
);

/** Accepted and ignored (names the URLs carry, as Durable Functions' do). */
const passThrough = v.string();

// -- path parameters ---------------------------------------------------------------------------

/** An instance id: Durable Functions' rules (≤ 256 chars, no `@` first, no `/ \ # ?`, no control chars). */
export const instanceIdParam: v.GenericSchema<string, string> = v.pipe(
  v.string(),
  v.maxLength(MAX_INSTANCE_ID_LENGTH, (issue) => `Instance ID is ${issue.input.length} characters long; the limit is ${MAX_INSTANCE_ID_LENGTH}.`),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed || dataset.issues) return;
    const value = dataset.value;
    try {
      if (value === "") throw new DurableError("InvalidInstanceId", "An instance ID is required.");
      validateInstanceId(value);
    } catch (error) {
      addIssue({ message: error instanceof Error ? error.message : String(error) });
    }
  }),
);

/** An orchestrator or event name: non-empty, ≤ 256 chars, no control characters. */
export function nameParam(what: string): v.GenericSchema<string, string> {
  const tooLong = (length: number) => `The ${what} is ${length} characters long; the limit is ${MAX_NAME_LENGTH}.`;
  return parsed((value) => {
    if (value.trim() === "") return new Invalid(`The ${what} must not be empty.`);
    if (value.length > MAX_NAME_LENGTH) return new Invalid(tooLong(value.length));
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) return new Invalid(`The ${what} must not contain control characters.`);
    return value;
  }, v.maxLength(MAX_NAME_LENGTH, (issue) => tooLong(issue.input.length)));
}

// -- the parameters of each route ----------------------------------------------------------------

const SIGNATURE: ParamSpecs = {
  exp: { schema: passThrough, description: "Expiry of a signed URL (Unix seconds). Part of the URLs the API hands out; see `sig`." },
  sig: { schema: passThrough, description: "Signature of a signed URL: it allows this one operation on this one instance until `exp`, without the key." },
};
/** The parameters of routes no signed URL reaches (lists, starts, entities). */
const KEY_QUERY: ParamSpecs = {
  taskHub: { schema: passThrough, description: "Task hub name (accepted and ignored: one hub per app)." },
  connection: { schema: passThrough, description: "Connection name (accepted and ignored)." },
  code: { schema: passThrough, description: "The management key in the URL: accepted only when `acceptKeyInQuery` is on (prefer `Authorization: Bearer`)." },
};
const COMMON: ParamSpecs = { ...KEY_QUERY, ...SIGNATURE };

const returnISE: ParamSpec = {
  schema: booleanQuery("returnInternalServerErrorOnFailure"),
  description: "Answer a Failed instance with 500 instead of 200.",
  default: false,
};

/** Start-and-wait: both `timeout` and `pollingInterval` (seconds) make the route wait for the result. */
export const WAIT_QUERY: ParamSpecs = {
  timeout: { schema: secondsQuery("timeout"), description: "Seconds to wait for completion (with `pollingInterval`); capped by the server." },
  pollingInterval: { schema: secondsQuery("pollingInterval"), description: "Seconds between checks while waiting (with `timeout`)." },
  returnInternalServerErrorOnFailure: returnISE,
};

export const START_QUERY: ParamSpecs = {
  version: { schema: textQuery("version", MAX_NAME_LENGTH), description: "The orchestration version recorded on the instance." },
  ...WAIT_QUERY,
  ...COMMON,
};
export const FIXED_START_QUERY: ParamSpecs = { ...WAIT_QUERY, ...COMMON };

export const STATUS_QUERY: ParamSpecs = {
  showHistory: { schema: booleanQuery("showHistory"), description: "Include `historyEvents`.", default: false },
  showHistoryOutput: { schema: booleanQuery("showHistoryOutput"), description: "Include results in `historyEvents`.", default: false },
  showInput: { schema: booleanQuery("showInput"), description: "Include the input.", default: true },
  showRuns: {
    schema: booleanQuery("showRuns"),
    description:
      `Include \`runs\`: the current run's number and the earlier runs of an instance that continued as new (the last ${RUNS_KEPT} kept, with previews of their inputs). Durable Edge's own, for dashboards; without it the body is Durable Functions' status payload.`,
    default: false,
  },
  returnInternalServerErrorOnFailure: returnISE,
  ...COMMON,
};

export const LIST_QUERY: ParamSpecs = {
  runtimeStatus: { schema: runtimeStatusQuery, multi: true, description: `Comma-separated and/or repeated: ${RUNTIME_STATUSES.join(", ")} (any case).` },
  createdTimeFrom: { schema: dateQuery("createdTimeFrom"), description: "Created at or after (ISO 8601; UTC without a zone)." },
  createdTimeTo: { schema: dateQuery("createdTimeTo"), description: "Created at or before (ISO 8601; UTC without a zone)." },
  instanceIdPrefix: {
    schema: parsed(
      (raw) => raw,
      v.maxLength(MAX_INSTANCE_ID_LENGTH, `instanceIdPrefix is longer than an instance ID can be (${MAX_INSTANCE_ID_LENGTH}).`),
    ),
    description: "Only ids that start with this.",
  },
  showInput: { schema: booleanQuery("showInput"), description: "Include inputs.", default: true },
  top: { schema: integerQuery("top", 1, MAX_PAGE_SIZE), description: "Page size.", default: DEFAULT_PAGE_SIZE },
  ...COMMON,
};

export const PURGE_BY_QUERY: ParamSpecs = {
  createdTimeFrom: { schema: dateQuery("createdTimeFrom"), description: "Required: created at or after (ISO 8601).", required: true },
  createdTimeTo: { schema: dateQuery("createdTimeTo"), description: "Created at or before (default now)." },
  runtimeStatus: LIST_QUERY.runtimeStatus!,
  ...COMMON,
};

export const PURGE_QUERY: ParamSpecs = COMMON;
export const RAISE_EVENT_QUERY: ParamSpecs = COMMON;
export const REASON_QUERY: ParamSpecs = {
  reason: { schema: textQuery("reason", MAX_REASON_LENGTH), description: `Recorded in history (at most ${MAX_REASON_LENGTH} characters).` },
  ...COMMON,
};
export const RESTART_QUERY: ParamSpecs = {
  restartWithNewInstanceId: { schema: booleanQuery("restartWithNewInstanceId"), description: "Start under a new id (false: the same id).", default: true },
  ...WAIT_QUERY,
  ...COMMON,
};

export const LIST_HEADERS: ParamSpecs = {
  "x-ms-continuation-token": {
    schema: v.pipe(v.string(), v.maxLength(MAX_CONTINUATION_TOKEN_LENGTH, "The continuation token is not valid; pass back the token a previous page returned.")),
    description: "The token of the previous page's response header, to read the next page.",
  },
};

export const INSTANCE_PATH: ParamSpecs = { instanceId: { schema: instanceIdParam, code: "InvalidInstanceId", description: "The instance id.", required: true } };
export const START_PATH: ParamSpecs = {
  functionName: { schema: nameParam("orchestrator name"), description: "The orchestrator's name.", required: true },
};
export const START_WITH_ID_PATH: ParamSpecs = { ...START_PATH, ...INSTANCE_PATH };
export const RAISE_EVENT_PATH: ParamSpecs = {
  ...INSTANCE_PATH,
  eventName: { schema: nameParam("event name"), description: "The event's name.", required: true },
};

// -- entities ------------------------------------------------------------------------------------

/** An entity's name: Durable Functions' rules (non-empty, no `@ / \ # ?`, no control characters), ≤ 256 characters. */
export const entityNameParam: v.GenericSchema<string, string> = parsed((raw) => {
  if (raw.length > MAX_NAME_LENGTH) return new Invalid(`The entity name is ${raw.length} characters long; the limit is ${MAX_NAME_LENGTH}.`);
  return checked(() => validateEntityName(raw), raw);
}, v.maxLength(MAX_NAME_LENGTH, (issue) => `The entity name is ${issue.input.length} characters long; the limit is ${MAX_NAME_LENGTH}.`));

/** An entity's key: no `/ \ # ?`, no control characters; `$` is the empty key (as in Durable Functions). */
export const entityKeyParam: v.GenericSchema<string, string> = parsed((raw) => {
  if (raw.length > MAX_INSTANCE_ID_LENGTH) return new Invalid(`The entity key is ${raw.length} characters long; the limit is ${MAX_INSTANCE_ID_LENGTH}.`);
  const key = raw === "$" ? "" : raw;
  return checked(() => validateEntityKey(key), key);
}, v.maxLength(MAX_INSTANCE_ID_LENGTH, (issue) => `The entity key is ${issue.input.length} characters long; the limit is ${MAX_INSTANCE_ID_LENGTH}.`));

function checked(check: () => void, value: string): string | Invalid {
  try {
    check();
    return value;
  } catch (error) {
    return new Invalid(error instanceof Error ? error.message : String(error));
  }
}

export const ENTITY_NAME_PATH: ParamSpecs = { entityName: { schema: entityNameParam, description: "The entity's name (case-insensitive).", required: true } };
export const ENTITY_PATH: ParamSpecs = {
  ...ENTITY_NAME_PATH,
  entityKey: { schema: entityKeyParam, description: "The entity's key; `$` for the empty key.", required: true },
};

export const ENTITY_LIST_QUERY: ParamSpecs = {
  lastOperationTimeFrom: { schema: dateQuery("lastOperationTimeFrom"), description: "Last operation at or after (ISO 8601; UTC without a zone)." },
  lastOperationTimeTo: { schema: dateQuery("lastOperationTimeTo"), description: "Last operation at or before (ISO 8601; UTC without a zone)." },
  top: { schema: integerQuery("top", 1, MAX_PAGE_SIZE), description: "Page size (fewer may come back while more follow).", default: DEFAULT_PAGE_SIZE },
  fetchState: { schema: booleanQuery("fetchState"), description: "Include each entity's state.", default: false },
  includeDeleted: { schema: booleanQuery("includeDeleted"), description: "Include entities that hold no state (deleted, or only locked or queued).", default: false },
  ...KEY_QUERY,
};
export const ENTITY_QUERY: ParamSpecs = KEY_QUERY;
export const ENTITY_STATE_QUERY: ParamSpecs = {
  metadata: {
    schema: booleanQuery("metadata"),
    description: "Answer the entity's EntityMetadata (state, lock holder, backlog, last operation) instead of its state; 404 only when nothing is stored for it.",
    default: false,
  },
  ...KEY_QUERY,
};
export const SIGNAL_QUERY: ParamSpecs = {
  op: { schema: nameParam("operation name"), description: "The operation to signal, e.g. `add`.", required: true },
  ...KEY_QUERY,
};

// -- response bodies -----------------------------------------------------------------------------

export const errorBody = v.pipe(
  v.strictObject({ code: v.string(), message: v.string() }),
  v.title("Error"),
  v.description("Every error: a code (a core error code or a router code such as Unauthorized, NotFound) and a message."),
);

const url = (what: string) => v.pipe(v.string(), v.description(what));
export const checkStatusPayload = v.pipe(
  v.strictObject({
    id: v.string(),
    statusQueryGetUri: url("GET: the status."),
    sendEventPostUri: url("POST: raise an event; replace {eventName}."),
    terminatePostUri: url("POST: terminate; replace {text} with the reason."),
    rewindPostUri: url("POST: rewind a Failed instance."),
    purgeHistoryDeleteUri: url("DELETE: purge the instance."),
    restartPostUri: url("POST: restart."),
    suspendPostUri: url("POST: suspend."),
    resumePostUri: url("POST: resume."),
  }),
  v.title("HttpManagementPayload"),
  v.description("The instance's management URLs. With a key configured, each carries its own signature (exp, sig) instead of the key."),
);

interface FailureDetailsShape {
  ErrorType: string;
  ErrorMessage: string;
  StackTrace: string | null;
  IsNonRetriable: boolean;
  InnerFailure: FailureDetailsShape | null;
}
export const failureDetails: v.GenericSchema<FailureDetailsShape> = v.strictObject({
  ErrorType: v.string(),
  ErrorMessage: v.string(),
  StackTrace: v.nullable(v.string()),
  IsNonRetriable: v.boolean(),
  InnerFailure: v.nullable(v.lazy(() => failureDetails)),
});

const time = v.pipe(v.string(), v.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/), v.description("UTC, second precision."));
const msTime = v.pipe(v.string(), v.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/), v.description("UTC, millisecond precision."));
const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const jsonPreview = v.pipe(
  v.strictObject({
    text: v.pipe(v.string(), v.description(`The value's JSON text, whole, or its first ${RUN_PREVIEW_BYTES} UTF-8 bytes when truncated (then not parseable).`)),
    bytes: v.pipe(count, v.description("UTF-8 bytes of the whole value's JSON.")),
    truncated: v.boolean(),
  }),
  v.description("The start of a JSON value."),
);
export const runsStatus = v.pipe(
  v.strictObject({
    run: v.pipe(v.number(), v.integer(), v.minValue(1), v.description("The current run's number: 1 for an instance that never continued as new.")),
    executionId: v.pipe(v.string(), v.description("The current run's execution id.")),
    startedTime: v.pipe(msTime, v.description("When the current run started.")),
    olderRuns: v.pipe(count, v.description("Earlier runs older than previous[0]: counted, no longer kept.")),
    previous: v.pipe(
      v.array(
        v.strictObject({
          run: v.pipe(v.number(), v.integer(), v.minValue(1)),
          executionId: v.string(),
          startedTime: msTime,
          endedTime: v.pipe(msTime, v.description("When it continued as new.")),
          input: v.pipe(jsonPreview, v.description("The input it started with.")),
          continuedWith: v.pipe(jsonPreview, v.description("What it passed to continueAsNew: the next run's input.")),
          continuedAs: v.pipe(v.strictObject({ run: v.pipe(v.number(), v.integer(), v.minValue(2)), executionId: v.string() }), v.description("The run it continued as.")),
          customStatus: v.nullable(jsonPreview),
          historyLength: v.pipe(count, v.description("History events it had when it ended.")),
        }),
      ),
      v.maxLength(RUNS_KEPT),
      v.description(`The earlier runs kept (at most ${RUNS_KEPT}), oldest first.`),
    ),
  }),
  v.title("Runs"),
  v.description("With showRuns=true: the runs of a continue-as-new chain. Not part of Durable Functions' payload."),
);
export const orchestrationStatus = v.pipe(
  v.strictObject({
    name: v.string(),
    instanceId: v.string(),
    runtimeStatus: v.picklist(RUNTIME_STATUSES),
    input: v.unknown(),
    customStatus: v.unknown(),
    output: v.unknown(),
    createdTime: time,
    lastUpdatedTime: time,
    failureDetails: v.optional(failureDetails),
    historyEvents: v.optional(v.array(v.pipe(v.looseObject({ EventType: v.string() }), v.description("A history event, as Durable Functions renders it.")))),
    runs: v.optional(runsStatus),
  }),
  v.title("OrchestrationStatus"),
);
export const statusList = v.array(orchestrationStatus);
export const purgeResult = v.pipe(v.strictObject({ instancesDeleted: v.pipe(v.number(), v.integer(), v.minValue(1)) }), v.title("PurgeHistoryResult"));
export const anyJson = v.pipe(v.unknown(), v.description("Any JSON value."));

const isoTime = v.pipe(v.string(), v.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/), v.description("UTC, millisecond precision."));
export const entityMetadata = v.pipe(
  v.strictObject({
    entityId: v.strictObject({ name: v.pipe(v.string(), v.description("Lower-cased, as in the entity's instance id.")), key: v.string() }),
    lastOperationTime: v.pipe(v.nullable(isoTime), v.description("When its last operation ran; null before the first (only locked or queued).")),
    state: v.optional(v.pipe(v.unknown(), v.description("With fetchState=true, when it has state."))),
    lastOperation: v.pipe(v.nullable(v.string()), v.description("The name of its last operation.")),
    entityExists: v.pipe(v.boolean(), v.description("Whether it holds state (false only with includeDeleted=true, or metadata=true).")),
    lockedBy: v.pipe(v.nullable(v.string()), v.description("The orchestration holding its lock, if any.")),
    backlogQueueSize: v.pipe(v.number(), v.integer(), v.minValue(0), v.description("Requests waiting behind the lock.")),
  }),
  v.title("EntityMetadata"),
  v.description("An entity in a listing: Durable Functions' entityId, lastOperationTime and state, and what a dashboard needs besides."),
);
export const entityList = v.array(entityMetadata);
