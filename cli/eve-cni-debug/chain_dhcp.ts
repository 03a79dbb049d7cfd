/**
 * The DHCP end of a chain: dnsmasq's reservation for the adapter MAC, its lease, and the
 * pod's DHCP client (eve-bridge's udhcpc, alive and in the pod's netns). Pure.
 */
import { isVmiPodName } from "../../core/eve/mod.ts";
import type { EveBridgeRecord } from "./eve_bridge_state.ts";
import { type ChainLink, link, notApplicable, unknown } from "./chain_model.ts";
import type { AttachmentFact, DnsmasqFact, Snapshot } from "./snapshot.ts";

function dnsmasqFor(s: Snapshot, a: AttachmentFact): DnsmasqFact | undefined {
  const ni = s.networkInstances.find((n) => n.uuid === a.niUuid);
  return s.dnsmasq.find((d) => d.bridge === a.bridge || (ni !== undefined && d.ni === ni.name));
}

export function dhcpLinks(
  s: Snapshot,
  a: AttachmentFact,
  rec: EveBridgeRecord | undefined,
  reservedIp: string | null,
): ChainLink[] {
  if (!a.usesDhcp) {
    const why = "no DHCP on this network instance (air-gapped switch)";
    return [
      notApplicable("dhcp-reservation", why),
      notApplicable("dhcp-lease", why),
      notApplicable("dhcp-client", why),
    ];
  }
  const isVmi = isVmiPodName(a.podName);
  const d = dnsmasqFor(s, a);
  const out: ChainLink[] = [];
  let reservation: string | null = null;
  if (!d) {
    const ni = s.networkInstances.find((n) => n.uuid === a.niUuid);
    if (ni?.type === "switch") {
      out.push(notApplicable("dhcp-reservation", "DHCP comes from outside (switch NI)"));
      out.push(notApplicable("dhcp-lease", "DHCP comes from outside (switch NI)"));
    } else {
      out.push(unknown("dhcp-reservation", `no dnsmasq files found for bridge ${a.bridge}`));
      out.push(unknown("dhcp-lease", `no dnsmasq files found for bridge ${a.bridge}`));
    }
  } else {
    const host = d.reservations.find((h) => h.mac === a.mac);
    const p: string[] = [];
    if (!d.running) p.push(`dnsmasq for ${d.ni} is not running${d.pid ? ` (pid ${d.pid})` : ""}`);
    if (!host) p.push(`no dhcp-host for MAC ${a.mac} in ${d.confPath}`);
    else if (reservedIp !== null && host.ip !== reservedIp) {
      p.push(`dhcp-host for MAC ${a.mac} reserves ${host.ip}, app config says ${reservedIp}`);
    }
    reservation = host?.ip ?? reservedIp;
    out.push(
      link(
        "dhcp-reservation",
        host ? `${a.mac} -> ${host.ip}${host.hostname ? ` (${host.hostname})` : ""}` : a.mac,
        p,
      ),
    );

    const lease = d.leases.find((l) => l.mac === a.mac);
    const lp: string[] = [];
    const applied = a.l3?.ips.map((i) => i.address.split("/")[0]) ?? [];
    if (!lease) {
      if (!isVmi) lp.push(`no lease for MAC ${a.mac} in ${d.leaseFile}`);
    } else {
      if (reservation !== null && lease.ip !== reservation) {
        lp.push(`lease for MAC ${a.mac} is ${lease.ip}, reservation is ${reservation}`);
      }
      if (applied.length && !applied.includes(lease.ip)) {
        lp.push(
          `lease ${lease.ip} is not the address applied to ${a.podIfName} (${applied.join(", ")})`,
        );
      }
      const now = Date.parse(s.collectedAt) / 1000;
      if (lease.expiry !== 0 && lease.expiry < now) {
        lp.push(`lease ${lease.ip} expired at ${new Date(lease.expiry * 1000).toISOString()}`);
      }
    }
    const leaseDetail = lease
      ? `${lease.ip} expires ${
        lease.expiry === 0 ? "never" : new Date(lease.expiry * 1000).toISOString()
      }`
      : isVmi
      ? "none (the VM runs DHCP itself)"
      : "none";
    out.push(link("dhcp-lease", leaseDetail, lp));
  }
  out.push(dhcpClientLink(s, a, rec, isVmi));
  return out;
}

export function dhcpClientLink(
  s: Snapshot,
  a: Pick<AttachmentFact, "podNetnsPath">,
  rec: EveBridgeRecord | undefined,
  isVmi: boolean,
): ChainLink {
  if (isVmi) return notApplicable("dhcp-client", "VMI: the guest runs its own DHCP client");
  if (!rec) return unknown("dhcp-client", "no eve-bridge state file for this interface");
  if (rec.useDhcp === false) return notApplicable("dhcp-client", "eve-bridge was told no DHCP");
  if (rec.dhcpClientPid === null) {
    return unknown("dhcp-client", "eve-bridge recorded no DHCP client pid");
  }
  const pid = rec.dhcpClientPid;
  const proc = s.processes[String(pid)];
  if (!proc?.alive) {
    return link("dhcp-client", `pid ${pid}`, [`DHCP client pid ${pid} is not running`]);
  }
  const p: string[] = [];
  const ns = s.pods[a.podNetnsPath];
  if (
    ns?.inode !== undefined && ns.inode !== null && proc.netnsInode !== null &&
    proc.netnsInode !== ns.inode
  ) {
    p.push(
      `DHCP client pid ${pid} runs in another netns (inode ${proc.netnsInode}, pod's is ${ns.inode})`,
    );
  }
  return link("dhcp-client", `pid ${pid} ${proc.command ?? "?"}`, p);
}
