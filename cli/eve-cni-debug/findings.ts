/**
 * The doctor's findings: leaks and drift across zedrouter, eve-bridge, dnsmasq and the
 * kernel. Pure: Snapshot in, findings out. A finding carries a hint for the human and, when
 * repairing it cannot hurt a live pod, the one action --fix may take.
 */
import * as v from "valibot";
import { isHostVethName, podBelongsTo } from "../../core/eve/mod.ts";
import { recordFor } from "./chain.ts";
import type { Snapshot } from "./snapshot.ts";

export const FINDING_KINDS = [
  "orphan-veth",
  "missing-veth",
  "departed-pod",
  "mac-drift",
  "stale-lease",
  "orphan-dhcp-client",
  "dead-dhcp-client",
  "orphan-state-file",
  "unreadable-state-file",
  "unfinished-add",
  "duplicate-mac",
  "two-generations",
] as const;

/**
 * The findings that rest on zedrouter's view (its attachments, NIs, dnsmasq files): with no
 * view at all they are not checked, and the doctor must say so rather than report a clean node.
 */
export const ZEDROUTER_FINDING_KINDS = [
  "orphan-veth",
  "missing-veth",
  "departed-pod",
  "mac-drift",
  "stale-lease",
] as const satisfies readonly (typeof FINDING_KINDS)[number][];

export const FixSchema = v.variant("action", [
  v.strictObject({
    action: v.literal("delete-link"),
    netns: v.nullable(v.string()),
    ifname: v.string(),
  }),
  v.strictObject({
    action: v.literal("stop-pid"),
    pid: v.number(),
    /** What proves the pid is eve-bridge's udhcpc (core/eve/dhcp_client.ts). */
    pidFile: v.nullable(v.string()),
    startTime: v.nullable(v.number()),
  }),
  /** The record, its sibling files (events, pid, lock) and its container dir once empty. */
  v.strictObject({
    action: v.literal("remove-file"),
    path: v.string(),
    siblings: v.array(v.string()),
    dir: v.nullable(v.string()),
  }),
  /** DisconnectPod for a pod whose netns is gone: zedrouter's stale-pod guard protects a newer pod. */
  v.strictObject({
    action: v.literal("disconnect-pod"),
    podName: v.string(),
    netnsPath: v.string(),
    ifname: v.string(),
  }),
]);
export type Fix = v.InferOutput<typeof FixSchema>;

export const FindingSchema = v.strictObject({
  kind: v.picklist(FINDING_KINDS),
  subject: v.string(),
  message: v.string(),
  hint: v.string(),
  fix: v.nullable(FixSchema),
});
export type Finding = v.InferOutput<typeof FindingSchema>;

function niBridges(snapshot: Snapshot): Set<string> {
  const set = new Set<string>([
    ...snapshot.networkInstances.map((n) => n.bridge),
    ...snapshot.attachments.map((a) => a.bridge),
  ]);
  for (const d of snapshot.dnsmasq) if (d.bridge) set.add(d.bridge);
  return set;
}

function orphanVeths(snapshot: Snapshot): Finding[] {
  const bridges = niBridges(snapshot);
  const known = new Set(snapshot.attachments.map((a) => a.hostIfName));
  // Without any zedrouter view every veth would look orphaned: say nothing rather than lie.
  if (snapshot.zedrouter.source === "none") return [];
  const ports = new Set(snapshot.networkInstances.map((n) => n.port).filter((p) => p));
  // An OVS port's kernel master is none or ovs-system, never an NI bridge; orphanOvsPorts
  // judges those by OVS's database.
  for (const ni of snapshot.networkInstances) for (const p of ni.ovsPorts ?? []) ports.add(p);
  return snapshot.hostLinks
    .filter((l) =>
      l.kind === "veth" && l.master !== null && bridges.has(l.master) && !known.has(l.name) &&
      !ports.has(l.name)
    )
    .map((l) => {
      // Only zedrouter's own naming makes a veth safe to delete unattended.
      const ours = isHostVethName(l.name);
      return {
        kind: "orphan-veth" as const,
        subject: l.name,
        message: `host veth ${l.name} is a port of ${l.master} but no attachment owns it`,
        hint: ours
          ? "left behind by a pod whose DEL never reached zedrouter; deleting it frees the bridge port"
          : "not named like zedrouter's veths (nbu<N>x<M>): find its owner before deleting it",
        fix: ours
          ? { action: "delete-link" as const, netns: snapshot.hostNetns, ifname: l.name }
          : null,
      };
    });
}

/**
 * Ports of an OVS-backed NI's bridge (OVS's database, through zedrouter) that no attachment
 * owns: the kernel gives them no Linux master, so orphanVeths cannot see them. The NI's
 * uplink is not one. No --fix: deleting the veth would leave its OVS record behind, and a
 * port not named like zedrouter's may be someone else's.
 */
