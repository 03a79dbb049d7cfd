/**
 * Open vSwitch bridges and ports through `ovs-vsctl --db=unix:<socket>` (argv only). The
 * database decides; ovs-vswitchd, running in the namespace where the bridges live, makes
 * them real. Every change is one ovs-vsctl transaction, so a port never shows with half its
 * settings. A VLAN `tag` makes a port an access port; `trunks` lists what a trunk carries.
 */
import * as v from "valibot";
import { checkAbsPath, checked, checkIfName } from "./_validate.ts";
import { runChecked, type Runner } from "./runner.ts";

/** How to reach an ovsdb-server: its unix socket. */
export interface OvsDb {
  readonly socket: string;
}

/** `system` (the kernel's openvswitch module) or `netdev` (userspace, no module needed). */
export type OvsDatapathType = "system" | "netdev";

const VlanSchema = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(4094));
const checkVlan = (vlan: number) => checked(VlanSchema, vlan, "VLAN id");
const checkMac = (mac: string) =>
  checked(v.pipe(v.string(), v.regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/)), mac, "bridge MAC");

export function ovsVsctlArgv(db: OvsDb, args: readonly string[]): string[] {
  // --timeout: a daemon that is gone must not hang a call (ovs-vsctl waits forever otherwise).
  return [
    "ovs-vsctl",
    `--db=unix:${checkAbsPath(db.socket, "OVS db socket")}`,
    "--timeout=5",
    ...args,
  ];
}

async function vsctl(runner: Runner, db: OvsDb, args: readonly string[]): Promise<string> {
  return await runChecked(runner, ovsVsctlArgv(db, args));
}

/**
 * Creates the bridge if missing (datapath type, fixed MAC, MTU of its own interface set in
 * the same transaction); an existing one gets the same settings again.
 */
export async function ensureOvsBridge(
  runner: Runner,
  db: OvsDb,
  name: string,
  options: { datapathType: OvsDatapathType; mac?: string; mtu?: number },
): Promise<void> {
  checkIfName(name, "bridge name");
  const args = ["--may-exist", "add-br", name, "--", "set", "bridge", name];
  args.push(`datapath_type=${options.datapathType}`);
  // Without a fixed hwaddr OVS gives the bridge the lowest MAC of its ports, as Linux does.
  if (options.mac !== undefined) args.push(`other_config:hwaddr="${checkMac(options.mac)}"`);
  if (options.mtu !== undefined) {
    args.push("--", "set", "interface", name, `mtu_request=${Math.trunc(options.mtu)}`);
  }
  await vsctl(runner, db, args);
}

export async function deleteOvsBridge(runner: Runner, db: OvsDb, name: string): Promise<void> {
  await vsctl(runner, db, ["--if-exists", "del-br", checkIfName(name, "bridge name")]);
}

export async function ovsBridgeExists(runner: Runner, db: OvsDb, name: string): Promise<boolean> {
  // br-exists answers with exit status 2 for "no such bridge".
  const r = await runner(ovsVsctlArgv(db, ["br-exists", checkIfName(name, "bridge name")]));
  if (r.code === 0) return true;
  if (r.code === 2) return false;
  throw new Error(`ovs-vsctl br-exists ${name} failed (exit ${r.code}): ${r.stderr.trim()}`);
}

export interface OvsPortVlan {
  /** Access port on this VLAN; null = untagged (all VLANs, as a plain bridge port). */
  readonly tag: number | null;
  /** A trunk's allowed VLANs; empty = every VLAN. */
  readonly trunks: readonly number[];
}

/** Adds (or re-adds) `port` to `bridge` with exactly this VLAN setting. */
export async function addOvsPort(
  runner: Runner,
  db: OvsDb,
  bridge: string,
  port: string,
  vlan: OvsPortVlan = { tag: null, trunks: [] },
): Promise<void> {
  checkIfName(bridge, "bridge name");
  checkIfName(port, "port name");
  const args = ["--may-exist", "add-port", bridge, port, "--", "set", "port", port];
  args.push(vlan.tag === null ? "tag=[]" : `tag=${checkVlan(vlan.tag)}`);
  args.push(`trunks=[${vlan.trunks.map(checkVlan).join(",")}]`);
  await vsctl(runner, db, args);
}

/** Removes the port's record (the kernel link is the caller's); a missing one is success. */
export async function deleteOvsPort(runner: Runner, db: OvsDb, port: string): Promise<void> {
  await vsctl(runner, db, ["--if-exists", "del-port", checkIfName(port, "port name")]);
}

export async function listOvsPorts(runner: Runner, db: OvsDb, bridge: string): Promise<string[]> {
  const out = await vsctl(runner, db, ["list-ports", checkIfName(bridge, "bridge name")]);
  return out.split("\n").map((line) => line.trim()).filter((line) => line !== "");
}

export interface OvsPortFacts extends OvsPortVlan {
  readonly name: string;
  /** The bridge holding the port; null when no bridge lists it. */
  readonly bridge: string | null;
}

/** One port as the database has it, or undefined when there is no such port. */
export async function getOvsPort(
  runner: Runner,
  db: OvsDb,
  port: string,
): Promise<OvsPortFacts | undefined> {
  checkIfName(port, "port name");
  const r = await runner(ovsVsctlArgv(db, ["port-to-br", port]));
  if (r.code !== 0) {
    if (/no port named/.test(r.stderr)) return undefined;
    throw new Error(`ovs-vsctl port-to-br ${port} failed (exit ${r.code}): ${r.stderr.trim()}`);
  }
  const json = await vsctl(runner, db, [
    "--format=json",
    "--columns=tag,trunks",
    "list",
    "port",
    port,
  ]);
  const row = (JSON.parse(json) as { data: unknown[][] }).data[0] ?? [];
  return { name: port, bridge: r.stdout.trim() || null, ...vlanOf(row[0], row[1]) };
}

/** OVSDB's JSON: a number, or `["set", [...]]` for an empty or many-valued column. */
function vlanOf(tag: unknown, trunks: unknown): OvsPortVlan {
  const values = (x: unknown): number[] =>
    typeof x === "number" ? [x] : Array.isArray(x) && x[0] === "set" ? (x[1] as number[]) : [];
  return { tag: values(tag)[0] ?? null, trunks: values(trunks) };
}
