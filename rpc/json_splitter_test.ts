import assert from "node:assert/strict";
import fc from "fast-check";
import { JsonValueSplitter } from "./json_splitter.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function splitAll(splitter: JsonValueSplitter, chunks: Uint8Array[]): string[] {
  const out: string[] = [];
  for (const chunk of chunks) {
    for (const event of splitter.push(chunk)) {
      assert.equal(event.kind, "frame");
      if (event.kind === "frame") out.push(decoder.decode(event.bytes));
    }
  }
  return out;
}

function cut(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const sorted = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const p of sorted) {
    chunks.push(bytes.slice(at, p));
    at = p;
  }
  chunks.push(bytes.slice(at));
  return chunks;
}

Deno.test("splitter: any JSON values, any white space, any cut points give the same values", () => {
  const value = fc.jsonValue({ maxDepth: 4 });
  const space = fc.constantFrom("", " ", "\n", "\r\n", "\t ", "\n\n  ");
  fc.assert(
    fc.property(
      fc.array(fc.tuple(value, space), { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      (values, points) => {
        // Values that are numbers or literals need a separator from the next one.
        const text = values.map(([v, s]) => `${JSON.stringify(v)}${s || " "}`).join("");
        const frames = splitAll(new JsonValueSplitter(), cut(encoder.encode(text), points));
        // Compare as JSON text: -0 is written as 0.
        assert.deepEqual(frames, values.map(([v]) => JSON.stringify(v)));
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("splitter: braces, quotes and backslashes inside strings do not end a value", () => {
  const text = '{"a":"}{\\"\\\\","b":["]",{"c":"\\u007d"}]}\n{"d":"é漢}"}';
  const bytes = encoder.encode(text);
  const oneByOne = [...bytes].map((b) => Uint8Array.of(b));
  const frames = splitAll(new JsonValueSplitter(), oneByOne);
  assert.deepEqual(frames, ['{"a":"}{\\"\\\\","b":["]",{"c":"\\u007d"}]}', '{"d":"é漢}"}']);
});

Deno.test("splitter: a stray closer and a bare word come out as frames for JSON.parse to judge", () => {
  const frames = splitAll(new JsonValueSplitter(), [encoder.encode('} hello {"x":1} ')]);
  assert.deepEqual(frames, ["}", "hello", '{"x":1}']);
});

Deno.test("splitter: a value past the limit is reported once, with its start, and reading stops", () => {
  const splitter = new JsonValueSplitter(64);
  const events = splitter.push(encoder.encode(`{"jsonrpc":"2.0","pad":"${"x".repeat(40)}`));
  assert.deepEqual(events, []);
  const more = splitter.push(encoder.encode(`${"y".repeat(40)}"}{"ok":1}`));
  assert.equal(more.length, 1);
  const event = more[0]!;
  assert.equal(event.kind, "oversize");
  if (event.kind === "oversize") {
    assert.ok(decoder.decode(event.prefix).startsWith('{"jsonrpc":"2.0"'));
    assert.equal(event.limit, 64);
  }
  assert.deepEqual(splitter.push(encoder.encode('{"after":1}')), []);
});

Deno.test("splitter: a value of exactly the limit passes, one byte more does not", () => {
  const value = `{"k":"${"v".repeat(56)}"}`; // 64 bytes
  assert.equal(value.length, 64);
  assert.deepEqual(splitAll(new JsonValueSplitter(64), [encoder.encode(value)]), [value]);
  const events = new JsonValueSplitter(63).push(encoder.encode(value));
  assert.equal(events[0]?.kind, "oversize");
});
