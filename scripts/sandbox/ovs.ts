/**
 * A sandbox's own Open vSwitch (netns/ovs_daemons.ts): its files in the sandbox's dir,
 * ovs-vswitchd in the given namespace, both pids tracked so the sandbox stops them even when
 * the test fails before its own `finally`.
 */
import { type OvsDaemons, startOvsDaemons } from "../../netns/mod.ts";
import { findTool, type Sandbox, type SandboxNetns } from "./sandbox.ts";

/** Why OVS tests cannot run here, or undefined. */
export function ovsSkipReason(): string | undefined {
  const missing = ["ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl"]
    .filter((tool) => findTool(tool) === undefined);
  return missing.length
    ? `needs ${missing.join(", ")} (openvswitch-switch; scripts/install.sh installs it)`
    : undefined;
}

export async function startSandboxOvs(sb: Sandbox, node: SandboxNetns): Promise<OvsDaemons> {
  const dir = `${sb.dir}/ovs-${node.name.slice(-12)}`;
  await Deno.mkdir(dir, { recursive: true });
  const ovs = await startOvsDaemons({ dir, netns: node.ns });
  // Stopped newest first: ovs-vswitchd, then its database.
  sb.track(ovs.pids.ovsdb);
  sb.track(ovs.pids.vswitchd);
  return ovs;
}
