/**
 * `./run demo --ovs`: the demo's optional Open vSwitch part, after the default one. The
 * sandbox's own ovsdb-server and ovs-vswitchd (userspace datapath: `datapathType: netdev`,
 * their files in the sandbox's dir, ovs-vswitchd in the node namespace; netns/ovs_daemons.ts)
 * start; `fake-zedrouter apply` adds an OVS-backed local NI and an app on it (its probe
 * leases through the OVS bridge); a third pod is attached to it through eve-bridge, gets its
 * lease from the NI's dnsmasq and pings the gateway. The daemons are stopped by pid when the
 * demo ends (startOvsDaemons' `stop`, after fake-zedrouter), also on failure.
 */
import { parse as parseYaml } from "yaml";
import { DEFAULT_CONFIG_YAML } from "../cli/fake-zedrouter/mod.ts";
import {
  execArgv,
  listOvsPorts,
  type OvsDaemons,
  readDnsmasqLeases,
  systemRunner,
} from "../netns/mod.ts";
import type { ApplyRecord } from "../rpc/mod.ts";
import { type E2eNode, nadConflist, type ZedrouterConfig } from "./sandbox/node.ts";
import { ovsSkipReason, startSandboxOvs } from "./sandbox/ovs.ts";
import type { Attachment, E2ePod } from "./sandbox/pod.ts";
import { FAKE_ZEDROUTER } from "./sandbox/paths.ts";

/** The OVS-backed NI and its app the demo adds. */
export const DEMO_OVS_NI = {
  name: "ni-ovs",
  type: "local",
  bridge: "obr1",
  bridgeType: "ovs",
  subnet: "10.11.14.0/24",
  gateway: "10.11.14.1",
} as const;
export const DEMO_OVS_APP = {
  name: "ovs_web",
  uuid: "4d5e6f7a-8b9c-4d0e-8f1a-2b3c4d5e6f70",
  adapter: { mac: "02:16:3e:00:00:0e", ip: "10.11.14.50" },
} as const;

/** What the OVS part uses of the demo's own narration and pod handling (scripts/demo.ts). */
export interface DemoKit {
  heading(text: string): void;
  detail(text: string): void;
  step<T>(work: Promise<T>): Promise<T>;
  fail(message: string): Error;
  /** Creates the pod and ADDs its attachments, recording them for the teardown's DEL. */
  addPod(
    role: string,
    app: { name: string; uuid: string },
    attachments: { attachment: Attachment; ni: string | null }[],
  ): Promise<E2ePod>;
  firstAddress(pod: E2ePod, ifname: string): Promise<string>;
  pingFrom(pod: E2ePod, to: string): Promise<void>;
}

/** Steps the OVS part adds to the demo's count. */
export const OVS_STEPS = 4;

/** Why `--ovs` cannot run here (OVS's programs missing), or undefined. */
export function demoOvsMissing(): string | undefined {
  return ovsSkipReason();
}

/** The OVS daemons for the node: the caller stops them (`stop()`) after fake-zedrouter. */
export async function startDemoOvs(kit: DemoKit, node: E2eNode): Promise<OvsDaemons> {
  kit.heading("OVS: ovsdb-server and ovs-vswitchd (userspace datapath) for the node");
  const ovs = await kit.step(startSandboxOvs(node.sb, node.ns));
  kit.detail(
    `ovsdb-server pid ${ovs.pids.ovsdb}, ovs-vswitchd pid ${ovs.pids.vswitchd} ` +
      `(in ${node.ns.name}); database ${ovs.db.socket}`,
  );
  return ovs;
}

