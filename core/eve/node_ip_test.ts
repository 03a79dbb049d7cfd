import assert from "node:assert/strict";
import * as v from "valibot";
import { describeIssues } from "../values.ts";
import { isNodeIp, nodeIpCidr, NodeIpSchema } from "./node_ip.ts";

Deno.test("nodeIP: EVE's host-prefix form and a bare IP, both families", () => {
  assert.equal(v.parse(NodeIpSchema, "192.168.1.10/32"), "192.168.1.10");
  assert.equal(v.parse(NodeIpSchema, "192.168.1.10"), "192.168.1.10");
  assert.equal(v.parse(NodeIpSchema, "FD00::0:10/128"), "fd00::10");
  assert.equal(v.parse(NodeIpSchema, "fd00::10"), "fd00::10");
  assert.equal(nodeIpCidr("192.168.1.10"), "192.168.1.10/32");
  assert.equal(nodeIpCidr("192.168.1.10/32"), "192.168.1.10/32");
  assert.equal(nodeIpCidr("fd00::10"), "fd00::10/128");
});

Deno.test("nodeIP: a network prefix, the other family's host prefix or junk is refused", () => {
  for (
    const bad of [
      "192.168.1.10/24",
      "192.168.1.10/0",
      "192.168.1.10/128",
      "fd00::10/64",
      "fd00::10/32",
      "192.168.1.10/32/32",
      "192.168.1.10/",
      "192.168.1/32",
      "node1",
      "",
    ]
  ) {
    assert.ok(!isNodeIp(bad), bad);
    const parsed = v.safeParse(NodeIpSchema, bad);
    assert.ok(!parsed.success, bad);
    const text = describeIssues(parsed.issues);
    assert.ok(text.includes(`got ${JSON.stringify(bad)}`), text);
    assert.match(text, /"192\.168\.1\.10\/32"/);
  }
});
