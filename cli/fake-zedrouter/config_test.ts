import assert from "node:assert/strict";
import fc from "fast-check";
import { ConfigError, parseConfigText } from "./config.ts";
import { DEFAULT_CONFIG_YAML, defaultConfig } from "./default_config.ts";
import { uuidFromName } from "./identity.ts";
import { ipToInt } from "./ipv4.ts";

const APP_UUID = "1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d";

function problemsOf(text: string): string[] {
  try {
    parseConfigText(text);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  assert.fail("expected the config to be rejected");
}

Deno.test("the default config resolves with derived UUIDs, MACs and addresses", () => {
  const config = defaultConfig();
  assert.deepEqual(config.networkInstances.map((n) => [n.name, n.type, n.bridge]), [
    ["ni-local", "local", "bn1"],
    ["ni-airgap", "switch", "bn2"],
  ]);
  assert.equal(config.networkInstances[0]!.uuid, uuidFromName("ni-local"));
  const [nginx, vm] = config.apps;
  assert.equal(nginx!.kubeName, "nginx-1a2b3");
  assert.deepEqual(nginx!.adapters[0], {
    index: 0,
    niName: "ni-local",
    niUuid: uuidFromName("ni-local"),
    mac: "02:16:3e:00:00:01",
    ip: "10.11.12.50",
    vlan: null,
  });
  assert.equal(vm!.kubeName, "ubuntu-vm-9f8e7");
  const [local, airgap] = vm!.adapters;
  assert.ok(local!.ip !== null);
  const ip = ipToInt(local!.ip);
  assert.ok(ip < ipToInt("10.11.12.100") || ip > ipToInt("10.11.12.200"), "outside dhcpRange");
  assert.notEqual(local!.ip, "10.11.12.1");
  assert.equal(airgap!.ip, null);
  assert.ok(airgap!.mac.startsWith("02:16:3e:"));
  // Deterministic: the same text resolves to the same values.
  assert.deepEqual(parseConfigText(DEFAULT_CONFIG_YAML), config);
});

Deno.test("JSON configs work too and an empty file is an empty config", () => {
  const config = parseConfigText(JSON.stringify({
    networkInstances: [{ name: "n", type: "switch", bridge: "br0", port: "eth1" }],
  }));
  assert.deepEqual(config.networkInstances[0], {
    name: "n",
    uuid: uuidFromName("n"),
    type: "switch",
    bridge: "br0",
    bridgeType: "linux",
    port: "eth1",
    vxlan: null,
    vlan: null,
    mtu: 1500,
  });
  assert.deepEqual(parseConfigText(""), {
    cluster: null,
    ovs: { db: "/run/openvswitch/db.sock", datapathType: "system" },
    networkInstances: [],
    apps: [],
    faults: [],
  });
});

Deno.test("schema problems name the field path", () => {
  const problems = problemsOf(`
networkInstances:
  - name: a
    type: local
    bridge: "bad/name"
    subnet: 10.0.0.0/24
  - name: b
    type: bridge
    bridge: bn9
`);
  assert.ok(problems.some((p) => p.startsWith("networkInstances.0.bridge:")), problems.join());
  assert.ok(problems.some((p) => p.includes('"local" or "switch"')), problems.join());
});

Deno.test("unknown keys are rejected (typos do not pass silently)", () => {
  const problems = problemsOf(`networkInstances:\n  - {name: a, type: switch, bridge: b, prot: x}`);
  assert.match(problems.join(), /prot/);
});

Deno.test("cross-entry rules: duplicates, references, addresses", () => {
  const problems = problemsOf(`
networkInstances:
  - {name: a, type: local, bridge: bn1, subnet: 10.0.0.0/24, gateway: 10.0.1.1}
  - {name: a, type: switch, bridge: bn1}
  - {name: c, type: local, bridge: bn3, subnet: 10.0.5.7/24}
  - {name: d, type: local, bridge: bn4, subnet: 10.0.4.0/24, dhcpRange: 10.0.4.1-10.0.4.9}
apps:
  - name: x
    uuid: ${APP_UUID}
    adapters:
      - {networkInstance: nope}
      - {networkInstance: a, mac: "02:00:00:00:00:01", ip: 10.9.9.9}
  - name: y
    uuid: ${APP_UUID}
    adapters:
      - {networkInstance: a, mac: "02:00:00:00:00:01"}
      - {networkInstance: a, mac: "03:00:00:00:00:01"}
`);
  const text = problems.join("\n");
  assert.match(text, /networkInstances\.1\.name: "a" is used twice/);
  assert.match(text, /networkInstances\.1\.bridge: "bn1" is already used/);
  assert.match(text, /networkInstances\.0\.gateway: "10\.0\.1\.1" is not a host address/);
  assert.match(text, /networkInstances\.2\.subnet: .*use "10\.0\.5\.0\/24"/);
  assert.match(text, /networkInstances\.3\.dhcpRange: .*contains the gateway 10\.0\.4\.1/);
});

Deno.test("app rules: references, MACs, addresses, names", () => {
  const nis = `
networkInstances:
  - {name: a, type: local, bridge: bn1, subnet: 10.0.0.0/24}
  - {name: s, type: switch, bridge: bn2}
`;
  const problems = problemsOf(`${nis}
apps:
  - name: x
    uuid: ${APP_UUID}
    adapters:
      - {networkInstance: nope}
      - {networkInstance: a, mac: "02:00:00:00:00:01", ip: 10.9.9.9}
      - {networkInstance: a, ip: 10.0.0.1}
      - {networkInstance: s, ip: 10.0.0.7}
  - name: x
    uuid: ${APP_UUID}
    adapters:
      - {networkInstance: a, mac: "02:00:00:00:00:01", ip: 10.0.0.20}
      - {networkInstance: a, mac: "03:00:00:00:00:01", ip: 10.0.0.20}
`);
  const text = problems.join("\n");
  assert.match(text, /apps\.0\.adapters\.0\.networkInstance: no network instance "nope"/);
  assert.match(text, /apps\.0\.adapters\.1\.ip: "10\.9\.9\.9" is not a host address/);
  assert.match(text, /apps\.0\.adapters\.2\.ip: "10\.0\.0\.1" is already the gateway/);
  assert.match(text, /apps\.0\.adapters\.3\.ip: only adapters on a local network instance/);
  assert.match(text, /apps\.1\.adapters\.0\.mac: "02:00:00:00:00:01" is already the MAC/);
  assert.match(text, /apps\.1\.adapters\.1\.mac: .* is multicast/);
  assert.match(text, /apps\.1\.adapters\.1\.ip: "10\.0\.0\.20" is already the address/);
  assert.match(text, /apps\.1\.name: "x" is used twice/);
  assert.match(text, /apps\.1\.uuid: .* is already the UUID of app "x"/);
});

Deno.test("bridges and ports may not be named like app veths (nbu<N>x<M>)", () => {
  const problems = problemsOf(`
networkInstances:
  - {name: a, type: local, bridge: nbu1x1, subnet: 10.0.0.0/24}
  - {name: b, type: switch, bridge: bn2, port: nbu2x17}
  - {name: c, type: switch, bridge: nbu10x3}
  - {name: d, type: switch, bridge: nbu1, port: nbu1x}
`);
  assert.deepEqual(problems, [
    'networkInstances.0.bridge: "nbu1x1" is reserved for app veths (nbu<N>x<M>); use another ' +
    'name, such as "bn1"',
    'networkInstances.1.port: "nbu2x17" is reserved for app veths (nbu<N>x<M>); use another ' +
    'name, such as "eth1"',
    'networkInstances.2.bridge: "nbu10x3" is reserved for app veths (nbu<N>x<M>); use another ' +
    'name, such as "bn2"',
  ]);
});

Deno.test("adapter MACs are 6 bytes and not all zero", () => {
  const problems = problemsOf(`
networkInstances: [{name: a, type: local, bridge: bn1, subnet: 10.0.0.0/24}]
apps:
  - name: x
    uuid: ${APP_UUID}
    adapters:
      - {networkInstance: a, mac: "00:00:00:00:00:00"}
      - {networkInstance: a, mac: "02:16:3e:00:00:01:02"}
      - {networkInstance: a, mac: "02:16:3E:00:00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f"}
      - {networkInstance: a, mac: "02:16:3e:00:00:02"}
`);
  assert.deepEqual(problems, [
    "apps.0.adapters.0.mac: The all-zero MAC is not a usable address; use one such as " +
    '"02:16:3e:00:00:01" or omit it',
    'apps.0.adapters.1.mac: "02:16:3e:00:00:01:02" is not 6 bytes; an adapter MAC looks like ' +
    '"02:16:3e:00:00:01"',
    'apps.0.adapters.2.mac: "02:16:3e:00:00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f" is ' +
    'not 6 bytes; an adapter MAC looks like "02:16:3e:00:00:01"',
  ]);
});

Deno.test("local NI subnets may not overlap; both NIs are named", () => {
  const problems = problemsOf(`
networkInstances:
  - {name: small, type: local, bridge: bn1, subnet: 10.1.0.0/24}
  - {name: big, type: local, bridge: bn2, subnet: 10.1.0.0/16}
  - {name: inner, type: local, bridge: bn3, subnet: 10.2.3.0/28}
  - {name: outer, type: local, bridge: bn4, subnet: 10.2.0.0/22}
  - {name: next, type: local, bridge: bn5, subnet: 10.1.1.0/24, gateway: 10.1.1.1}
  - {name: sw, type: switch, bridge: bn6}
`);
  assert.deepEqual(problems, [
    'networkInstances.1.subnet: 10.1.0.0/16 of network instance "big" overlaps 10.1.0.0/24 of ' +
    'network instance "small"; give each local network instance a subnet of its own',
    'networkInstances.3.subnet: 10.2.0.0/22 of network instance "outer" overlaps 10.2.3.0/28 ' +
    'of network instance "inner"; give each local network instance a subnet of its own',
    'networkInstances.4.subnet: 10.1.1.0/24 of network instance "next" overlaps 10.1.0.0/16 ' +
    'of network instance "big"; give each local network instance a subnet of its own',
  ]);
  // Neighbours that only touch are fine.
  parseConfigText(`
networkInstances:
  - {name: a, type: local, bridge: bn1, subnet: 10.1.0.0/24}
  - {name: b, type: local, bridge: bn2, subnet: 10.1.1.0/24}
  - {name: c, type: local, bridge: bn3, subnet: 10.0.255.252/30}
`);
});

Deno.test("derived MACs step around explicit ones", () => {
  const config = parseConfigText(`
networkInstances: [{name: a, type: local, bridge: bn1, subnet: 10.0.0.0/24}]
apps:
  - {name: x, uuid: ${APP_UUID}, adapters: [{networkInstance: a}, {networkInstance: a}]}
`);
  const macs = config.apps[0]!.adapters.map((a) => a.mac);
  assert.equal(new Set(macs).size, 2);
  const ips = config.apps[0]!.adapters.map((a) => a.ip);
  assert.equal(new Set(ips).size, 2);
});

Deno.test("a full subnet is reported", () => {
  const problems = problemsOf(`
networkInstances:
  - {name: a, type: local, bridge: bn1, subnet: 10.0.0.0/30}
apps:
  - {name: x, uuid: ${APP_UUID}, adapters: [{networkInstance: a}, {networkInstance: a}]}
`);
  assert.match(problems.join(), /no free address left in 10\.0\.0\.0\/30/);
});

Deno.test("a YAML syntax error is one clear problem", () => {
  assert.match(problemsOf("networkInstances: [").join(), /Not valid YAML or JSON/);
});

Deno.test("property: resolved adapters get unique MACs and free in-subnet addresses", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 24, max: 28 }),
      fc.array(fc.tuple(fc.uuid(), fc.integer({ min: 0, max: 3 })), { maxLength: 6 }),
      fc.boolean(),
      (prefix, appSpecs, withRange) => {
        const uuids = new Set(appSpecs.map(([u]) => u.toLowerCase()));
        fc.pre(uuids.size === appSpecs.length);
        const hosts = 2 ** (32 - prefix) - 2;
        const range = withRange ? "\n    dhcpRange: 10.5.0.2-10.5.0.4" : "";
        const needed = appSpecs.reduce((n, [, k]) => n + k, 0);
        fc.pre(needed <= hosts - 1 - (withRange ? 3 : 0));
        const apps = appSpecs.map(([uuid, n], i) =>
          `  - name: app${i}\n    uuid: ${uuid}\n    adapters: [${
            Array.from({ length: n }, (_, j) => `{networkInstance: ${j % 2 ? "sw" : "l"}}`)
              .join(", ")
          }]`
        );
        const config = parseConfigText(`networkInstances:
  - name: l
    type: local
    bridge: bn1
    subnet: 10.5.0.0/${prefix}${range}
  - {name: sw, type: switch, bridge: bn2}
apps:
${apps.join("\n")}
`);
        const adapters = config.apps.flatMap((a) => a.adapters);
        assert.equal(new Set(adapters.map((a) => a.mac)).size, adapters.length);
        const ips = adapters.filter((a) => a.ip !== null).map((a) => ipToInt(a.ip!));
        assert.equal(new Set(ips).size, ips.length);
        for (const ip of ips) {
          assert.ok(ip > ipToInt("10.5.0.1") && ip < ipToInt("10.5.0.0") + hosts + 1);
          if (withRange) assert.ok(ip < ipToInt("10.5.0.2") || ip > ipToInt("10.5.0.4"));
        }
        for (const a of adapters) assert.equal(a.ip === null, a.niName === "sw");
      },
    ),
  );
});

