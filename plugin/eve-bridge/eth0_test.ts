import assert from "node:assert/strict";
import * as v from "valibot";
import { CniError, parseCniArgs, silentLogger } from "../cni/mod.ts";
import { EveBridgeConfigSchema } from "./config.ts";
import { bridgeConfig, withRouteGateways } from "./eth0.ts";
import type { EveContext } from "./handler.ts";

function ctxFor(raw: Record<string, unknown>, cniArgs: string): EveContext {
  return {
    command: "ADD",
    containerId: "c1",
    netns: "/var/run/netns/p",
    netnsExists: true,
    ifname: "eth0",
    args: parseCniArgs(cniArgs),
    path: ["/usr/lib/cni"],
    config: v.parse(EveBridgeConfigSchema, raw),
    rawConfig: raw,
    cniVersion: "1.0.0",
    env: {},
    logger: silentLogger,
  };
}

const RAW = {
  cniVersion: "1.0.0",
  name: "k8s",
  type: "eve-bridge",
  bridge: "cni0",
  isGateway: true,
  isDefaultGateway: false,
  forceAddress: false,
  hairpinMode: false,
  nodeIP: "192.168.1.10",
  logFile: "/tmp/x.log",
  zedrouterSocket: "/run/z.sock",
  ipam: { type: "host-local", routes: [{ dst: "10.50.0.0/16" }] },
};

Deno.test("eth0: a Kubernetes pod gets the default gateway; EVE's fixed settings win", () => {
  const out = bridgeConfig(ctxFor(RAW, "K8S_POD_NAMESPACE=default"), true);
  assert.equal(out.isDefaultGateway, true);
  assert.equal(out.forceAddress, true);
  assert.equal(out.hairpinMode, true);
  assert.equal(out.isGateway, true);
  assert.equal(out.bridge, "cni0");
  assert.deepEqual(out.ipam, RAW.ipam, "ipam untouched for non-EVE pods");
  for (
    const field of [
      "nodeIP",
      "logFile",
      "zedrouterSocket",
      "serviceCIDR",
      "stateDir",
      "dhcp",
      "dhcpDaemonSocket",
    ]
  ) {
    assert.ok(!(field in out), `${field} is eve-bridge's own`);
  }
});

Deno.test("eth0: an EVE app gets routes to the service CIDR and the node IP, no default", () => {
  const out = bridgeConfig(ctxFor(RAW, "K8S_POD_NAMESPACE=eve-kube-app"), true);
  assert.equal(out.isDefaultGateway, false);
  assert.deepEqual((out.ipam as { routes: unknown }).routes, [
    { dst: "10.50.0.0/16" },
    { dst: "10.43.0.0/16" },
    { dst: "192.168.1.10/32" },
  ]);
  const custom = bridgeConfig(
    ctxFor(
      { ...RAW, serviceCIDR: "10.96.0.0/12", nodeIP: "fd00::10" },
      "K8S_POD_NAMESPACE=eve-kube-app",
    ),
    true,
  );
  assert.deepEqual((custom.ipam as { routes: unknown[] }).routes.slice(1), [
    { dst: "10.96.0.0/12" },
    { dst: "fd00::10/128" },
  ]);
});

Deno.test("eth0: an EVE app's eth0 never gets a default route from ipam.routes", () => {
  const withDefaults = {
    ...RAW,
    ipam: {
      type: "host-local",
      routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }, { dst: "10.50.0.0/16" }],
    },
  };
  const app = bridgeConfig(ctxFor(withDefaults, "K8S_POD_NAMESPACE=eve-kube-app"), true);
  assert.deepEqual((app.ipam as { routes: unknown }).routes, [
    { dst: "10.50.0.0/16" },
    { dst: "10.43.0.0/16" },
    { dst: "192.168.1.10/32" },
  ]);
  // Ordinary pods keep the config as it is.
  const pod = bridgeConfig(ctxFor(withDefaults, "K8S_POD_NAMESPACE=default"), true);
  assert.deepEqual((pod.ipam as { routes: unknown[] }).routes, withDefaults.ipam.routes);
});

