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
import { type E2eContext, e2eSkipReason } from "./harness.ts";

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