function orphanOvsPorts(snapshot: Snapshot): Finding[] {
  if (snapshot.zedrouter.source === "none") return [];
  const known = new Set(snapshot.attachments.map((a) => a.hostIfName));
  const links = new Map(snapshot.hostLinks.map((l) => [l.name, l]));
  return snapshot.networkInstances.flatMap((ni) =>
    (ni.ovsPorts ?? []).filter((port) => !known.has(port) && port !== ni.port).map((port) => {
      const link = links.get(port);
      const what = link ? `host ${link.kind ?? "link"} ${port}` : `port ${port} (no such link)`;
      return {
        kind: "orphan-veth" as const,
        subject: port,
        message: `${what} is an OVS port of ${ni.bridge} (network instance "${ni.name}") but ` +
          "no attachment owns it",
        hint: (isHostVethName(port)
          ? "left behind by a pod whose DEL never reached zedrouter; "
          : "not named like zedrouter's veths (nbu<N>x<M>): find its owner first; ") +
          `remove it with ovs-vsctl --if-exists del-port ${ni.bridge} ${port}` +
          (link ? ` and ip link del ${port}` : ""),
        fix: null,
      };
    })
  );
}

function missingVeths(snapshot: Snapshot): Finding[] {
  const names = new Set(snapshot.hostLinks.map((l) => l.name));
  return snapshot.attachments.filter((a) => !names.has(a.hostIfName)).map((a) => ({
    kind: "missing-veth" as const,
    subject: `${a.podName}/${a.podIfName}`,
    message: `attachment of ${a.podName} ${a.podIfName} has no host veth ${a.hostIfName}`,
    hint: "the pod has lost connectivity on this interface; delete the pod so CNI re-runs ADD",
    fix: null,
  }));
}

function departedPods(snapshot: Snapshot): Finding[] {
  return snapshot.attachments.filter((a) => snapshot.pods[a.podNetnsPath]?.exists === false).map((
    a,
  ) => ({
    kind: "departed-pod" as const,
    subject: `${a.podName}/${a.podIfName}`,
    message:
      `zedrouter still has an attachment of ${a.podName} ${a.podIfName}, whose netns ${a.podNetnsPath} is gone`,
    hint: "a DEL was lost; DisconnectPod removes zedrouter's attachment and its veth",
    fix: {
      action: "disconnect-pod" as const,
      podName: a.podName,
      netnsPath: a.podNetnsPath,
      ifname: a.podIfName,
    },
  }));
}

function macDrift(snapshot: Snapshot): Finding[] {
  const out: Finding[] = [];
  for (const a of snapshot.attachments) {
    const podIf = snapshot.pods[a.podNetnsPath]?.links.find((l) => l.name === a.podIfName);
    if (!podIf || podIf.mac === a.mac) continue;
    out.push({
      kind: "mac-drift",
      subject: `${a.podName}/${a.podIfName}`,
      message: `pod interface ${a.podIfName} of ${a.podName} has MAC ${
        podIf.mac ?? "none"
      }, zedrouter attached it as ${a.mac}`,
      hint: "dnsmasq's reservation and zedrouter's view key on the adapter MAC; set it back " +
        "(ip link set ... address) or delete the pod so CNI re-runs ADD",
      fix: null,
    });
  }
  return out;
}

function staleLeases(snapshot: Snapshot): Finding[] {
  const live = new Set(snapshot.attachments.map((a) => a.mac));
  const out: Finding[] = [];
  for (const d of snapshot.dnsmasq) {
    for (const l of d.leases) {
      if (live.has(l.mac)) continue;
      out.push({
        kind: "stale-lease",
        subject: `${l.mac} ${l.ip}`,
        message: `lease ${l.ip} of MAC ${l.mac} in ${d.leaseFile} has no attached pod interface`,
        hint:
          "the pod left without releasing its lease; dnsmasq keeps the reservation, so this only " +
          "matters if the MAC moved to another address",
        fix: null,
      });
    }
  }
  return out;
}

