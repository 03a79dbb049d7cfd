/**
 * eve-bridge's program file imports no `node:` module statically: one such import makes Deno
 * boot its Node compatibility layer on every call before the first line runs (VERSION went
 * from 34 to 73 ms of CPU with a `node:crypto` import; issue 11). Reads the built file
 * (`deno task build` runs before the tests).
 */
import assert from "node:assert/strict";
import { staticNodeImports } from "../scripts/bundle.ts";

const FILE = new URL("../dist/bin/eve-bridge", import.meta.url).pathname;
const built = (() => {
  try {
    return Deno.statSync(FILE).isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name: `eve-bridge's program file has no static node: import${
    built ? "" : " (skipped: not built)"
  }`,
  ignore: !built,
  fn: () => {
    assert.deepEqual(staticNodeImports(Deno.readTextFileSync(FILE)), []);
  },
});
