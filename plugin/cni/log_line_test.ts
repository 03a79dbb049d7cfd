import assert from "node:assert/strict";
import {
  configure,
  dispose,
  getLogger,
  jsonLinesFormatter,
  type LogRecord,
} from "@logtape/logtape";
import fc from "fast-check";
import { formatLogLine, type LogLevel } from "./log_line.ts";

/** The line LogTape's jsonLinesFormatter writes for the same call, through LogTape itself. */
async function logtapeLine(
  level: LogLevel,
  template: string,
  fields: Record<string, unknown>,
  properties: Record<string, unknown>,
): Promise<{ line: string; timestamp: number }> {
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { main: (record) => records.push(record) },
    loggers: [
      { category: ["eve-bridge"], sinks: ["main"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
  });
  getLogger(["eve-bridge"]).with(fields)[level === "warning" ? "warn" : level](
    template,
    properties,
  );
  await dispose();
  return { line: jsonLinesFormatter(records[0]!), timestamp: records[0]!.timestamp };
}

Deno.test("formatLogLine: the same bytes as LogTape's jsonLinesFormatter", async () => {
  const error = new Error("boom", { cause: new TypeError("inner") });
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const cases: Array<[LogLevel, string, Record<string, unknown>]> = [
    ["info", "Attached {ifname} to app {appUUID}", { ifname: "net1", appUUID: "u-1", l2Ms: 12 }],
    ["debug", "Started {command}", { config: { a: [1, { b: null }] }, netns: "/x" }],
    ["warning", "Cannot add {address}: {error}", { address: "10.0.0.1/24", error: "EEXIST" }],
    ["error", "Failed: {error} {missing} {{literal}}", { error, n: 10n, cyclic }],
    ["info", "no placeholders \u0085 ctl", { s: "tab\tnl\n\u2028 \u009f" }],
    ["info", "{count} items, {ok}", { count: 3, ok: true, when: new Date(0) }],
    ["info", "odd {braces { {a}} {{ok} {b c}} }", { a: 1, ok: 2, "b c": "x" }],
  ];
  for (const [level, template, properties] of cases) {
    const fields = { command: "ADD", containerID: "c1", ifname: "eth0", podName: "p" };
    const props = { ...properties, durationMs: 5 };
    const expected = await logtapeLine(level, template, fields, props);
    assert.equal(
      formatLogLine(level, template, { ...fields, ...props }, expected.timestamp),
      expected.line,
    );
  }
});

Deno.test("formatLogLine fills any template as LogTape does, odd braces and C1 controls included", async () => {
  const piece = fc.constantFrom(
    "{",
    "}",
    "{{",
    "}}",
    "a",
    " a ",
    "b c",
    "\u007f",
    "\u0085",
    "{a}",
    "{}",
  );
  const properties = { a: 1, " a ": "spaced\u009f", "b c": [1, 2] };
  const fields = { command: "DEL" };
  await fc.assert(
    fc.asyncProperty(fc.array(piece, { maxLength: 10 }).map((p) => p.join("")), async (t) => {
      const expected = await logtapeLine("info", t, fields, properties);
      assert.equal(
        formatLogLine("info", t, { ...fields, ...properties }, expected.timestamp),
        expected.line,
      );
    }),
    { numRuns: 300 },
  );
});
