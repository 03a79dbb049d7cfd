/**
 * The RPC server on an AF_UNIX socket: both dialects on one socket, every connection
 * served independently, handlers running concurrently. `close()` stops accepting, ends
 * live connections (handlers see their signal abort) and removes the socket file.
 */
import { serveConnection } from "./connection.ts";
import { RpcDispatcher } from "./dispatcher.ts";
import { RpcError } from "./errors.ts";
import type { CallInterceptor } from "./intercept.ts";
import { DEFAULT_MAX_FRAME_BYTES } from "./json_splitter.ts";
import type { HandlerMap } from "./methods.ts";
import { bindSocketFile, removeSocketFile } from "./socket_file.ts";

export interface ServeRpcOptions {
  /** Socket path; its directory is created, a stale socket replaced, a live one refused. */
  readonly path: string;
  readonly handlers: Partial<HandlerMap>;
  /** Largest request accepted, in bytes (default 1 MiB); a bigger one ends the connection. */
  readonly maxFrameBytes?: number;
  /** Told about faults of ours and of connections; handler refusals are not faults. */
  readonly onError?: (error: unknown) => void;
  /** Sees every call to a served method, in both dialects (see intercept.ts). */
  readonly intercept?: CallInterceptor;
}

export interface RpcServer {
  readonly path: string;
  close(): Promise<void>;
}

export async function serveRpc(options: ServeRpcOptions): Promise<RpcServer> {
  const { path } = options;
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 64) {
    throw new RpcError(`Cannot serve on "${path}": maxFrameBytes must be an integer >= 64`, path);
  }
  const onError = options.onError ?? (() => {});
  const dispatcher = new RpcDispatcher(options.handlers, {
    onError,
    ...(options.intercept && { intercept: options.intercept }),
  });
  const { listener, inode } = await bindSocketFile(path);
  const shutdown = new AbortController();
  const connections = new Set<Promise<void>>();
  const connectionOptions = {
    maxFrameBytes,
    signal: shutdown.signal,
    onError,
  };

  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        const served: Promise<void> = serveConnection(conn, dispatcher, connectionOptions)
          .catch(onError)
          .finally(() => connections.delete(served));
        connections.add(served);
      }
    } catch (e) {
      if (!shutdown.signal.aborted) onError(e);
    }
  })();

  let closing: Promise<void> | null = null;
  return {
    path,
    close() {
      closing ??= (async () => {
        shutdown.abort();
        try {
          listener.close();
        } catch {
          // already closed
        }
        await accepting;
        await Promise.allSettled([...connections]);
        await removeSocketFile(path, inode);
      })();
      return closing;
    },
  };
}
