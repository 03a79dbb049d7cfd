/**
 * The chain of one pod attachment, link by link: pod -> app -> adapter -> network instance
 * -> bridge -> host veth -> pod interface -> DHCP reservation -> lease -> DHCP client. Each
 * link is checked against the facts of a Snapshot and says "ok" or exactly what mismatches
 * (`host veth nbu1x1: master is "bn2", expected "bn1"`). Pure: Snapshot in, chains out.
 */
import type { Link } from "../../netns/mod.ts";
import { type Chain, type ChainLink, link, unknown } from "./chain_model.ts";
import { dhcpClientLink, dhcpLinks } from "./chain_dhcp.ts";
import { eth0RoutingEntries, movedRoutes, routingEntryFor, routingLinks } from "./chain_routing.ts";
import { ExitCode, VerdictError } from "./exit_codes.ts";
import type { EveBridgeRecord } from "./eve_bridge_state.ts";
import type { AttachmentFact, PodNetnsFact, Snapshot } from "./snapshot.ts";

export {
  type Chain,
  type ChainLink,
  ChainLinkSchema,
  ChainSchema,
  type Step,
  STEPS,
} from "./chain_model.ts";

function linkState(kernelLink: Link): string {
  return `${kernelLink.adminUp ? "up" : "down"}, ${kernelLink.operState.toLowerCase()}`;
}

function podLink(
  pod: { podName: string; podNetnsPath: string },
  netns: PodNetnsFact | undefined,
  podNamespace: string | null,
): ChainLink {
  const where = `${pod.podName}${
    podNamespace ? ` (${podNamespace})` : ""
  }, netns ${pod.podNetnsPath}`;
  if (!netns?.exists) return link("pod", where, [`pod netns ${pod.podNetnsPath} does not exist`]);
  if (netns.error) {
    return link("pod", where, [`pod netns ${pod.podNetnsPath} cannot be read: ${netns.error}`]);
  }
  return link("pod", where);
}

/** Every link of the chain of one attachment zedrouter knows, pod first, DHCP client last. */
function attachmentLinks(
  snapshot: Snapshot,
  attachment: AttachmentFact,
  record: EveBridgeRecord | undefined,
): ChainLink[] {
  const netns = snapshot.pods[attachment.podNetnsPath];
  const app = snapshot.apps.find((candidate) => candidate.uuid === attachment.appUuid);
  const hostVeth = snapshot.hostLinks.find((l) => l.name === attachment.hostIfName);
  const podIf = netns?.links.find((l) => l.name === attachment.podIfName);
  const routing = routingEntryFor(snapshot, attachment.podNetnsPath, attachment.podIfName);
  return [
    podLink(attachment, netns, record?.podNamespace ?? null),
    appLink(attachment, app),
    adapterLink(attachment, app),
    networkInstanceLink(snapshot, attachment),
    bridgeLink(snapshot, attachment),
    hostVethLink(attachment, hostVeth, podIf),
    podInterfaceLink(attachment, netns, podIf, hostVeth, movedRoutes(routing)),
    ...dhcpLinks(snapshot, attachment, record, adapterIp(snapshot, attachment)),
    ...routingLinks(routing),
  ];
}

type AppFact = Snapshot["apps"][number];

/** zedrouter's config has the app, bound to this pod. */
function appLink(attachment: AttachmentFact, app: AppFact | undefined): ChainLink {
  if (!app) {
    return link("app", attachment.appUuid, [
      `app ${attachment.appUuid} is not in zedrouter's config`,
    ]);
  }
  const problems: string[] = [];
  if (app.boundPod !== null && app.boundPod !== attachment.podName) {
    problems.push(`app ${app.name} is bound to pod "${app.boundPod}", not "${attachment.podName}"`);
  }
  return link("app", `${app.name} ${attachment.appUuid}`, problems);
}

/** The app's adapter of this index, with the MAC the attachment has. */
function adapterLink(attachment: AttachmentFact, app: AppFact | undefined): ChainLink {
  const index = attachment.adapterIndex;
  if (!app || app.adapters.length === 0) {
    return unknown("adapter", `#${index} MAC ${attachment.mac} (app config not available)`);
  }
  const adapter = app.adapters.find((candidate) => candidate.index === index);
  if (!adapter) return link("adapter", `#${index}`, [`app ${app.name} has no adapter #${index}`]);
  const problems = adapter.mac === attachment.mac
    ? []
    : [`adapter #${index}: MAC is ${attachment.mac}, app config says ${adapter.mac}`];
  const ip = adapter.ip ? ` IP ${adapter.ip}` : "";
  return link("adapter", `#${index} MAC ${attachment.mac}${ip}`, problems);
}