Deno.test("a switch NI's vxlan uplink: defaults, and every rule names its field", () => {
  const config = parseConfigText(`
cluster: {node: node-a}
networkInstances:
  - {name: span, type: switch, bridge: bn5, mtu: 1450,
     vxlan: {vni: 100, local: 192.168.240.1, remotes: [192.168.240.2, 192.168.240.3]}}
  - {name: mc, type: switch, bridge: bn6,
     vxlan: {vni: 200, local: 192.168.240.1, group: 239.1.1.1, underlay: ul0, udpPort: 8472,
             device: vxmc}}
`);
  const [span, mc] = config.networkInstances;
  assert.equal(span?.type === "switch" && span.vxlan?.device, "vxlan100");
  assert.equal(span?.type === "switch" && span.vxlan?.udpPort, 4789);
  assert.deepEqual(mc?.type === "switch" && mc.vxlan, {
    device: "vxmc",
    vni: 200,
    local: "192.168.240.1",
    remotes: [],
    group: "239.1.1.1",
    underlay: "ul0",
    udpPort: 8472,
  });
  assert.deepEqual(config.cluster, { node: "node-a", etcd: null });
  const problems = problemsOf(`
networkInstances:
  - {name: a, type: switch, bridge: bn1, port: eth1, vxlan: {vni: 1, local: 10.0.0.1, remotes: [10.0.0.1, 10.0.0.2, 10.0.0.2]}}
  - {name: b, type: switch, bridge: bn2, vxlan: {vni: 1, local: 10.0.0.1, group: 239.0.0.1}}
  - {name: c, type: switch, bridge: bn3, vxlan: {vni: 3, local: 10.0.0.1}}
`);
  const expect = [
    "networkInstances.0.vxlan: a switch network instance has one uplink",
    'networkInstances.0.vxlan.remotes: "10.0.0.1" is this node\'s own address',
    'networkInstances.0.vxlan.remotes: "10.0.0.2" is listed twice',
    "networkInstances.1.vxlan.vni: VNI 1 on UDP port 4789 is already",
    "networkInstances.1.vxlan.underlay: a multicast group is joined on an interface",
    "networkInstances.2.vxlan.remotes: say where flooded frames go",
  ];
  for (const e of expect) {
    assert.ok(problems.some((p) => p.startsWith(e)), `${e}\n${problems.join("\n")}`);
  }
  const schema = problemsOf(`
networkInstances:
  - {name: d, type: switch, bridge: bn4, vxlan: {vni: 4, local: 10.0.0.1, group: 10.0.0.9, underlay: eth0}}
`);
  assert.ok(schema.some((p) => p.includes('"10.0.0.9" is not a multicast address')), schema.join());
  assert.ok(
    problemsOf(`
networkInstances:
  - {name: a, type: switch, bridge: bn1, vxlan: {vni: 1, local: 10.0.0.1, remotes: [10.0.0.2]}}
`).some((p) => p.startsWith('cluster.node: network instance "a" spans nodes')),
  );
  assert.ok(
    problemsOf(`cluster: {node: a, etcd: {endpoints: ["10.0.0.1:2379"]}}`)
      .some((p) => p.startsWith("cluster.etcd.endpoints.0: Expected an etcd client URL")),
  );
});

Deno.test("the apply probe's address is the subnet's top host (below a gateway there); apps stay off it", () => {
  const config = parseConfigText(`
networkInstances:
  - {name: a, type: local, bridge: bn1, subnet: 10.1.0.0/24}
  - {name: b, type: local, bridge: bn2, subnet: 10.2.0.0/30, gateway: 10.2.0.2}
`);
  const probeIps = config.networkInstances.map((ni) => ni.type === "local" ? ni.probeIp : null);
  assert.deepEqual(probeIps, ["10.1.0.254", "10.2.0.1"]);
  const taken = problemsOf(`
networkInstances: [{name: a, type: local, bridge: bn1, subnet: 10.1.0.0/24}]
apps:
  - name: x
    uuid: ${APP_UUID}
    adapters: [{networkInstance: a, ip: 10.1.0.254, mac: "02:FA:2E:00:00:01"}]
`);
  assert.ok(taken.some((p) => /10\.1\.0\.254.*apply probe/.test(p)), taken.join("\n"));
  assert.ok(taken.some((p) => /02:fa:2e:00:00:01.*apply probe/.test(p)), taken.join("\n"));
});
