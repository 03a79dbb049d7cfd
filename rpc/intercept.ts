/**
 * A hook around every call the dispatcher runs, in both dialects: it sees the method, the
 * params as decoded (the friendly form: MACs and CIDRs as text) and the outcome, and may
 * delay the call, answer it itself, never answer it, or have the connection dropped. It is
 * generic: what it records or injects is the server's business (fake-zedrouter's journal
 * and faults), not the RPC layer's.
 */
import type { Dialect, RunOutcome } from "./methods.ts";

export type { RunOutcome };

/** One call as the interceptor sees it, before it runs. */
export interface InterceptedCall {
  /** The method as the request named it (a method the server serves). */
  readonly method: string;
  readonly dialect: Dialect;
  /** The params in their friendly form; undefined when they did not decode (see `next`). */
  readonly params: unknown;
  /** The params as the request carried them (Go-encoded in Go's dialect). */
  readonly wireParams: unknown;
  /** Aborted when the connection closes or the server shuts down. */
  readonly signal: AbortSignal;
}

/** What an interceptor may answer with besides an outcome: close the connection, say nothing. */
export interface DropConnection {
  readonly ok: "drop";
}

export type InterceptOutcome = RunOutcome | DropConnection;

/**
 * Called once per call. `next()` runs the call (handler and result encoding; for params
 * that did not decode it returns the invalid-params error) and may be skipped. An
 * interceptor must not throw: its outcome is the call's.
 */
export type CallInterceptor = (
  call: InterceptedCall,
  next: () => Promise<RunOutcome>,
) => Promise<InterceptOutcome>;

/** The code of an error the server chose to return (JSON-RPC 2.0's "server error" range). */
export const SERVER_ERROR_CODE = -32000;
