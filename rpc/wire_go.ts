/**
 * Go's net/rpc/jsonrpc envelope, as `net/rpc/jsonrpc` reads and writes it:
 * request `{"method":"RPCServer.X","params":[args],"id":N}`, reply
 * `{"id":<raw id echoed>,"result":R,"error":null}` or `{"id":..,"result":null,"error":"msg"}`.
 * Go's decoder matches keys case-insensitively, so we do too. The error strings that
 * net/rpc itself produces are reproduced verbatim: Go clients and humans grep for them.
 */

/** net/rpc's own error strings. */
export const goRpcErrors = {
  illFormed: (serviceMethod: string) => `rpc: service/method request ill-formed: ${serviceMethod}`,
  noService: (serviceMethod: string) => `rpc: can't find service ${serviceMethod}`,
  noMethod: (serviceMethod: string) => `rpc: can't find method ${serviceMethod}`,
  missingParams: "jsonrpc: request body missing params",
} as const;

/** Go's key match: the exact key if present, else the first case-insensitive match. */
export function goLookup(obj: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(obj, key)) return obj[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A request header as net/rpc sees it, before the method is looked up. */
export interface GoRequest {
  readonly serviceMethod: string;
  /** The `params` member; undefined or null when missing (Go: `missing params`). */
  readonly params: unknown;
  /** The id exactly as it should be echoed (JSON text; `null` when absent). */
  readonly idText: string;
}

/**
 * The header of a Go-dialect request, or null when Go's decoder would have failed on it
 * (not an object, `method` not a string): Go's server then closes the connection.
 */
export function readGoRequest(message: unknown, frameText: string): GoRequest | null {
  if (message === null) {
    // Go decodes `null` into the request struct as a no-op: an empty method name.
    return { serviceMethod: "", params: undefined, idText: "null" };
  }
  if (!isRecord(message)) return null;
  const method = goLookup(message, "method");
  if (method !== undefined && method !== null && typeof method !== "string") return null;
  return {
    serviceMethod: (method ?? "") as string,
    params: goLookup(message, "params"),
    idText: rawIdText(goLookup(message, "id"), frameText),
  };
}

/** The id as JSON text; numbers beyond 2^53 are taken from the source so they echo exactly. */
function rawIdText(id: unknown, frameText: string): string {
  if (id === undefined) return "null";
  if (typeof id === "number" && !Number.isSafeInteger(id)) {
    let source: string | undefined;
    JSON.parse(frameText, function (this: unknown, key, value, context?: { source?: string }) {
      if (key.toLowerCase() === "id" && typeof value === "number" && source === undefined) {
        source = context?.source;
      }
      return value;
    });
    if (source !== undefined) return source;
  }
  return JSON.stringify(id);
}

export function goSuccessReply(idText: string, result: unknown): string {
  return `{"id":${idText},"result":${JSON.stringify(result ?? null)},"error":null}\n`;
}

export function goErrorReply(idText: string, message: string): string {
  // A Go client reads "" as "unspecified error"; say so ourselves so failure stays failure.
  return `{"id":${idText},"result":null,"error":${
    JSON.stringify(message || "unspecified error")
  }}\n`;
}

export function goRequestText(id: number, method: string, params: unknown): string {
  const body = params === undefined ? "" : `,"params":${JSON.stringify(params)}`;
  return `{"method":${JSON.stringify(method)}${body},"id":${id}}\n`;
}

/** A Go-dialect reply as Go's client reads it. */
export type GoReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string }
  /** The reply names a call but cannot be read as a reply to it. */
  | { readonly id: number; readonly ok: "malformed"; readonly detail: string };

/**
 * Parses a reply; null when it is not a Go reply at all (no usable id): Go's client then
 * gives up on the connection.
 */
export function readGoReply(message: unknown): GoReply | null {
  if (!isRecord(message)) return null;
  const id = goLookup(message, "id");
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) return null;
  const error = goLookup(message, "error");
  const result = goLookup(message, "result");
  if (error === undefined || error === null) {
    if (result === undefined || result === null) {
      return { id, ok: "malformed", detail: "neither a result nor an error" };
    }
    return { id, ok: true, result };
  }
  if (typeof error !== "string") {
    return { id, ok: "malformed", detail: `error is not a string: ${JSON.stringify(error)}` };
  }
  return { id, ok: false, error: error || "unspecified error" };
}
