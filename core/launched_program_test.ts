import assert from "node:assert/strict";
import { launchedProgramFile } from "./launched_program.ts";

Deno.test("launchedProgramFile: the launcher's file when the main module is its fd", () => {
  assert.equal(
    launchedProgramFile("file:///proc/self/fd/7", { EVE_CNI_SELF: "/opt/cni/bin/eve-bridge" }),
    "/opt/cni/bin/eve-bridge",
  );
  assert.equal(
    launchedProgramFile("file:///proc/self/fd/7", {
      EVE_CNI_SELF: "/work/./bin/../cni/eve-bridge",
    }),
    "/work/cni/eve-bridge",
  );
  assert.equal(launchedProgramFile("file:///proc/self/fd/7", {}), undefined);
  assert.equal(
    launchedProgramFile("file:///proc/self/fd/7", { EVE_CNI_SELF: "eve-bridge" }),
    undefined,
  );
});

Deno.test("launchedProgramFile: the file itself when /proc was missing, never an inherited value", () => {
  assert.equal(
    launchedProgramFile("file:///cni/bin/eve-bridge", { EVE_CNI_SELF: "/cni/./bin/eve-bridge" }),
    "/cni/bin/eve-bridge",
  );
  // From source, or a test, with a value some launcher up the process tree exported.
  assert.equal(
    launchedProgramFile("file:///repo/plugin/eve-bridge/main.ts", {
      EVE_CNI_SELF: "/cni/bin/eve-bridge",
    }),
    undefined,
  );
  assert.equal(
    launchedProgramFile("https://example.com/x.js", { EVE_CNI_SELF: "/cni/bin/eve-bridge" }),
    undefined,
  );
});
