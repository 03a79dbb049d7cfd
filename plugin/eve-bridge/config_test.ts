import assert from "node:assert/strict";
import * as v from "valibot";
import { describeIssues } from "../../core/mod.ts";
import { EveBridgeConfigSchema } from "./config.ts";

const BASE = { cniVersion: "1.0.0", name: "k8s", type: "eve-bridge" };

Deno.test("eve-bridge config: EVE's defaults fill in, unknown keys are kept", () => {
  const config = v.parse(EveBridgeConfigSchema, { ...BASE, someFutureKey: { a: 1 } });
  assert.equal(config.zedrouterSocket, "/run/zedrouter/rpc.sock");
  assert.equal(config.serviceCIDR, "10.43.0.0/16");
  assert.equal(config.logFile, "/persist/kubelog/eve-bridge.log");
  assert.equal(config.stateDir, "/run/eve-bridge");
  assert.deepEqual(config.dhcp, { timeoutSeconds: 10, retries: 3 });
  assert.equal(config.nodeIP, undefined);
  assert.deepEqual((config as Record<string, unknown>).someFutureKey, { a: 1 });
});

Deno.test("eve-bridge config: nodeIP as EVE writes it (<ip>/32) or bare, parsed to the address", () => {
  for (const nodeIP of ["192.168.1.10/32", "192.168.1.10"]) {
    assert.equal(v.parse(EveBridgeConfigSchema, { ...BASE, nodeIP }).nodeIP, "192.168.1.10");
  }
});

Deno.test("eve-bridge config: mistakes name the field", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ nodeIP: "10.0.0.256" }, /nodeIP/],
    [{ nodeIP: "10.0.0.1/24" }, /nodeIP: Expected the node.s IP.*\/32".*got "10\.0\.0\.1\/24"/],
    [{ serviceCIDR: "10.43.0.0" }, /serviceCIDR/],
    [{ zedrouterSocket: "relative.sock" }, /zedrouterSocket/],
    [{ dhcp: { timeoutSeconds: 0 } }, /dhcp\.timeoutSeconds/],
    [{ dhcp: { retry: 1 } }, /dhcp\.retry/],
    [{ isGateway: "yes" }, /isGateway/],
    [{ bridge: "a-very-long-bridge-name" }, /bridge/],
    [{ name: 5 }, /name/],
    [{ stateDir: "/run/eve-bridge/../etc" }, /stateDir: The directory .* contains "\.\."/],
    [{ stateDir: "/run/eve\0bridge" }, /stateDir: The directory contains a NUL/],
    [{ stateDir: `/${"d".repeat(200)}`.repeat(6) }, /stateDir: .*over the limit of 1024/],
    [{ logFile: "/var/log/../x.log" }, /logFile: The log file path/],
    [
      { zedrouterSocket: `/run/${"s".repeat(295)}` },
      /zedrouterSocket: The socket path is 300 bytes/,
    ],
    [{ zedrouterSocket: "/run/a/../rpc.sock" }, /zedrouterSocket: .*"\.\."/],
    [{ dhcpDaemonSocket: `/${"s".repeat(120)}` }, /dhcpDaemonSocket: .*sun_path/],
    [{ dhcp: { timeoutSeconds: 1e9 } }, /dhcp\.timeoutSeconds: Expected at most 60 seconds/],
    [{ dhcp: { retries: 1e6 } }, /dhcp\.retries: Expected at most 10 retries/],
    [{ mtu: 1e9 }, /mtu: Expected at most 65535 bytes/],
    [{ mtu: 10 }, /mtu: Expected at least 68 bytes/],
    [{ dhcp: { retries: 1.5 } }, /dhcp\.retries: Expected a whole number/],
    [{ dhcp: { timeoutSeconds: 60, retries: 2 } }, /dhcp: timeoutSeconds 60 x \(retries 2 \+ 1\)/],
  ];
  for (const [extra, field] of cases) {
    const parsed = v.safeParse(EveBridgeConfigSchema, { ...BASE, ...extra });
    assert.ok(!parsed.success, JSON.stringify(extra));
    assert.match(describeIssues(parsed.issues), field);
  }
});

Deno.test("eve-bridge config: the DHCP ceilings themselves are accepted", () => {
  const config = v.parse(EveBridgeConfigSchema, {
    ...BASE,
    dhcp: { timeoutSeconds: 60, retries: 1 },
    zedrouterSocket: `/${"s".repeat(106)}`,
  });
  assert.deepEqual(config.dhcp, { timeoutSeconds: 60, retries: 1 });
  assert.equal(v.parse(EveBridgeConfigSchema, { ...BASE, dhcp: { retries: 10 } }).dhcp.retries, 10);
});