/** The network instance is configured, with the attachment's bridge. */
function networkInstanceLink(snapshot: Snapshot, attachment: AttachmentFact): ChainLink {
  if (snapshot.networkInstances.length === 0) {
    return unknown("network-instance", `${attachment.niUuid} (NI list not available)`);
  }
  const ni = snapshot.networkInstances.find((candidate) => candidate.uuid === attachment.niUuid);
  if (!ni) {
    return link("network-instance", attachment.niUuid, [
      `network instance ${attachment.niUuid} is not configured`,
    ]);
  }
  const problems = ni.bridge === attachment.bridge
    ? []
    : [`network instance ${ni.name}: bridge is ${ni.bridge}, attachment says ${attachment.bridge}`];
  return link("network-instance", `${ni.name} (${ni.type}) ${ni.uuid}`, problems);
}

/** The bridge exists on the host, is a bridge, and is up. */
function bridgeLink(snapshot: Snapshot, attachment: AttachmentFact): ChainLink {
  const name = attachment.bridge;
  const bridge = snapshot.hostLinks.find((l) => l.name === name);
  if (!bridge) return link("bridge", name, [`bridge ${name} does not exist`]);
  const problems: string[] = [];
  const ovs = snapshot.networkInstances.find((ni) => ni.uuid === attachment.niUuid)
    ?.bridgeType === "ovs";
  if (ovs) {
    const state = `${linkState(bridge)}`;
    if (!bridge.adminUp) problems.push(`OVS bridge ${name}: is down`);
    return link(
      "bridge",
      `${name} (OVS) ifindex ${bridge.index} mtu ${bridge.mtu} ${state}`,
      problems,
    );
  }
  if (bridge.kind !== "bridge") {
    problems.push(`bridge ${name}: is a ${bridge.kind ?? "plain"} link, not a bridge`);
  }
  if (!bridge.adminUp) problems.push(`bridge ${name}: is down`);
  return link(
    "bridge",
    `${name} ifindex ${bridge.index} mtu ${bridge.mtu} ${linkState(bridge)}`,
    problems,
  );
}

function vlanText(port: AttachmentFact["ovsPort"]): string {
  if (!port) return "";
  if (port.tag !== null) return ` vlan ${port.tag}`;
  return port.trunks.length ? ` trunks ${port.trunks.join(",")}` : "";
}

/** The host veth: a veth, on the bridge, up, the NI's MTU, its peer the pod interface. */
function hostVethLink(
  attachment: AttachmentFact,
  veth: Link | undefined,
  podIf: Link | undefined,
): ChainLink {
  const name = attachment.hostIfName;
  if (!veth) return link("host-veth", name, [`host veth ${name}: missing`]);
  const problems: string[] = [];
  const subject = `host veth ${name}`;
  if (veth.kind !== "veth") {
    problems.push(`${subject}: is a ${veth.kind ?? "plain"} link, not a veth`);
  }
  // An OVS port has no kernel master (userspace datapath) or "ovs-system": OVS says its bridge.
  const master = attachment.ovsPort ? attachment.ovsPort.bridge : veth.master;
  if (master !== attachment.bridge) {
    const what = attachment.ovsPort ? "OVS bridge" : "master";
    problems.push(
      `${subject}: ${what} is ${master === null ? "none" : `"${master}"`}, expected ` +
        `"${attachment.bridge}"`,
    );
  }
  if (!veth.adminUp) problems.push(`${subject}: is down`);
  if (veth.mtu !== attachment.mtu) {
    problems.push(`${subject}: MTU is ${veth.mtu}, expected ${attachment.mtu}`);
  }
  if (podIf && veth.peerIndex !== null && veth.peerIndex !== podIf.index) {
    problems.push(
      `${subject}: peer is ifindex ${veth.peerIndex}, but pod interface ${attachment.podIfName} is ifindex ${podIf.index}`,
    );
  }
  return link(
    "host-veth",
    `${name} ifindex ${veth.index} ${attachment.ovsPort ? "OVS port of" : "master"} ` +
      `${master ?? "-"}${vlanText(attachment.ovsPort)} ${linkState(veth)}`,
    problems,
  );
}

/**
 * The pod interface: the adapter's MAC, up, the NI's MTU, its peer the host veth, and the
 * addresses and routes zedrouter applied at L3.
 */
