/**
 * @module worker/http/body — request bodies: size limit (413), media type, UTF-8 and JSON checks.
 * Everything is read and validated before the client is called, so a bad body stores nothing.
 */
import type { Context } from "hono";
import { HttpError } from "./errors.ts";

/** Deeper JSON is refused (Json.NET, which Durable Functions uses, stops at 64 too). */
export const MAX_JSON_DEPTH = 64;

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, "PayloadTooLarge", `The request body is larger than the limit of ${maxBytes} bytes.`);
}

/** The body as text, refusing more than `maxBytes` (checked on `Content-Length` and while reading). */
export async function readBodyText(c: Context, maxBytes: number): Promise<string> {
  const declared = c.req.header("content-length");
  if (declared !== undefined && /^\d+$/.test(declared.trim()) && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  const stream = c.req.raw.body;
  if (!stream) return "";
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new HttpError(400, "InvalidJson", "Invalid JSON content: the body is not valid UTF-8.");
  }
}

/** The media type of the request, lower-cased, without parameters; undefined when there is none. */
export function mediaType(c: Context): string | undefined {
  const header = c.req.header("content-type");
  if (!header) return undefined;
  const type = header.split(";")[0]!.trim().toLowerCase();
  return type === "" ? undefined : type;
}

export function isJsonMediaType(type: string): boolean {
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

/** raiseEvent, as in Durable Functions: only `application/json` (a missing type included) is a 400. */
export function requireJsonContent(c: Context): void {
  const type = mediaType(c);
  if (type === undefined || !isJsonMediaType(type)) {
    throw new HttpError(400, "UnsupportedMediaType", "Only application/json request content is supported");
  }
}

/**
 * Starts accept what can carry JSON text: no type, JSON, `text/plain`, and the form type `curl -d`
 * sends by default. Anything else (multipart, images, XML…) is a 415.
 */
export function requireJsonCompatibleContent(c: Context): void {
  const type = mediaType(c);
  if (type === undefined || isJsonMediaType(type) || type === "text/plain" || type === "application/x-www-form-urlencoded") return;
  throw new HttpError(415, "UnsupportedMediaType", `Content type '${type}' is not supported; send the input as application/json.`);
}

/** Parses a JSON body; an empty body is `undefined` (no input). */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === "") return undefined;
  const depth = jsonDepth(text);
  if (depth > MAX_JSON_DEPTH) {
    throw new HttpError(400, "InvalidJson", `Invalid JSON content: nested deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new HttpError(400, "InvalidJson", `Invalid JSON content: ${why}`);
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
