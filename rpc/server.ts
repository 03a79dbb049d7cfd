/**
 * The RPC server on an AF_UNIX socket: both dialects on one socket, every connection
 * served independently, handlers running concurrently. It never stops accepting while it
 * runs: a failed accept (file descriptors exhausted, an aborted connection) is retried after
 * a growing pause; a connection beyond `maxConnections` gets an error reply to its first
 * request instead of a hang-up. `close()` stops accepting, ends live connections (handlers
 * see their signal abort) and removes the socket file.
 */
import { AcceptBackoff, Burst } from "./accept_backoff.ts";
import { type ConnectionOptions, serveConnection } from "./connection.ts";
import { RpcDispatcher } from "./dispatcher.ts";
import { RpcError } from "./errors.ts";
import type { CallInterceptor } from "./intercept.ts";
import { DEFAULT_MAX_FRAME_BYTES } from "./json_splitter.ts";
import type { HandlerMap } from "./methods.ts";
import { refuseConnection } from "./refusal.ts";
import { bindSocketFile, removeSocketFile } from "./socket_file.ts";

export interface ServeRpcOptions {
  /** Socket path; its directory is created, a stale socket replaced, a live one refused. */
  readonly path: string;
  readonly handlers: Partial<HandlerMap>;
  /** Largest request accepted, in bytes (default 1 MiB); a bigger one ends the connection. */
  readonly maxFrameBytes?: number;
  /**
   * Connections served at once; the next ones are refused with an error reply. Default: what
   * the open-file limit leaves after RESERVED_FDS (so accept seldom meets EMFILE), at most
   * DEFAULT_MAX_CONNECTIONS.
   */
  readonly maxConnections?: number;
  /** Told about faults of ours and of connections; handler refusals are not faults. */
  readonly onError?: (error: unknown) => void;
  /** Told when accepting fails or connections are refused, and when that ends (once each). */
  readonly log?: (message: string) => void;
  /** Sees every call to a served method, in both dialects (see intercept.ts). */
  readonly intercept?: CallInterceptor;
}

export interface RpcServer {
  readonly path: string;
  /** Connections being served now (refused ones not counted). */
  readonly connectionCount: number;
  close(): Promise<void>;
}

export const DEFAULT_MAX_CONNECTIONS = 1024;
/** File descriptors left to the rest of the process: state files, child pipes, the runtime. */
export const RESERVED_FDS = 64;
/** Refused connections waiting for their request at once (each holds a file descriptor). */
const MAX_REFUSING = 16;

export async function serveRpc(options: ServeRpcOptions): Promise<RpcServer> {
  const { path } = options;
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 64) {
    throw new RpcError(`Cannot serve on "${path}": maxFrameBytes must be an integer >= 64`, path);
  }
  const maxConnections = options.maxConnections ?? await defaultMaxConnections();
  if (!Number.isSafeInteger(maxConnections) || maxConnections < 1) {
    throw new RpcError(`Cannot serve on "${path}": maxConnections must be an integer >= 1`, path);
  }
  const onError = safely(options.onError);
  const dispatcher = new RpcDispatcher(options.handlers, {
    onError,
    ...(options.intercept && { intercept: options.intercept }),
  });
  const { listener, inode } = await bindSocketFile(path);
  const shutdown = new AbortController();
  const connections = new Connections(dispatcher, {
    maxConnections,
    connection: { maxFrameBytes, signal: shutdown.signal, onError },
    log: safely(options.log),
    onError,
  });
  const accepting = acceptUntilClosed(listener, connections, shutdown.signal, safely(options.log));

  let closing: Promise<void> | null = null;
  return {
    path,
    get connectionCount() {
      return connections.served;
    },
    close() {
      closing ??= (async () => {
        shutdown.abort();
        try {
          listener.close();
        } catch {
          // already closed
        }
        await accepting;
        await connections.settled();
        await removeSocketFile(path, inode);
      })();
      return closing;
    },
  };
}

