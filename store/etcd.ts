/**
 * A small etcd v3 client over etcd's JSON gRPC gateway (`POST /v3/kv/range`, `/v3/kv/txn`,
 * keys and values base64): plain `fetch`, nothing to load at start-up.
 *
 * Why not the `etcd3` npm package: under Deno it works from `deno run` (gRPC over node:http2),
 * but our programs ship as `deno bundle` output, and etcd3 loads its `rpc.proto` from its
 * package directory at run time (`__dirname is not defined` in the bundle); importing it also
 * costs ~0.7 s of start-up, for the three calls we need.
 *
 * The gateway speaks proto3 JSON: 64-bit numbers are strings, and a field at its default
 * value is left out (`succeeded: false` and an empty `kvs` do not appear at all).
 */
import * as v from "valibot";
import { errorMessage } from "../core/mod.ts";

/** Endpoints such as `http://127.0.0.1:2379`: http or https, host and port, no path. */
export const EtcdEndpointSchema = v.pipe(
  v.string(),
  v.check((s) => {
    try {
      const url = new URL(s);
      return /^https?:$/.test(url.protocol) && url.pathname === "/" && url.search === "" &&
        url.hostname !== "" && !url.username;
    } catch {
      return false;
    }
  }, 'Expected an etcd client URL such as "http://127.0.0.1:2379"'),
  v.transform((s) => s.replace(/\/$/, "")),
);

export interface EtcdOptions {
  /** Tried in order until one answers. */
  readonly endpoints: readonly string[];
  /** Per request (default 5000 ms). */
  readonly timeoutMs?: number;
}

/** No endpoint answered: names every endpoint tried and why. */
export class EtcdUnreachableError extends Error {
  constructor(readonly endpoints: readonly string[], readonly reasons: readonly string[]) {
    super(
      `Cannot reach etcd at ${endpoints.map((e, i) => `${e} (${reasons[i]})`).join(", ")}; ` +
        "start it or pass the right endpoint",
    );
    this.name = "EtcdUnreachableError";
  }
}

/** etcd answered with an error (the gateway's `{code, message}`). */
export class EtcdRequestError extends Error {
  constructor(readonly endpoint: string, readonly code: number, detail: string) {
    super(`etcd at ${endpoint} refused the request (code ${code}): ${detail}`);
    this.name = "EtcdRequestError";
  }
}

export interface KeyValue {
  readonly key: string;
  readonly value: string;
  readonly createRevision: number;
  readonly modRevision: number;
}

/** A comparison of a transaction's `If`. */
export type Compare =
  | { readonly key: string; readonly createRevision: number }
  | { readonly key: string; readonly value: string };

/** An operation of a transaction's `Then` or `Else`. */
export type Op =
  | { readonly put: string; readonly value: string }
  | { readonly get: string; readonly prefix?: boolean }
  | { readonly delete: string };

export interface TxnResult {
  readonly succeeded: boolean;
  /** The key-values each `get` of the branch that ran read, in order. */
  readonly ranges: readonly (readonly KeyValue[])[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function toBase64(text: string): string {
  return btoa(String.fromCharCode(...encoder.encode(text)));
}

export function fromBase64(b64: string): string {
  return decoder.decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
}

/** The first key after every key that starts with `prefix` (etcd's range_end for a prefix). */
export function prefixEnd(prefix: string): string {
  const bytes = encoder.encode(prefix);
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      const end = bytes.slice(0, i + 1);
      end[i] = bytes[i]! + 1;
      return String.fromCharCode(...end);
    }
  }
  return "\0";
}

const RawKvSchema = v.looseObject({
  key: v.string(),
  value: v.optional(v.string(), ""),
  create_revision: v.optional(v.string(), "0"),
  mod_revision: v.optional(v.string(), "0"),
});
const RangeReplySchema = v.looseObject({ kvs: v.optional(v.array(RawKvSchema), []) });
const TxnReplySchema = v.looseObject({
  succeeded: v.optional(v.boolean(), false),
  responses: v.optional(
    v.array(v.looseObject({ response_range: v.optional(RangeReplySchema) })),
    [],
  ),
});
const ErrorReplySchema = v.looseObject({
  code: v.optional(v.number(), 2),
  message: v.optional(v.string(), ""),
  error: v.optional(v.string(), ""),
});