function dhcpClients(snapshot: Snapshot): Finding[] {
  const out: Finding[] = [];
  for (const r of snapshot.eveBridge.records) {
    if (r.dhcpClientPid === null) continue;
    const proc = snapshot.processes[String(r.dhcpClientPid)];
    const ns = r.netnsPath ? snapshot.pods[r.netnsPath] : undefined;
    const subject = `pid ${r.dhcpClientPid}`;
    if (!proc?.alive) {
      if (ns?.exists) {
        out.push({
          kind: "dead-dhcp-client",
          subject,
          message: `DHCP client pid ${r.dhcpClientPid} of ${
            r.podName ?? r.containerId
          } ${r.ifname} is not running`,
          hint:
            "the lease will not be renewed; delete the pod (or run CNI CHECK) to get a new client",
          fix: null,
        });
      }
      continue;
    }
    const wrongNs = ns?.exists && ns.inode !== null && proc.netnsInode !== null &&
      proc.netnsInode !== ns.inode;
    if (!ns?.exists || wrongNs) {
      out.push({
        kind: "orphan-dhcp-client",
        subject,
        message:
          `DHCP client pid ${r.dhcpClientPid} (${proc.command ?? "?"}) serves ${
            r.netnsPath ?? "an unknown netns"
          }, ` +
          (wrongNs ? "but runs in another namespace" : "which is gone"),
        hint: "stopping it releases nothing a live pod needs",
        fix: {
          action: "stop-pid",
          pid: r.dhcpClientPid,
          pidFile: r.siblings.find((file) => file.endsWith(".pid")) ?? null,
          startTime: r.dhcpClientStartTime ?? null,
        },
      });
    }
  }
  return out;
}

function strayDhcpClients(snapshot: Snapshot): Finding[] {
  const recorded = new Set(snapshot.eveBridge.records.map((r) => r.dhcpClientPid));
  return (snapshot.dhcpClientsOnNode ?? []).filter((c) => !recorded.has(c.pid)).map((c) => ({
    kind: "orphan-dhcp-client" as const,
    subject: `pid ${c.pid}`,
    message:
      `DHCP client pid ${c.pid} (udhcpc, pid file ${c.pidFile}) belongs to no eve-bridge state`,
    hint: "its attachment's state was removed without stopping it; stopping it is safe",
    fix: {
      action: "stop-pid" as const,
      pid: c.pid,
      pidFile: c.pidFile,
      startTime: c.startTime ?? null,
    },
  }));
}

function stateFiles(snapshot: Snapshot): Finding[] {
  const out: Finding[] = snapshot.eveBridge.unreadable.map((u) => ({
    kind: "unreadable-state-file" as const,
    subject: u.path,
    message: `eve-bridge state file ${u.path} cannot be read: ${u.error}`,
    hint: "inspect it by hand; eve-bridge's DEL of that interface may fail",
    fix: null,
  }));
  const attached = new Set(snapshot.attachments.map((a) => `${a.podNetnsPath} ${a.podIfName}`));
  // With no zedrouter view, "zedrouter has no attachment" is unknown: the record may be the
  // only thing that lets eve-bridge's DEL disconnect the veth later, so it is not removed.
  const blind = snapshot.zedrouter.source === "none";
  for (const r of snapshot.eveBridge.records) {
    const gone = r.netnsPath === null || snapshot.pods[r.netnsPath]?.exists === false;
    if (!gone || attached.has(`${r.netnsPath} ${r.ifname}`)) continue;
    const what = `eve-bridge state of ${r.podName ?? r.containerId} ${r.ifname} remains, but ` +
      `its netns ${r.netnsPath ?? "(none recorded)"} is gone`;
    out.push(
      blind
        ? {
          kind: "orphan-state-file",
          subject: r.path,
          message: `${what}; zedrouter could not be asked whether it still has the attachment`,
          hint: "keep it until zedrouter answers: eve-bridge's DEL needs it to disconnect the " +
            "veth; rerun the doctor then",
          fix: null,
        }
        : {
          kind: "orphan-state-file",
          subject: r.path,
          message: `${what} and zedrouter has no attachment`,
          hint: "left by a DEL that never ran; removing it is safe",
          fix: {
            action: "remove-file",
            path: r.path,
            siblings: r.siblings,
            dir: containerDir(snapshot, r.path),
          },
        },
    );
  }
  return out;
}

/** `<stateDir>/<containerID>` for eve-bridge's nested layout; null for a flat file. */
function containerDir(snapshot: Snapshot, path: string): string | null {
  const dir = path.slice(0, path.lastIndexOf("/"));
  return dir !== snapshot.eveBridge.stateDir && dir.startsWith(`${snapshot.eveBridge.stateDir}/`)
    ? dir
    : null;
}

function unfinishedAdds(snapshot: Snapshot): Finding[] {
  return snapshot.eveBridge.records.filter((r) => r.phase === "adding").map((r) => ({
    kind: "unfinished-add" as const,
    subject: r.path,
    message: `eve-bridge's ADD of ${
      r.podName ?? r.containerId
    } ${r.ifname} never finished (phase "adding")`,
    hint:
      "an ADD is running now, or died half-way; the runtime's DEL (or eve-bridge GC) cleans it up",
    fix: null,
  }));
}

