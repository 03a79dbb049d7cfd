/**
 * The gate on function length: no function in product code (everything outside tests/ but
 * the `_test.ts` files) is longer than 80 lines, measured on TypeScript's syntax tree.
 */
import assert from "node:assert/strict";
import { longFunctions, MAX_FUNCTION_LINES } from "./function_length.ts";
import { isTestFile, sourceFiles } from "./layering.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/**
 * Functions over the limit that another issue is rewriting, `path#name` → why. An entry that
 * is no longer long fails the test, so the list cannot go stale.
 */
const BEING_REWRITTEN = new Map<string, string>([
  ["rpc/connection.ts#serveConnection", "issue 12 rewrites the server's connection loop"],
]);

Deno.test(`no function in product code is over ${MAX_FUNCTION_LINES} lines`, async () => {
  const long = [];
  for (const file of await sourceFiles(ROOT)) {
    if (isTestFile(file)) continue;
    long.push(...longFunctions(file, await Deno.readTextFile(`${ROOT}/${file}`)));
  }
  const keys = new Set(long.map((f) => `${f.path}#${f.name}`));
  const stale = [...BEING_REWRITTEN.keys()].filter((key) => !keys.has(key));
  assert.deepEqual(stale, [], "BEING_REWRITTEN lists functions that are short now: remove them");
  const over = long.filter((f) => !BEING_REWRITTEN.has(`${f.path}#${f.name}`));
  if (over.length > 0) {
    assert.fail(
      `${over.length} functions are over ${MAX_FUNCTION_LINES} lines; split them into named ` +
        `steps:\n${
          over.map((f) => `  ${f.path}:${f.line} ${f.name} (${f.lines} lines)`).join("\n")
        }`,
    );
  }
});

Deno.test("longFunctions measures every kind of function, nested ones too", () => {
  const body = (n: number) =>
    Array.from({ length: n }, (_, i) => `  const x${i} = ${i};`).join("\n");
  const source = [
    `export function declared() {\n${body(3)}\n}`,
    `const arrow = () => {\n${body(4)}\n};`,
    `class K {\n  method() {\n${body(3)}\n  }\n  constructor() {\n${body(3)}\n  }\n}`,
    `const object = {\n  inner: function () {\n${body(3)}\n  },\n};`,
    `function outer() {\n  const nested = () => {\n${body(3)}\n  };\n}`,
    `function short() {\n${body(1)}\n}`,
    `declare function bodiless(): void;`,
  ].join("\n");
  const found = longFunctions("x.ts", source, 4);
  assert.deepEqual(found.map((f) => [f.name, f.lines]), [
    ["declared", 5],
    ["arrow", 6],
    ["method", 5],
    ["constructor", 5],
    ["inner", 5],
    ["outer", 7],
    ["nested", 5],
  ]);
  assert.equal(found[0]!.line, 1);
});
