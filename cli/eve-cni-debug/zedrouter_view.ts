/**
 * zedrouter's view of the node: network instances, apps, attachments and dnsmasq files.
 * From fake-zedrouter's Inspect service when it answers; otherwise (EVE's real zedrouter
 * has no Inspect service, or the socket is down) from the state dir: `state.json` and the
 * `dnsmasq-<ni>.{conf,leases,pid}` files fake-zedrouter keeps there.
 */
import * as v from "valibot";
import { errorMessage } from "../../core/mod.ts";
import { isAlive, readDnsmasqLeases, readPidFile } from "../../netns/mod.ts";
import {
  type AttachmentInfo,
  AttachmentInfoSchema,
  type NetworkInstanceInfo,
  type RpcClient,
  RpcRemoteError,
} from "../../rpc/mod.ts";
import type { CommandContext } from "./context.ts";
import type { AppFact, AttachmentFact, DhcpHostFact, DnsmasqFact, Snapshot } from "./snapshot.ts";
import { isUnreachable } from "./zedrouter_client.ts";

/** What zedrouter knows: the Snapshot's zedrouter facts. */
type ZedrouterFacts = Pick<Snapshot, "networkInstances" | "apps" | "attachments" | "dnsmasq">;

/** zedrouter's facts, and where they came from. */
export type ZedrouterView = Snapshot["zedrouter"] & ZedrouterFacts;

/** `dhcp-host=MAC[,id:*],IP[,hostname][,lease]` and `interface=` lines of a dnsmasq conf. */
export function parseDnsmasqConf(text: string): { bridge: string | null; hosts: DhcpHostFact[] } {
  let bridge: string | null = null;
  const hosts: DhcpHostFact[] = [];
  for (const line of text.split("\n").map((l) => l.trim())) {
    if (line.startsWith("interface=")) bridge = line.slice("interface=".length);
    if (!line.startsWith("dhcp-host=")) continue;
    const parts = line.slice("dhcp-host=".length).split(",").filter((p) => p !== "id:*");
    const [mac, ip, hostname] = parts;
    if (mac && ip) hosts.push({ mac: mac.toLowerCase(), ip, hostname: hostname ?? null });
  }
  return { bridge, hosts };
}

async function readDnsmasq(
  ni: string,
  paths: { confPath: string; leaseFile: string; pidFile?: string },
  pid: number | null,
): Promise<DnsmasqFact> {
  const conf = await Deno.readTextFile(paths.confPath).catch(() => "");
  const { bridge, hosts } = parseDnsmasqConf(conf);
  const actualPid = pid ?? (paths.pidFile ? (await readPidFile(paths.pidFile)) ?? null : null);
  return {
    ni,
    bridge,
    confPath: paths.confPath,
    leaseFile: paths.leaseFile,
    pid: actualPid,
    running: actualPid !== null && isAlive(actualPid),
    reservations: hosts,
    leases: await readDnsmasqLeases(paths.leaseFile),
  };
}

/** The fields an attachment has in both of fake-zedrouter's sources. */
const ATTACHMENT_RECORD_KEYS = [
  "appUuid",
  "adapterIndex",
  "bridge",
  "podName",
  "podNetnsPath",
  "podIfName",
  "hostIfName",
  "mac",
  "mtu",
  "usesDhcp",
  "l3",
] as const;
type AttachmentRecord = Pick<AttachmentInfo, (typeof ATTACHMENT_RECORD_KEYS)[number]>;

function attachmentFact(
  attachment: AttachmentRecord,
  extra: Pick<AttachmentFact, "niUuid" | "appName" | "zedrouterProblems">,
): AttachmentFact {
  return {
    appUuid: attachment.appUuid,
    appName: extra.appName,
    adapterIndex: attachment.adapterIndex,
    niUuid: extra.niUuid,
    bridge: attachment.bridge,
    podName: attachment.podName,
    podNetnsPath: attachment.podNetnsPath,
    podIfName: attachment.podIfName,
    hostIfName: attachment.hostIfName,
    mac: attachment.mac.toLowerCase(),
    mtu: attachment.mtu,
    usesDhcp: attachment.usesDhcp,
    l3: attachment.l3 ? { ips: attachment.l3.ips, routes: attachment.l3.routes } : null,
    zedrouterProblems: extra.zedrouterProblems,
  };
}

/** An attachment on an OVS-backed NI: its port as zedrouter read it from OVS's database. */
function ovsPortOf(
  a: AttachmentInfo,
  nis: readonly NetworkInstanceInfo[],
): Pick<AttachmentFact, "ovsPort"> {
  const ni = nis.find((n) => n.uuid === a.networkInstanceUuid);
  if (ni?.bridgeType !== "ovs") return {};
  const vlan = a.kernel.hostVeth.vlan;
  return {
    ovsPort: {
      bridge: a.kernel.hostVeth.master,
      tag: vlan?.tag ?? null,
      trunks: vlan?.trunks ?? [],
    },
  };
}

