/**
 * Where eve-bridge applies the lease policy (lease_policy.ts): ADD refuses a bad first lease
 * (code 106 naming every reason, everything undone), a renewal keeps the old address and logs
 * the refusal. What is protected comes from the node's config at ADD (serviceCIDR,
 * clusterCIDR, nodeIP, dhcp.allowLinkLocal), recorded in the state so a renewal, which has no
 * config, protects the same. The node's own addresses are read from the host namespace at
 * ADD (a netX config carries no nodeIP) and recorded too: a renewal's callback runs in the
 * pod's namespace (udhcpc's), where the host's addresses cannot be listed.
 */
import type { Lease } from "../../netns/mod.ts";
import { CniError, EveErrorCode } from "../cni/mod.ts";
import type { LeasePolicyRecord } from "../../core/eve/mod.ts";
import { DEFAULT_CLUSTER_CIDR, DEFAULT_SERVICE_CIDR } from "../../core/eve/mod.ts";
import { leasePolicyProblems } from "./lease_policy.ts";
import type { EveBridgeConfig } from "./config.ts";

/** The record ADD keeps (in the host namespace): the config's ranges and the node's addresses. */
export function leasePolicyRecord(config: EveBridgeConfig): LeasePolicyRecord {
  const nodeAddresses = new Set(hostAddresses());
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

/**
 * The IPv4 addresses of this (the host's) network namespace, loopback's aside (the policy
 * refuses 127.0.0.0/8 anyway). Read by Deno itself (getifaddrs, ~0.3 ms): an `ip addr` cost
 * every ADD a process (issue 11: no subprocess where Deno can read the fact itself).
 */
export function hostAddresses(): string[] {
  return Deno.networkInterfaces()
    .filter((i) => i.family === "IPv4" && !i.address.startsWith("127."))
    .map((i) => i.address);
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
