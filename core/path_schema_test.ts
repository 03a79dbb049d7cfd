import assert from "node:assert/strict";
import * as v from "valibot";
import { describeIssues } from "./values.ts";
import { absolutePathSchema, SUN_PATH_MAX_BYTES } from "./path_schema.ts";

function problem(schema: ReturnType<typeof absolutePathSchema>, input: unknown): string {
  const parsed = v.safeParse(schema, input);
  return parsed.success ? "" : describeIssues(parsed.issues);
}

Deno.test("absolutePathSchema: relative, '..', NUL, too long and long components are refused", () => {
  const path = absolutePathSchema(1024, "directory");
  assert.equal(problem(path, "/run/eve-bridge"), "");
  assert.equal(problem(path, "/run/a..b/c."), "", "'..' inside a name is a name");
  assert.match(problem(path, "run/eve-bridge"), /absolute directory \(starting with "\/"\)/);
  assert.match(problem(path, "/run/../etc"), /contains "\.\."/);
  assert.match(problem(path, "/run/x\0y"), /NUL character/);
  assert.match(problem(path, `/${"a".repeat(200)}/${"b".repeat(900)}`), /over the limit of 1024/);
  assert.match(problem(path, `/run/${"a".repeat(256)}`), /over 255 bytes \(NAME_MAX\)/);
  assert.match(problem(path, 7), /as a string, got 7/);
});

Deno.test("absolutePathSchema: a socket path must fit sun_path, counted in bytes", () => {
  const socket = absolutePathSchema(SUN_PATH_MAX_BYTES, "socket path");
  assert.equal(problem(socket, `/${"s".repeat(106)}`), "", "107 bytes fit");
  assert.match(problem(socket, `/${"s".repeat(107)}`), /108 bytes long.*sun_path holds 108/);
  // 54 two-byte characters: 54 characters, 109 bytes.
  assert.match(problem(socket, `/${"é".repeat(54)}`), /109 bytes long/);
});
