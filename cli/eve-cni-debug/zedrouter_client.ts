/**
 * How eve-cni-debug reaches zedrouter: the project's RpcClient, behind a connector seam so
 * tests can point it anywhere. Connection failures become "unreachable" (exit 3).
 */
import {
  RpcClient,
  RpcConnectionRefusedError,
  RpcSocketMissingError,
  RpcTimeoutError,
} from "../../rpc/mod.ts";
import type { Dialect } from "../../rpc/mod.ts";

export type ZedrouterConnector = (
  socket: string,
  options: { dialect: Dialect; timeoutMs: number },
) => Promise<RpcClient>;

export function connectZedrouter(
  socket: string,
  options: { dialect: Dialect; timeoutMs: number },
): Promise<RpcClient> {
  return RpcClient.connect(socket, options);
}

/** True for the failures that mean "zedrouter is not there" rather than "it said no". */
export function isUnreachable(error: unknown): boolean {
  return error instanceof RpcSocketMissingError || error instanceof RpcConnectionRefusedError ||
    error instanceof RpcTimeoutError;
}

/** Runs fn with a connected client and always closes it. */
export async function withClient<T>(
  connect: ZedrouterConnector,
  socket: string,
  options: { dialect: Dialect; timeoutMs: number },
  fn: (client: RpcClient) => Promise<T>,
): Promise<T> {
  const client = await connect(socket, options);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/**
 * The `error` member of a raw reply as text: null when there is none (Go sends null), a Go
 * error string verbatim, a JSON-RPC 2.0 error object as JSON.
 */
export function replyErrorText(reply: unknown): string | null {
  const error = (reply as { error?: unknown } | null)?.error;
  if (error === null || error === undefined) return null;
  return typeof error === "string" ? error : JSON.stringify(error);
}
