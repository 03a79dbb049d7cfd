/**
 * One server-side connection: read frames, run each request concurrently, write replies
 * as they complete (out of order, matched by id), one write at a time. Faults stay inside
 * the connection: a peer that sends garbage or hangs only loses its own connection.
 */
import type { ByteStream } from "./byte_stream.ts";
import { writeAll } from "./byte_stream.ts";
import { DROP_CONNECTION, type RpcDispatcher } from "./dispatcher.ts";
import { DEFAULT_MAX_FRAME_BYTES, JsonValueSplitter, type SplitEvent } from "./json_splitter.ts";
import type { Dialect } from "./methods.ts";
import { jsonrpc2ErrorReply, looksLikeJsonrpc2 } from "./wire_jsonrpc2.ts";

export interface ConnectionOptions {
  readonly maxFrameBytes?: number;
  /** Requests running at once on one connection; reading pauses beyond (back-pressure). */
  readonly maxInFlight?: number;
  /** Aborted by the server's close(): stop at once, abandon handlers. */
  readonly signal?: AbortSignal;
  readonly onError?: (error: unknown) => void;
}

const DEFAULT_MAX_IN_FLIGHT = 128;
/**
 * Read size. Each idle connection holds one pending read with its buffer, so this is what an
 * idle connection costs; requests are far smaller, and a big one just takes more reads.
 */
const READ_BUFFER_BYTES = 16 * 1024;
const INVALID_REQUEST = -32600;

/** Serves one connection until the peer ends it (or a fatal frame, or abort); then closes it. */
export async function serveConnection(
  stream: ByteStream,
  dispatcher: RpcDispatcher,
  options: ConnectionOptions = {},
): Promise<void> {
  await new ServedConnection(stream, dispatcher, options).serve();
}

/** Replies go out one write at a time, in completion order; a failed write ends the connection. */
class ReplyWriter {
  readonly #encoder = new TextEncoder();
  #writes = Promise.resolve();
  #broken = false;

  constructor(private readonly stream: ByteStream, private readonly onBroken: () => void) {}

  get broken(): boolean {
    return this.#broken;
  }

  /** All writes queued so far, done (or given up). */
  get drained(): Promise<void> {
    return this.#writes;
  }

  send(text: string): Promise<void> {
    this.#writes = this.#writes.then(async () => {
      if (this.#broken) return;
      try {
        await writeAll(this.stream, this.#encoder.encode(text));
      } catch {
        this.#broken = true; // the peer went away: nothing more to say on this connection
        this.onBroken();
      }
    });
    return this.#writes;
  }
}

class ServedConnection {
  readonly #splitter: JsonValueSplitter;
  readonly #decoder = new TextDecoder();
  readonly #maxInFlight: number;
  readonly #onError: (error: unknown) => void;
  /** Aborted when the connection is gone or the server closes; handlers see it. */
  readonly #local = new AbortController();
  readonly #signal: AbortSignal;
  readonly #aborted: Promise<void>;
  readonly #writer: ReplyWriter;
  readonly #inFlight = new Set<Promise<void>>();
  #hint: Dialect = "go";

  constructor(
    private readonly stream: ByteStream,
    private readonly dispatcher: RpcDispatcher,
    options: ConnectionOptions,
  ) {
    this.#splitter = new JsonValueSplitter(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
    this.#maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.#onError = options.onError ?? (() => {});
    this.#signal = options.signal
      ? AbortSignal.any([options.signal, this.#local.signal])
      : this.#local.signal;
    const signal = this.#signal;
    this.#aborted = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
    this.#writer = new ReplyWriter(stream, () => this.#local.abort());
  }

  async serve(): Promise<void> {
    const onAbort = () => closeQuietly(this.stream);
    this.#signal.addEventListener("abort", onAbort, { once: true });
    try {
      await this.#readUntilDone();
    } catch (e) {
      // A read failing after our own close (abort) is expected; anything else is worth a word.
      if (!this.#signal.aborted && !(e instanceof Deno.errors.BadResource) && !isPeerReset(e)) {
        this.#onError(e);
      }
    } finally {
      // Like Go's server: finish the requests already read, then hang up.
      await Promise.race([Promise.allSettled(this.#inFlight), this.#aborted]);
      await Promise.race([this.#writer.drained, this.#aborted]);
      this.#signal.removeEventListener("abort", onAbort);
      this.#local.abort();
      closeQuietly(this.stream);
    }
  }

  async #readUntilDone(): Promise<void> {
    const buffer = new Uint8Array(READ_BUFFER_BYTES);
    while (!this.#signal.aborted && !this.#writer.broken) {
      while (this.#inFlight.size >= this.#maxInFlight) {
        await Promise.race([...this.#inFlight, this.#aborted]);
      }
      if (this.#signal.aborted) return;
      const n = await this.stream.read(buffer);
      if (n === null) return;
      for (const event of this.#splitter.push(buffer.subarray(0, n))) {
        if (!await this.#onFrame(event)) return;
      }
    }
  }

  /** Handles one frame; false when the connection must end after it. */
  async #onFrame(event: SplitEvent): Promise<boolean> {
    if (event.kind === "oversize") {
      const prefix = this.#decoder.decode(event.prefix);
      if (this.#hint === "jsonrpc2" || looksLikeJsonrpc2(prefix)) {
        const message = `Request exceeds the frame limit of ${event.limit} bytes`;
        await this.#writer.send(jsonrpc2ErrorReply(INVALID_REQUEST, message));
      }
      return false;
    }
    const classified = this.dispatcher.classify(this.#decoder.decode(event.bytes), this.#hint);
    if (classified.kind === "close") return false;
    if (classified.kind === "reply") {
      this.#hint = classified.dialect;
      void this.#writer.send(classified.reply);
      return true;
    }
    this.#hint = classified.kind;
    const task: Promise<void> = this.dispatcher.dispatch(classified, this.#signal)
      .then((reply) => {
        if (reply === DROP_CONNECTION) return this.#local.abort(); // hang up, answer nothing more
        return reply === null ? undefined : this.#writer.send(reply);
      })
      .catch(this.#onError)
      .finally(() => this.#inFlight.delete(task));
    this.#inFlight.add(task);
    return true;
  }
}

function isPeerReset(e: unknown): boolean {
  return e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.BrokenPipe ||
    e instanceof Deno.errors.ConnectionAborted;
}

function closeQuietly(stream: ByteStream): void {
  try {
    stream.close();
  } catch {
    // already closed
  }
}
