import assert from "node:assert/strict";
import { describeOsError, osErrorCode } from "./errors.ts";

Deno.test("describeOsError keeps the errno name, the path and says what to do", () => {
  let thrown: unknown;
  try {
    Deno.openSync(`/tmp/${"n".repeat(300)}`, { write: true, create: true });
  } catch (error) {
    thrown = error;
  }
  assert.equal(osErrorCode(thrown), "ENAMETOOLONG");
  const text = describeOsError(thrown);
  assert.match(text, /^ENAMETOOLONG: .*nnnn.*; shorten the path$/);
  assert.equal(describeOsError(new Error("plain")), "plain");
  assert.equal(osErrorCode("text"), undefined);
});