async function fromInspect(client: RpcClient): Promise<ZedrouterFacts> {
  const [nis, apps, attachments, config] = await Promise.all([
    client.call("Inspect.NetworkInstances", {}),
    client.call("Inspect.Apps", {}),
    client.call("Inspect.Attachments", {}),
    client.call("Inspect.Config", {}),
  ]);
  const niByName = new Map(nis.networkInstances.map((n) => [n.name, n]));
  return {
    networkInstances: nis.networkInstances.map((n) => ({
      name: n.name,
      uuid: n.uuid,
      type: n.type,
      bridge: n.bridge,
      bridgeType: n.bridgeType,
      usesDhcp: n.usesDhcp,
      port: n.port,
      ...(n.bridgeType === "ovs" && { ovsPorts: n.bridgePorts }),
    })),
    apps: apps.apps.map((a) => ({
      name: a.name,
      uuid: a.uuid,
      kubeName: a.kubeName,
      boundPod: a.boundPod?.podName ?? null,
      adapters: a.adapters.map((d) => ({
        index: d.index,
        niUuid: d.networkInstanceUuid,
        mac: d.mac.toLowerCase(),
        ip: d.ip,
      })),
    })),
    attachments: attachments.attachments.map((a) => ({
      ...attachmentFact(a, {
        niUuid: a.networkInstanceUuid,
        appName: a.appName,
        zedrouterProblems: a.problems,
      }),
      ...ovsPortOf(a, nis.networkInstances),
    })),
    dnsmasq: await Promise.all(
      config.dnsmasq.map((d) =>
        readDnsmasq(d.networkInstance, d, d.pid).then((f) => ({
          ...f,
          bridge: f.bridge ?? niByName.get(d.networkInstance)?.bridge ?? null,
        }))
      ),
    ),
  };
}

/**
 * fake-zedrouter's state.json, just the parts we use (the owner's schema is stricter). An
 * attachment there is the record Inspect.Attachments reports, without what Inspect adds (app
 * name, kernel facts, problems) and with its NI as `niUuid`; the contract's schema says which
 * fields it has.
 */
const StateFileSchema = v.looseObject({
  boundPods: v.optional(v.record(v.string(), v.looseObject({ podName: v.string() })), {}),
  attachments: v.optional(
    v.record(
      v.string(),
      v.looseObject({
        ...v.pick(AttachmentInfoSchema, ATTACHMENT_RECORD_KEYS).entries,
        niUuid: v.string(),
      }),
    ),
    {},
  ),
});

async function fromStateDir(dir: string): Promise<ZedrouterFacts> {
  const text = await Deno.readTextFile(`${dir}/state.json`);
  const state = v.parse(StateFileSchema, JSON.parse(text));
  const dnsmasq: DnsmasqFact[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const m = /^dnsmasq-(.+)\.conf$/.exec(entry.name);
    if (!m?.[1]) continue;
    const base = `${dir}/dnsmasq-${m[1]}`;
    dnsmasq.push(
      await readDnsmasq(m[1], {
        confPath: `${base}.conf`,
        leaseFile: `${base}.leases`,
        pidFile: `${base}.pid`,
      }, null),
    );
  }
  const bound = new Map(Object.entries(state.boundPods).map(([uuid, b]) => [uuid, b.podName]));
  const appUuids = new Set([...bound.keys()]);
  const attachments = Object.values(state.attachments).map((a) => {
    appUuids.add(a.appUuid);
    return attachmentFact(a, { niUuid: a.niUuid, appName: null, zedrouterProblems: [] });
  });
  // Without the config we know apps only by UUID and bound pod; NIs only by their bridges.
  const apps: AppFact[] = [...appUuids].sort().map((uuid) => ({
    name: uuid,
    uuid,
    kubeName: "",
    boundPod: bound.get(uuid) ?? null,
    adapters: [],
  }));
  return { networkInstances: [], apps, attachments, dnsmasq };
}

/** zedrouter's view, from the best source available. Never throws. */
export async function readZedrouterView(ctx: CommandContext): Promise<ZedrouterView> {
  const { globals: g, deps } = ctx;
  let reachable = false;
  let note: string | null = null;
  try {
    const client = await deps.connect(g.socket, g);
    reachable = true;
    try {
      return { reachable, source: "inspect", note: null, ...(await fromInspect(client)) };
    } finally {
      await client.close();
    }
  } catch (error) {
    if (isUnreachable(error)) note = errorMessage(error);
    else if (error instanceof RpcRemoteError) {
      note = `zedrouter does not serve the Inspect service (${error.remoteMessage})`;
    } else note = errorMessage(error);
  }
  try {
    const view = await fromStateDir(g.zedrouterStateDir);
    return { reachable, source: "state-file", note, ...view };
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? `no state file in "${g.zedrouterStateDir}"`
      : `cannot read "${g.zedrouterStateDir}/state.json": ${errorMessage(error)}`;
    return {
      reachable,
      source: "none",
      note: `${note ?? ""}${note ? "; " : ""}${why}`,
      networkInstances: [],
      apps: [],
      attachments: [],
      dnsmasq: [],
    };
  }
}

/** The zedrouter part of a Snapshot. */
export function zedrouterSection(view: ZedrouterView): Snapshot["zedrouter"] {
  return { reachable: view.reachable, source: view.source, note: view.note };
}
