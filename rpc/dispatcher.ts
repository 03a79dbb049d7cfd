/**
 * Server-side dispatch of one message, independent of any transport: a frame of text in,
 * the reply text (or none) out, plus whether the connection must be closed. The dialect is
 * chosen per message: `"jsonrpc":"2.0"` means JSON-RPC 2.0, anything else is Go's.
 */
import { JSONRPCErrorCode, type JSONRPCServer } from "json-rpc-2.0";
import { errorMessage } from "../core/mod.ts";
import type { MethodSpec } from "./contract.ts";
import {
  type CallContext,
  decodeParams,
  type Dialect,
  encodeResult,
  type HandlerMap,
  methodSpec,
  type RunOutcome,
  WireShapeError,
} from "./methods.ts";
import {
  goErrorReply,
  type GoRequest,
  goRpcErrors,
  goSuccessReply,
  isRecord,
  readGoRequest,
} from "./wire_go.ts";
import { jsonrpc2ParseErrorReply, jsonrpc2Server, looksLikeJsonrpc2 } from "./wire_jsonrpc2.ts";

export interface DispatchOutcome {
  /** Reply text, newline-terminated; null when nothing is to be sent. */
  readonly reply: string | null;
  /** Close the connection after sending the reply (Go's server does on undecodable input). */
  readonly close: boolean;
  /** The dialect of the message, when it could be told. */
  readonly dialect: Dialect | null;
}

/** A frame, read but not yet run. */
export type Classified =
  /** Go's server would fail to decode it and hang up. */
  | { readonly kind: "close" }
  /** Answer at once without running anything (a 2.0 parse error). */
  | { readonly kind: "reply"; readonly reply: string; readonly dialect: Dialect }
  | { readonly kind: "go"; readonly request: GoRequest }
  | { readonly kind: "jsonrpc2"; readonly message: unknown };

export interface DispatcherOptions {
  /** Told about faults of ours (a handler's invalid result), never about handler refusals. */
  readonly onError?: (error: unknown) => void;
}

/** A handler plus the method spec, looked up once per name. */
interface Route {
  readonly spec: MethodSpec;
  readonly handler: (params: unknown, ctx: CallContext) => Promise<unknown>;
}

const HANDLER_ERROR_CODE = -32000; // JSON-RPC 2.0 "server error" range: the handler refused

export class RpcDispatcher {
  readonly #routes = new Map<string, Route>();
  readonly #services = new Set<string>();
  readonly #jsonrpc2: JSONRPCServer<CallContext>;
  readonly #onError: (error: unknown) => void;

