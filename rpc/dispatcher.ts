/**
 * Server-side dispatch of one message, independent of any transport: a frame of text in,
 * the reply text (or none) out, plus whether the connection must be closed. The dialect is
 * chosen per message: `"jsonrpc":"2.0"` means JSON-RPC 2.0, anything else is Go's.
 */
import { JSONRPCErrorCode, type JSONRPCServer } from "json-rpc-2.0";
import { errorMessage } from "../core/mod.ts";
import type { MethodSpec } from "./contract.ts";
import {
  type CallInterceptor,
  type InterceptedCall,
  type InterceptOutcome,
  SERVER_ERROR_CODE,
} from "./intercept.ts";
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

/** What `dispatch` returns instead of a reply when the connection is to be closed unanswered. */
export const DROP_CONNECTION: unique symbol = Symbol("drop the connection");

/** A dispatched request's reply text, null (nothing to send) or DROP_CONNECTION. */
export type DispatchReply = string | null | typeof DROP_CONNECTION;

export interface DispatchOutcome {
  /** Reply text, newline-terminated; null when nothing is to be sent. */
  readonly reply: string | null;
  /**
   * Close the connection after sending the reply (Go's server does on undecodable input;
   * an interceptor may ask for it).
   */
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
  /** Sees every call to a served method, in both dialects (see intercept.ts). */
  readonly intercept?: CallInterceptor;
}

/** A handler plus the method spec, looked up once per name. */
interface Route {
  readonly spec: MethodSpec;
  readonly handler: (params: unknown, ctx: CallContext) => Promise<unknown>;
}

/** A call the interceptor dropped, as the 2.0 package sees it (never sent). */
const DROPPED: RunOutcome = { ok: false, message: "Connection dropped", code: SERVER_ERROR_CODE };

export class RpcDispatcher {
  readonly #routes = new Map<string, Route>();
  readonly #services = new Set<string>();
  readonly #jsonrpc2: JSONRPCServer<CallContext>;
  readonly #onError: (error: unknown) => void;
  readonly #intercept: CallInterceptor;
  /** 2.0 dispatches (by their context) in which a call was dropped. */
  readonly #dropped = new WeakSet<CallContext>();

  constructor(handlers: Partial<HandlerMap>, options: DispatcherOptions = {}) {
    this.#onError = options.onError ?? (() => {});
    this.#intercept = options.intercept ?? ((_call, next) => next());
    for (const [method, handler] of Object.entries(handlers)) {
      const spec = methodSpec(method);
      if (!spec || typeof handler !== "function") continue;
      this.#routes.set(method, { spec, handler: handler as Route["handler"] });
      this.#services.add(method.slice(0, method.lastIndexOf(".")));
    }
    this.#jsonrpc2 = jsonrpc2Server({
      routes: this.#routes.keys(),
      notFound: (method) => this.#notFoundMessage(method),
      run: async (method, params, ctx) => {
        const outcome = await this.#run(method, params, ctx);
        if (outcome.ok !== "drop") return outcome;
        this.#dropped.add(ctx);
        return DROPPED;
      },
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

  /**
   * Runs a classified request to its reply text (null for a 2.0 notification), or
   * DROP_CONNECTION when the interceptor dropped it (in a 2.0 batch: any of its calls).
   */
  async dispatch(
    request: Extract<Classified, { kind: "go" | "jsonrpc2" }>,
    signal: AbortSignal,
  ): Promise<DispatchReply> {
    if (request.kind === "go") return await this.#handleGo(request.request, signal);
    const ctx: CallContext = { dialect: "jsonrpc2", signal };
    const response = await this.#jsonrpc2.receive(request.message as never, ctx);
    if (this.#dropped.has(ctx)) return DROP_CONNECTION;
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
      default: {
        const reply = await this.dispatch(classified, signal);
        return reply === DROP_CONNECTION
          ? { reply: null, close: true, dialect: classified.kind }
          : { reply, close: false, dialect: classified.kind };
      }
    }
  }

  async #handleGo(request: GoRequest, signal: AbortSignal): Promise<DispatchReply> {
    const { serviceMethod, idText } = request;
    const headerError = this.#headerError(serviceMethod);
    if (headerError) return goErrorReply(idText, headerError);
    const ctx: CallContext = { dialect: "go", signal };
    const params = request.params;
    let outcome: InterceptOutcome;
    if (params === undefined || params === null) {
      outcome = await this.#refuse(serviceMethod, params, ctx, goRpcErrors.missingParams);
    } else if (!Array.isArray(params)) {
      const message = `json: cannot unmarshal ${
        jsonKind(params)
      } into Go value of type [1]interface {}`;
      outcome = await this.#refuse(serviceMethod, params, ctx, message);
    } else {
      // Go unmarshals `params` into a one-element array: `[]` leaves the args at zero values.
      outcome = await this.#run(serviceMethod, params.length === 0 ? {} : params[0], ctx);
    }
    if (outcome.ok === "drop") return DROP_CONNECTION;
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

  /** A request for a served method whose envelope is refused: the interceptor still sees it. */
  #refuse(
    method: string,
    wireParams: unknown,
    ctx: CallContext,
    message: string,
  ): Promise<InterceptOutcome> {
    const call = {
      method,
      dialect: ctx.dialect,
      params: undefined,
      wireParams,
      signal: ctx.signal,
    };
    return this.#through(call, () => Promise.resolve({ ok: false, message, code: INVALID }));
  }

