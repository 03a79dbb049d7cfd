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
  record: EveBridgeRecord | undefined,
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
  const client = dhcpClientLink(snapshot, attachment, record, isVmi);
  const dnsmasq = dnsmasqFor(snapshot, attachment);
  if (!dnsmasq) {
    const ni = snapshot.networkInstances.find((n) => n.uuid === attachment.niUuid);
    const why = ni?.type === "switch"
      ? "DHCP comes from outside (switch NI)"
      : `no dnsmasq files found for bridge ${attachment.bridge}`;
    const mark = ni?.type === "switch" ? notApplicable : unknown;
    return [mark("dhcp-reservation", why), mark("dhcp-lease", why), client];
  }
  const { link: reservationLink, reservation } = reservationOf(dnsmasq, attachment, reservedIp);
  return [
    reservationLink,
    leaseLink(snapshot, dnsmasq, attachment, reservation, isVmi),
    client,
  ];
}

/** dnsmasq runs and reserves the adapter's address for its MAC. */
function reservationOf(
  dnsmasq: DnsmasqFact,
  attachment: AttachmentFact,
  reservedIp: string | null,
): { link: ChainLink; reservation: string | null } {
  const host = dnsmasq.reservations.find((h) => h.mac === attachment.mac);
  const problems: string[] = [];
  if (!dnsmasq.running) {
    problems.push(
      `dnsmasq for ${dnsmasq.ni} is not running${dnsmasq.pid ? ` (pid ${dnsmasq.pid})` : ""}`,
    );
  }
  if (!host) problems.push(`no dhcp-host for MAC ${attachment.mac} in ${dnsmasq.confPath}`);
  else if (reservedIp !== null && host.ip !== reservedIp) {
    problems.push(
      `dhcp-host for MAC ${attachment.mac} reserves ${host.ip}, app config says ${reservedIp}`,
    );
  }
  const detail = host
    ? `${attachment.mac} -> ${host.ip}${host.hostname ? ` (${host.hostname})` : ""}`
    : attachment.mac;
  return { link: link("dhcp-reservation", detail, problems), reservation: host?.ip ?? reservedIp };
}

/** dnsmasq's lease for the MAC: the reserved address, the one applied, not expired. */
function leaseLink(
  snapshot: Snapshot,
  dnsmasq: DnsmasqFact,
  attachment: AttachmentFact,
  reservation: string | null,
  isVmi: boolean,
): ChainLink {
  const lease = dnsmasq.leases.find((l) => l.mac === attachment.mac);
  const problems: string[] = [];
  const applied = attachment.l3?.ips.map((ip) => ip.address.split("/")[0]) ?? [];
  if (!lease) {
    if (!isVmi) problems.push(`no lease for MAC ${attachment.mac} in ${dnsmasq.leaseFile}`);
  } else {
    if (reservation !== null && lease.ip !== reservation) {
      problems.push(
        `lease for MAC ${attachment.mac} is ${lease.ip}, reservation is ${reservation}`,
      );
    }
    if (applied.length && !applied.includes(lease.ip)) {
      problems.push(
        `lease ${lease.ip} is not the address applied to ${attachment.podIfName} (${
          applied.join(", ")
        })`,
      );
    }
    const now = Date.parse(snapshot.collectedAt) / 1000;
    if (lease.expiry !== 0 && lease.expiry < now) {
      problems.push(`lease ${lease.ip} expired at ${new Date(lease.expiry * 1000).toISOString()}`);
    }
  }
  const detail = lease
    ? `${lease.ip} expires ${
      lease.expiry === 0 ? "never" : new Date(lease.expiry * 1000).toISOString()
    }`
    : isVmi
    ? "none (the VM runs DHCP itself)"
    : "none";
  return link("dhcp-lease", detail, problems);
}

export function dhcpClientLink(
  snapshot: Snapshot,
  attachment: Pick<AttachmentFact, "podNetnsPath">,
  record: EveBridgeRecord | undefined,
  isVmi: boolean,
): ChainLink {
  if (isVmi) return notApplicable("dhcp-client", "VMI: the guest runs its own DHCP client");
  if (!record) return unknown("dhcp-client", "no eve-bridge state file for this interface");
  if (record.useDhcp === false) return notApplicable("dhcp-client", "eve-bridge was told no DHCP");
  if (record.dhcpClientPid === null) {
    return unknown("dhcp-client", "eve-bridge recorded no DHCP client pid");
  }
  const pid = record.dhcpClientPid;
  const proc = snapshot.processes[String(pid)];
  if (!proc?.alive) {
    return link("dhcp-client", `pid ${pid}`, [`DHCP client pid ${pid} is not running`]);
  }
  const problems: string[] = [];
  const ns = snapshot.pods[attachment.podNetnsPath];
  if (
    ns?.inode !== undefined && ns.inode !== null && proc.netnsInode !== null &&
    proc.netnsInode !== ns.inode
  ) {
    problems.push(
      `DHCP client pid ${pid} runs in another netns (inode ${proc.netnsInode}, pod's is ${ns.inode})`,
    );
  }
  return link("dhcp-client", `pid ${pid} ${proc.command ?? "?"}`, problems);
}
