/**
 * Server-sent events, as the tests read them: one block (the text between blank lines) into an
 * event with its `data` parsed as JSON, or null for a comment block (`: heartbeat`). Platform-free,
 * so Node and workerd tests share it.
 */
export interface SseEvent {
  event: string;
  id?: string;
  data: unknown;
}

export function parseSseBlock(block: string): SseEvent | null {
  if (block.startsWith(":")) return null;
  const e: SseEvent = { event: "message", data: null };
  const data: string[] = [];
  for (const line of block.split("\n")) {
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") e.event = text;
    else if (field === "id") e.id = text;
    else if (field === "data") data.push(text);
  }
  e.data = JSON.parse(data.join("\n") || "null");
  return e;
}