  /** Decodes params, then runs the handler through the interceptor; never throws. */
  #run(method: string, wireParams: unknown, ctx: CallContext): Promise<InterceptOutcome> {
    const route = this.#routes.get(method)!;
    let params: unknown;
    let refusal: RunOutcome | undefined;
    try {
      params = decodeParams(route.spec, ctx.dialect, wireParams);
    } catch (e) {
      const detail = e instanceof WireShapeError ? e.message : String(e);
      const message = `Invalid params for ${method}: ${detail}`;
      refusal = { ok: false, message, code: JSONRPCErrorCode.InvalidParams };
    }
    const call = { method, dialect: ctx.dialect, params, wireParams, signal: ctx.signal };
    return this.#through(
      call,
      () => refusal ? Promise.resolve(refusal) : this.#invoke(method, route, params, ctx),
    );
  }

  /** The interceptor around `next`; an interceptor that throws is our fault, not the caller's. */
  async #through(
    call: InterceptedCall,
    next: () => Promise<RunOutcome>,
  ): Promise<InterceptOutcome> {
    try {
      return await this.#intercept(call, next);
    } catch (e) {
      this.#onError(new Error(`Interceptor failed on ${call.method}: ${errorText(e)}`));
      return {
        ok: false,
        message: `Internal error in ${call.method}`,
        code: JSONRPCErrorCode.InternalError,
      };
    }
  }

  /** Runs the handler and encodes its result. */
  async #invoke(
    method: string,
    route: Route,
    params: unknown,
    ctx: CallContext,
  ): Promise<RunOutcome> {
    let result: unknown;
    try {
      result = await route.handler(params, ctx);
    } catch (e) {
      return { ok: false, message: errorText(e), code: SERVER_ERROR_CODE };
    }
    try {
      return { ok: true, wire: encodeResult(route.spec, ctx.dialect, result), result };
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

/** The code of a request the envelope check refused (Go's dialect reports only the text). */
const INVALID = JSONRPCErrorCode.InvalidRequest;

function jsonKind(value: unknown): string {
  if (typeof value === "object") return value === null ? "null" : "object";
  return typeof value === "boolean" ? "bool" : typeof value;
}

function isJsonrpc2(message: unknown): boolean {
  if (Array.isArray(message)) return message.length > 0 && message.some(isJsonrpc2);
  return isRecord(message) && message["jsonrpc"] === "2.0";
}
