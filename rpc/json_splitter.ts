/**
 * Cuts a byte stream into JSON values the way Go's `json.Decoder` reads them: values
 * separated by any white space, no length prefix, split arbitrarily across reads. Only the
 * structure is tracked (depth, strings, escapes); `JSON.parse` judges each value later, so
 * a malformed value still comes out as one frame and the caller decides what to do.
 *
 * Works on bytes: the structural characters are ASCII and never occur inside a multi-byte
 * UTF-8 sequence, so no decoding is needed to find the boundaries.
 */

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

/** The default frame size limit: far above any real request (a few hundred bytes). */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

export type SplitEvent =
  | { readonly kind: "frame"; readonly bytes: Uint8Array }
  /** The current value grew past the limit; the splitter stops (the stream is lost). */
  | { readonly kind: "oversize"; readonly prefix: Uint8Array; readonly limit: number };

type Mode = "idle" | "container" | "string" | "scalar";

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function endsScalar(b: number): boolean {
  return isSpace(b) || b === OPEN_BRACE || b === CLOSE_BRACE || b === OPEN_BRACKET ||
    b === CLOSE_BRACKET || b === QUOTE || b === COMMA;
}

export class JsonValueSplitter {
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #mode: Mode = "idle";
  #depth = 0;
  #inString = false;
  #escape = false;
  #overflowed = false;

  constructor(readonly maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {}

  /** True while part of a value has been read but not its end. */
  get inValue(): boolean {
    return this.#mode !== "idle";
  }

  /** Feeds one read; returns the values it completed, in order. */
  push(chunk: Uint8Array): SplitEvent[] {
    const events: SplitEvent[] = [];
    if (this.#overflowed) return events;
    let start = this.#mode === "idle" ? -1 : 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      let end = -1; // exclusive end of a completed value in this chunk
      switch (this.#mode) {
        case "idle":
          if (isSpace(b)) continue;
          start = i;
          if (b === OPEN_BRACE || b === OPEN_BRACKET) {
            this.#mode = "container";
            this.#depth = 1;
            this.#inString = false;
            this.#escape = false;
          } else if (b === QUOTE) {
            this.#mode = "string";
            this.#escape = false;
          } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET || b === COMMA) {
            end = i + 1; // a stray closer: a one-byte malformed value
          } else {
            this.#mode = "scalar";
          }
          break;
        case "container":
          if (this.#inString) {
            if (this.#escape) this.#escape = false;
            else if (b === BACKSLASH) this.#escape = true;
            else if (b === QUOTE) this.#inString = false;
          } else if (b === QUOTE) {
            this.#inString = true;
          } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
            this.#depth++;
          } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
            if (--this.#depth === 0) end = i + 1;
          }
          break;
        case "string":
          if (this.#escape) this.#escape = false;
          else if (b === BACKSLASH) this.#escape = true;
          else if (b === QUOTE) end = i + 1;
          break;
        case "scalar":
          if (endsScalar(b)) {
            end = i;
            i--; // the byte after a number or literal starts the next value
          }
          break;
      }
      if (end >= 0) {
        const event = this.#complete(chunk.subarray(start, end));
        events.push(event);
        if (event.kind === "oversize") return events;
        start = -1;
      }
    }
    if (this.#mode !== "idle" && start >= 0) {
      const rest = chunk.slice(start); // copy: the caller may reuse its read buffer
      this.#pending.push(rest);
      this.#pendingBytes += rest.length;
      if (this.#pendingBytes > this.maxFrameBytes) events.push(this.#overflow());
    }
    return events;
  }

  #complete(tail: Uint8Array): SplitEvent {
    this.#mode = "idle";
    if (this.#pendingBytes + tail.length > this.maxFrameBytes) {
      this.#pending.push(tail);
      return this.#overflow();
    }
    if (this.#pending.length === 0) return { kind: "frame", bytes: tail.slice() };
    const bytes = new Uint8Array(this.#pendingBytes + tail.length);
    let at = 0;
    for (const part of this.#pending) {
      bytes.set(part, at);
      at += part.length;
    }
    bytes.set(tail, at);
    this.#pending = [];
    this.#pendingBytes = 0;
    return { kind: "frame", bytes };
  }

  #overflow(): SplitEvent {
    this.#overflowed = true;
    const first = this.#pending[0] ?? new Uint8Array();
    this.#pending = [];
    this.#pendingBytes = 0;
    return { kind: "oversize", prefix: first.slice(0, 256), limit: this.maxFrameBytes };
  }
}