/** Applies the OVS NI, attaches a pod to it, shows its lease and pings the gateway. */
export async function ovsPart(kit: DemoKit, node: E2eNode, ovs: OvsDaemons): Promise<void> {
  kit.heading(`fake-zedrouter apply: add ${DEMO_OVS_NI.name} (OVS bridge ${DEMO_OVS_NI.bridge})`);
  const record = await kit.step(applyOvsConfig(node, ovs));
  for (const ni of record.networkInstances) {
    kit.detail(`${ni.name} (${ni.change}): ${ni.outcome}${ni.error ? `: ${ni.error}` : ""}`);
  }
  if (record.outcome !== "SuccessfullyConfigured") {
    throw kit.fail(`apply of the OVS NI failed: ${record.error}`);
  }
  const nad = await writeOvsNad(node);
  kit.detail(`${nad}: NAD ${DEMO_OVS_NI.name} = eve-bridge -> tuning`);
  const pod = await kit.addPod("pod3", DEMO_OVS_APP, [
    { attachment: { ifname: "eth0", conflist: node.primaryConflist }, ni: null },
    {
      attachment: {
        ifname: "net1",
        conflist: nad,
        mac: DEMO_OVS_APP.adapter.mac,
      },
      ni: DEMO_OVS_NI.name,
    },
  ]);

  kit.heading(`Pod ${pod.name} on ${DEMO_OVS_NI.name}: its lease, the OVS port, a ping`);
  const address = await kit.firstAddress(pod, "net1");
  const dnsmasq = (await node.inspect("Inspect.Config")).dnsmasq
    .find((d) => d.networkInstance === DEMO_OVS_NI.name);
  const lease = dnsmasq
    ? (await readDnsmasqLeases(dnsmasq.leaseFile)).find((l) => l.mac === DEMO_OVS_APP.adapter.mac)
    : undefined;
  kit.detail(`net1 ${address}; dnsmasq's lease: ${lease ? `${lease.mac} ${lease.ip}` : "none"}`);
  if (lease?.ip !== address) throw kit.fail(`dnsmasq of ${DEMO_OVS_NI.name} holds no lease`);
  const ports = await listOvsPorts(systemRunner, ovs.db, DEMO_OVS_NI.bridge);
  kit.detail(`ovs-vsctl list-ports ${DEMO_OVS_NI.bridge}: ${ports.join(" ") || "(none)"}`);
  await kit.pingFrom(pod, DEMO_OVS_NI.gateway);
}

/** The NAD of the applied NI (the node wrote those of its first NIs when it started). */
async function writeOvsNad(node: E2eNode): Promise<string> {
  const { networkInstances } = await node.inspect("Inspect.NetworkInstances");
  const ni = networkInstances.find((n) => n.name === DEMO_OVS_NI.name);
  if (!ni) throw new Error(`fake-zedrouter does not serve ${DEMO_OVS_NI.name} after the apply`);
  const path = `${node.dir}/multus/${ni.name}.conflist`;
  await Deno.writeTextFile(path, JSON.stringify(nadConflist(node, ni.name, ni.uuid), null, 2));
  return path;
}

/** The built-in config plus the `ovs:` section, the OVS NI and its app, applied. */
async function applyOvsConfig(node: E2eNode, ovs: OvsDaemons): Promise<ApplyRecord> {
  const builtIn = parseYaml(DEFAULT_CONFIG_YAML) as ZedrouterConfig;
  const config: ZedrouterConfig = {
    ...builtIn,
    ovs: { db: ovs.db.socket, datapathType: "netdev" },
    networkInstances: [...builtIn.networkInstances, DEMO_OVS_NI],
    apps: [...(builtIn.apps ?? []), {
      name: DEMO_OVS_APP.name,
      uuid: DEMO_OVS_APP.uuid,
      adapters: [{ networkInstance: DEMO_OVS_NI.name, ...DEMO_OVS_APP.adapter }],
    }],
  };
  const path = `${node.dir}/demo-ovs-config.json`;
  await Deno.writeTextFile(path, JSON.stringify(config));
  const argv = [FAKE_ZEDROUTER, "apply", "--config", path, "--socket", node.socket, "--json"];
  const run = await systemRunner(execArgv(node.ns.ns, argv));
  const first = run.stdout.trim().split("\n")[0] ?? "";
  if (!first.startsWith("{")) throw new Error(`fake-zedrouter apply: ${run.stderr.trim()}`);
  return JSON.parse(first) as ApplyRecord;
}
