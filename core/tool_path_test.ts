import assert from "node:assert/strict";
import { STANDARD_PATH, toolSearchPath } from "./tool_path.ts";

Deno.test("toolSearchPath: the caller's PATH first, then the standard directories it lacks", () => {
  assert.equal(toolSearchPath({}), STANDARD_PATH);
  assert.equal(toolSearchPath({ PATH: "" }), STANDARD_PATH);
  assert.equal(toolSearchPath({ PATH: "::" }), STANDARD_PATH);
  assert.equal(toolSearchPath({ PATH: STANDARD_PATH }), STANDARD_PATH);
  assert.equal(toolSearchPath({ PATH: "/opt/bin" }), `/opt/bin:${STANDARD_PATH}`);
  // A CI job's bare PATH: dnsmasq and sysctl live in the sbin directories it lacks.
  assert.equal(
    toolSearchPath({ PATH: "/usr/bin:/bin" }),
    "/usr/bin:/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/sbin",
  );
});

Deno.test("toolSearchPath: Deno's node shim directory alone counts as no PATH", () => {
  const shim = "/root/.cache/deno/node_compat_bin";
  assert.equal(toolSearchPath({ PATH: shim, DENO_NODE_SHIM_ACTIVE: "1" }), STANDARD_PATH);
  assert.equal(
    toolSearchPath({ PATH: `${shim}:/opt/bin`, DENO_NODE_SHIM_ACTIVE: "1" }),
    `${shim}:/opt/bin:${STANDARD_PATH}`,
  );
  // Without Deno's marker it is an ordinary directory someone chose.
  assert.equal(toolSearchPath({ PATH: shim }), `${shim}:${STANDARD_PATH}`);
});
