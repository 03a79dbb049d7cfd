/**
 * The RPC error family. Every failure a caller can meet while talking to zedrouter is one
 * of these classes, so a CNI plugin can map each to its own error code at its boundary
 * (a missing socket is "try again later", a remote error is the handler's refusal, ...).
 * Messages name the socket path, as "which zedrouter?" is the first question when debugging.
 */

/** The base of every RPC failure. */
export class RpcError extends Error {
  constructor(message: string, readonly socketPath: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RpcError";
  }
}

/** The socket file does not exist: zedrouter is not running (yet). */
export class RpcSocketMissingError extends RpcError {
  constructor(socketPath: string, options?: ErrorOptions) {
    super(
      `Cannot connect to "${socketPath}": no such socket (is zedrouter running?)`,
      socketPath,
      options,
    );
    this.name = "RpcSocketMissingError";
  }
}

/** The path exists but nobody accepts connections on it (stale socket, or not a socket). */
export class RpcConnectionRefusedError extends RpcError {
  constructor(socketPath: string, detail: string, options?: ErrorOptions) {
    super(`Cannot connect to "${socketPath}": ${detail}`, socketPath, options);
    this.name = "RpcConnectionRefusedError";
  }
}

/** No reply within the call's deadline. */
export class RpcTimeoutError extends RpcError {
  constructor(socketPath: string, readonly method: string, readonly timeoutMs: number) {
    super(`No reply to ${method} from "${socketPath}" within ${timeoutMs} ms`, socketPath);
    this.name = "RpcTimeoutError";
  }
}

/** The server answered with an error: `remoteMessage` is its string, verbatim. */
export class RpcRemoteError extends RpcError {
  constructor(
    socketPath: string,
    readonly method: string,
    readonly remoteMessage: string,
    /** The JSON-RPC 2.0 error code; undefined in Go's dialect, which has none. */
    readonly code?: number,
  ) {
    super(`${method} on "${socketPath}" failed: ${remoteMessage}`, socketPath);
    this.name = "RpcRemoteError";
  }
}

/** The reply was not JSON, not an envelope of the dialect, or its result failed validation. */
export class RpcMalformedReplyError extends RpcError {
  constructor(socketPath: string, detail: string, options?: ErrorOptions) {
    super(`Malformed reply from "${socketPath}": ${detail}`, socketPath, options);
    this.name = "RpcMalformedReplyError";
  }
}

/** The connection ended (peer closed, client closed, write failed) while a call was pending. */
export class RpcConnectionClosedError extends RpcError {
  constructor(socketPath: string, detail: string, options?: ErrorOptions) {
    super(`Connection to "${socketPath}" closed: ${detail}`, socketPath, options);
    this.name = "RpcConnectionClosedError";
  }
}
