/**
 * `check POD [IFNAME]`: zedrouter's own verdict (CheckPodConnection over the socket) next to
 * the same verification from the kernel (the chain). Non-zero exit on any problem.
 */
import * as v from "valibot";
import { RpcError } from "../../rpc/mod.ts";
import { buildChains, type Chain, ChainSchema, requirePodChains } from "./chain.ts";
import type { CommandContext, Outcome } from "./context.ts";
import { ExitCode } from "./exit_codes.ts";
import { gatherSnapshot } from "./gather.ts";
import { formatChain, sourceNote } from "./format_chains.ts";
import type { Executor, Root } from "./root_command.ts";
import { isUnreachable, withClient } from "./zedrouter_client.ts";

export const RpcVerdictSchema = v.strictObject({
  ok: v.boolean(),
  unreachable: v.boolean(),
  appUuid: v.nullable(v.string()),
  usesDhcp: v.nullable(v.boolean()),
  error: v.nullable(v.string()),
});
export type RpcVerdict = v.InferOutput<typeof RpcVerdictSchema>;

export const CheckModelSchema = v.strictObject({
  pod: v.string(),
  ok: v.boolean(),
  results: v.array(v.strictObject({ rpc: RpcVerdictSchema, chain: ChainSchema })),
  note: v.nullable(v.string()),
});
export type CheckModel = v.InferOutput<typeof CheckModelSchema>;

async function checkOverRpc(ctx: CommandContext, chain: Chain): Promise<RpcVerdict> {
  const { globals: g, deps } = ctx;
  try {
    const r = await withClient(
      deps.connect,
      g.socket,
      g,
      (client) =>
        client.call("RPCServer.CheckPodConnection", {
          pod: { name: chain.podName, netNsPath: chain.netnsPath },
          podInterface: { name: chain.ifname, mac: null, netNsPath: chain.netnsPath },
        }),
    );
    return { ok: true, unreachable: false, appUuid: r.appUUID, usesDhcp: r.usesDHCP, error: null };
  } catch (error) {
    const text = error instanceof RpcError && "remoteMessage" in error
      ? String(error.remoteMessage)
      : error instanceof Error
      ? error.message
      : String(error);
    return {
      ok: false,
      unreachable: isUnreachable(error),
      appUuid: null,
      usesDhcp: null,
      error: text,
    };
  }
}

export function formatCheck(model: CheckModel): string {
  const parts = model.results.map(({ rpc, chain }) => {
    const verdict = rpc.ok
      ? `zedrouter CheckPodConnection: ok (app ${rpc.appUuid}, usesDHCP ${rpc.usesDhcp})`
      : `zedrouter CheckPodConnection: FAILED: ${rpc.error}`;
    return `${formatChain(chain)}\n  ${verdict}`;
  });
  parts.push(model.ok ? `check ${model.pod}: ok` : `check ${model.pod}: problems found`);
  if (model.note) parts.push(model.note);
  return parts.join("\n\n");
}

export function checkExitCode(model: CheckModel): ExitCode {
  if (model.ok) return ExitCode.Ok;
  if (model.results.length && model.results.every((r) => r.rpc.unreachable)) {
    return ExitCode.ZedrouterUnreachable;
  }
  return ExitCode.ProblemsFound;
}

export async function runCheck(
  ctx: CommandContext,
  pod: string,
  ifname?: string,
): Promise<CheckModel> {
  const s = await gatherSnapshot(ctx);
  const chains = requirePodChains(buildChains(s), s.zedrouter, pod, ifname);
  const results = [];
  for (const chain of chains) results.push({ rpc: await checkOverRpc(ctx, chain), chain });
  return {
    pod,
    ok: results.every((r) => r.rpc.ok && r.chain.ok),
    results,
    note: sourceNote(s.zedrouter),
  };
}

export function registerCheck(root: Root, exec: Executor): void {
  root.command("check")
    .description("CheckPodConnection over the socket plus the same verification from the kernel")
    .argument("<pod>", "pod name or container ID")
    .argument("[ifname]", "only this interface")
    .addHelpText(
      "after",
      `
Exit ${ExitCode.Ok} when zedrouter and the kernel agree the attachment is whole, ${ExitCode.ProblemsFound} on any
problem (also when the pod has no attachment), ${ExitCode.ZedrouterUnreachable} when zedrouter cannot be reached.

Examples:
  eve-cni-debug check nginx-1a2b3-x7k2p
  eve-cni-debug check nginx-1a2b3-x7k2p net1 --json`,
    )
    .action(async (pod, ifname, _opts, cmd) => {
      await exec.run(cmd.optsWithGlobals(), async (ctx): Promise<Outcome> => {
        const model = await runCheck(ctx, pod, ifname);
        return { model, human: formatCheck(model), exitCode: checkExitCode(model) };
      });
    });
}
