/**
 * The typed view of the method table that the client and server share: handler and params
 * types per method, and the one place that decides how a method's params and result look
 * on the wire of each dialect. EVE's methods (`go: true`) are Go-encoded in Go's dialect;
 * everything else is the friendly form, checked by its valibot schema.
 */
import * as v from "valibot";
import { describeIssues, errorMessage } from "../core/mod.ts";
import type { MethodSpec } from "./contract.ts";
import { decodeGo, encodeGo } from "./go_codec.ts";
import type { Friendly } from "./go_types.ts";
import { ALL_METHODS, type MethodName } from "./inspect_contract.ts";

/** `go`: Go's net/rpc/jsonrpc, what EVE speaks. `jsonrpc2`: JSON-RPC 2.0, friendly params. */
export type Dialect = "go" | "jsonrpc2";

type Methods = typeof ALL_METHODS;
export type ParamsOf<M extends MethodName> = Friendly<Methods[M]["params"]>;
export type ResultOf<M extends MethodName> = Friendly<Methods[M]["result"]>;

export interface CallContext {
  /** The dialect the request came in. */
  readonly dialect: Dialect;
  /** Aborted when the connection closes or the server shuts down. */
  readonly signal: AbortSignal;
}

/**
 * The outcome of running a known method: the result (as the handler gave it, and as it goes
 * on the wire) or the error to report.
 */
export type RunOutcome =
  | { readonly ok: true; readonly wire: unknown; readonly result: unknown }
  | { readonly ok: false; readonly message: string; readonly code: number };

export type Handler<M extends MethodName> = (
  params: ParamsOf<M>,
  ctx: CallContext,
) => Promise<ResultOf<M>>;

export type HandlerMap = { [M in MethodName]: Handler<M> };

/** The spec of a known method, or undefined (names come from the wire: no prototype keys). */
export function methodSpec(method: string): MethodSpec | undefined {
  return Object.hasOwn(ALL_METHODS, method)
    ? (ALL_METHODS as Record<string, MethodSpec>)[method]
    : undefined;
}

/** A wire value that does not fit the method's params or result; the message names fields. */
export class WireShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WireShapeError";
  }
}

function isGoEncoded(spec: MethodSpec, dialect: Dialect): boolean {
  return spec.go && dialect === "go";
}

function toWire(spec: MethodSpec, which: "params" | "result", dialect: Dialect, value: unknown) {
  const type = spec[which];
  // Validate before encoding: the Go encoder trusts its input (a bad MAC would become junk).
  const parsed = v.safeParse(type.schema, value);
  if (!parsed.success) throw new WireShapeError(describeIssues(parsed.issues));
  return isGoEncoded(spec, dialect) ? encodeGo(type, parsed.output) : parsed.output;
}

function fromWire(spec: MethodSpec, which: "params" | "result", dialect: Dialect, wire: unknown) {
  const type = spec[which];
  if (isGoEncoded(spec, dialect)) {
    try {
      return decodeGo(type, wire);
    } catch (e) {
      throw new WireShapeError(errorMessage(e));
    }
  }
  const parsed = v.safeParse(type.schema, wire);
  if (!parsed.success) throw new WireShapeError(describeIssues(parsed.issues));
  return parsed.output;
}

export function encodeParams(spec: MethodSpec, dialect: Dialect, params: unknown): unknown {
  return toWire(spec, "params", dialect, params);
}
export function decodeParams(spec: MethodSpec, dialect: Dialect, wire: unknown): unknown {
  return fromWire(spec, "params", dialect, wire);
}
export function encodeResult(spec: MethodSpec, dialect: Dialect, result: unknown): unknown {
  return toWire(spec, "result", dialect, result);
}
export function decodeResult(spec: MethodSpec, dialect: Dialect, wire: unknown): unknown {
  return fromWire(spec, "result", dialect, wire);
}
