/**
 * JSON-RPC 2.0, through the `json-rpc-2.0` package: params in the friendly form (camelCase
 * keys, MACs as text), as an object or a one-element array; standard error codes. Method
 * lookup and "not found" text are shared with Go's dialect, so both say the same thing.
 */
import {
  createJSONRPCErrorResponse,
  createJSONRPCRequest,
  createJSONRPCSuccessResponse,
  isJSONRPCResponse,
  JSONRPCErrorCode,
  JSONRPCErrorException,
  type JSONRPCRequest,
  JSONRPCServer,
} from "json-rpc-2.0";
import { errorMessage } from "../core/mod.ts";
import type { CallContext, RunOutcome } from "./methods.ts";

/** Whether unparsable text was meant as JSON-RPC 2.0 (to answer it with a parse error). */
export function looksLikeJsonrpc2(text: string): boolean {
  return /"jsonrpc"\s*:\s*"2\.0"/.test(text);
}

export function jsonrpc2ParseErrorReply(): string {
  return `${
    JSON.stringify(createJSONRPCErrorResponse(null, JSONRPCErrorCode.ParseError, "Parse error"))
  }\n`;
}

export function jsonrpc2ErrorReply(code: number, message: string): string {
  return `${JSON.stringify(createJSONRPCErrorResponse(null, code, message))}\n`;
}

export interface Jsonrpc2Routes {
  readonly routes: Iterable<string>;
  readonly notFound: (method: string) => string;
  readonly run: (method: string, params: unknown, ctx: CallContext) => Promise<RunOutcome>;
}

/** A 2.0 server whose methods run through the shared dispatch; the package does the envelope. */
export function jsonrpc2Server(routes: Jsonrpc2Routes): JSONRPCServer<CallContext> {
  // Handler refusals are normal answers: no console noise (the default listener warns).
  const server = new JSONRPCServer<CallContext>({ errorListener: () => {} });
  for (const method of routes.routes) {
    server.addMethodAdvanced(method, async (request: JSONRPCRequest, ctx: CallContext) => {
      const outcome = await routes.run(method, unwrapParams(method, request.params), ctx);
      if (!outcome.ok) throw new JSONRPCErrorException(outcome.message, outcome.code);
      return request.id === undefined
        ? null
        : createJSONRPCSuccessResponse(request.id, outcome.wire);
    });
  }
  server.handleMethodNotFound = (request: JSONRPCRequest) =>
    Promise.resolve(
      request.id === undefined ? null : createJSONRPCErrorResponse(
        request.id,
        JSONRPCErrorCode.MethodNotFound,
        routes.notFound(request.method),
      ),
    );
  server.mapErrorToJSONRPCErrorResponse = (id, error: unknown) =>
    error instanceof JSONRPCErrorException
      ? createJSONRPCErrorResponse(id, error.code, error.message, error.data)
      : createJSONRPCErrorResponse(
        id,
        JSONRPCErrorCode.InternalError,
        errorMessage(error),
      );
  return server;
}

/** Params as an object, or an array holding exactly that object; absent means `{}`. */
function unwrapParams(method: string, params: unknown): unknown {
  if (params === undefined) return {};
  if (!Array.isArray(params)) return params;
  if (params.length === 1) return params[0];
  throw new JSONRPCErrorException(
    `Invalid params for ${method}: expected an object or a one-element array, got ${params.length} elements`,
    JSONRPCErrorCode.InvalidParams,
  );
}

export function jsonrpc2RequestText(id: number, method: string, params: unknown): string {
  return `${JSON.stringify(createJSONRPCRequest(id, method, params))}\n`;
}

export type Jsonrpc2Reply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string; readonly code: number };

/** A 2.0 reply to one of our calls (numeric id), or null when it is not one. */
export function readJsonrpc2Reply(message: unknown): Jsonrpc2Reply | null {
  if (!isJSONRPCResponse(message)) return null;
  const id = message.id;
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) return null;
  if (message.error) {
    return { id, ok: false, error: String(message.error.message), code: message.error.code };
  }
  return { id, ok: true, result: message.result };
}
