/**
 * One server-side connection: read frames, run each request concurrently, write replies
 * as they complete (out of order, matched by id), one write at a time. Faults stay inside
 * the connection: a peer that sends garbage or hangs only loses its own connection.
 */
import type { ByteStream } from "./byte_stream.ts";
import { writeAll } from "./byte_stream.ts";
import { DROP_CONNECTION, type RpcDispatcher } from "./dispatcher.ts";
import { DEFAULT_MAX_FRAME_BYTES, JsonValueSplitter } from "./json_splitter.ts";
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
const READ_BUFFER_BYTES = 64 * 1024;
const INVALID_REQUEST = -32600;

/** Serves one connection until the peer ends it (or a fatal frame, or abort); then closes it. */
export async function serveConnection(
  stream: ByteStream,
  dispatcher: RpcDispatcher,
  options: ConnectionOptions = {},
): Promise<void> {
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  const onError = options.onError ?? (() => {});
  const splitter = new JsonValueSplitter(maxFrameBytes);
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  // Handlers see this signal: aborted when the connection is gone or the server closes.
  const local = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, local.signal]) : local.signal;
  const aborted = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
  const onAbort = () => closeQuietly(stream);
  signal.addEventListener("abort", onAbort, { once: true });

  let writes = Promise.resolve();
  let broken = false;
  const send = (text: string): Promise<void> => {
    writes = writes.then(async () => {
      if (broken) return;
      try {
        await writeAll(stream, encoder.encode(text));
      } catch {
        broken = true; // the peer went away: nothing more to say on this connection
        local.abort();
      }
    });
    return writes;
  };

  const inFlight = new Set<Promise<void>>();
  let hint: Dialect = "go";
  const buffer = new Uint8Array(READ_BUFFER_BYTES);
  try {
    reading: while (!signal.aborted && !broken) {
      while (inFlight.size >= maxInFlight) await Promise.race([...inFlight, aborted]);
      if (signal.aborted) break;
      const n = await stream.read(buffer);
      if (n === null) break;
      for (const event of splitter.push(buffer.subarray(0, n))) {
        if (event.kind === "oversize") {
          const prefix = decoder.decode(event.prefix);
          if (hint === "jsonrpc2" || looksLikeJsonrpc2(prefix)) {
            const message = `Request exceeds the frame limit of ${event.limit} bytes`;
            await send(jsonrpc2ErrorReply(INVALID_REQUEST, message));
          }
          break reading;
        }
        const classified = dispatcher.classify(decoder.decode(event.bytes), hint);
        if (classified.kind === "close") break reading;
        if (classified.kind === "reply") {
          hint = classified.dialect;
          void send(classified.reply);
          continue;
        }
        hint = classified.kind;
        const task: Promise<void> = dispatcher.dispatch(classified, signal)
          .then((reply) => {
            if (reply === DROP_CONNECTION) return local.abort(); // hang up, answer nothing more
            return reply === null ? undefined : send(reply);
          })
          .catch(onError)
          .finally(() => inFlight.delete(task));
        inFlight.add(task);
      }
    }
  } catch (e) {
    // A read failing after our own close (abort) is expected; anything else is worth a word.
    if (!signal.aborted && !(e instanceof Deno.errors.BadResource)) {
      if (!isPeerReset(e)) onError(e);
    }
  } finally {
    // Like Go's server: finish the requests already read, then hang up.
    await Promise.race([Promise.allSettled(inFlight), aborted]);
    await Promise.race([writes, aborted]);
    signal.removeEventListener("abort", onAbort);
    local.abort();
    closeQuietly(stream);
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
