/**
 * VLANs on a Linux bridge: `vlan_filtering` on the bridge, then per port `bridge vlan`
 * entries: an access port carries one VLAN untagged (its PVID), a trunk carries its VLANs
 * tagged. Needs a kernel with CONFIG_BRIDGE_VLAN_FILTERING; `bridgeVlanSupport` finds out
 * (in a throwaway namespace of the caller's choosing) without touching any real bridge.
 */
import * as v from "valibot";
import { checked, checkIfName } from "./_validate.ts";
import { runChecked, type Runner } from "./runner.ts";
import { bridgeArgv, ipArgv, type Netns } from "./target.ts";

const VlanSchema = v.pipe(
  v.number(),
  v.integer("A VLAN id is a whole number"),
  v.minValue(1, "A VLAN id is 1 to 4094"),
  v.maxValue(4094, "A VLAN id is 1 to 4094"),
);
const vid = (vlan: number) => String(checked(VlanSchema, vlan, "VLAN id"));

/** The VLAN a port is born on (the bridge's default PVID), removed from access/trunk ports. */
export const DEFAULT_PVID = 1;

export async function enableVlanFiltering(
  runner: Runner,
  ns: Netns | undefined,
  bridge: string,
): Promise<void> {
  const args = ["link", "set", "dev", checkIfName(bridge, "bridge name"), "type", "bridge"];
  await runChecked(runner, ipArgv(ns, [...args, "vlan_filtering", "1"]));
}

/** The port carries exactly `vlan`, untagged: frames in get it, frames out lose it. */
export async function setAccessVlan(
  runner: Runner,
  ns: Netns | undefined,
  port: string,
  vlan: number,
): Promise<void> {
  const dev = checkIfName(port, "port name");
  const id = vid(vlan);
  await runChecked(
    runner,
    bridgeArgv(ns, ["vlan", "add", "dev", dev, "vid", id, "pvid", "untagged"]),
  );
  if (vlan !== DEFAULT_PVID) {
    await runChecked(
      runner,
      bridgeArgv(ns, ["vlan", "del", "dev", dev, "vid", String(DEFAULT_PVID)]),
    );
  }
}

/** The port carries each of `vlans` tagged (its untagged default VLAN stays). */
export async function addTrunkVlans(
  runner: Runner,
  ns: Netns | undefined,
  port: string,
  vlans: readonly number[],
): Promise<void> {
  const dev = checkIfName(port, "port name");
  for (const vlan of vlans) {
    await runChecked(runner, bridgeArgv(ns, ["vlan", "add", "dev", dev, "vid", vid(vlan)]));
  }
}

/**
 * Whether this kernel's bridges filter VLANs: a scratch bridge in `scratch` (a namespace the
 * caller made for it, so no real bridge is touched) is switched to vlan_filtering. Returns
 * null when supported, else the kernel's answer.
 */
export async function bridgeVlanSupport(runner: Runner, scratch: Netns): Promise<string | null> {
  const add = await runner(ipArgv(scratch, ["link", "add", "evevlanprobe", "type", "bridge"]));
  if (add.code !== 0) return `cannot make a scratch bridge: ${add.stderr.trim()}`;
  try {
    const set = await runner(
      ipArgv(scratch, [
        "link",
        "set",
        "dev",
        "evevlanprobe",
        "type",
        "bridge",
        "vlan_filtering",
        "1",
      ]),
    );
    return set.code === 0 ? null : set.stderr.trim() || `ip exited ${set.code}`;
  } finally {
    await runner(ipArgv(scratch, ["link", "del", "evevlanprobe"]));
  }
}
