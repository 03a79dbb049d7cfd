/** `pods` (one line per attachment) and `show POD [IFNAME]` (the whole chain, link by link). */
import * as v from "valibot";
import { buildChains, ChainSchema, requirePodChains } from "./chain.ts";
import type { CommandContext, Outcome } from "./context.ts";
import { ExitCode } from "./exit_codes.ts";
import { gatherSnapshot } from "./gather.ts";
import { formatChains, formatPodsTable } from "./format_chains.ts";
import type { Executor, Root } from "./root_command.ts";
import { type Snapshot, ZedrouterSectionSchema } from "./snapshot.ts";

/** The --json of `pods` and `show`: where zedrouter's facts came from, and the chains. */
export const PodsModelSchema = v.strictObject({
  zedrouter: ZedrouterSectionSchema,
  chains: v.array(ChainSchema),
});
export type PodsModel = v.InferOutput<typeof PodsModelSchema>;

/** No zedrouter view at all (socket down, no state file): the verdict is "unreachable". */
export function viewExitCode(snapshot: Snapshot, ok: boolean): ExitCode {
  if (!snapshot.zedrouter.reachable && snapshot.zedrouter.source === "none") {
    return ExitCode.ZedrouterUnreachable;
  }
  return ok ? ExitCode.Ok : ExitCode.ProblemsFound;
}

export function podsOutcome(snapshot: Snapshot): Outcome {
  const model: PodsModel = { zedrouter: snapshot.zedrouter, chains: buildChains(snapshot) };
  return {
    model,
    human: formatPodsTable(model.chains, snapshot.zedrouter),
    exitCode: viewExitCode(snapshot, model.chains.every((c) => c.ok)),
  };
}

export function showOutcome(snapshot: Snapshot, pod: string, ifname?: string): Outcome {
  const chains = requirePodChains(buildChains(snapshot), snapshot.zedrouter, pod, ifname);
  const model: PodsModel = { zedrouter: snapshot.zedrouter, chains };
  return {
    model,
    human: formatChains(chains, snapshot.zedrouter),
    exitCode: viewExitCode(snapshot, chains.every((c) => c.ok)),
  };
}

async function snapshot(ctx: CommandContext): Promise<Snapshot> {
  return await gatherSnapshot(ctx);
}

export function registerPods(root: Root, exec: Executor): void {
  root.command("pods")
    .description("Every pod attachment and whether its chain is whole")
    .option(
      "--snapshot",
      "print the raw facts collected (with --json) instead of the chains",
      false,
    )
    .addHelpText(
      "after",
      `
Exit ${ExitCode.Ok} when every chain is whole, ${ExitCode.ProblemsFound} on a broken one, ${ExitCode.ZedrouterUnreachable} with no zedrouter view at all.

Examples:
  eve-cni-debug pods
  eve-cni-debug pods --json | jq '.chains[] | select(.ok | not)'`,
    )
    .action(async (opts, cmd) => {
      await exec.run(cmd.optsWithGlobals(), async (ctx) => {
        const s = await snapshot(ctx);
        if (opts.snapshot) {
          return { model: s, human: JSON.stringify(s, null, 2), exitCode: ExitCode.Ok };
        }
        return podsOutcome(s);
      });
    });
  root.command("show")
    .description("The chain of one pod: pod, app, adapter, NI, bridge, veth, interface, DHCP")
    .argument("<pod>", "pod name or container ID")
    .argument("[ifname]", "only this interface")
    .addHelpText(
      "after",
      `
Exit ${ExitCode.Ok} when every chain shown is whole, ${ExitCode.ProblemsFound} on a broken link or when the pod has no
attachment, ${ExitCode.ZedrouterUnreachable} with no zedrouter view at all (socket down, no state file).

Examples:
  eve-cni-debug show nginx-1a2b3-x7k2p
  eve-cni-debug show nginx-1a2b3-x7k2p net1 --json`,
    )
    .action(async (pod, ifname, _opts, cmd) => {
      await exec.run(
        cmd.optsWithGlobals(),
        async (ctx) => showOutcome(await snapshot(ctx), pod, ifname),
      );
    });
}
