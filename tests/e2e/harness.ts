/**
 * The e2e node's fake-zedrouter config (apps, NIs, reservations) and `e2eTest`, which skips
 * with the reason when something is missing, builds the node in a fresh sandbox and always
 * tears it down (stray udhcpc by pid, fake-zedrouter, namespaces), even when the test fails.
 */
import { execArgv, getLink, type Link, listRoutes, systemRunner } from "../../netns/mod.ts";
import type { ResultOf } from "../../rpc/mod.ts";
import { skipReason, withSandbox } from "../../scripts/sandbox/sandbox.ts";
import { inetAddrs } from "../addresses.ts";
import {
  type E2eNode,
  type NodeOptions,
  startNode,
  type ZedrouterConfig,
} from "../../scripts/sandbox/node.ts";
import { stopStrayDhcpClients } from "../../scripts/sandbox/leaks.ts";
import {
  type Attachment,
  createPod,
  type E2ePod,
  type PodOptions,
} from "../../scripts/sandbox/pod.ts";
import { eth0, netX } from "./runtime.ts";
import {
  CNI_BIN,
  EVE_BRIDGE,
  EVE_CNI_DEBUG,
  FAKE_ZEDROUTER,
  findCnidrive,
  isFile,
  REFERENCE_PLUGINS,
} from "../../scripts/sandbox/paths.ts";

export const NI = {
  local: { name: "ni-local", uuid: "6a1c0c5e-0d4f-4a8e-9b55-2f6b1f0e0a01", bridge: "bn1" },
  local2: { name: "ni-local2", uuid: "6a1c0c5e-0d4f-4a8e-9b55-2f6b1f0e0a02", bridge: "bn2" },
  switch: { name: "ni-switch", uuid: "6a1c0c5e-0d4f-4a8e-9b55-2f6b1f0e0a03", bridge: "bn3" },
  airgap: { name: "ni-airgap", uuid: "6a1c0c5e-0d4f-4a8e-9b55-2f6b1f0e0a04", bridge: "bn4" },
} as const;

/** The switch NI's port in the node; its peer `up0` lives in the "upstream" namespace. */
export const SWITCH_PORT = "swport";
export const UPSTREAM_ROLE = "upstream";
/** The external network behind the switch port (the upstream dnsmasq's subnet). */
export const SWITCH_NET = { subnet: "10.79.3.0/24", server: "10.79.3.1", prefix: 24 } as const;

export const APPS = {
  nginx: {
    name: "nginx",
    uuid: "1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d",
    local: { mac: "02:16:3e:78:01:01", ip: "10.78.1.50" },
    local2: { mac: "02:16:3e:78:02:01", ip: "10.78.2.50" },
  },
  redis: {
    name: "redis",
    uuid: "2b3c4d5e-6f7a-4b2c-8d3e-4f5a6b7c8d9e",
    local: { mac: "02:16:3e:78:01:02", ip: "10.78.1.51" },
    airgap: { mac: "02:16:3e:78:04:02" },
  },
  switched: {
    name: "edge_gw",
    uuid: "3c4d5e6f-7a8b-4c3d-9e4f-5a6b7c8d9eaf",
    switch: { mac: "02:16:3e:78:03:03", ip: "10.79.3.53" },
  },
  vm: {
    name: "ubuntu_vm",
    uuid: "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f",
    local: { mac: "02:16:3e:78:01:09", ip: "10.78.1.59" },
    airgap: { mac: "02:16:3e:78:04:09" },
  },
} as const;

export function e2eConfig(): ZedrouterConfig {
  return {
    networkInstances: [
      {
        ...NI.local,
        type: "local",
        subnet: "10.78.1.0/24",
        gateway: "10.78.1.1",
        dns: ["10.78.1.1"],
        defaultRoute: true,
        mtu: 1500,
      },
      { ...NI.local2, type: "local", subnet: "10.78.2.0/24", gateway: "10.78.2.1", mtu: 1400 },
      { ...NI.switch, type: "switch", port: SWITCH_PORT },
      { ...NI.airgap, type: "switch" },
    ],
    apps: [
      {
        name: APPS.nginx.name,
        uuid: APPS.nginx.uuid,
        adapters: [
          { networkInstance: NI.local.name, ...APPS.nginx.local },
          { networkInstance: NI.local2.name, ...APPS.nginx.local2 },
        ],
      },
      {
        name: APPS.redis.name,
        uuid: APPS.redis.uuid,
        adapters: [
          { networkInstance: NI.local.name, ...APPS.redis.local },
          { networkInstance: NI.airgap.name, ...APPS.redis.airgap },
        ],
      },
      {
        name: APPS.switched.name,
        uuid: APPS.switched.uuid,
        adapters: [{ networkInstance: NI.switch.name, mac: APPS.switched.switch.mac }],
      },
      {
        name: APPS.vm.name,
        uuid: APPS.vm.uuid,
        adapters: [
          { networkInstance: NI.local.name, ...APPS.vm.local },
          { networkInstance: NI.airgap.name, ...APPS.vm.airgap },
        ],
      },
    ],
  };
}

