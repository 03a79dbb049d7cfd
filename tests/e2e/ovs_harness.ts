/**
 * A node whose network instances are Open vSwitch bridges: the sandbox's own ovsdb-server and
 * ovs-vswitchd (userspace datapath: this kernel has no openvswitch module) run for the node
 * namespace before fake-zedrouter starts, and are stopped by pid after it, even on failure.
 */
import * as v from "valibot";
import { execArgv, type OvsDaemons, systemRunner } from "../../netns/mod.ts";
import { withSandbox } from "../../scripts/sandbox/sandbox.ts";
import { stopStrayDhcpClients } from "../../scripts/sandbox/leaks.ts";
import { type E2eNode, startNode, type ZedrouterConfig } from "../../scripts/sandbox/node.ts";
import { ovsSkipReason, startSandboxOvs } from "../../scripts/sandbox/ovs.ts";
import { EVE_CNI_DEBUG } from "../../scripts/sandbox/paths.ts";
import { APPS, CNIDRIVE, type E2eContext, e2eSkipReason, trackedPod } from "./harness.ts";
import { attach, type AttachedPod, eth0, netX } from "./runtime.ts";
import type { E2ePod } from "../../scripts/sandbox/pod.ts";
import type { ResultOf } from "../../rpc/mod.ts";

const SKIP = (await e2eSkipReason()) ?? ovsSkipReason();

export interface OvsContext extends E2eContext {
  readonly ovs: OvsDaemons;
}

/** Deno.test for one scenario on a fresh node with OVS; `config` gets the `ovs:` section. */
export function ovsTest(
  name: string,
  config: ZedrouterConfig,
  fn: (ctx: OvsContext) => Promise<void>,
  /** This test's own reason to skip (a tool only it needs), if any. */
  skip?: string,
): void {
  const why = SKIP ?? skip;
  Deno.test({
    name: why ? `${name} (skipped: ${why})` : name,
    ignore: why !== undefined,
    fn: () =>
      withSandbox(async (sb) => {
        const ns = await sb.netns("node");
        const ovs = await startSandboxOvs(sb, ns);
        let node: E2eNode | undefined;
        const ctx = { pods: [], ovs } as unknown as OvsContext;
        try {
          node = await startNode(sb, {
            netns: ns,
            config: { ...config, ovs: { db: ovs.db.socket, datapathType: "netdev" } },
          });
          Object.assign(ctx, { node });
          await fn(ctx);
        } finally {
          if (node) {
            await stopStrayDhcpClients(node, ctx.pods);
            await node.stopZedrouter();
          }
          await ovs.stop();
        }
      }),
  });
}

/** `eve-cni-debug --json <args>` in the node namespace: exit code and parsed output. */
export async function debugJson<S extends v.GenericSchema>(
  node: E2eNode,
  schema: S,
  ...args: string[]
): Promise<{ code: number; model: v.InferOutput<S> }> {
  const argv = [EVE_CNI_DEBUG, "--socket", node.socket, "--json", ...args];
  const r = await systemRunner(execArgv(node.ns.ns, argv));
  return { code: r.code, model: v.parse(schema, JSON.parse(r.stdout)) };
}

/** The OVS-backed local NI of the OVS scenarios, and nginx's adapter on it. */
export const OVS_NI = {
  name: "ni-ovs",
  uuid: "6a1c0c5e-0d4f-4a8e-9b55-2f6b1f0e0a05",
  bridge: "obr1",
};
export const OVS_ADAPTER = { mac: "02:16:3e:78:05:01", ip: "10.78.5.50" };

/** A node with OVS_NI (10.78.5.0/24, optionally an MTU) and nginx on it. */
export function ovsLocalNiConfig(mtu?: number): ZedrouterConfig {
  return {
    networkInstances: [{
      ...OVS_NI,
      type: "local",
      bridgeType: "ovs",
      subnet: "10.78.5.0/24",
      gateway: "10.78.5.1",
      ...(mtu !== undefined && { mtu }),
    }],
    apps: [{
      name: APPS.nginx.name,
      uuid: APPS.nginx.uuid,
      adapters: [{ networkInstance: OVS_NI.name, ...OVS_ADAPTER }],
    }],
  };
}

export interface OvsPod {
  readonly pod: E2ePod;
  readonly attached: AttachedPod;
  /** zedrouter's record of net1 (Inspect.Attachments). */
  readonly attachment: ResultOf<"Inspect.Attachments">["attachments"][number] | undefined;
}

/** nginx's pod attached through libcni (eth0, and net1 on OVS_NI), and zedrouter's record. */
export async function attachOvsPod(ctx: OvsContext): Promise<OvsPod> {
  const { node } = ctx;
  const pod = await trackedPod(ctx, "pod1", APPS.nginx);
  const attached = await attach(CNIDRIVE, node, pod, [
    eth0(node),
    netX(node, "net1", OVS_NI.name, OVS_ADAPTER.mac),
  ]);
  const [attachment] = (await node.inspect("Inspect.Attachments")).attachments;
  return { pod, attached, attachment };
}
