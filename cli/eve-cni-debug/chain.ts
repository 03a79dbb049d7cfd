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

function state(l: Link): string {
  return `${l.adminUp ? "up" : "down"}, ${l.operState.toLowerCase()}`;
}

function podLink(
  a: { podName: string; podNetnsPath: string },
  ns: PodNetnsFact | undefined,
  ns2: string | null,
): ChainLink {
  const where = `${a.podName}${ns2 ? ` (${ns2})` : ""}, netns ${a.podNetnsPath}`;
  if (!ns?.exists) return link("pod", where, [`pod netns ${a.podNetnsPath} does not exist`]);
  if (ns.error) {
    return link("pod", where, [`pod netns ${a.podNetnsPath} cannot be read: ${ns.error}`]);
  }
  return link("pod", where);
}

function attachmentLinks(
  s: Snapshot,
  a: AttachmentFact,
  rec: EveBridgeRecord | undefined,
): ChainLink[] {
  const out: ChainLink[] = [];
  const ns = s.pods[a.podNetnsPath];
  out.push(podLink(a, ns, rec?.podNamespace ?? null));

  const app = s.apps.find((x) => x.uuid === a.appUuid);
  const appName = app?.name ?? a.appName;
  if (!app) out.push(link("app", a.appUuid, [`app ${a.appUuid} is not in zedrouter's config`]));
  else {
    const p: string[] = [];
    if (app.boundPod !== null && app.boundPod !== a.podName) {
      p.push(`app ${app.name} is bound to pod "${app.boundPod}", not "${a.podName}"`);
    }
    out.push(link("app", `${appName} ${a.appUuid}`, p));
  }

  const adapter = app?.adapters.find((d) => d.index === a.adapterIndex);
  if (!app || app.adapters.length === 0) {
    out.push(unknown("adapter", `#${a.adapterIndex} MAC ${a.mac} (app config not available)`));
  } else if (!adapter) {
    out.push(
      link("adapter", `#${a.adapterIndex}`, [`app ${app.name} has no adapter #${a.adapterIndex}`]),
    );
  } else {
    const p = adapter.mac === a.mac
      ? []
      : [`adapter #${a.adapterIndex}: MAC is ${a.mac}, app config says ${adapter.mac}`];
    out.push(
      link("adapter", `#${a.adapterIndex} MAC ${a.mac}${adapter.ip ? ` IP ${adapter.ip}` : ""}`, p),
    );
  }

  const ni = s.networkInstances.find((n) => n.uuid === a.niUuid);
  if (s.networkInstances.length === 0) {
    out.push(unknown("network-instance", `${a.niUuid} (NI list not available)`));
  } else if (!ni) {
    out.push(
      link("network-instance", a.niUuid, [`network instance ${a.niUuid} is not configured`]),
    );
  } else {
    const p = ni.bridge === a.bridge
      ? []
      : [`network instance ${ni.name}: bridge is ${ni.bridge}, attachment says ${a.bridge}`];
    out.push(link("network-instance", `${ni.name} (${ni.type}) ${ni.uuid}`, p));
  }

  const bridge = s.hostLinks.find((l) => l.name === a.bridge);
  if (!bridge) out.push(link("bridge", a.bridge, [`bridge ${a.bridge} does not exist`]));
  else {
    const p: string[] = [];
    if (bridge.kind !== "bridge") {
      p.push(`bridge ${a.bridge}: is a ${bridge.kind ?? "plain"} link, not a bridge`);
    }
    if (!bridge.adminUp) p.push(`bridge ${a.bridge}: is down`);
    out.push(
      link("bridge", `${a.bridge} ifindex ${bridge.index} mtu ${bridge.mtu} ${state(bridge)}`, p),
    );
  }

  const veth = s.hostLinks.find((l) => l.name === a.hostIfName);
  const podIf = ns?.links.find((l) => l.name === a.podIfName);
  if (!veth) out.push(link("host-veth", a.hostIfName, [`host veth ${a.hostIfName}: missing`]));
  else {
    const p: string[] = [];
    const h = `host veth ${a.hostIfName}`;
    if (veth.kind !== "veth") p.push(`${h}: is a ${veth.kind ?? "plain"} link, not a veth`);
    if (veth.master !== a.bridge) {
      p.push(
        `${h}: master is ${
          veth.master === null ? "none" : `"${veth.master}"`
        }, expected "${a.bridge}"`,
      );
    }
    if (!veth.adminUp) p.push(`${h}: is down`);
    if (veth.mtu !== a.mtu) p.push(`${h}: MTU is ${veth.mtu}, expected ${a.mtu}`);
    if (podIf && veth.peerIndex !== null && veth.peerIndex !== podIf.index) {
      p.push(
        `${h}: peer is ifindex ${veth.peerIndex}, but pod interface ${a.podIfName} is ifindex ${podIf.index}`,
      );
    }
    out.push(
      link(
        "host-veth",
        `${a.hostIfName} ifindex ${veth.index} master ${veth.master ?? "-"} ${state(veth)}`,
        p,
      ),
    );
  }

  const expectedIps = a.l3?.ips.map((i) => i.address) ?? [];
  if (!ns?.exists) out.push(unknown("pod-interface", `${a.podIfName} (netns gone)`));
  else if (!podIf) {
    out.push(
      link("pod-interface", a.podIfName, [
        `pod interface ${a.podIfName}: missing in ${a.podNetnsPath}`,
      ]),
    );
  } else {
    const p: string[] = [];
    const i = `pod interface ${a.podIfName}`;
    if (podIf.mac !== a.mac) p.push(`${i}: MAC is ${podIf.mac ?? "none"}, expected ${a.mac}`);
    if (!podIf.adminUp) p.push(`${i}: is down`);
    if (podIf.mtu !== a.mtu) p.push(`${i}: MTU is ${podIf.mtu}, expected ${a.mtu}`);
    if (veth && podIf.peerIndex !== null && podIf.peerIndex !== veth.index) {
      p.push(
        `${i}: peer is ifindex ${podIf.peerIndex}, not host veth ${a.hostIfName} (ifindex ${veth.index})`,
      );
    }
    const have = ns.addresses.filter((x) => x.ifname === a.podIfName).map((x) => x.cidr);
    for (const want of expectedIps) {
      if (!have.includes(want)) p.push(`${i}: address ${want} missing`);
    }
    for (const r of a.l3?.routes ?? []) {
      const dst = r.dst === "0.0.0.0/0" ? "default" : r.dst;
      // A routing policy's migrateRoute moved the interface's routes to its own table.
      const found = [...ns.routes, ...movedRoutes(routingEntryFor(s, a.podNetnsPath, a.podIfName))]
        .some((x) => x.dst === dst && (r.gw === null || x.gateway === r.gw));
      if (!found) p.push(`${i}: route ${r.dst}${r.gw ? ` via ${r.gw}` : ""} missing`);
    }
    const routes = ns.routes.filter((x) => x.dev === a.podIfName).map((x) =>
      `${x.dst}${x.gateway ? ` via ${x.gateway}` : ""}`
    );
    out.push(link(
      "pod-interface",
      `${a.podIfName} ifindex ${podIf.index} MAC ${podIf.mac ?? "-"} mtu ${podIf.mtu} ${
        state(podIf)
      }` +
        ` addr ${have.join(" ") || "-"} routes ${routes.join(", ") || "-"}`,
      p,
    ));
  }

  out.push(...dhcpLinks(s, a, rec, adapterIp(s, a)));
  return out;
}

