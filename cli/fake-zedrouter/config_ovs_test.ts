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

Deno.test("vlan: 1..4094, switch NIs only, not with a VXLAN uplink", () => {
  const range = problemsOf(`
networkInstances: [{name: s, type: switch, bridge: bn2, vlan: 4095}]
`);
  assert.ok(range.some((p) => /networkInstances\.0\.vlan.*1 to 4094/.test(p)), range.join("\n"));
  const local = problemsOf(`
networkInstances: [{name: l, type: local, bridge: bn1, subnet: 10.1.0.0/24}]
apps:
  - {name: a, uuid: 11111111-aaaa-4aaa-8aaa-111111111111, adapters: [{networkInstance: l, vlan: 7}]}
`);
  assert.ok(
    local.some((p) => /apps\.0\.adapters\.0\.vlan: VLANs are for adapters on a switch/.test(p)),
  );
  const vxlan = problemsOf(`
cluster: {node: a}
networkInstances:
  - {name: s, type: switch, bridge: bn2, vlan: 5, vxlan: {vni: 5, local: 10.0.0.1, remotes: [10.0.0.2]}}
`);
  assert.ok(
    vxlan.some((p) => /networkInstances\.0\.vlan: VLANs are not carried over a VXLAN/.test(p)),
  );
});
