import assert from "node:assert/strict";
import { STANDARD_PATH, toolSearchPath } from "./tool_path.ts";

Deno.test("toolSearchPath: the caller's PATH when it names a directory, else the standard one", () => {
  assert.equal(toolSearchPath({}), STANDARD_PATH);
  assert.equal(toolSearchPath({ PATH: "" }), STANDARD_PATH);
  assert.equal(toolSearchPath({ PATH: "::" }), STANDARD_PATH);
  assert.equal(toolSearchPath({ PATH: "/opt/bin" }), "/opt/bin");
  assert.equal(toolSearchPath({ PATH: "/opt/bin::/usr/bin" }), "/opt/bin::/usr/bin");
});

Deno.test("toolSearchPath: Deno's node shim directory alone counts as no PATH", () => {
  const shim = "/root/.cache/deno/node_compat_bin";
  assert.equal(toolSearchPath({ PATH: shim, DENO_NODE_SHIM_ACTIVE: "1" }), STANDARD_PATH);
  assert.equal(
    toolSearchPath({ PATH: `${shim}:/opt/bin`, DENO_NODE_SHIM_ACTIVE: "1" }),
    `${shim}:/opt/bin`,
  );
  // Without Deno's marker it is an ordinary directory someone chose.
  assert.equal(toolSearchPath({ PATH: shim }), shim);
});