Deno.test("eth0: a missing nodeIP for an EVE app is code 7 naming nodeIP (not for DEL)", () => {
  const raw: Record<string, unknown> = { ...RAW };
  delete raw.nodeIP;
  const ctx = ctxFor(raw, "K8S_POD_NAMESPACE=eve-kube-app");
  assert.throws(
    () => bridgeConfig(ctx, true),
    (error: unknown) => error instanceof CniError && error.code === 7 && /nodeIP/.test(error.msg),
  );
  const forDel = bridgeConfig(ctx, false);
  assert.deepEqual((forDel.ipam as { routes: unknown[] }).routes.at(-1), { dst: "10.43.0.0/16" });
});

Deno.test("eth0: gw-less routes in bridge's result get the interface's gateway", () => {
  const out = withRouteGateways({
    interfaces: [],
    ips: [{ address: "10.1.0.5/24", gateway: "10.1.0.1" }, { address: "fd00::5/64" }],
    routes: [{ dst: "10.43.0.0/16" }, { dst: "0.0.0.0/0", gw: "10.1.0.254" }, { dst: "fd01::/64" }],
    dns: {},
  });
  assert.deepEqual(out.routes, [
    { dst: "10.43.0.0/16", gw: "10.1.0.1" },
    { dst: "0.0.0.0/0", gw: "10.1.0.254" },
    { dst: "fd01::/64" },
  ]);
});

Deno.test("eth0: nodeIP in EVE's form (<ip>/32, /128) routes the same as a bare IP", () => {
  for (
    const [nodeIP, dst] of [["192.168.1.10/32", "192.168.1.10/32"], [
      "fd00::10/128",
      "fd00::10/128",
    ]]
  ) {
    const out = bridgeConfig(ctxFor({ ...RAW, nodeIP }, "K8S_POD_NAMESPACE=eve-kube-app"), true);
    assert.deepEqual((out.ipam as { routes: unknown[] }).routes.at(-1), { dst });
  }
});

Deno.test("eth0: a cdi-upload-*-pvc-* pod in eve-kube-app is an ordinary pod (default route)", () => {
  const args = "K8S_POD_NAMESPACE=eve-kube-app;K8S_POD_NAME=cdi-upload-vm1-pvc-9f8e7d6c";
  const out = bridgeConfig(ctxFor(RAW, args), true);
  assert.equal(out.isDefaultGateway, true);
  assert.deepEqual(out.ipam, RAW.ipam);
});

/** What k3s's flannel plugin hands its delegate (eve-node.md): no bridge, no isGateway. */
const FROM_FLANNEL = {
  type: "eve-bridge",
  nodeIP: "192.168.1.10/32",
  name: "cbr0",
  cniVersion: "0.3.1",
  ipMasq: false,
  mtu: 1450,
  ipam: {
    type: "host-local",
    ranges: [[{ subnet: "10.42.0.0/24" }]],
    routes: [{ dst: "10.42.0.0/16" }],
  },
};

Deno.test("eth0 from flannel: the bridge holds the gateway every eth0 route goes via", () => {
  for (const namespace of ["eve-kube-app", "kube-system"]) {
    const out = bridgeConfig(ctxFor(FROM_FLANNEL, `K8S_POD_NAMESPACE=${namespace}`), true);
    assert.equal(out.isGateway, true, namespace);
    assert.equal(out.mtu, 1450);
    assert.equal(out.ipMasq, false);
  }
  const app = bridgeConfig(ctxFor(FROM_FLANNEL, "K8S_POD_NAMESPACE=eve-kube-app"), true);
  assert.deepEqual((app.ipam as { routes: unknown }).routes, [
    { dst: "10.42.0.0/16" },
    { dst: "10.43.0.0/16" },
    { dst: "192.168.1.10/32" },
  ]);
  // An explicit isGateway: false is the operator's to keep.
  const off = bridgeConfig(ctxFor({ ...FROM_FLANNEL, isGateway: false }, ""), true);
  assert.equal(off.isGateway, false);
});
