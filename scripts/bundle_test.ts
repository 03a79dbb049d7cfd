import assert from "node:assert/strict";
import { staticNodeImports, useLogtapeDenoInspect } from "./bundle.ts";

// What esbuild makes of LogTape's util.node.js, minified, between its neighbours.
const NODE_BUILD =
  'var a=1;import Zc from"node:util";function On(e,t){return Zc.inspect(e,t)}var b=On;';

Deno.test("useLogtapeDenoInspect: LogTape's Node inspect becomes its Deno one, no node: import left", () => {
  const out = useLogtapeDenoInspect(NODE_BUILD);
  assert.deepEqual(staticNodeImports(out), []);
  assert.equal(
    out,
    "var a=1;function On(e,t){return Deno.inspect(e,{colors:t?.colors,depth:t?.depth??void 0," +
      "compact:t?.compact??!0})}var b=On;",
  );
  // The replacement behaves: a module of it runs and inspects like Deno.inspect.
  const inspect = new Function(`${out.replace("var b=On;", "")}return On;`)() as (
    v: unknown,
    o?: object,
  ) => string;
  assert.equal(
    inspect({ a: [1, { b: 2 }] }),
    Deno.inspect({ a: [1, { b: 2 }] }, { compact: true }),
  );
});

Deno.test("useLogtapeDenoInspect: leaves anything else alone", () => {
  // The binding has another use: replacing its import would break it.
  const shared = `${NODE_BUILD}Zc.format("%s",1);`;
  assert.equal(useLogtapeDenoInspect(shared), shared);
  const other = 'import{promisify as p}from"node:util";p(1);';
  assert.equal(useLogtapeDenoInspect(other), other);
  assert.deepEqual(staticNodeImports(other), ["node:util"]);
  assert.deepEqual(staticNodeImports('import"node:process";import*as f from"node:fs";'), [
    "node:process",
    "node:fs",
  ]);
});