  constructor(handlers: Partial<HandlerMap>, options: DispatcherOptions = {}) {
    this.#onError = options.onError ?? (() => {});
    for (const [method, handler] of Object.entries(handlers)) {
      const spec = methodSpec(method);
      if (!spec || typeof handler !== "function") continue;
      this.#routes.set(method, { spec, handler: handler as Route["handler"] });
      this.#services.add(method.slice(0, method.lastIndexOf(".")));
    }
    this.#jsonrpc2 = jsonrpc2Server({
      routes: this.#routes.keys(),
      notFound: (method) => this.#notFoundMessage(method),
      run: (method, params, ctx) => this.#run(method, params, ctx),
    });
  }

  /**
   * Reads one frame synchronously: what to do with it before any handler runs. The
   * connection loop uses this so that a frame Go's server would choke on stops reading at
   * once, in order.
   */
  classify(text: string, hint: Dialect = "go"): Classified {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      if (hint === "jsonrpc2" || looksLikeJsonrpc2(text)) {
        return { kind: "reply", reply: jsonrpc2ParseErrorReply(), dialect: "jsonrpc2" };
      }
      return { kind: "close" };
    }
    return this.#classifyMessage(message, text);
  }

  #classifyMessage(message: unknown, text: string): Classified {
    if (isJsonrpc2(message)) return { kind: "jsonrpc2", message };
    const request = readGoRequest(message, text);
    return request ? { kind: "go", request } : { kind: "close" };
  }

  /** One already-parsed message (an in-memory transport, say) to its outcome. */
  async handleMessage(message: unknown, signal: AbortSignal): Promise<DispatchOutcome> {
    return await this.#outcome(this.#classifyMessage(message, JSON.stringify(message)), signal);
  }

  /** Runs a classified request to its reply text (null for a 2.0 notification). */
  async dispatch(
    request: Extract<Classified, { kind: "go" | "jsonrpc2" }>,
    signal: AbortSignal,
  ): Promise<string | null> {
    if (request.kind === "go") return await this.#handleGo(request.request, signal);
    const ctx: CallContext = { dialect: "jsonrpc2", signal };
    const response = await this.#jsonrpc2.receive(request.message as never, ctx);
    return response === null ? null : `${JSON.stringify(response)}\n`;
  }

  /** Both steps for one frame of text: the simplest way to drive the dispatcher. */
  async handleFrame(
    text: string,
    signal: AbortSignal,
    hint: Dialect = "go",
  ): Promise<DispatchOutcome> {
    return await this.#outcome(this.classify(text, hint), signal);
  }

  async #outcome(classified: Classified, signal: AbortSignal): Promise<DispatchOutcome> {
    switch (classified.kind) {
      case "close":
        return { reply: null, close: true, dialect: "go" };
      case "reply":
        return { reply: classified.reply, close: false, dialect: classified.dialect };
      default:
        return {
          reply: await this.dispatch(classified, signal),
          close: false,
          dialect: classified.kind,
        };
    }
  }

  async #handleGo(request: GoRequest, signal: AbortSignal): Promise<string> {
    const { serviceMethod, idText } = request;
    const headerError = this.#headerError(serviceMethod);
    if (headerError) return goErrorReply(idText, headerError);
    const params = request.params;
    if (params === undefined || params === null) {
      return goErrorReply(idText, goRpcErrors.missingParams);
    }
    if (!Array.isArray(params)) {
      return goErrorReply(
        idText,
        `json: cannot unmarshal ${jsonKind(params)} into Go value of type [1]interface {}`,
      );
    }
    // Go unmarshals `params` into a one-element array: `[]` leaves the args at zero values.
    const args = params.length === 0 ? {} : params[0];
    const outcome = await this.#run(serviceMethod, args, { dialect: "go", signal });
    return outcome.ok
      ? goSuccessReply(idText, outcome.wire)
      : goErrorReply(idText, outcome.message);
  }

  /** net/rpc's header checks, in its order: shape of the name, service, method. */
  #headerError(serviceMethod: string): string | null {
    const dot = serviceMethod.lastIndexOf(".");
    if (dot < 0) return goRpcErrors.illFormed(serviceMethod);
    if (this.#routes.has(serviceMethod)) return null;
    return this.#notFoundMessage(serviceMethod);
  }

  #notFoundMessage(serviceMethod: string): string {
    const dot = serviceMethod.lastIndexOf(".");
    if (dot < 0) return goRpcErrors.illFormed(serviceMethod);
    return this.#services.has(serviceMethod.slice(0, dot))
      ? goRpcErrors.noMethod(serviceMethod)
      : goRpcErrors.noService(serviceMethod);
  }

  /** Decodes params, runs the handler, encodes the result; never throws. */
  async #run(method: string, wireParams: unknown, ctx: CallContext): Promise<RunOutcome> {
    const route = this.#routes.get(method)!;
    let params: unknown;
    try {
      params = decodeParams(route.spec, ctx.dialect, wireParams);
    } catch (e) {
      const detail = e instanceof WireShapeError ? e.message : String(e);
      return {
        ok: false,
        message: `Invalid params for ${method}: ${detail}`,
        code: JSONRPCErrorCode.InvalidParams,
      };
    }
    let result: unknown;
    try {
      result = await route.handler(params, ctx);
    } catch (e) {
      return { ok: false, message: errorText(e), code: HANDLER_ERROR_CODE };
    }
    try {
      return { ok: true, wire: encodeResult(route.spec, ctx.dialect, result) };
    } catch (e) {
      this.#onError(new Error(`Handler of ${method} returned an invalid result: ${errorText(e)}`));
      return {
        ok: false,
        message: `Internal error: invalid result from ${method}`,
        code: JSONRPCErrorCode.InternalError,
      };
    }
  }
}

/** The thrown value as EVE-style plain text. */
function errorText(e: unknown): string {
  // Go's client reads an empty error string as "unspecified error": say the same.
  const text = errorMessage(e);
  return text || "unspecified error";
}

function jsonKind(value: unknown): string {
  if (typeof value === "object") return value === null ? "null" : "object";
  return typeof value === "boolean" ? "bool" : typeof value;
}

function isJsonrpc2(message: unknown): boolean {
  if (Array.isArray(message)) return message.length > 0 && message.some(isJsonrpc2);
  return isRecord(message) && message["jsonrpc"] === "2.0";
}
