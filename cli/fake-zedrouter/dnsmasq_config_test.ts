import assert from "node:assert/strict";
import { parseConfigText } from "./config.ts";
import { defaultConfig } from "./default_config.ts";
import { dnsmasqPaths, niOfDnsmasqPidFile, renderNiDnsmasqConfig } from "./dnsmasq_config.ts";
import type { LocalNi } from "./model.ts";

Deno.test("a local NI with an uplink offers router, classless route and DNS", () => {
  const config = defaultConfig();
  const ni = config.networkInstances[0] as LocalNi;
  const text = renderNiDnsmasqConfig(config, ni, dnsmasqPaths("/run/fz", ni));
  const lines = text.split("\n");
  assert.ok(lines.includes("interface=bn1"));
  assert.ok(lines.includes("no-ping"));
  assert.ok(lines.includes("dhcp-range=10.11.12.100,10.11.12.200,255.255.255.0,1h"));
  assert.ok(lines.includes("dhcp-host=02:16:3e:00:00:01,id:*,10.11.12.50,nginx-1a2b3"));
  const vm = config.apps[1]!.adapters[0]!;
  assert.ok(lines.includes(`dhcp-host=${vm.mac},id:*,${vm.ip},ubuntu-vm-9f8e7`));
  assert.ok(lines.includes("dhcp-option=option:router,10.11.12.1"));
  assert.ok(lines.includes("dhcp-option=option:classless-static-route,0.0.0.0/0,10.11.12.1"));
  assert.ok(lines.includes("dhcp-option=option:dns-server,10.11.12.1"));
  assert.ok(lines.includes("dhcp-leasefile=/run/fz/dnsmasq-ni-local.leases"));
  assert.ok(
    lines.includes("dhcp-host=02:fa:2e:00:00:01,id:*,10.11.12.254,fake-zedrouter-apply-probe"),
  );
  assert.equal(lines.filter((l) => l.startsWith("dhcp-host=")).length, 3, "no switch adapters");
});

Deno.test("without an uplink the router option is sent empty; no range = static only", () => {
  const config = parseConfigText(`
networkInstances:
  - {name: iso, type: local, bridge: bn7, subnet: 192.168.7.0/24, dns: []}
`);
  const ni = config.networkInstances[0] as LocalNi;
  const lines = renderNiDnsmasqConfig(config, ni, dnsmasqPaths("/s", ni)).split("\n");
  assert.ok(lines.includes("dhcp-option=option:router"));
  assert.ok(!lines.some((l) => l.includes("classless")));
  assert.ok(!lines.some((l) => l.includes("dns-server")));
  assert.ok(lines.includes("dhcp-range=192.168.7.0,static,255.255.255.0,1h"));
});

Deno.test("niOfDnsmasqPidFile reads back what dnsmasqPaths names", () => {
  const { pidFile, confPath } = dnsmasqPaths("/state", { name: "ni-local" });
  assert.equal(niOfDnsmasqPidFile(pidFile.slice("/state/".length)), "ni-local");
  assert.equal(niOfDnsmasqPidFile(confPath.slice("/state/".length)), undefined);
  assert.equal(niOfDnsmasqPidFile("dnsmasq-.pid"), undefined);
  assert.equal(niOfDnsmasqPidFile("state.json"), undefined);
});