/** Accepts until the server closes; a failed accept is retried, never the end. */
async function acceptUntilClosed(
  listener: Deno.UnixListener,
  connections: Connections,
  signal: AbortSignal,
  log: (message: string) => void,
): Promise<void> {
  const backoff = new AcceptBackoff(log);
  while (!signal.aborted) {
    let conn: Deno.UnixConn;
    try {
      conn = await listener.accept();
    } catch (error) {
      // Closed (by close(), or under us): the only way out of the loop.
      if (signal.aborted || error instanceof Deno.errors.BadResource) return;
      await backoff.failed(error, signal);
      continue;
    }
    backoff.succeeded();
    connections.take(conn);
  }
}

interface ConnectionsOptions {
  readonly maxConnections: number;
  readonly connection: ConnectionOptions;
  readonly log: (message: string) => void;
  readonly onError: (error: unknown) => void;
}

/** The live connections: served ones up to the limit, refused ones being answered. */
class Connections {
  readonly #served = new Set<Promise<void>>();
  /** In arrival order: at the cap, the one that has waited longest for a request goes. */
  readonly #refusing = new Map<Deno.UnixConn, Promise<void>>();
  readonly #refusals: Burst;

  constructor(
    private readonly dispatcher: RpcDispatcher,
    private readonly opts: ConnectionsOptions,
  ) {
    this.#refusals = new Burst(
      opts.log,
      () => `Refusing new connections: ${opts.maxConnections} are open, the most served at once`,
      (count, ms) => `Serving new connections again after refusing ${count} in ${ms} ms`,
    );
  }

  get served(): number {
    return this.#served.size;
  }

  take(conn: Deno.UnixConn): void {
    try {
      if (this.#served.size < this.opts.maxConnections) {
        this.#refusals.end();
        const served: Promise<void> = serveConnection(conn, this.dispatcher, this.opts.connection)
          .catch(this.opts.onError)
          .finally(() => this.#served.delete(served));
        this.#served.add(served);
      } else this.#refuse(conn);
    } catch (error) {
      // Nothing about one connection may end the accept loop.
      closeQuietly(conn);
      this.opts.onError(error);
    }
  }

  /**
   * A real client sends its request as soon as it connects, so its refusal is answered at
   * once; a connection that sends nothing holds its place at most until the refusal times
   * out, or until MAX_REFUSING newer ones have come (then it is closed first).
   */
  #refuse(conn: Deno.UnixConn): void {
    this.#refusals.hit("");
    if (this.#refusing.size >= MAX_REFUSING) {
      const [oldest] = this.#refusing.keys();
      if (oldest) closeQuietly(oldest);
      this.#refusing.delete(oldest!);
    }
    const message = `Too many connections: the server handles ${this.opts.maxConnections} at ` +
      "once; try again shortly";
    const refusing = refuseConnection(conn, this.dispatcher, message)
      .catch(this.opts.onError)
      .finally(() => {
        if (this.#refusing.get(conn) === refusing) this.#refusing.delete(conn);
      });
    this.#refusing.set(conn, refusing);
  }

  async settled(): Promise<void> {
    await Promise.allSettled([...this.#served, ...this.#refusing.values()]);
  }
}

/** A callback that can never throw into the accept loop. */
function safely<T>(callback: ((value: T) => void) | undefined): (value: T) => void {
  return (value) => {
    try {
      callback?.(value);
    } catch {
      // A failing logger must not take the server down.
    }
  };
}

function closeQuietly(conn: Deno.UnixConn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/** Connections the open-file limit allows with RESERVED_FDS spare, at most the default. */
async function defaultMaxConnections(): Promise<number> {
  let limits = "";
  try {
    limits = await Deno.readTextFile("/proc/self/limits");
  } catch {
    return DEFAULT_MAX_CONNECTIONS;
  }
  const soft = /^Max open files\s+(\d+)/m.exec(limits)?.[1];
  if (soft === undefined) return DEFAULT_MAX_CONNECTIONS; // "unlimited"
  const spare = Number(soft) - RESERVED_FDS - MAX_REFUSING;
  return Math.max(1, Math.min(DEFAULT_MAX_CONNECTIONS, spare));
}
