/**
 * A DHCP lab for root tests: a node netns with bridge bn1 (10.66.0.1/24) serving one
 * dnsmasq, and a pod netns whose net1 (a given MAC) is a veth port of that bridge. dnsmasq
 * hands out only its one reservation, with router, DNS server and option 121 routes (default
 * and 10.99.0.0/16 via 10.66.0.1). The sandbox stops dnsmasq and deletes the namespaces.
 */
import {
  addAddr,
  createVethPair,
  type DhcpOption,
  type DnsmasqConfigOptions,
  ensureBridge,
  renderDnsmasqConfig,
  setLinkUp,
  startDnsmasq,
  systemRunner as run,
} from "../netns/mod.ts";
import type { Sandbox, SandboxNetns } from "../scripts/sandbox/sandbox.ts";

export interface DhcpNodeOptions {
  /** The pod end's MAC, reserved in dnsmasq. */
  readonly mac: string;
  /** The reserved address (in 10.66.0.0/24). */
  readonly ip: string;
  readonly hostname: string;
  /** DHCP options offered besides router, DNS server and classless routes. */
  readonly moreDhcpOptions?: readonly DhcpOption[];
  /** Overrides of dnsmasq's config (logging, no reservation, ...). */
  readonly dnsmasq?: Partial<DnsmasqConfigOptions>;
}

export interface DhcpNode {
  readonly node: SandboxNetns;
  readonly pod: SandboxNetns;
  /** dnsmasq's lease file. */
  readonly leaseFile: string;
  readonly dnsmasqPid: number;
}

export async function dhcpNode(sb: Sandbox, options: DhcpNodeOptions): Promise<DhcpNode> {
  const node = await sb.netns("node");
  const pod = await sb.netns("pod");
  await ensureBridge(run, node.ns, "bn1");
  await addAddr(run, node.ns, "bn1", "10.66.0.1/24");
  await createVethPair(run, node.ns, {
    hostName: "nbu1x1",
    peerName: "net1",
    peerNetns: pod.ns,
    peerMac: options.mac,
  });
  await run(["ip", "-n", node.name, "link", "set", "nbu1x1", "master", "bn1", "up"]);
  await setLinkUp(run, pod.ns, "net1");

  const leaseFile = `${sb.dir}/dnsmasq.leases`;
  const confPath = `${sb.dir}/dnsmasq.conf`;
  await Deno.writeTextFile(
    confPath,
    renderDnsmasqConfig({
      interface: "bn1",
      dhcpRanges: [{
        start: "10.66.0.0",
        end: "static",
        netmask: "255.255.255.0",
        leaseTime: "1h",
      }],
      dhcpHosts: [{
        mac: options.mac,
        anyClientId: true,
        ip: options.ip,
        hostname: options.hostname,
      }],
      dhcpOptions: [
        { option: "option:router", values: ["10.66.0.1"] },
        { option: "option:dns-server", values: ["10.66.0.1"] },
        ...(options.moreDhcpOptions ?? []),
        {
          option: "option:classless-static-route",
          values: ["0.0.0.0/0", "10.66.0.1", "10.99.0.0/16", "10.66.0.1"],
        },
      ],
      leaseFile,
      ...options.dnsmasq,
    }),
  );
  const daemon = await startDnsmasq(run, {
    netns: node.ns,
    confPath,
    pidPath: `${sb.dir}/dnsmasq.pid`,
  });
  sb.track(daemon);
  return { node, pod, leaseFile, dnsmasqPid: daemon.pid };
}