function toKeyValue(raw: v.InferOutput<typeof RawKvSchema>): KeyValue {
  return {
    key: fromBase64(raw.key),
    value: fromBase64(raw.value),
    createRevision: Number(raw.create_revision),
    modRevision: Number(raw.mod_revision),
  };
}

function rangeRequest(key: string, prefix: boolean): Record<string, string> {
  // A range_end given as raw bytes must be base64 of those bytes, not of their UTF-8 text.
  const end = prefix ? { range_end: btoa(prefixEnd(key)) } : {};
  return { key: toBase64(key), ...end };
}

function compareJson(c: Compare): Record<string, string> {
  if ("createRevision" in c) {
    return {
      key: toBase64(c.key),
      target: "CREATE",
      result: "EQUAL",
      create_revision: String(c.createRevision),
    };
  }
  return { key: toBase64(c.key), target: "VALUE", result: "EQUAL", value: toBase64(c.value) };
}

function opJson(op: Op): Record<string, unknown> {
  if ("put" in op) return { request_put: { key: toBase64(op.put), value: toBase64(op.value) } };
  if ("get" in op) return { request_range: rangeRequest(op.get, op.prefix ?? false) };
  return { request_delete_range: { key: toBase64(op.delete) } };
}

export class EtcdClient {
  readonly endpoints: readonly string[];
  readonly #timeoutMs: number;

  constructor(options: EtcdOptions) {
    if (options.endpoints.length === 0) throw new TypeError("An etcd client needs an endpoint");
    this.endpoints = options.endpoints.map((e) => v.parse(EtcdEndpointSchema, e));
    this.#timeoutMs = options.timeoutMs ?? 5000;
  }

  /** The value at `key` (or every key under it, with `prefix`), oldest key first. */
  async range(key: string, options: { prefix?: boolean } = {}): Promise<KeyValue[]> {
    const reply = v.parse(
      RangeReplySchema,
      await this.#post("/v3/kv/range", rangeRequest(key, options.prefix ?? false)),
    );
    return reply.kvs.map(toKeyValue);
  }

  /** One transaction: if every compare holds, `then` runs, else `orElse`; atomically. */
  async txn(
    compare: readonly Compare[],
    then: readonly Op[],
    orElse: readonly Op[] = [],
  ): Promise<TxnResult> {
    const reply = v.parse(
      TxnReplySchema,
      await this.#post("/v3/kv/txn", {
        compare: compare.map(compareJson),
        success: then.map(opJson),
        failure: orElse.map(opJson),
      }),
    );
    const ranges = reply.responses.flatMap((r) =>
      r.response_range ? [r.response_range.kvs.map(toKeyValue)] : []
    );
    return { succeeded: reply.succeeded, ranges };
  }

  async #post(path: string, body: unknown): Promise<unknown> {
    const reasons: string[] = [];
    for (const endpoint of this.endpoints) {
      let response: Response;
      try {
        response = await fetch(`${endpoint}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
      } catch (error) {
        reasons.push(unreachableReason(error, this.#timeoutMs));
        continue;
      }
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        reasons.push(`answered HTTP ${response.status} with no JSON: not etcd's gateway?`);
        continue;
      }
      if (!response.ok) {
        const e = v.parse(ErrorReplySchema, json);
        throw new EtcdRequestError(endpoint, e.code, e.message || e.error || text.slice(0, 200));
      }
      return json;
    }
    throw new EtcdUnreachableError(this.endpoints, reasons);
  }
}

function unreachableReason(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return `no answer within ${timeoutMs} ms`;
  }
  // Deno's fetch says "fetch failed" and keeps the socket's error in `cause`.
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  const text = errorMessage(cause);
  if (/Connection refused|ECONNREFUSED/i.test(text)) return "connection refused";
  return text.split("\n")[0] ?? text;
}