function duplicateMacs(snapshot: Snapshot): Finding[] {
  // An interface is `<netns path>/<ifname>`: zedrouter's attachment and the kernel's link of
  // the same pod interface are then one owner, and two owners of a MAC are a real clash.
  const owners = new Map<string, Set<string>>();
  const add = (mac: string | null, who: string) => {
    if (mac) owners.set(mac, (owners.get(mac) ?? new Set()).add(who));
  };
  for (const a of snapshot.attachments) add(a.mac, `${a.podNetnsPath}/${a.podIfName}`);
  for (const [path, ns] of Object.entries(snapshot.pods)) {
    for (const l of ns.links) if (l.kind === "veth") add(l.mac, `${path}/${l.name}`);
  }
  return [...owners].filter(([, who]) => who.size > 1).map(([mac, who]) => ({
    kind: "duplicate-mac" as const,
    subject: mac,
    message: `MAC ${mac} is used by ${[...who].sort().join(", ")}`,
    hint: "two pods of one app adapter are alive at once (or a MAC was changed by hand); the " +
      "bridge will flap between them",
    fix: null,
  }));
}

function twoGenerations(snapshot: Snapshot): Finding[] {
  const podsOfApp = new Map<string, Set<string>>();
  const note = (app: string | null, pod: string | null) => {
    if (!app || !pod) return;
    podsOfApp.set(app, (podsOfApp.get(app) ?? new Set()).add(pod));
  };
  for (const a of snapshot.attachments) note(a.appUuid, a.podName);
  for (const r of snapshot.eveBridge.records) {
    const a = snapshot.attachments.find((x) => recordFor(snapshot, x) === r);
    const byName = r.podName === null
      ? undefined
      : snapshot.apps.find((x) => x.kubeName !== "" && podBelongsTo(r.podName!, x.kubeName));
    note(r.appUuid ?? a?.appUuid ?? byName?.uuid ?? null, r.podName);
  }
  const out: Finding[] = [];
  for (const [app, pods] of podsOfApp) {
    if (pods.size < 2) continue;
    const bound = snapshot.apps.find((x) => x.uuid === app)?.boundPod;
    out.push({
      kind: "two-generations",
      subject: app,
      message: `app ${app} has attachments of ${pods.size} pods: ${[...pods].sort().join(", ")}` +
        (bound ? ` (zedrouter is bound to ${bound})` : ""),
      hint:
        "an old pod's attachment outlived its replacement; the older pod's DEL will be ignored by " +
        "the stale-pod guard, so remove its leftovers with doctor --fix or delete the old pod",
      fix: null,
    });
  }
  return out;
}

/** This node's MACs: its attachments' and its apps' adapters', each with who has it. */
function localMacs(snapshot: Snapshot): Map<string, string> {
  const mine = new Map<string, string>();
  for (const app of snapshot.apps) {
    for (const adapter of app.adapters) {
      mine.set(adapter.mac, `app ${app.name} adapter ${adapter.index}`);
    }
  }
  for (const a of snapshot.attachments) mine.set(a.mac, `pod ${a.podName} ${a.podIfName}`);
  return mine;
}

function crossNodeDuplicates(snapshot: Snapshot): Finding[] {
  const mine = localMacs(snapshot);
  const out: Finding[] = [];
  for (const remote of snapshot.remoteMacs ?? []) {
    const here = mine.get(remote.mac);
    if (!here) continue;
    out.push({
      kind: "duplicate-mac",
      subject: remote.mac,
      message: `MAC ${remote.mac} of ${here} on this node is also behind VXLAN ` +
        `${remote.device} at VTEP ${remote.vtep}, on another node`,
      hint: "two nodes put the same MAC on one segment (the same app configured on both, or a " +
        "MAC given twice); the bridges flap between them: remove it from one node",
      fix: null,
    });
  }
  const claims = snapshot.macClaims;
  for (const claim of claims?.claims ?? []) {
    const here = mine.get(claim.mac);
    if (!here || !claims || claim.node === claims.node) continue;
    out.push({
      kind: "duplicate-mac",
      subject: claim.mac,
      message: `MAC ${claim.mac} of ${here} on this node is claimed by node ${claim.node} ` +
        `(app ${claim.appUuid} adapter ${claim.adapterIndex}) in ${claims.store}`,
      hint: `a pod of it here is refused while node ${claim.node} holds the claim; give one of ` +
        "the adapters another MAC, or remove the app from the node that no longer runs it",
      fix: null,
    });
  }
  return out;
}

export function doctorFindings(snapshot: Snapshot): Finding[] {
  return [
    ...orphanVeths(snapshot),
    ...orphanOvsPorts(snapshot),
    ...missingVeths(snapshot),
    ...departedPods(snapshot),
    ...macDrift(snapshot),
    ...staleLeases(snapshot),
    ...dhcpClients(snapshot),
    ...strayDhcpClients(snapshot),
    ...stateFiles(snapshot),
    ...unfinishedAdds(snapshot),
    ...duplicateMacs(snapshot),
    ...crossNodeDuplicates(snapshot),
    ...twoGenerations(snapshot),
  ];
}
