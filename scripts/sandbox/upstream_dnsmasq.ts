/**
 * A DHCP server outside zedrouter, as the end-to-end tests put one behind a switch NI's port,
 * on a VLAN or on a spanning segment: dnsmasq in a namespace of the sandbox, serving
 * reservations only (`dhcp-range=<network>,static,<netmask>`, `id:*` so the MAC alone picks
 * the address) with the given options. Its files are `<dir>/<name>.conf|.leases|.pid`.
 */
import {
  type Daemon,
  type DhcpOption,
  type Netns,
  renderDnsmasqConfig,
  startDnsmasq,
  stopPid,
  systemRunner,
} from "../../netns/mod.ts";

export interface UpstreamDnsmasqOptions {
  /** Where it runs, and the interface it serves there. */
  readonly netns: Netns;
  readonly interface: string;
  /** Where its files go, and their base name. */
  readonly dir: string;
  readonly name: string;
  /** The served subnet's network address and netmask (default /24). */
  readonly network: string;
  readonly netmask?: string;
  readonly hosts: readonly { readonly mac: string; readonly ip: string }[];
  readonly options?: readonly DhcpOption[];
}

export interface UpstreamDnsmasq {
  readonly daemon: Daemon;
  readonly leaseFile: string;
  /** Stops it by pid (SIGTERM, SIGKILL after 2 s) and waits for it. Idempotent. */
  stop(): Promise<void>;
}

export async function startUpstreamDnsmasq(
  options: UpstreamDnsmasqOptions,
): Promise<UpstreamDnsmasq> {
  const base = `${options.dir}/${options.name}`;
  const leaseFile = `${base}.leases`;
  const confPath = `${base}.conf`;
  const pidPath = `${base}.pid`;
  await Deno.writeTextFile(
    confPath,
    renderDnsmasqConfig({
      interface: options.interface,
      dhcpRanges: [{
        start: options.network,
        end: "static",
        netmask: options.netmask ?? "255.255.255.0",
      }],
      dhcpHosts: options.hosts.map((h) => ({ mac: h.mac, ip: h.ip, anyClientId: true })),
      dhcpOptions: [...(options.options ?? [])],
      leaseFile,
      pidFile: pidPath,
    }),
  );
  const daemon = await startDnsmasq(systemRunner, { netns: options.netns, confPath, pidPath });
  return {
    daemon,
    leaseFile,
    async stop() {
      await stopPid(daemon.pid, { graceMs: 2000 });
      await daemon.exited;
    },
  };
}
