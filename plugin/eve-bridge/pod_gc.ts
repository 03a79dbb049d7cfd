/**
 * GC of the attachments on EVE network instances: every attachment of this network in the
 * state dir that the runtime no longer lists is detached (DEL's path), and files without a
 * record (an ADD that died before writing it) are cleaned up. One step per attachment; every
 * step runs, and the failures are reported together.
 */
import type { Runner } from "../../netns/mod.ts";
import { EveErrorCode, runAll, type Step } from "../cni/mod.ts";
import { listStates, readState, withAttachmentLock } from "./attachment_state.ts";
import { detach } from "./detach.ts";
import type { EveGcContext } from "./handler.ts";

export async function gcPodInterfaces(runner: Runner, ctx: EveGcContext): Promise<void> {
  const keep = new Set(ctx.validAttachments.map((a) => `${a.containerID}\0${a.ifname}`));
  const { states, orphans, problems } = await listStates(ctx.config.stateDir);
  for (const problem of problems) ctx.logger.warn("GC skips {problem}", { problem });
  // The valid list names this network's attachments only: other networks' are not ours to judge.
  const stale: Step[] = states
    .filter(({ state }) => state.network === ctx.config.name)
    .filter(({ state }) => !keep.has(`${state.containerID}\0${state.ifname}`))
    .map(({ paths, state }) => ({
      label: `attachment ${state.containerID}/${state.ifname}`,
      run: () =>
        withAttachmentLock(paths, async () => {
          const current = await readState(paths.state);
          if (!current) return; // a DEL got there first
          await detach(runner, {
            paths,
            state: current,
            ifname: current.ifname,
            fallback: current,
            zedrouterSocket: current.zedrouterSocket,
          }, ctx.logger);
        }),
    }));
  // Files without a record: stop a client their pid file names, then remove them. An ADD
  // that is running holds the lock and has written its record by the time we get it.
  const leftovers: Step[] = orphans.map((paths) => ({
    label: `leftover files ${paths.state.replace(/\.json$/, ".*")}`,
    run: () =>
      withAttachmentLock(paths, async () => {
        if (await readState(paths.state).catch(() => true)) return;
        const ifname = paths.state.slice(paths.dir.length + 1, -".json".length);
        await detach(runner, {
          paths,
          state: undefined,
          ifname,
          fallback: { podName: "", podNamespace: "", netnsPath: "" },
          zedrouterSocket: ctx.config.zedrouterSocket,
        }, ctx.logger);
      }),
  }));
  ctx.logger.info("GC releases {count} stale attachment(s) and {leftovers} leftover(s)", {
    count: stale.length,
    leftovers: leftovers.length,
  });
  await runAll([...stale, ...leftovers], ctx.logger, {
    code: EveErrorCode.GcPartialFailure,
    msg: "GC could not release every stale eve-bridge attachment",
  });
}
