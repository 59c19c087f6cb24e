/**
 * @module worker/watch-stream — an instance's changes between its Durable Object and the Worker's
 * client: the object turns its watch (`DurableClient.watch`, told of each commit by its runtime)
 * into a byte stream of newline-delimited JSON, one `InstanceChange` a line, which Durable Object
 * RPC carries as a `ReadableStream` (RPC streams carry bytes only); the client turns it back into
 * an `InstanceWatch`.
 *
 * Why a stream and not a WebSocket: an RPC method can return it as is (no `fetch` handler, no
 * upgrade, no hibernation API to keep a socket across evictions), flow control comes with it
 * (the object reads the next state only when the stream pulls, so a slow reader gets the latest
 * state rather than a backlog), and cancelling it on the Worker's side, or the Worker's request
 * going away, reaches the object's `cancel`, which ends the subscription. A failed read ends the
 * stream with one line `{"error":{code,message}}`, so the client throws the same `DurableError`.
 *
 * Releasing: workerd tells the object of a cancel on the caller's side only when the object
 * next writes to the stream (measured: a cancelled watch stayed open until the instance's next
 * commit). So the client also says so (`InstanceObject.unwatch`, from `return()`), which releases
 * it at once, and while nothing changes the object writes an empty line every `KEEPALIVE_MS`, so
 * a caller that vanished without a word (its isolate gone) is noticed within that time.
 */
import { DurableError, SerialWatch, WATCH_DONE as DONE, type AbortSignalLike, type InstanceChange, type InstanceWatch } from "../src/index.ts";
import { unwrap } from "./rpc-result.ts";

/** How often an idle watch writes an empty line, to notice a caller that is gone. */
export const KEEPALIVE_MS = 10_000;
const NEWLINE = new Uint8Array([10]);
type Line = InstanceChange | { error: { code: string; message: string } };

export interface EncodeOptions {
  /** Runs once when the stream ends, however it ends (done, failed, cancelled, `end()`). */
  release: () => void;
  /** Runs for each change written. */
  onChange?: (() => void) | undefined;
  keepAliveMs?: number | undefined;
}

/** The watch as a byte stream, and `end()`, which ends the watch and closes the stream (what `unwatch` calls). */
export function encodeChanges(changes: InstanceWatch, options: EncodeOptions): { stream: ReadableStream<Uint8Array>; end: () => void } {
  const encoder = new TextEncoder();
  const keepAliveMs = options.keepAliveMs ?? KEEPALIVE_MS;
  let released = false;
  const finish = () => {
    if (released) return;
    released = true;
    void changes.return(); // a pull waiting on it gets `done` and closes the stream
    options.release();
  };
  /** The change a pull waits for; kept across a keep-alive, so that none is lost. */
  let pending: Promise<IteratorResult<InstanceChange, undefined>> | null = null;
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          if (!pending) {
            pending = changes.next();
            pending.catch(() => {}); // awaited below, or by the pull after a keep-alive
          }
          let idle: ReturnType<typeof setTimeout> | undefined;
          const next = await Promise.race([pending, new Promise<"idle">((resolve) => (idle = setTimeout(() => resolve("idle"), keepAliveMs)))]);
          if (idle !== undefined) clearTimeout(idle);
          if (next === "idle") {
            controller.enqueue(NEWLINE); // fails, and cancels this stream, if the caller is gone
            return;
          }
          pending = null;
          if (next.done) {
            finish();
            closeQuietly(controller);
            return;
          }
          options.onChange?.();
          controller.enqueue(encoder.encode(`${JSON.stringify(next.value satisfies Line)}\n`));
        } catch (error) {
          finish();
          if (!DurableError.is(error)) throw error; // errors the stream
          controller.enqueue(encoder.encode(`${JSON.stringify({ error: { code: error.code, message: error.message } } satisfies Line)}\n`));
          closeQuietly(controller);
        }
      },
      cancel: finish,
    },
    { highWaterMark: 0 },
  );
  return { stream, end: finish };
}

/** A stream of one line: the error, for a watch that could not start. */
export function encodeFailure(error: DurableError): ReadableStream<Uint8Array> {
  const line = new TextEncoder().encode(`${JSON.stringify({ error: { code: error.code, message: error.message } } satisfies Line)}\n`);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(line);
      controller.close();
    },
  });
}

/**
 * The stream (as the RPC call answers it) as a watch. `return()` (or the signal) cancels it and
 * calls `release` (the object's `unwatch`), whose promise `return()` waits for.
 */
export function decodeChanges(opened: Promise<ReadableStream<Uint8Array>>, options: { signal?: AbortSignalLike | undefined; release?: (() => Promise<void>) | undefined } = {}): InstanceWatch {
  return new StreamWatch(opened, options.signal, options.release);
}

function closeQuietly(controller: ReadableStreamDefaultController<Uint8Array>): void {
  try {
    controller.close();
  } catch {
    // cancelled meanwhile
  }
}

class StreamWatch extends SerialWatch {
  private reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  private buffer = "";
  private readonly decoder = new TextDecoder();
  private readonly opened: Promise<ReadableStream<Uint8Array>>;
  private readonly release: (() => Promise<void>) | undefined;
  /** Set once the stream ended by itself (closed, gone, failed): the object has let go already. */
  private closed = false;
  private released: Promise<void> | null = null;

  constructor(opened: Promise<ReadableStream<Uint8Array>>, signal: AbortSignalLike | undefined, release: (() => Promise<void>) | undefined) {
    super(signal);
    this.opened = opened;
    this.release = release;
    opened.catch(() => {}); // a failure to open is thrown by next()
    this.listen();
  }

  async return(): Promise<IteratorReturnResult<undefined>> {
    const wasOpen = !this.ended && !this.closed;
    this.end();
    if (wasOpen && this.release) this.released ??= this.release().catch(() => {});
    await this.released;
    return DONE;
  }

  protected async step(): Promise<IteratorResult<InstanceChange, undefined>> {
    if (this.ended) return DONE;
    try {
      if (!this.reader) {
        const stream = await this.opened;
        if (this.ended) {
          void stream.cancel().catch(() => {});
          return DONE;
        }
        this.reader = stream.getReader();
      }
      for (;;) {
        const cut = this.buffer.indexOf("\n");
        if (cut >= 0) {
          const text = this.buffer.slice(0, cut);
          this.buffer = this.buffer.slice(cut + 1);
          if (text === "") continue; // the object's keep-alive
          const line = JSON.parse(text) as Line;
          if ("error" in line) unwrap({ ok: false, code: line.error.code as DurableError["code"], message: line.error.message });
          const change = line as InstanceChange;
          if (change.status === undefined) this.closeByItself(); // gone: the last change
          return { done: false, value: change };
        }
        const { value, done } = await this.reader.read();
        if (this.ended) return DONE;
        if (done) {
          this.closeByItself();
          return DONE;
        }
        this.buffer += this.decoder.decode(value, { stream: true });
      }
    } catch (error) {
      if (this.ended) return DONE; // our own cancel: a pending read rejects with "Stream was cancelled"
      this.closeByItself();
      throw error;
    }
  }

  private closeByItself(): void {
    this.closed = true;
    this.end();
  }

  protected end(): void {
    if (this.ended) return;
    this.ended = true;
    this.unlisten();
    if (this.reader) void this.reader.cancel().catch(() => {});
    else void this.opened.then((s) => s.cancel()).catch(() => {});
  }
}
