/**
 * The probe of one applied network instance: what must hold before an apply counts as done.
 * Its bridge is present and up; a switch NI's uplink (port or VXLAN device) is present and
 * on the bridge (an OVS port by OVS's database); a local NI's gateway address is on the
 * bridge and its dnsmasq runs. Polled until it passes or the timeout ends; then a local NI's
 * dnsmasq must answer a real DHCP request on a probe port within the time left
 * (apply_dhcp_probe.ts).
 */
import { getLink, getOvsPort, isAlive, listAddrs, systemRunner } from "../../netns/mod.ts";
import { type DhcpProbeContext, probeDhcp } from "./apply_dhcp_probe.ts";
import type { DnsmasqStatus } from "./dnsmasq_supervisor.ts";
import type { NetworkInstance } from "./model.ts";
import { niOvsDb } from "./network_instances.ts";

export interface ProbeContext extends DhcpProbeContext {
  readonly dnsmasq: () => readonly DnsmasqStatus[];
}

/** What is wrong with the NI now, or null when it is in place. */
export async function probeNetworkInstance(
  ctx: ProbeContext,
  ni: NetworkInstance,
): Promise<string | null> {
  // Its own processes, not the daemon's ip pool: after an apply that failed, the pool was
  // seen answering `addr show` with another command's `link show -d` output (reported).
  const runner = systemRunner;
  const { host } = ctx.kernel;
  const bridge = await getLink(runner, host, ni.bridge);
  if (!bridge) return `bridge "${ni.bridge}" is missing`;
  if (!bridge.adminUp) return `bridge "${ni.bridge}" is down`;
  if (ni.type === "local") {
    const cidr = `${ni.gateway}/${ni.subnet.prefix}`;
    const addresses = (await listAddrs(runner, host, ni.bridge)).map((a) => a.cidr);
    if (!addresses.includes(cidr)) {
      return `gateway address ${cidr} is not on "${ni.bridge}" (it has ${
        addresses.join(", ") || "none"
      })`;
    }
    const dnsmasq = ctx.dnsmasq().find((d) => d.networkInstance === ni.name);
    if (!dnsmasq?.pid || !isAlive(dnsmasq.pid)) return "its dnsmasq is not running";
    return null;
  }
  const uplink = ni.vxlan?.device ?? ni.port;
  if (uplink === null) return null;
  const link = await getLink(runner, host, uplink);
  if (!link) return `uplink "${uplink}" is missing`;
  const db = niOvsDb(ni, ctx.ovs);
  const on = db ? (await getOvsPort(runner, db, uplink))?.bridge ?? null : link.master;
  if (on !== ni.bridge) return `uplink "${uplink}" is not a port of "${ni.bridge}"`;
  if (!link.adminUp) return `uplink "${uplink}" is down`;
  return null;
}

/** Probes until it passes or `timeoutMs` ends; the last problem when it never passed. */
export async function probeUntil(
  ctx: ProbeContext,
  ni: NetworkInstance,
  timeoutMs: number,
): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const problem = await probeNetworkInstance(ctx, ni).catch((e) =>
      e instanceof Error ? e.message : String(e)
    );
    if (problem === null) break;
    if (Date.now() >= deadline) return `probe failed after ${timeoutMs} ms: ${problem}`;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (ni.type !== "local") return null;
  const dnsmasq = ctx.dnsmasq().find((d) => d.networkInstance === ni.name);
  if (!dnsmasq) return "it has no dnsmasq";
  // udhcpc counts whole seconds; at least one try even when the checks took all the time.
  const seconds = Math.max(1, Math.floor((deadline - Date.now()) / 1000));
  return await probeDhcp(ctx, ni, seconds, dnsmasq.leaseFile);
}
