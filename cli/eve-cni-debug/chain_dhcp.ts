/**
 * The DHCP end of a chain: dnsmasq's reservation for the adapter MAC, its lease, and the
 * pod's DHCP client (eve-bridge's udhcpc, alive and in the pod's netns). Pure.
 */
import { isVmiPodName } from "../../core/eve/mod.ts";
import type { EveBridgeRecord } from "./eve_bridge_state.ts";
import { type ChainLink, link, notApplicable, unknown } from "./chain_model.ts";
import type { AttachmentFact, DnsmasqFact, Snapshot } from "./snapshot.ts";

function dnsmasqFor(snapshot: Snapshot, attachment: AttachmentFact): DnsmasqFact | undefined {
  const ni = snapshot.networkInstances.find((n) => n.uuid === attachment.niUuid);
  return snapshot.dnsmasq.find((d) =>
    d.bridge === attachment.bridge || (ni !== undefined && d.ni === ni.name)
  );
}

export function dhcpLinks(
  snapshot: Snapshot,
  attachment: AttachmentFact,
  rec: EveBridgeRecord | undefined,
  reservedIp: string | null,
): ChainLink[] {
  if (!attachment.usesDhcp) {
    const why = "no DHCP on this network instance (air-gapped switch)";
    return [
      notApplicable("dhcp-reservation", why),
      notApplicable("dhcp-lease", why),
      notApplicable("dhcp-client", why),
    ];
  }
  const isVmi = isVmiPodName(attachment.podName);
  const d = dnsmasqFor(snapshot, attachment);
  const out: ChainLink[] = [];
  let reservation: string | null = null;
  if (!d) {
    const ni = snapshot.networkInstances.find((n) => n.uuid === attachment.niUuid);
    if (ni?.type === "switch") {
      out.push(notApplicable("dhcp-reservation", "DHCP comes from outside (switch NI)"));
      out.push(notApplicable("dhcp-lease", "DHCP comes from outside (switch NI)"));
    } else {
      out.push(
        unknown("dhcp-reservation", `no dnsmasq files found for bridge ${attachment.bridge}`),
      );
      out.push(unknown("dhcp-lease", `no dnsmasq files found for bridge ${attachment.bridge}`));
    }
  } else {
    const host = d.reservations.find((h) => h.mac === attachment.mac);
    const p: string[] = [];
    if (!d.running) p.push(`dnsmasq for ${d.ni} is not running${d.pid ? ` (pid ${d.pid})` : ""}`);
    if (!host) p.push(`no dhcp-host for MAC ${attachment.mac} in ${d.confPath}`);
    else if (reservedIp !== null && host.ip !== reservedIp) {
      p.push(
        `dhcp-host for MAC ${attachment.mac} reserves ${host.ip}, app config says ${reservedIp}`,
      );
    }
    reservation = host?.ip ?? reservedIp;
    out.push(
      link(
        "dhcp-reservation",
        host
          ? `${attachment.mac} -> ${host.ip}${host.hostname ? ` (${host.hostname})` : ""}`
          : attachment.mac,
        p,
      ),
    );

    const lease = d.leases.find((l) => l.mac === attachment.mac);
    const lp: string[] = [];
    const applied = attachment.l3?.ips.map((i) => i.address.split("/")[0]) ?? [];
    if (!lease) {
      if (!isVmi) lp.push(`no lease for MAC ${attachment.mac} in ${d.leaseFile}`);
    } else {
      if (reservation !== null && lease.ip !== reservation) {
        lp.push(`lease for MAC ${attachment.mac} is ${lease.ip}, reservation is ${reservation}`);
      }
      if (applied.length && !applied.includes(lease.ip)) {
        lp.push(
          `lease ${lease.ip} is not the address applied to ${attachment.podIfName} (${
            applied.join(", ")
          })`,
        );
      }
      const now = Date.parse(snapshot.collectedAt) / 1000;
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
  out.push(dhcpClientLink(snapshot, attachment, rec, isVmi));
  return out;
}

export function dhcpClientLink(
  snapshot: Snapshot,
  attachment: Pick<AttachmentFact, "podNetnsPath">,
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
  const proc = snapshot.processes[String(pid)];
  if (!proc?.alive) {
    return link("dhcp-client", `pid ${pid}`, [`DHCP client pid ${pid} is not running`]);
  }
  const p: string[] = [];
  const ns = snapshot.pods[attachment.podNetnsPath];
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
