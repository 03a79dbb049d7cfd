/**
 * Reads a config file (YAML or JSON) into the resolved `Config`: schema check first, then
 * the rules across entries, then the decisions the file may leave out (NI UUIDs, MACs, app
 * addresses), all deterministic. Every problem is reported at once, each naming its path
 * in the file and what to do about it.
 */
import * as v from "valibot";
import { parse as parseYaml } from "yaml";
import { describeIssues } from "../../core/mod.ts";
import {
  type ConfigFile,
  ConfigFileSchema,
  type NiConfig,
  type SwitchNiConfig,
} from "./config_schema.ts";
import { APPLY_PROBE_MAC, deriveMac, stableIndex, uuidFromName } from "./identity.ts";
import {
  broadcast,
  intToIp,
  ipToInt,
  isHostOf,
  parseRange,
  parseSubnet,
  type Range4,
  type Subnet4,
  subnetsOverlap,
  subnetText,
} from "./ipv4.ts";
import {
  type Adapter,
  type App,
  type Cluster,
  type Config,
  DEFAULT_MTU,
  type NetworkInstance,
  type SwitchNi,
  type VxlanUplink,
} from "./model.ts";
import { kubeName } from "../../core/eve/mod.ts";

/** A config that cannot be used; `problems` holds one line per problem. */
export class ConfigError extends Error {
  constructor(readonly source: string, readonly problems: readonly string[]) {
    super(`Invalid config ${source}:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

/** Reads and resolves the config file at `path`. */
export async function loadConfigFile(path: string): Promise<Config> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "no such file" : String(error);
    throw new ConfigError(`"${path}"`, [`Cannot read the config file: ${why}`]);
  }
  return parseConfigText(text, `"${path}"`);
}

/** Parses YAML or JSON text (JSON is YAML) and resolves it. */
export function parseConfigText(text: string, source = "(inline)"): Config {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new ConfigError(source, [`Not valid YAML or JSON: ${why}`]);
  }
  const parsed = v.safeParse(ConfigFileSchema, raw ?? {});
  if (!parsed.success) {
    throw new ConfigError(source, parsed.issues.map((i) => describeIssues([i])));
  }
  return resolveConfig(parsed.output, source);
}

/** Applies the cross-entry rules and fills in derived values. */
export function resolveConfig(file: ConfigFile, source = "(inline)"): Config {
  const problems: string[] = [];
  const networkInstances = resolveNis(file.networkInstances, problems);
  const cluster = resolveCluster(file, networkInstances, problems);
  const apps = problems.length === 0 ? resolveApps(file, networkInstances, problems) : [];
  if (problems.length > 0) throw new ConfigError(source, problems);
  return { cluster, ovs: { ...file.ovs }, networkInstances, apps, faults: file.faults };
}

function resolveCluster(
  file: ConfigFile,
  nis: readonly NetworkInstance[],
  problems: string[],
): Cluster | null {
  const spanning = nis.find((ni) => ni.type === "switch" && ni.vxlan !== null);
  if (!file.cluster) {
    // Each node's bridge of a spanning NI needs a MAC of its own on the shared segment.
    if (spanning) {
      problems.push(
        `cluster.node: network instance "${spanning.name}" spans nodes (vxlan), so name this ` +
          'node: add "cluster: {node: <this node\'s name>}"',
      );
    }
    return null;
  }
  const etcd = file.cluster.etcd;
  return { node: file.cluster.node, etcd: etcd ? { ...etcd } : null };
}

/** Remembers who first used a value, to name them in a duplicate's error. */
function claim(seen: Map<string, string>, key: string, owner: string): string | undefined {
  const first = seen.get(key);
  if (first === undefined) seen.set(key, owner);
  return first;
}

function resolveNis(nis: readonly NiConfig[], problems: string[]): NetworkInstance[] {
  const names = new Map<string, string>();
  const uuids = new Map<string, string>();
  const ifnames = new Map<string, string>();
  /** `<vni>/<udp port>` of the VXLAN uplinks so far: the kernel takes each pair once. */
  const vnis = new Map<string, string>();
  /** Local NIs' subnets so far: two bridges routing one range would split its hosts. */
  const subnets: { subnet: Subnet4; owner: string }[] = [];
  const out: NetworkInstance[] = [];
  nis.forEach((ni, i) => {
    const at = `networkInstances.${i}`;
    const owner = `network instance "${ni.name}"`;
    const problem = (field: string, text: string) => problems.push(`${at}.${field}: ${text}`);
    const dupName = claim(names, ni.name, owner);
    if (dupName) problem("name", `"${ni.name}" is used twice; give each NI its own name`);
    const uuid = ni.uuid ?? uuidFromName(ni.name);
    const dupUuid = claim(uuids, uuid, owner);
    if (dupUuid) problem("uuid", `"${uuid}" is already the UUID of ${dupUuid}; change one`);
    const dupBridge = claim(ifnames, ni.bridge, `${owner} (bridge)`);
    if (dupBridge) problem("bridge", `"${ni.bridge}" is already used by ${dupBridge}; rename it`);
    const mtu = ni.mtu ?? DEFAULT_MTU;
    if (ni.type === "switch") {
      out.push(resolveSwitchNi(ni, { uuid, mtu, owner, ifnames, vnis, problem }));
      return;
    }
    const subnet = parseSubnet(ni.subnet);
    if (typeof subnet === "string") return problem("subnet", subnet);
    const clash = subnets.find((other) => subnetsOverlap(other.subnet, subnet));
    if (clash) {
      problem(
        "subnet",
        `${ni.subnet} of ${owner} overlaps ${subnetText(clash.subnet)} of ${clash.owner}; ` +
          "give each local network instance a subnet of its own",
      );
    }
    subnets.push({ subnet, owner });
    const gateway = ni.gateway ?? intToIp(subnet.network + 1);
    if (!isHostOf(subnet, ipToInt(gateway))) {
      problem("gateway", `"${gateway}" is not a host address of ${ni.subnet}; pick one inside`);
    }
    let dhcpRange: Range4 | null = null;
    if (ni.dhcpRange !== undefined) {
      const range = parseRange(ni.dhcpRange);
      if (typeof range === "string") return problem("dhcpRange", range);
      if (!isHostOf(subnet, range.start) || !isHostOf(subnet, range.end)) {
        return problem("dhcpRange", `"${ni.dhcpRange}" must lie inside ${ni.subnet}`);
      }
      const gw = ipToInt(gateway);
      if (gw >= range.start && gw <= range.end) {
        return problem("dhcpRange", `"${ni.dhcpRange}" contains the gateway ${gateway}`);
      }
      dhcpRange = range;
    }
    out.push({
      name: ni.name,
      uuid,
      type: "local",
      bridge: ni.bridge,
      bridgeType: ni.bridgeType,
      mtu,
      subnet,
      gateway,
      dhcpRange,
      dns: ni.dns ?? [gateway],
      defaultRoute: ni.defaultRoute,
      probeIp: probeAddress(subnet, gateway),
    });
  });
  return out;
}

interface SwitchContext {
  readonly uuid: string;
  readonly mtu: number;
  readonly owner: string;
  readonly ifnames: Map<string, string>;
  readonly vnis: Map<string, string>;
  readonly problem: (field: string, text: string) => void;
}

function resolveSwitchNi(ni: SwitchNiConfig, c: SwitchContext): SwitchNi {
  if (ni.port !== undefined) {
    const dupPort = claim(c.ifnames, ni.port, `${c.owner} (port)`);
    if (dupPort) c.problem("port", `"${ni.port}" is already used by ${dupPort}`);
  }
  if (ni.port !== undefined && ni.vxlan !== undefined) {
    c.problem(
      "vxlan",
      "a switch network instance has one uplink: give it a port or a vxlan, not both",
    );
  }
  if (ni.bridgeType === "ovs" && ni.vxlan !== undefined) {
    c.problem(
      "bridgeType",
      "a VXLAN uplink is made for a Linux bridge here; use bridgeType linux with vxlan " +
        "(or an OVS bridge with a port)",
    );
  }
  if (ni.vlan !== undefined && ni.vxlan !== undefined) {
    c.problem("vlan", "VLANs are not carried over a VXLAN uplink here; drop vlan or vxlan");
  }
  const vxlan = ni.vxlan === undefined ? null : resolveVxlan(ni.vxlan, c);
  return {
    name: ni.name,
    uuid: c.uuid,
    type: "switch",
    bridge: ni.bridge,
    bridgeType: ni.bridgeType,
    mtu: c.mtu,
    port: ni.port ?? null,
    vxlan,
    vlan: ni.vlan ?? null,
  };
}

function resolveVxlan(x: NonNullable<SwitchNiConfig["vxlan"]>, c: SwitchContext): VxlanUplink {
  const problem = (field: string, text: string) => c.problem(`vxlan.${field}`, text);
  const device = x.device ?? `vxlan${x.vni}`;
  const dupDevice = claim(c.ifnames, device, `${c.owner} (vxlan device)`);
  if (dupDevice) problem("device", `"${device}" is already used by ${dupDevice}; name it`);
  const dupVni = claim(c.vnis, `${x.vni}/${x.udpPort}`, c.owner);
  if (dupVni) problem("vni", `VNI ${x.vni} on UDP port ${x.udpPort} is already ${dupVni}'s`);
  const remotes = x.remotes ?? [];
  if ((remotes.length > 0) === (x.group !== undefined)) {
    problem(
      "remotes",
      "say where flooded frames go: the other nodes' addresses (remotes) or a multicast " +
        "group, one of the two",
    );
  }
  if (x.group !== undefined && x.underlay === undefined) {
    problem("underlay", `a multicast group is joined on an interface: name it (underlay)`);
  }
  if (remotes.includes(x.local)) {
    problem("remotes", `"${x.local}" is this node's own address (local); list the others`);
  }
  const twice = remotes.find((r, i) => remotes.indexOf(r) !== i);
  if (twice) problem("remotes", `"${twice}" is listed twice`);
  return {
    device,
    vni: x.vni,
    local: x.local,
    remotes,
    group: x.group ?? null,
    underlay: x.underlay ?? null,
    udpPort: x.udpPort,
  };
}

/**
 * The address apply's DHCP probe leases on a local NI: the highest host address that is not
 * the gateway (a subnet has at least two hosts, /30 being the smallest). At the top of the
 * subnet, away from where people usually put gateways and pools; it may lie in the dynamic
 * range, from which dnsmasq then never hands it out (a dhcp-host reservation holds it).
 */
export function probeAddress(subnet: Subnet4, gateway: string): string {
  const top = broadcast(subnet) - 1;
  return intToIp(top === ipToInt(gateway) ? top - 1 : top);
}

/**
 * What no app adapter may have: the probe MAC, and per local NI (address to its owner) the
 * gateway and the probe address.
 */
function claimedBeforeApps(nis: readonly NetworkInstance[]): {
  macs: Map<string, string>;
  taken: Map<string, Map<number, string>>;
} {
  const macs = new Map([[APPLY_PROBE_MAC, "the apply probe's port (fake-zedrouter apply)"]]);
  const probe = "the apply probe's (fake-zedrouter apply leases it to check dnsmasq)";
  const taken = new Map<string, Map<number, string>>();
  for (const ni of nis) {
    if (ni.type !== "local") continue;
    taken.set(
      ni.name,
      new Map([[ipToInt(ni.gateway), "the gateway"], [ipToInt(ni.probeIp), probe]]),
    );
  }
  return { macs, taken };
}

function resolveApps(file: ConfigFile, nis: readonly NetworkInstance[], problems: string[]): App[] {
  const niByName = new Map(nis.map((ni) => [ni.name, ni]));
  const names = new Map<string, string>();
  const uuids = new Map<string, string>();
  const kubeNames = new Map<string, string>();
  const { macs, taken } = claimedBeforeApps(nis);
  // Explicit MACs and addresses are claimed first so derived ones step around them.
  file.apps.forEach((app, a) => {
    app.adapters.forEach((ad, i) => {
      const at = `apps.${a}.adapters.${i}`;
      const owner = `app "${app.name}" adapter ${i}`;
      const ni = niByName.get(ad.networkInstance);
      if (!ni) {
        const known = nis.map((n) => `"${n.name}"`).join(", ") || "none";
        problems.push(
          `${at}.networkInstance: no network instance "${ad.networkInstance}" (known: ${known})`,
        );
        return;
      }
      if (ad.mac !== undefined) {
        const first = parseInt(ad.mac.slice(0, 2), 16);
        if (first & 1) problems.push(`${at}.mac: "${ad.mac}" is multicast; use a unicast MAC`);
        const dup = claim(macs, ad.mac, owner);
        if (dup) problems.push(`${at}.mac: "${ad.mac}" is already the MAC of ${dup}`);
      }
      if (ad.vlan !== undefined && ni.type !== "switch") problems.push(localVlan(at, ni.name));
      if (ad.ip === undefined) return;
      if (ni.type !== "local") {
        problems.push(`${at}.ip: only adapters on a local network instance take an address`);
        return;
      }
      const ip = ipToInt(ad.ip);
      const owners = taken.get(ni.name)!;
      if (!isHostOf(ni.subnet, ip)) {
        problems.push(`${at}.ip: "${ad.ip}" is not a host address of ${subnetText(ni.subnet)}`);
      } else if (owners.has(ip)) {
        problems.push(`${at}.ip: "${ad.ip}" is already ${owners.get(ip)}; pick another address`);
      } else owners.set(ip, `the address of ${owner}`);
    });
  });
  const apps: App[] = [];
  file.apps.forEach((app, a) => {
    const owner = `app "${app.name}"`;
    if (claim(names, app.name, owner)) {
      problems.push(`apps.${a}.name: "${app.name}" is used twice; give each app its own name`);
    }
    const dupUuid = claim(uuids, app.uuid, owner);
    if (dupUuid) problems.push(`apps.${a}.uuid: "${app.uuid}" is already the UUID of ${dupUuid}`);
    const kube = kubeName(app.name, app.uuid);
    const dupKube = claim(kubeNames, kube, owner);
    if (dupKube && !dupUuid) {
      problems.push(`apps.${a}.name: its pods would be named like those of ${dupKube} ("${kube}")`);
    }
    const adapters: Adapter[] = [];
    app.adapters.forEach((ad, index) => {
      const ni = niByName.get(ad.networkInstance);
      if (!ni) return;
      const mac = ad.mac ?? freshMac(app.uuid, ni, index, macs, `${owner} adapter ${index}`);
      let ip: string | null = null;
      if (ni.type === "local") {
        ip = ad.ip ?? allocateIp(ni, `${app.uuid}|${ni.uuid}|${index}`, taken.get(ni.name)!);
        if (ip === null) {
          problems.push(
            `apps.${a}.adapters.${index}: no free address left in ${subnetText(ni.subnet)}` +
              " outside the DHCP range; widen the subnet or give the adapter an ip",
          );
        } else taken.get(ni.name)!.set(ipToInt(ip), `the address of ${owner} adapter ${index}`);
      }
      const vlan = ni.type === "switch" ? (ad.vlan ?? ni.vlan) : null;
      adapters.push({ index, niName: ni.name, niUuid: ni.uuid, mac, ip, vlan });
    });
    apps.push({ name: app.name, uuid: app.uuid, kubeName: kube, adapters });
  });
  return apps;
}

function localVlan(at: string, niName: string): string {
  return `${at}.vlan: VLANs are for adapters on a switch network instance; "${niName}" is ` +
    "local (its gateway sits untagged on the bridge)";
}

function freshMac(
  appUuid: string,
  ni: NetworkInstance,
  adapterIndex: number,
  macs: Map<string, string>,
  owner: string,
): string {
  for (let attempt = 0;; attempt++) {
    const mac = deriveMac({
      appUuid,
      niUuid: ni.uuid,
      adapterIndex,
      switchNi: ni.type === "switch",
      attempt,
    });
    if (!claim(macs, mac, owner)) return mac;
  }
}

/**
 * A free host address outside the gateway, the DHCP range and the addresses already
 * taken; the search starts at a point hashed from `key`, so an adapter keeps its address
 * when other apps come and go.
 */
function allocateIp(
  ni: NetworkInstance & { type: "local" },
  key: string,
  taken: ReadonlyMap<number, string>,
): string | null {
  const first = ni.subnet.network + 1;
  const hosts = broadcast(ni.subnet) - first;
  const start = stableIndex(key, hosts);
  for (let k = 0; k < hosts; k++) {
    const ip = first + ((start + k) % hosts);
    if (taken.has(ip)) continue;
    if (ni.dhcpRange && ip >= ni.dhcpRange.start && ip <= ni.dhcpRange.end) continue;
    return intToIp(ip);
  }
  return null;
}
