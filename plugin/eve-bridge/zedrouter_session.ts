/**
 * One CNI invocation's conversation with zedrouter: the socket is dialled ONCE and every call
 * of the invocation goes over that connection (ids 0, 1, ... as EVE's Go client sends them),
 * in Go's net/rpc/jsonrpc dialect. RPC failures become CNI errors here, at the boundary:
 * - no socket, refused, no reply in time: code 11 (try again later): zedrouter is starting,
 *   restarting or busy, and the runtime retries;
 * - zedrouter answered with an error: 103, with zedrouter's own string in the message;
 * - anything else (garbled reply, connection dropped mid-call): 103 as well.
 */
import { errorMessage } from "../../core/mod.ts";
import {
  type MethodName,
  type ParamsOf,
  type ResultOf,
  RpcClient,
  RpcConnectionRefusedError,
  RpcRemoteError,
  RpcSocketMissingError,
  RpcTimeoutError,
} from "../../rpc/mod.ts";
import { CniError, CniErrorCode, type CniLogger, EveErrorCode } from "../cni/mod.ts";

type EveMethod = MethodName & `RPCServer.${string}`;

function isUnavailable(error: unknown): boolean {
  return error instanceof RpcSocketMissingError ||
    error instanceof RpcConnectionRefusedError ||
    error instanceof RpcTimeoutError;
}

/** The CNI error for a failed dial or call; `step` says what we were doing ("ConnectPodAtL2"). */
export function zedrouterError(error: unknown, socket: string, step: string): CniError {
  if (error instanceof CniError) return error;
  const text = errorMessage(error);
  if (isUnavailable(error)) {
    return new CniError(
      CniErrorCode.TryAgainLater,
      `zedrouter is not reachable on "${socket}" (${step})`,
      `${text}; check that zedrouter runs, or fix "zedrouterSocket" in the config`,
    );
  }
  if (error instanceof RpcRemoteError) {
    return new CniError(
      EveErrorCode.ZedrouterFailed,
      `zedrouter refused ${step}: ${error.remoteMessage}`,
      `Socket "${socket}"`,
    );
  }
  // A garbled reply, a connection dropped mid-call (RpcError) or anything unexpected.
  return new CniError(EveErrorCode.ZedrouterFailed, `zedrouter ${step} failed`, text);
}

export class ZedrouterSession {
  readonly #client: RpcClient;
  readonly #logger: CniLogger;
  readonly socket: string;

  private constructor(client: RpcClient, socket: string, logger: CniLogger) {
    this.#client = client;
    this.socket = socket;
    this.#logger = logger;
  }

  /**
   * Dials `socket`; code 11 naming the socket when nobody listens there. `timeoutMs` bounds
   * the dial and is each call's default deadline (the client's 10 s unless given).
   */
  static async open(
    socket: string,
    logger: CniLogger,
    timeoutMs?: number,
  ): Promise<ZedrouterSession> {
    try {
      return new ZedrouterSession(
        await RpcClient.connect(socket, {
          dialect: "go",
          ...(timeoutMs !== undefined && { timeoutMs }),
        }),
        socket,
        logger,
      );
    } catch (error) {
      throw zedrouterError(error, socket, "dial");
    }
  }

  /**
   * Calls an EVE method; failures come out as CniErrors (see the file comment). `quiet`: a
   * failure the caller expects is logged at debug level, not as a warning.
   */
  async call<M extends EveMethod>(
    method: M,
    params: ParamsOf<M>,
    options: { quiet?: boolean; timeoutMs?: number } = {},
  ): Promise<ResultOf<M>> {
    const started = performance.now();
    const step = method.slice("RPCServer.".length);
    try {
      const result = await this.#client.call(
        method,
        params,
        options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
      );
      this.#logger.debug("zedrouter {method} answered", {
        method: step,
        rpcMs: Math.round(performance.now() - started),
      });
      return result;
    } catch (error) {
      const fields = {
        method: step,
        error: errorMessage(error),
        rpcMs: Math.round(performance.now() - started),
      };
      const message = "zedrouter {method} failed: {error}";
      if (options.quiet) this.#logger.debug(message, fields);
      else this.#logger.warn(message, fields);
      throw zedrouterError(error, this.socket, step);
    }
  }

  async close(): Promise<void> {
    await this.#client.close().catch(() => {});
  }
}

/** Runs `body` with a fresh session, always closing it. */
export async function withZedrouter<T>(
  socket: string,
  logger: CniLogger,
  body: (session: ZedrouterSession) => Promise<T>,
  timeoutMs?: number,
): Promise<T> {
  const session = await ZedrouterSession.open(socket, logger, timeoutMs);
  try {
    return await body(session);
  } finally {
    await session.close();
  }
}
