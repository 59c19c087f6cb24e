/**
 * @module worker/http/body — request bodies: the size limit is Hono's `bodyLimit` (by
 * `Content-Length`, or counted while reading when there is none); then media type, UTF-8 and JSON.
 * Everything is read and validated before the client is called, so a bad body stores nothing.
 *
 * JSON is parsed here rather than by Hono's `json` validator so that an empty body means "no input"
 * (as in Durable Functions), the depth is bounded before parsing, and the errors keep Durable
 * Functions' "Invalid JSON content" wording.
 */
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HttpError } from "./errors.ts";

/** Deeper JSON is refused (Json.NET, which Durable Functions uses, stops at 64 too). */
export const MAX_JSON_DEPTH = 64;

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, "PayloadTooLarge", `The request body is larger than the limit of ${maxBytes} bytes.`);
}

/** Hono's body limit, answering our 413. */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw tooLarge(maxBytes);
    },
  });
}

/** The body's bytes (after `limitBody`; checked again in case a `Content-Length` lied). */
async function bodyBytes(c: Context, maxBytes: number): Promise<Uint8Array> {
  if (!c.req.raw.body) return new Uint8Array(0);
  const bytes = new Uint8Array(await c.req.raw.arrayBuffer());
  if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes);
  return bytes;
}

function decode(bytes: Uint8Array, json = true): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw json
      ? new HttpError(400, "InvalidJson", "Invalid JSON content: the body is not valid UTF-8.")
      : new HttpError(400, "InvalidInput", "The body is not valid UTF-8 text.");
  }
}

/** The media type of the request, lower-cased, without parameters; undefined when there is none. */
export function mediaType(c: Context): string | undefined {
  const header = c.req.header("content-type");
  if (!header) return undefined;
  const type = header.split(";")[0]!.trim().toLowerCase();
  return type === "" ? undefined : type;
}

export function isJsonMediaType(type: string | undefined): boolean {
  return type !== undefined && (type === "application/json" || /^application\/[\w.-]+\+json$/.test(type));
}

/**
 * A start's input: no body (or an empty one) is no input; anything else must be declared JSON
 * (`application/json` or `application/*+json`), else 415. Forms and `text/plain` are refused: they
 * are what another site's page can send without a preflight.
 */
export async function readStartInput(c: Context, maxBytes: number): Promise<unknown> {
  const bytes = await bodyBytes(c, maxBytes);
  if (bytes.byteLength === 0) return undefined;
  const type = mediaType(c);
  if (!isJsonMediaType(type)) {
    throw new HttpError(
      415,
      "UnsupportedMediaType",
      type === undefined
        ? "The input has no content type; send it as application/json."
        : `Content type '${type}' is not supported; send the input as application/json.`,
    );
  }
  return parseJsonBody(decode(bytes));
}

/** raiseEvent, as in Durable Functions: only `application/json` (a missing type included) is a 400. */
export async function readEventData(c: Context, maxBytes: number): Promise<unknown> {
  if (!isJsonMediaType(mediaType(c))) throw new HttpError(400, "UnsupportedMediaType", "Only application/json request content is supported");
  return parseJsonBody(decode(await bodyBytes(c, maxBytes)));
}

/**
 * An entity signal's input, as Durable Functions reads it: JSON when the type says so (its parse
 * error a 400 "Could not parse JSON content: …"), otherwise the body's text as a string; an empty
 * body is no input (`{}`). Text of any type is taken: the cross-site check (Origin,
 * Sec-Fetch-Site) is what keeps another site's form from sending it.
 */
export async function readSignalInput(c: Context, maxBytes: number): Promise<{ input?: unknown }> {
  const bytes = await bodyBytes(c, maxBytes);
  if (bytes.byteLength === 0) return {};
  if (!isJsonMediaType(mediaType(c))) return { input: decode(bytes, false) };
  const input = parseJsonBody(decode(bytes), "Could not parse JSON content");
  return input === undefined ? {} : { input };
}

/** Parses a JSON body; an empty body is `undefined` (no input). `prefix` starts the message of a 400. */
export function parseJsonBody(text: string, prefix = "Invalid JSON content"): unknown {
  if (text.trim() === "") return undefined;
  const depth = jsonDepth(text);
  if (depth > MAX_JSON_DEPTH) {
    throw new HttpError(400, "InvalidJson", `${prefix}: nested deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new HttpError(400, "InvalidJson", `${prefix}: ${why}`);
  }
}

/** Deepest bracket nesting outside strings; a cheap pre-check so validation never recurses too deep. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > max) max = depth;
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return max;
}
