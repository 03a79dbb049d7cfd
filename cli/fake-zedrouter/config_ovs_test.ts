/** fake-zedrouter config: `bridgeType` (linux | ovs) on each NI and the `ovs:` section. */
import assert from "node:assert/strict";
import { ConfigError, parseConfigText } from "./config.ts";

function problemsOf(text: string): string[] {
  try {
    parseConfigText(text);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  assert.fail("expected the config to be rejected");
}

Deno.test("bridgeType defaults to linux; ovs takes the ovs: section's defaults", () => {
  const config = parseConfigText(`
networkInstances:
  - {name: a, type: local, bridge: bn1, subnet: 10.1.0.0/24}
  - {name: b, type: switch, bridge: obr2, bridgeType: ovs, port: eth1}
`);
  assert.deepEqual(config.networkInstances.map((ni) => ni.bridgeType), ["linux", "ovs"]);
  assert.deepEqual(config.ovs, { db: "/run/openvswitch/db.sock", datapathType: "system" });
  const userspace = parseConfigText(`
ovs: {db: /tmp/x/db.sock, datapathType: netdev}
networkInstances: [{name: a, type: local, bridge: obr1, bridgeType: ovs, subnet: 10.1.0.0/24}]
`);
  assert.deepEqual(userspace.ovs, { db: "/tmp/x/db.sock", datapathType: "netdev" });
});

Deno.test("bridgeType and ovs: are validated, naming the field and the choices", () => {
  const bad = problemsOf(`
ovs: {db: run/db.sock, datapathType: dpdk}
networkInstances:
  - {name: a, type: local, bridge: bn1, bridgeType: openvswitch, subnet: 10.1.0.0/24}
`);
  assert.ok(bad.some((p) => /bridgeType.*"linux".*"ovs"/.test(p)), bad.join("\n"));
  assert.ok(bad.some((p) => /ovs\.db.*absolute path/.test(p)), bad.join("\n"));
  assert.ok(bad.some((p) => /datapathType.*"system".*"netdev"/.test(p)), bad.join("\n"));
  const vxlan = problemsOf(`
cluster: {node: a}
networkInstances:
  - name: s
    type: switch
    bridge: obr1
    bridgeType: ovs
    vxlan: {vni: 5, local: 10.0.0.1, remotes: [10.0.0.2]}
`);
  assert.ok(vxlan.some((p) => /networkInstances\.0\.bridgeType: a VXLAN uplink/.test(p)));
});
