/**
 * eth0 as an EVE node runs it: libcni (as Multus) -> the flannel plugin (tests/go/flannel,
 * which rewrites its delegate and saves it as k3s's flannel does) -> eve-bridge -> bridge +
 * host-local, then portmap, at cniVersion 0.3.1 (EVE's) and 1.0.0. Four pod kinds on one node:
 * an EVE app, a VMI's launcher, a CDI upload pod (in eve-kube-app, not an app) and coredns in
 * kube-system. Routes are read back from each pod's kernel and must be EVE's: apps (the VMI
 * launcher included) route the cluster network, the service CIDR and the node IP via the
 * bridge's gateway and have no default route; the others have the default route.
 */
import assert from "node:assert/strict";
import { APPS, CNIDRIVE, e2eTest, podLink, podRoutes, trackedPod } from "./harness.ts";
import {
  eth0On,
  FLANNEL_ENV,
  type FlannelNetwork,
  flannelNetwork,
  hostLocalAddresses,
  runPlugin,
  savedDelegateConfig,
} from "./eve_layout_harness.ts";
import { findLeaks } from "../../scripts/sandbox/leaks.ts";
import { type E2eNode, POD_NETWORK } from "../../scripts/sandbox/node.ts";
import { cni, cniOk, type CniResultJson, type E2ePod } from "../../scripts/sandbox/pod.ts";
import { EVE_BRIDGE } from "../../scripts/sandbox/paths.ts";
import { inetAddrs } from "../addresses.ts";
import { EVE_CLUSTER_NETWORK_NAME } from "../../core/eve/mod.ts";
import { listBridgePorts, systemRunner } from "../../netns/mod.ts";
import type { E2eContext } from "./harness.ts";

const GW = POD_NETWORK.gateway;

/** What EVE's rules give an EVE app's eth0 (the VMI launcher is one): no default route. */
const APP_ROUTES = [
  `${FLANNEL_ENV.network} via ${GW} dev eth0`,
  `${POD_NETWORK.subnet} dev eth0`,
  `${POD_NETWORK.serviceCIDR} via ${GW} dev eth0`,
  `${POD_NETWORK.nodeIP}/32 via ${GW} dev eth0`,
].sort();
/** Any other pod: the default route via the Kubernetes network. */
const POD_ROUTES = [
  `default via ${GW} dev eth0`,
  `${FLANNEL_ENV.network} via ${GW} dev eth0`,
  `${POD_NETWORK.subnet} dev eth0`,
].sort();

interface Kind {
  readonly role: string;
  readonly eveApp: boolean;
  make(ctx: E2eContext): Promise<E2ePod>;
}

const KINDS: readonly Kind[] = [
  { role: "app", eveApp: true, make: (ctx) => trackedPod(ctx, "app", APPS.nginx) },
  {
    role: "vmi",
    eveApp: true,
    make: (ctx) => trackedPod(ctx, "vmi", APPS.vm, { vmi: true }),
  },
  {
    role: "cdi",
    eveApp: false,
    make: (ctx) => trackedPod(ctx, "cdi", APPS.vm, { name: `cdi-upload-${APPS.vm.uuid}-pvc-0` }),
  },
  {
    role: "coredns",
    eveApp: false,
    make: (ctx) =>
      trackedPod(ctx, "coredns", APPS.nginx, {
        name: "coredns-77ccd57875-x7k2p",
        namespace: "kube-system",
      }),
  },
];

async function sortedRoutes(pod: E2ePod): Promise<string[]> {
  return (await podRoutes(pod)).map((r) => r.replace(/ proto \S+| scope \S+| src \S+/g, ""))
    .sort();
}

