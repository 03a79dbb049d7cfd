import assert from "node:assert/strict";
import { pathsOfEventFile } from "./lease_follow.ts";

Deno.test("pathsOfEventFile: the attachment of <stateDir>/<containerID>/<ifname>.events", () => {
  assert.deepEqual(pathsOfEventFile("/run/eve-bridge/c-1.a_b/net1.events"), {
    dir: "/run/eve-bridge/c-1.a_b",
    state: "/run/eve-bridge/c-1.a_b/net1.json",
    events: "/run/eve-bridge/c-1.a_b/net1.events",
    pid: "/run/eve-bridge/c-1.a_b/net1.pid",
    lock: "/run/eve-bridge/c-1.a_b/net1.lock",
    reserve: "/run/eve-bridge/c-1.a_b/net1.reserve",
    routing: "/run/eve-bridge/c-1.a_b/net1.routing",
  });
});

Deno.test("pathsOfEventFile: anything else is refused", () => {
  for (
    const bad of [
      "",
      "net1.events",
      "/run/eve-bridge/net1.json",
      "relative/c/net1.events",
      "/run/../etc/c/net1.events",
      "/run/eve-bridge/.hidden/net1.events",
    ]
  ) {
    assert.throws(() => pathsOfEventFile(bad), Error, bad);
  }
});
