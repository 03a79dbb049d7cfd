/**
 * A connection beyond the server's limit is not just closed: a client whose request meets a
 * bare hang-up can only say "unexpected EOF". Its first request is read (briefly, and only
 * a little of it) and answered with an error in its own dialect and id, which a Go net/rpc
 * client returns from Call like any server error, then the connection is closed.
 */
import { type ByteStream, writeAll } from "./byte_stream.ts";
import type { RpcDispatcher } from "./dispatcher.ts";
import { JsonValueSplitter } from "./json_splitter.ts";

export interface RefusalOptions {
  /** How long the client has to send its request (default 2 s). */
  readonly timeoutMs?: number;
  /** How much of it we read (default 64 KiB); a bigger first request is just closed. */
  readonly maxFrameBytes?: number;
}

/** Reads the first frame, answers every call in it with `message`, and closes. */
export async function refuseConnection(
  stream: ByteStream,
  dispatcher: RpcDispatcher,
  message: string,
  options: RefusalOptions = {},
): Promise<void> {
  const timer = setTimeout(() => closeQuietly(stream), options.timeoutMs ?? 2000);
  try {
    const frame = await firstFrame(stream, options.maxFrameBytes ?? 64 * 1024);
    const reply = frame === null ? null : dispatcher.refusal(frame, message);
    if (reply !== null) await writeAll(stream, new TextEncoder().encode(reply));
  } catch {
    // The peer went away, or our timer closed the connection under the read.
  } finally {
    clearTimeout(timer);
    closeQuietly(stream);
  }
}

async function firstFrame(stream: ByteStream, maxFrameBytes: number): Promise<string | null> {
  const splitter = new JsonValueSplitter(maxFrameBytes);
  const buffer = new Uint8Array(4096);
  for (;;) {
    const n = await stream.read(buffer);
    if (n === null) return null;
    for (const event of splitter.push(buffer.subarray(0, n))) {
      return event.kind === "frame" ? new TextDecoder().decode(event.bytes) : null;
    }
  }
}

function closeQuietly(stream: ByteStream): void {
  try {
    stream.close();
  } catch {
    // already closed
  }
}