/** What flannel saved for the pod: EVE's delegate rewritten as the flannel plugin does. */
function assertFlannelRewrite(saved: Record<string, unknown> | undefined, version: string): void {
  assert.ok(saved, "flannel saved the delegate config");
  assert.equal(saved.type, "eve-bridge");
  assert.equal(saved.name, EVE_CLUSTER_NETWORK_NAME);
  assert.equal(saved.cniVersion, version);
  assert.equal(saved.nodeIP, `${POD_NETWORK.nodeIP}/32`);
  assert.equal(saved.ipMasq, !FLANNEL_ENV.ipMasq);
  assert.equal(saved.mtu, FLANNEL_ENV.mtu);
  assert.ok(!("isGateway" in saved), "flannel sets isGateway only for type bridge");
  const ipam = saved.ipam as Record<string, unknown>;
  assert.equal(ipam.type, "host-local");
  assert.deepEqual(ipam.ranges, [[{ subnet: POD_NETWORK.subnet }]]);
  assert.deepEqual(ipam.routes, [{ dst: FLANNEL_ENV.network }]);
}

async function addAndVerify(
  node: E2eNode,
  network: FlannelNetwork,
  pod: E2ePod,
  kind: Kind,
  version: string,
): Promise<CniResultJson> {
  const result = await cniOk(CNIDRIVE, node, "add", pod, eth0On(network));
  assert.equal(result.cniVersion, version);
  const address = result.ips?.[0]?.address ?? "";
  assert.match(address, /^10\.42\.0\.\d+\/24$/, JSON.stringify(result));
  assert.equal(result.ips?.[0]?.gateway, GW);
  assert.deepEqual(await inetAddrs(pod.netns, "eth0"), [address], "the address on eth0");
  assert.deepEqual(
    await sortedRoutes(pod),
    kind.eveApp ? APP_ROUTES : POD_ROUTES,
    `${kind.role}: routes read back from the pod`,
  );
  assert.equal((await podLink(pod, "eth0"))?.mtu, FLANNEL_ENV.mtu, "FLANNEL_MTU on eth0");
  assertFlannelRewrite(await savedDelegateConfig(network, pod), version);
  return result;
}

/**
 * eve-bridge's own CHECK with flannel's saved config and the ADD result, as a caller that
 * delegated CHECK would send it: it holds, and fails once a route EVE's rules give is gone.
 */
