/**
 * Where eve-bridge applies the lease policy (lease_policy.ts): ADD refuses a bad first lease
 * (code 106 naming every reason, everything undone), a renewal keeps the old address and logs
 * the refusal. What is protected comes from the node's config at ADD (serviceCIDR,
 * clusterCIDR, nodeIP, dhcp.allowLinkLocal), recorded in the state so a renewal, which has no
 * config, protects the same. The node's own addresses are read from the host namespace at
 * ADD (a netX config carries no nodeIP) and recorded too: a renewal's callback runs in the
 * pod's namespace (udhcpc's), where the host's addresses cannot be listed.
 */
import { type Lease, listAddrs, type Runner } from "../../netns/mod.ts";
import { CniError, EveErrorCode } from "../cni/mod.ts";
import type { LeasePolicyRecord } from "../../core/eve/mod.ts";
import { DEFAULT_CLUSTER_CIDR, DEFAULT_SERVICE_CIDR } from "../../core/eve/mod.ts";
import { leasePolicyProblems } from "./lease_policy.ts";
import type { EveBridgeConfig } from "./config.ts";

/** The record ADD keeps (in the host namespace): the config's ranges and the node's addresses. */
export async function leasePolicyRecord(
  runner: Runner,
  config: EveBridgeConfig,
): Promise<LeasePolicyRecord> {
  const nodeAddresses = new Set(await hostAddresses(runner));
  if (config.nodeIP !== undefined) nodeAddresses.add(config.nodeIP);
  return {
    clusterRanges: [config.serviceCIDR, config.clusterCIDR],
    nodeAddresses: [...nodeAddresses].sort(),
    allowLinkLocal: config.dhcp.allowLinkLocal ?? false,
  };
}

/** For records written before the policy: k3s's ranges. */
export const DEFAULT_LEASE_POLICY: LeasePolicyRecord = {
  clusterRanges: [DEFAULT_SERVICE_CIDR, DEFAULT_CLUSTER_CIDR],
  nodeAddresses: [],
  allowLinkLocal: false,
};

async function hostAddresses(runner: Runner): Promise<string[]> {
  const addrs = await listAddrs(runner, undefined);
  return addrs.filter((a) => a.family === "inet" && a.scope !== "host")
    .map((a) => a.cidr.slice(0, a.cidr.indexOf("/")));
}

/** Every reason to refuse `lease` under `record`. */
export function leaseRefusals(record: LeasePolicyRecord, lease: Lease): string[] {
  return leasePolicyProblems(lease, record);
}

/** ADD: code 106 when the first lease breaks the policy. */
export function requireAcceptableLease(
  record: LeasePolicyRecord,
  lease: Lease,
  ifname: string,
): void {
  const problems = leaseRefusals(record, lease);
  if (problems.length === 0) return;
  throw new CniError(
    EveErrorCode.DhcpFailed,
    `The DHCP server's lease for ${ifname} was refused: ${problems.join("; ")}`,
    `lease ${lease.address} from server ${lease.serverId ?? "unknown"}; a DHCP server on this ` +
      "network hands out addresses or routes that would take the pod's cluster traffic or " +
      "are not usable: fix the server's configuration (or find the rogue one)",
  );
}
