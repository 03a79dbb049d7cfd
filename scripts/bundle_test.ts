import assert from "node:assert/strict";
import { staticNodeImports, useCreateRequire, useLogtapeDenoInspect } from "./bundle.ts";

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

// esbuild's minified stand-in for `require`, named `$r` (which `deno bundle` left in place).
const REQUIRE_SHIM =
  `var $r=(n=>typeof require<"u"?require:typeof Proxy<"u"?new Proxy(n,{get:(e,t)=>` +
  `(typeof require<"u"?require:e)[t]}):n)(function(n){if(typeof require<"u")return ` +
  `require.apply(this,arguments);throw Error('Dynamic require of "'+n+'" is not supported')});`;

Deno.test("useCreateRequire: esbuild's require stand-in becomes Node's createRequire, whatever its name", async () => {
  const out = useCreateRequire(`var a=1;${REQUIRE_SHIM}var p=$r("node:process");`);
  assert.equal(
    out,
    'var a=1;import{createRequire as __deno_internal_createRequire}from"node:module";' +
      'var $r=__deno_internal_createRequire(import.meta.url);var p=$r("node:process");',
  );
  // As a module it runs, and its require works.
  const file = await Deno.makeTempFile({ suffix: ".mjs" });
  try {
    await Deno.writeTextFile(file, `${out}export const pid=p.pid;`);
    const module = await import(`file://${file}`);
    assert.equal(module.pid, Deno.pid);
  } finally {
    await Deno.remove(file);
  }
  const plain = "var a=1;export{a};";
  assert.equal(useCreateRequire(plain), plain);
});