function adapterIp(s: Snapshot, a: AttachmentFact): string | null {
  return s.apps.find((x) => x.uuid === a.appUuid)?.adapters.find((d) => d.index === a.adapterIndex)
    ?.ip ?? null;
}

/** The eve-bridge record of an attachment: same netns and ifname (or pod name and ifname). */
export function recordFor(s: Snapshot, a: AttachmentFact): EveBridgeRecord | undefined {
  return s.eveBridge.records.find((r) =>
    r.ifname === a.podIfName &&
    (r.netnsPath === a.podNetnsPath || (r.podName !== null && r.podName === a.podName))
  );
}

function finish(base: Omit<Chain, "ok" | "problems">): Chain {
  const problems = base.links.flatMap((l) => l.problems);
  return { ...base, ok: problems.length === 0, problems };
}

/** One chain per attachment zedrouter knows, plus one per eve-bridge state file it does not. */
export function buildChains(s: Snapshot): Chain[] {
  const chains: Chain[] = [];
  const used = new Set<string>();
  for (const a of s.attachments) {
    const rec = recordFor(s, a);
    if (rec) used.add(rec.path);
    const ns = s.pods[a.podNetnsPath];
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
      links: [
        ...attachmentLinks(s, a, rec),
        ...routingLinks(routingEntryFor(s, a.podNetnsPath, a.podIfName)),
      ],
    }));
  }
  for (const r of s.eveBridge.records) {
    if (used.has(r.path) || r.ifname === "eth0") continue;
    const netnsPath = r.netnsPath ?? "(unknown)";
    const pod = { podName: r.podName ?? `container ${r.containerId}`, podNetnsPath: netnsPath };
    const links: ChainLink[] = [
      podLink(pod, s.pods[netnsPath], r.podNamespace),
      // EVE's own zedrouter has no Inspect service: without its view, not knowing the
      // attachment is no evidence that it is missing.
      s.zedrouter.source === "none"
        ? unknown("app", `${r.appUuid ?? "-"} (zedrouter's view is not available)`)
        : link("app", r.appUuid ?? "-", [
          `zedrouter has no attachment for ${pod.podName} interface ${r.ifname} (eve-bridge state ${r.path})`,
        ]),
      recordInterfaceLink(r, s.pods[netnsPath]),
      dhcpClientLink(s, { podNetnsPath: netnsPath }, r, r.vmi === true),
      ...routingLinks(routingEntryFor(s, netnsPath, r.ifname)),
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
  chains.push(...eth0Chains(s));
  return chains.sort((x, y) =>
    x.podName.localeCompare(y.podName) || x.ifname.localeCompare(y.ifname)
  );
}

/** eth0 with a routing policy: the pod, then the policy (zedrouter has no part in eth0). */
function eth0Chains(s: Snapshot): Chain[] {
  return eth0RoutingEntries(s).map(({ record }) => {
    const podName = record.podName || `container ${record.containerID}`;
    const ns = s.pods[record.netnsPath];
    const podIf = ns?.links.find((l) => l.name === record.ifname);
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
        podLink({ podName, podNetnsPath: record.netnsPath }, ns, null),
        ...routingLinks(routingEntryFor(s, record.netnsPath, record.ifname)),
      ],
    });
  });
}

/** The pod interface as eve-bridge recorded it (MAC, leased address) against the kernel. */
function recordInterfaceLink(r: EveBridgeRecord, ns: PodNetnsFact | undefined): ChainLink {
  if (!ns?.exists) return unknown("pod-interface", `${r.ifname} (netns gone)`);
  const podIf = ns.links.find((l) => l.name === r.ifname);
  if (!podIf) return link("pod-interface", r.ifname, [`pod interface ${r.ifname}: missing`]);
  const p: string[] = [];
  if (r.mac !== null && podIf.mac !== r.mac) {
    p.push(
      `pod interface ${r.ifname}: MAC is ${podIf.mac ?? "none"}, eve-bridge recorded ${r.mac}`,
    );
  }
  const have = ns.addresses.filter((x) => x.ifname === r.ifname).map((x) => x.cidr);
  if (r.leaseAddress !== null && !have.includes(r.leaseAddress)) {
    p.push(`pod interface ${r.ifname}: leased address ${r.leaseAddress} missing`);
  }
  return link(
    "pod-interface",
    `${r.ifname} MAC ${podIf.mac ?? "-"} addr ${have.join(" ") || "-"}`,
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
