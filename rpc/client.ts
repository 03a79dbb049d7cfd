/**
 * The RPC client: one connection, many calls in flight, replies matched by id (ids start
 * at 0 per connection, as Go's client does). Go's dialect by default, so it talks to EVE's
 * real zedrouter; JSON-RPC 2.0 on request. Every failure is one of the `RpcError` classes.
 */
import { after, type Timer } from "../core/timers.ts";
import { errorMessage } from "../core/mod.ts";
import { DEFAULT_CALL_TIMEOUT_MS } from "../core/eve/mod.ts";
import { type ByteStream, writeAll } from "./byte_stream.ts";
import {
  RpcConnectionClosedError,
  RpcConnectionRefusedError,
  RpcError,
  RpcMalformedReplyError,
  RpcRemoteError,
  RpcSocketMissingError,
  RpcTimeoutError,
} from "./errors.ts";
import type { MethodName } from "./inspect_contract.ts";
import { JsonValueSplitter } from "./json_splitter.ts";
import {
  decodeResult,
  type Dialect,
  encodeParams,
  methodSpec,
  type ParamsOf,
  type ResultOf,
  WireShapeError,
} from "./methods.ts";
import { type GoReply, goRequestText, readGoReply } from "./wire_go.ts";
import { type Jsonrpc2Reply, jsonrpc2RequestText, readJsonrpc2Reply } from "./wire_jsonrpc2.ts";

// zedrouter itself gives each call 10 s; waiting longer only hides a stuck server.
export { DEFAULT_CALL_TIMEOUT_MS };
/** Replies (an Inspect listing, say) may be larger than any request. */
const MAX_REPLY_BYTES = 16 * 1024 * 1024;
const READ_BUFFER_BYTES = 64 * 1024;

export interface ConnectOptions {
  /** `go` (default): Go's net/rpc/jsonrpc, what EVE speaks. `jsonrpc2`: JSON-RPC 2.0. */
  readonly dialect?: Dialect;
  /** Default deadline of each call, in ms (10 s unless given). */
  readonly timeoutMs?: number;
}

export interface CallOptions {
  readonly timeoutMs?: number;
}

/** One raw exchange, for printing by eve-cni-debug. */
export interface RawExchange {
  /** The request exactly as written (newline included). */
  readonly request: string;
  /** The reply exactly as read (one JSON value, no trailing newline). */
  readonly replyText: string;
  /** The reply parsed, not validated. */
  readonly reply: unknown;
}

interface Pending {
  readonly method: string;
  readonly resolve: (reply: unknown, text: string) => void;
  readonly reject: (error: Error) => void;
}

export class RpcClient {
  readonly #stream: ByteStream;
  readonly #pending = new Map<number, Pending>();
  readonly #encoder = new TextEncoder();
  readonly #reading: Promise<void>;
  readonly #timeoutMs: number;
  #nextId = 0;
  #closedReason: string | null = null;
  #writes = Promise.resolve();

  private constructor(
    stream: ByteStream,
    readonly path: string,
    readonly dialect: Dialect,
    timeoutMs: number,
  ) {
    this.#stream = stream;
    this.#timeoutMs = timeoutMs;
    this.#reading = this.#readLoop();
  }

  /** Dials the socket at `path`. */
  static async connect(path: string, options: ConnectOptions = {}): Promise<RpcClient> {
    const stream = await dial(path, options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS);
    return RpcClient.over(stream, path, options);
  }

  /** A client over an already open stream (a memory pair in tests); `path` names it in errors. */
  static over(stream: ByteStream, path: string, options: ConnectOptions = {}): RpcClient {
    return new RpcClient(
      stream,
      path,
      options.dialect ?? "go",
      options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
    );
  }

  /** Calls a method of the contract: params validated and encoded, the result decoded. */
  async call<M extends MethodName>(
    method: M,
    params: ParamsOf<M>,
    options: CallOptions = {},
  ): Promise<ResultOf<M>> {
    const spec = methodSpec(method);
    if (!spec) throw new RpcError(`Unknown method "${method}"`, this.path);
    let wire: unknown;
    try {
      wire = encodeParams(spec, this.dialect, params);
    } catch (e) {
      const detail = e instanceof WireShapeError ? e.message : String(e);
      throw new RpcError(`Invalid params for ${method}: ${detail}`, this.path);
    }
    const wireParams = this.dialect === "go" ? [wire] : wire;
    const { reply } = await this.#exchange(method, wireParams, options);
    const parsed = this.#readReply(reply);
    if (!parsed || parsed.ok === "malformed") {
      const detail = parsed ? parsed.detail : "not a reply envelope";
      throw new RpcMalformedReplyError(this.path, `reply to ${method}: ${detail}`);
    }
    if (!parsed.ok) {
      const code = "code" in parsed ? parsed.code : undefined;
      throw new RpcRemoteError(this.path, method, parsed.error, code);
    }
    try {
      return decodeResult(spec, this.dialect, parsed.result) as ResultOf<M>;
    } catch (e) {
      const detail = errorMessage(e);
      throw new RpcMalformedReplyError(this.path, `result of ${method}: ${detail}`);
    }
  }

  /**
   * Sends any method with `params` exactly as given (the whole `params` member: `[args]`
   * in Go's dialect; undefined leaves it out) and returns the reply unvalidated. A remote
   * error is part of the reply, not thrown.
   */
  async callRaw(
    method: string,
    wireParams: unknown,
    options: CallOptions = {},
  ): Promise<RawExchange> {
    return await this.#exchange(method, wireParams, options);
  }

  /** Closes the connection; pending calls fail with `RpcConnectionClosedError`. */
  async close(): Promise<void> {
    this.#shutDown("the client closed it", RpcConnectionClosedError);
    await this.#reading;
  }