function podInterfaceLink(
  attachment: AttachmentFact,
  netns: PodNetnsFact | undefined,
  podIf: Link | undefined,
  veth: Link | undefined,
  /** Routes a routing policy moved out of main into the interface's own table. */
  moved: readonly { dst: string; gateway: string | null }[],
): ChainLink {
  const name = attachment.podIfName;
  if (!netns?.exists) return unknown("pod-interface", `${name} (netns gone)`);
  if (!podIf) {
    return link("pod-interface", name, [
      `pod interface ${name}: missing in ${attachment.podNetnsPath}`,
    ]);
  }
  const problems: string[] = [];
  const subject = `pod interface ${name}`;
  if (podIf.mac !== attachment.mac) {
    problems.push(`${subject}: MAC is ${podIf.mac ?? "none"}, expected ${attachment.mac}`);
  }
  if (!podIf.adminUp) problems.push(`${subject}: is down`);
  if (podIf.mtu !== attachment.mtu) {
    problems.push(`${subject}: MTU is ${podIf.mtu}, expected ${attachment.mtu}`);
  }
  if (veth && podIf.peerIndex !== null && podIf.peerIndex !== veth.index) {
    problems.push(
      `${subject}: peer is ifindex ${podIf.peerIndex}, not host veth ${attachment.hostIfName} (ifindex ${veth.index})`,
    );
  }
  const have = netns.addresses.filter((addr) => addr.ifname === name).map((addr) => addr.cidr);
  for (const want of attachment.l3?.ips.map((ip) => ip.address) ?? []) {
    if (!have.includes(want)) problems.push(`${subject}: address ${want} missing`);
  }
  for (const route of attachment.l3?.routes ?? []) {
    const dst = route.dst === "0.0.0.0/0" ? "default" : route.dst;
    const found = [...netns.routes, ...moved].some((kernelRoute) =>
      kernelRoute.dst === dst && (route.gw === null || kernelRoute.gateway === route.gw)
    );
    if (!found) {
      problems.push(`${subject}: route ${route.dst}${route.gw ? ` via ${route.gw}` : ""} missing`);
    }
  }
  const routes = netns.routes.filter((route) => route.dev === name).map((route) =>
    `${route.dst}${route.gateway ? ` via ${route.gateway}` : ""}`
  );
  return link(
    "pod-interface",
    `${name} ifindex ${podIf.index} MAC ${podIf.mac ?? "-"} mtu ${podIf.mtu} ${linkState(podIf)}` +
      ` addr ${have.join(" ") || "-"} routes ${routes.join(", ") || "-"}`,
    problems,
  );
}

function adapterIp(snapshot: Snapshot, attachment: AttachmentFact): string | null {
  return snapshot.apps.find((app) => app.uuid === attachment.appUuid)?.adapters
    .find((adapter) => adapter.index === attachment.adapterIndex)?.ip ?? null;
}

/** The eve-bridge record of an attachment: same netns and ifname (or pod name and ifname). */
export function recordFor(
  snapshot: Snapshot,
  attachment: AttachmentFact,
): EveBridgeRecord | undefined {
  return snapshot.eveBridge.records.find((r) =>
    r.ifname === attachment.podIfName &&
    (r.netnsPath === attachment.podNetnsPath ||
      (r.podName !== null && r.podName === attachment.podName))
  );
}

function finish(base: Omit<Chain, "ok" | "problems">): Chain {
  const problems = base.links.flatMap((l) => l.problems);
  return { ...base, ok: problems.length === 0, problems };
}

/** One chain per attachment zedrouter knows, plus one per eve-bridge state file it does not. */
export function buildChains(snapshot: Snapshot): Chain[] {
  const chains: Chain[] = [];
  const used = new Set<string>();
  for (const a of snapshot.attachments) {
    const rec = recordFor(snapshot, a);
    if (rec) used.add(rec.path);
    const ns = snapshot.pods[a.podNetnsPath];
    const address = ns?.addresses.find((x) =>
      x.ifname === a.podIfName && x.family === "inet"
    )?.cidr ??
      a.l3?.ips[0]?.address ?? null;
    chains.push(finish({
      podName: a.podName,
      podNamespace: rec?.podNamespace ?? null,
      containerId: rec?.containerId ?? null,
      ifname: a.podIfName,
      netnsPath: a.podNetnsPath,
      appUuid: a.appUuid,
      bridge: a.bridge,
      hostIfName: a.hostIfName,
      mac: a.mac,
      address,
      links: attachmentLinks(snapshot, a, rec),
    }));
  }
  for (const r of snapshot.eveBridge.records) {
    if (used.has(r.path) || r.ifname === "eth0") continue;
    const netnsPath = r.netnsPath ?? "(unknown)";
    const pod = { podName: r.podName ?? `container ${r.containerId}`, podNetnsPath: netnsPath };
    const links: ChainLink[] = [
      podLink(pod, snapshot.pods[netnsPath], r.podNamespace),
      // EVE's own zedrouter has no Inspect service: without its view, not knowing the
      // attachment is no evidence that it is missing.
      snapshot.zedrouter.source === "none"
        ? unknown("app", `${r.appUuid ?? "-"} (zedrouter's view is not available)`)
        : link("app", r.appUuid ?? "-", [
          `zedrouter has no attachment for ${pod.podName} interface ${r.ifname} (eve-bridge state ${r.path})`,
        ]),
      recordInterfaceLink(r, snapshot.pods[netnsPath]),
      dhcpClientLink(snapshot, { podNetnsPath: netnsPath }, r, r.vmi === true),
      ...routingLinks(routingEntryFor(snapshot, netnsPath, r.ifname)),
    ];
    chains.push(finish({
      podName: pod.podName,
      podNamespace: r.podNamespace,
      containerId: r.containerId,
      ifname: r.ifname,
      netnsPath,
      appUuid: r.appUuid,
      bridge: null,
      hostIfName: null,
      mac: r.mac,
      address: r.leaseAddress,
      links,
    }));
  }
  chains.push(...eth0Chains(snapshot));
  return chains.sort((x, y) =>
    x.podName.localeCompare(y.podName) || x.ifname.localeCompare(y.ifname)
  );
}

