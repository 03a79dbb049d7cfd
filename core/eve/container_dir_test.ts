import assert from "node:assert/strict";
import { attachmentPaths } from "./attachment_state.ts";
import { containerDirName, MAX_READABLE_CONTAINER_ID } from "./container_dir.ts";

Deno.test("containerDirName: short ids as they are, long ones hashed, a hashed name maps to itself", () => {
  const containerd = "7974a5ab4045b2fb3164fdf66a32ff22f75795e088873c8ae7afa980858f570b";
  assert.equal(containerDirName(containerd), containerd);
  const limit = "x".repeat(MAX_READABLE_CONTAINER_ID);
  assert.equal(containerDirName(limit), limit);
  const long = `c${"0123456789".repeat(1024)}`;
  const hashed = containerDirName(long);
  assert.match(hashed, /^c0123456789012345678901234567890~[0-9a-f]{64}$/);
  assert.equal(containerDirName(hashed), hashed, "the DHCP hook maps a directory back to itself");
  assert.notEqual(containerDirName(`${long}1`), hashed);
  assert.equal(attachmentPaths("/s", long, "net1").dir, `/s/${hashed}`);
});