async function checkDirectly(
  node: E2eNode,
  network: FlannelNetwork,
  pod: E2ePod,
  result: CniResultJson,
): Promise<void> {
  const saved = (await savedDelegateConfig(network, pod))!;
  const config = { ...saved, prevResult: result };
  const ok = await runPlugin(node, network, EVE_BRIDGE, "CHECK", pod, config);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  await systemRunner(["ip", "-n", pod.netns.name, "route", "del", POD_NETWORK.serviceCIDR]);
  const broken = await runPlugin(node, network, EVE_BRIDGE, "CHECK", pod, config);
  assert.notEqual(broken.code, 0, "CHECK sees the missing service-CIDR route");
  assert.match(broken.stdout, /Expected Route {Dst:{IP:10\.43\.0\.0 Mask:ffff0000}/);
  await systemRunner([
    "ip",
    "-n",
    pod.netns.name,
    "route",
    "add",
    POD_NETWORK.serviceCIDR,
    "via",
    GW,
    "dev",
    "eth0",
  ]);
}

for (const version of ["0.3.1", "1.0.0"] as const) {
  e2eTest(
    `e2e flannel eth0 ${version}: EVE app, VMI launcher, CDI upload and kube-system pods`,
    {},
    async (ctx) => {
      const { node } = ctx;
      const network = await flannelNetwork(node, { cniVersion: version });
      const pods: { pod: E2ePod; kind: Kind; result: CniResultJson }[] = [];
      for (const kind of KINDS) {
        const pod = await kind.make(ctx);
        pods.push({ pod, kind, result: await addAndVerify(node, network, pod, kind, version) });
        // From the first pod on, an EVE app: its routes go via an address the bridge holds.
        const bridgeAddrs = await inetAddrs(node.ns, POD_NETWORK.bridge);
        assert.deepEqual(bridgeAddrs, [`${GW}/24`], "the bridge holds the gateway");
      }
      assert.equal((await hostLocalAddresses(network)).length, KINDS.length);

      for (const { pod, kind, result } of pods) {
        const check = await cni(CNIDRIVE, node, "check", pod, eth0On(network));
        if (version === "0.3.1") {
          assert.notEqual(check.code, 0, "libcni refuses CHECK below 0.4.0");
          assert.match(check.stderr, /does not support the CHECK command/);
        } else {
          assert.equal(check.code, 0, check.stderr);
          if (kind.eveApp) await checkDirectly(node, network, pod, result);
        }
      }

      for (const { pod } of pods) {
        await cniOk(CNIDRIVE, node, "del", pod, eth0On(network));
        assert.equal(await savedDelegateConfig(network, pod), undefined, "flannel's copy gone");
        assert.equal(await podLink(pod, "eth0"), undefined, "eth0 gone from the pod");
        // Replayed again (kubelet retries): no saved copy, flannel answers without us.
        await cniOk(CNIDRIVE, node, "del", pod, eth0On(network));
      }
      assert.deepEqual(await hostLocalAddresses(network), [], "host-local holds nothing");
      assert.deepEqual(await listBridgePorts(systemRunner, node.ns.ns, POD_NETWORK.bridge), []);
      assert.deepEqual(await findLeaks(node, ctx.pods), []);
    },
  );
}

/**
 * The pod's netns file outlived its namespace (the runtime unmounted it and left the file):
 * bridge cannot enter it and fails its DEL before it calls host-local. flannel removes its
 * saved config anyway, so no DEL with the config ever comes again.
 */
async function orphanNetnsFile(pod: E2ePod): Promise<void> {
  const removed = await systemRunner(["ip", "netns", "del", pod.netns.name]);
  assert.equal(removed.code, 0, removed.stderr);
  await Deno.writeTextFile(pod.netns.path, "");
}

async function failingDel(node: E2eNode, network: FlannelNetwork, pod: E2ePod): Promise<string> {
  const del = await cni(CNIDRIVE, node, "del", pod, eth0On(network));
  assert.notEqual(del.code, 0, "bridge's DEL fails in a namespace file that is no namespace");
  assert.equal(await savedDelegateConfig(network, pod), undefined, "flannel dropped its copy");
  // kubelet's retry: flannel has nothing saved and succeeds without calling the delegate.
  await cniOk(CNIDRIVE, node, "del", pod, eth0On(network));
  return del.stderr;
}

e2eTest(
  "e2e flannel eth0: a DEL that bridge fails part way still releases host-local's address",
  {},
  async (ctx) => {
    const { node } = ctx;
    // The control: k3s's stock delegate (type bridge) leaks the address in the same failure.
    const stock = await flannelNetwork(node, {
      cniVersion: "0.3.1",
      tag: "stock",
      ipamDir: `${node.dir}/stock-ipam`,
      delegate: { hairpinMode: true, forceAddress: true, isDefaultGateway: true },
    });
    const control = await trackedPod(ctx, "control", APPS.nginx, {
      name: "coredns-77ccd57875-bcdfg",
      namespace: "kube-system",
    });
    await cniOk(CNIDRIVE, node, "add", control, eth0On(stock));
    await orphanNetnsFile(control);
    await failingDel(node, stock, control);
    const leaked = await hostLocalAddresses(stock);
    assert.equal(leaked.length, 1, "bridge alone leaks the address");
    await Deno.remove(`${stock.ipamDir}/${EVE_CLUSTER_NETWORK_NAME}/${leaked[0]}`);

    const network = await flannelNetwork(node, { cniVersion: "0.3.1" });
    const pod = await KINDS[0]!.make(ctx);
    await cniOk(CNIDRIVE, node, "add", pod, eth0On(network));
    assert.equal((await hostLocalAddresses(network)).length, 1);
    await orphanNetnsFile(pod);
    const error = await failingDel(node, network, pod);
    assert.match(error, /unknown FS magic/, "bridge's error is the answer");
    assert.deepEqual(await hostLocalAddresses(network), [], "eve-bridge released it itself");
    const log = await Deno.readTextFile(node.logFile);
    assert.match(log, /bridge DEL failed; eth0's address released by \\"host-local\\" DEL/);
    assert.deepEqual(await findLeaks(node, ctx.pods), []);
  },
);