  #readReply(reply: unknown): GoReply | Jsonrpc2Reply | null {
    return this.dialect === "go" ? readGoReply(reply) : readJsonrpc2Reply(reply);
  }

  async #exchange(method: string, wireParams: unknown, options: CallOptions): Promise<RawExchange> {
    if (this.#closedReason !== null) {
      throw new RpcConnectionClosedError(this.path, this.#closedReason);
    }
    const id = this.#nextId++;
    const request = this.dialect === "go"
      ? goRequestText(id, method, wireParams)
      : jsonrpc2RequestText(id, method, wireParams);
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    let timer: Timer | undefined;
    const replied = new Promise<RawExchange>((resolve, reject) => {
      this.#pending.set(id, {
        method,
        resolve: (reply, replyText) => resolve({ request, replyText, reply }),
        reject,
      });
      timer = after(timeoutMs, () => {
        // The id stays issued: a late reply is recognised and dropped.
        this.#pending.delete(id);
        reject(new RpcTimeoutError(this.path, method, timeoutMs));
      });
    });
    this.#writes = this.#writes.then(async () => {
      try {
        await writeAll(this.#stream, this.#encoder.encode(request));
      } catch (e) {
        this.#fail(
          id,
          new RpcConnectionClosedError(this.path, `cannot send ${method}`, { cause: e }),
        );
      }
    });
    try {
      return await replied;
    } finally {
      timer?.cancel();
    }
  }

  #fail(id: number, error: Error): void {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    pending?.reject(error);
  }

  async #readLoop(): Promise<void> {
    const splitter = new JsonValueSplitter(MAX_REPLY_BYTES);
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(READ_BUFFER_BYTES);
    try {
      while (this.#closedReason === null) {
        const n = await this.#stream.read(buffer);
        if (n === null) {
          const count = this.#pending.size;
          this.#shutDown(
            `the server hung up${count ? ` with ${count} call(s) pending` : ""}`,
            RpcConnectionClosedError,
          );
          return;
        }
        for (const event of splitter.push(buffer.subarray(0, n))) {
          if (event.kind === "oversize") {
            this.#shutDown(`a reply exceeds ${event.limit} bytes`, RpcMalformedReplyError);
            return;
          }
          const text = decoder.decode(event.bytes);
          const problem = this.#route(text);
          if (problem) {
            this.#shutDown(problem, RpcMalformedReplyError);
            return;
          }
        }
      }
    } catch (e) {
      this.#shutDown(
        `read failed: ${e instanceof Error ? e.message : e}`,
        RpcConnectionClosedError,
      );
    }
  }

  /** Hands one reply to its call; returns why the stream cannot be trusted any more, if so. */
  #route(text: string): string | null {
    let reply: unknown;
    try {
      reply = JSON.parse(text);
    } catch {
      return `not JSON: ${abbreviate(text)}`;
    }
    const parsed = this.#readReply(reply);
    if (!parsed) {
      return `not a ${this.dialect === "go" ? "Go" : "JSON-RPC 2.0"} reply: ${abbreviate(text)}`;
    }
    if (parsed.id >= this.#nextId) return `reply to id ${parsed.id}, which was never sent`;
    const pending = this.#pending.get(parsed.id);
    this.#pending.delete(parsed.id);
    pending?.resolve(reply, text); // no pending call: it timed out; drop the late reply
    return null;
  }

  #shutDown(reason: string, ErrorClass: new (path: string, detail: string) => RpcError): void {
    if (this.#closedReason !== null) return;
    this.#closedReason = reason;
    try {
      this.#stream.close();
    } catch {
      // already closed
    }
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      pending.reject(new ErrorClass(this.path, `${reason} (while ${pending.method} was pending)`));
    }
  }
}

function abbreviate(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}...` : text);
}

/**
 * Opens the socket, turning the OS errors into the RPC error family. Bounded by the call
 * timeout too: a wedged server whose accept backlog is full must not hang the caller.
 */
async function dial(path: string, timeoutMs: number): Promise<Deno.UnixConn> {
  const connecting = Deno.connect({ transport: "unix", path });
  let timer: Timer | undefined;
  const expired = new Promise<null>((resolve) => timer = after(timeoutMs, () => resolve(null)));
  try {
    const conn = await Promise.race([connecting, expired]);
    if (conn === null) {
      connecting.then((late) => late.close(), () => {});
      throw new RpcTimeoutError(path, "connect", timeoutMs);
    }
    return conn;
  } catch (e) {
    if (e instanceof RpcError) throw e;
    if (e instanceof Deno.errors.NotFound) throw new RpcSocketMissingError(path, { cause: e });
    if (e instanceof Deno.errors.ConnectionRefused) {
      const isSocket = await Deno.lstat(path).then((i) => i.isSocket, () => true);
      const detail = isSocket
        ? "connection refused (stale socket: nobody is listening)"
        : "connection refused (the path is not a socket)";
      throw new RpcConnectionRefusedError(path, detail, { cause: e });
    }
    const detail = errorMessage(e);
    throw new RpcError(`Cannot connect to "${path}": ${detail}`, path, { cause: e });
  } finally {
    timer?.cancel();
  }
}

/** Dials, calls once, closes: one CNI invocation's worth of RPC. */
export async function callOnce<M extends MethodName>(
  path: string,
  method: M,
  params: ParamsOf<M>,
  options: ConnectOptions = {},
): Promise<ResultOf<M>> {
  const client = await RpcClient.connect(path, options);
  try {
    return await client.call(method, params);
  } finally {
    await client.close();
  }
}
