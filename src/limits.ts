/**
 * @module limits — what one value and one step may hold, the same on every host. Each is chosen
 * so that every store can hold it with headroom: a Durable Object's SQLite refuses a string or
 * blob over about 1 MB (`SQLITE_TOOBIG`), IndexedDB has a quota, and every step is one
 * transaction that must stay small enough to commit quickly. Values are refused where they
 * enter (the client, the HTTP API, `ctx.callActivity`, an activity's return), never half-stored.
 */

export const LIMITS = Object.freeze({
  /**
   * One JSON value: an orchestration's input or output, an event's data, an activity's input or
   * result, a sub-orchestration's input, a `continueAsNew` input, a termination reason. UTF-8 bytes.
   */
  payloadBytes: 256 * 1024,
  /** The custom status (`ctx.setCustomStatus`), as in Durable Functions. */
  customStatusBytes: 16 * 1024,
  /** Activities, timers, sub-orchestrations and events one step of an orchestrator may schedule. */
  actionsPerStep: 10_000,
  /**
   * What one step may add to an instance's history (UTF-8 bytes of JSON). Results and events beyond
   * `consumedBytesPerStep` wait for the next step instead, so only what the orchestrator itself
   * schedules in one step can reach this.
   */
  historyBytesPerStep: 8 * 1024 * 1024,
  /** Messages (results, events) one step consumes before leaving the rest for the next step. */
  consumedBytesPerStep: 4 * 1024 * 1024,
  /** A failure's message and stack trace are cut to these lengths (characters) when recorded. */
  failureMessageChars: 4 * 1024,
  failureStackChars: 16 * 1024,
  /** How many inner failures (`cause` chains) are recorded. */
  failureDepth: 5,
});

/** UTF-8 length of `text`, without allocating. */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2; // a surrogate pair: 2 code units, 4 bytes
        i++;
      } else bytes += 2;
    } else bytes += 2;
  }
  return bytes;
}

/** Whether `text` is over `limit` UTF-8 bytes; scans only when its length alone cannot tell. */
export function overUtf8Limit(text: string, limit: number): boolean {
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return utf8Length(text) > limit;
}

/** "800 KiB", "1.5 MiB", "512 bytes". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
}