/** Why the e2e tests cannot run here, or undefined. */
export async function e2eSkipReason(): Promise<string | undefined> {
  const tools = skipReason("dnsmasq", "udhcpc", "ping");
  if (tools) return tools;
  // portmap and dhcp: EVE's cluster network (flannel test) and EVE's Go plugin (upgrade test).
  const missing = [...REFERENCE_PLUGINS, "portmap", "dhcp"].filter((p) =>
    !isFile(`${CNI_BIN}/${p}`)
  );
  if (missing.length) return `needs ${missing.join(", ")} in ${CNI_BIN}`;
  if (![EVE_BRIDGE, FAKE_ZEDROUTER, EVE_CNI_DEBUG].every(isFile)) {
    return 'needs the built programs: run "deno task build"';
  }
  if (!(await findCnidrive(true))) return "needs cnidrive (set CNIDRIVE or build it)";
  return undefined;
}

const SKIP = await e2eSkipReason();
export const CNIDRIVE = SKIP ? "" : (await findCnidrive(false))!;

export interface E2eContext {
  node: E2eNode;
  /** Pods whose udhcpc processes are stopped by pid on teardown. */
  pods: E2ePod[];
}

/** Deno.test for one end-to-end scenario on a fresh node. */
export function e2eTest(
  name: string,
  options: Partial<NodeOptions>,
  fn: (ctx: E2eContext) => Promise<void>,
): void {
  Deno.test({
    name: SKIP ? `${name} (skipped: ${SKIP})` : name,
    ignore: SKIP !== undefined,
    fn: () =>
      withSandbox(async (sb) => {
        const node = await startNode(sb, {
          config: e2eConfig(),
          uplinks: [{ port: SWITCH_PORT, role: UPSTREAM_ROLE }],
          ...options,
        });
        const ctx: E2eContext = { node, pods: [] };
        try {
          await fn(ctx);
        } finally {
          await stopStrayDhcpClients(node, ctx.pods);
          await node.stopZedrouter();
        }
      }),
  });
}

/** A pod of `app` (see createPod) that the test's teardown knows: its udhcpc are stopped by pid. */
export async function trackedPod(
  ctx: E2eContext,
  role: string,
  app: { name: string; uuid: string },
  options: PodOptions = {},
): Promise<E2ePod> {
  const pod = await createPod(ctx.node, role, app, options);
  ctx.pods.push(pod);
  return pod;
}

/** An app pod as Multus attaches it: eth0, then net1 on ni-local with the app's adapter MAC. */
export function onLocalNi(node: E2eNode, app: { local: { mac: string } }): Attachment[] {
  return [eth0(node), netX(node, "net1", NI.local.name, app.local.mac)];
}

/** fake-zedrouter's dnsmasq of a network instance (its lease and log files), from Inspect.Config. */
export async function dnsmasqOf(
  node: E2eNode,
  niName: string,
): Promise<ResultOf<"Inspect.Config">["dnsmasq"][number]> {
  const dnsmasq = (await node.inspect("Inspect.Config")).dnsmasq
    .find((d) => d.networkInstance === niName);
  if (!dnsmasq) throw new Error(`fake-zedrouter runs no dnsmasq for "${niName}"`);
  return dnsmasq;
}

/** `10.78.1.50/24`-style addresses of an interface, read from the kernel. */
export async function podAddresses(pod: E2ePod, ifname: string): Promise<string[]> {
  return await inetAddrs(pod.netns, ifname);
}

/** IPv4 routes of the pod's main table as `dst via gw dev if` lines, read from the kernel. */
export async function podRoutes(pod: E2ePod): Promise<string[]> {
  const routes = await listRoutes(systemRunner, pod.netns.ns, { family: "inet" });
  return routes.map((r) =>
    [r.dst, r.gateway ? `via ${r.gateway}` : "", r.dev ? `dev ${r.dev}` : ""].filter((x) => x)
      .join(" ")
  );
}

export async function podLink(pod: E2ePod, ifname: string): Promise<Link | undefined> {
  return await getLink(systemRunner, pod.netns.ns, ifname);
}

/** One ICMP echo from a pod to an address (exit code 0 = answered). */
export async function ping(pod: E2ePod, address: string): Promise<{ ok: boolean; output: string }> {
  const r = await systemRunner(execArgv(pod.netns.ns, ["ping", "-c1", "-W2", address]));
  return { ok: r.code === 0, output: `${r.stdout}${r.stderr}` };
}

/** eve-bridge's record of one attachment (`<stateDir>/<containerID>/<ifname>.json`), if any. */
export async function attachmentState(
  node: E2eNode,
  pod: E2ePod,
  ifname: string,
): Promise<
  | {
    vmi: boolean;
    useDHCP: boolean;
    phase: string;
    dhcp: { pid: number } | null;
    lease: { address: string } | null;
  }
  | undefined
> {
  try {
    return JSON.parse(
      await Deno.readTextFile(`${node.stateDir}/${pod.containerId}/${ifname}.json`),
    );
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}