/** eth0 with a routing policy: the pod, then the policy (zedrouter has no part in eth0). */
function eth0Chains(snapshot: Snapshot): Chain[] {
  return eth0RoutingEntries(snapshot).map((entry) => {
    const { record } = entry;
    const podName = record.podName || `container ${record.containerID}`;
    const netns = snapshot.pods[record.netnsPath];
    const podIf = netns?.links.find((l) => l.name === record.ifname);
    return finish({
      podName,
      podNamespace: null,
      containerId: record.containerID,
      ifname: record.ifname,
      netnsPath: record.netnsPath,
      appUuid: null,
      bridge: record.hostEnd,
      hostIfName: null,
      mac: podIf?.mac ?? record.applied.mac,
      address: record.applied.addresses[0] ?? null,
      links: [
        podLink({ podName, podNetnsPath: record.netnsPath }, netns, null),
        ...routingLinks(entry),
      ],
    });
  });
}

/** The pod interface as eve-bridge recorded it (MAC, leased address) against the kernel. */
function recordInterfaceLink(record: EveBridgeRecord, ns: PodNetnsFact | undefined): ChainLink {
  if (!ns?.exists) return unknown("pod-interface", `${record.ifname} (netns gone)`);
  const podIf = ns.links.find((l) => l.name === record.ifname);
  if (!podIf) {
    return link("pod-interface", record.ifname, [`pod interface ${record.ifname}: missing`]);
  }
  const p: string[] = [];
  if (record.mac !== null && podIf.mac !== record.mac) {
    p.push(
      `pod interface ${record.ifname}: MAC is ${
        podIf.mac ?? "none"
      }, eve-bridge recorded ${record.mac}`,
    );
  }
  const have = ns.addresses.filter((x) => x.ifname === record.ifname).map((x) => x.cidr);
  if (record.leaseAddress !== null && !have.includes(record.leaseAddress)) {
    p.push(`pod interface ${record.ifname}: leased address ${record.leaseAddress} missing`);
  }
  return link(
    "pod-interface",
    `${record.ifname} MAC ${podIf.mac ?? "-"} addr ${have.join(" ") || "-"}`,
    p,
  );
}

/** Chains of one pod (by exact name, or by container ID), optionally one interface. */
export function selectChains(chains: Chain[], pod: string, ifname?: string): Chain[] {
  return chains.filter((c) =>
    (c.podName === pod || c.containerId === pod) && (ifname === undefined || c.ifname === ifname)
  );
}

/**
 * selectChains for a command the user pointed at a pod. None found is a verdict, not a usage
 * error: the pod name is well-formed, the node just has no such attachment (exit 1). Without
 * any zedrouter view the attachment may exist where we cannot see it: unreachable (exit 3).
 */
export function requirePodChains(
  chains: Chain[],
  zedrouter: Snapshot["zedrouter"],
  pod: string,
  ifname?: string,
): Chain[] {
  const selected = selectChains(chains, pod, ifname);
  if (selected.length > 0) return selected;
  const what = `pod "${pod}"${ifname ? ` interface "${ifname}"` : ""}`;
  if (zedrouter.source === "none") {
    throw new VerdictError(
      `No attachment of ${what} in eve-bridge's state, and zedrouter could not be asked` +
        `${zedrouter.note ? ` (${zedrouter.note})` : ""}; start zedrouter, or point --socket ` +
        "or --zedrouter-state-dir at it",
      ExitCode.ZedrouterUnreachable,
    );
  }
  throw new VerdictError(
    `No attachment of ${what}: neither zedrouter nor eve-bridge's state has one; ` +
      `see "eve-cni-debug pods" for the pods that do`,
    ExitCode.ProblemsFound,
  );
}
