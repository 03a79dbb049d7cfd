/**
 * `doctor --fix`: applies the safe repairs the findings carry, and says what it did. Each
 * action re-checks what it is about to touch: a pid is stopped only when eve-bridge's own
 * check proves it its udhcpc (so a recycled pid, or a pid a forged record names, is never
 * signalled), and nothing is done on records of a state dir that is not trusted.
 */
import { ensureTrustedDirectory, errorMessage, UntrustedPathError } from "../../core/mod.ts";
import { dhcpClientVerdict, readProcessFacts } from "../../core/eve/mod.ts";
import { deleteLink, stopPid } from "../../netns/mod.ts";
import type { CommandContext } from "./context.ts";
import { withClient } from "./zedrouter_client.ts";
import type { Finding, Fix } from "./findings.ts";
import { hostNetns } from "./netns_target.ts";

export interface FixResult {
  done: boolean;
  /** What happened, in words: `deleted link "nbu1x9"`, or why nothing was done. */
  message: string;
}

const ORDER: Record<Fix["action"], number> = {
  "stop-pid": 0,
  "disconnect-pod": 1,
  "delete-link": 2,
  "remove-file": 3,
};

/** Why the state dir's records must not be acted on, or undefined when it is trusted. */
function untrustedStateDir(ctx: CommandContext): string | undefined {
  try {
    ensureTrustedDirectory(ctx.globals.stateDir);
    return undefined;
  } catch (error) {
    if (!(error instanceof UntrustedPathError)) throw error;
    return `left it alone: its records are not trustworthy: ${error.message}`;
  }
}

/**
 * Stops a DHCP client only when eve-bridge's own check proves it ours: a live udhcpc whose
 * argv names the recorded pid file, which lies in the state dir, started when recorded
 * (core/eve/dhcp_client.ts, the rule eve-bridge's DEL uses). Anything else is reported.
 */
async function stopOurClient(
  ctx: CommandContext,
  fix: Extract<Fix, { action: "stop-pid" }>,
): Promise<FixResult> {
  const untrusted = untrustedStateDir(ctx);
  if (untrusted !== undefined) return { done: false, message: untrusted };
  if (fix.pidFile === null) {
    return { done: false, message: `left pid ${fix.pid} alone: no pid file proves it ours` };
  }
  const identity = {
    pid: fix.pid,
    pidFile: fix.pidFile,
    ...(fix.startTime !== null && { startTime: fix.startTime }),
  };
  const verdict = dhcpClientVerdict(identity, ctx.globals.stateDir);
  if (!verdict.ours) {
    if (readProcessFacts(fix.pid) === undefined) {
      return { done: true, message: `pid ${fix.pid} had already exited` };
    }
    return { done: false, message: `left pid ${fix.pid} alone: ${verdict.why}` };
  }
  await stopPid(fix.pid, { graceMs: 2000 });
  return { done: true, message: `stopped pid ${fix.pid} (udhcpc, pid file ${fix.pidFile})` };
}

async function apply(ctx: CommandContext, fix: Fix): Promise<FixResult> {
  const runner = ctx.deps.runner;
  switch (fix.action) {
    case "disconnect-pod": {
      const { globals: g } = ctx;
      const r = await withClient(
        ctx.deps.connect,
        g.socket,
        g,
        (client) =>
          client.call("RPCServer.DisconnectPod", {
            pod: { name: fix.podName, netNsPath: fix.netnsPath },
            podInterface: { name: fix.ifname, mac: null, netNsPath: fix.netnsPath },
          }),
      );
      return {
        done: true,
        message:
          `DisconnectPod ${fix.podName} ${fix.ifname}: app ${r.appUUID}, usedDHCP ${r.usedDHCP}`,
      };
    }
    case "delete-link": {
      await deleteLink(runner, hostNetns(fix.netns ?? undefined), fix.ifname);
      return { done: true, message: `deleted link "${fix.ifname}"` };
    }
    case "stop-pid":
      return await stopOurClient(ctx, fix);
    case "remove-file": {
      const untrusted = untrustedStateDir(ctx);
      if (untrusted !== undefined) return { done: false, message: untrusted };
      for (const file of [fix.path, ...fix.siblings]) {
        await Deno.remove(file).catch((error) => {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
        });
      }
      // Only when empty: another interface of the same container may still live there.
      if (fix.dir !== null) await Deno.remove(fix.dir).catch(() => {});
      return { done: true, message: `removed "${fix.path}" and its events/pid/lock files` };
    }
  }
}

/** Applies every finding's fix (DHCP clients first, then links, then files). */
export async function applyFixes(
  ctx: CommandContext,
  findings: readonly Finding[],
): Promise<Map<Finding, FixResult>> {
  const results = new Map<Finding, FixResult>();
  const fixable = findings.filter((f) => f.fix !== null)
    .sort((a, b) => ORDER[a.fix!.action] - ORDER[b.fix!.action]);
  for (const finding of fixable) {
    try {
      results.set(finding, await apply(ctx, finding.fix!));
    } catch (error) {
      results.set(finding, {
        done: false,
        message: `failed: ${errorMessage(error)}`,
      });
    }
  }
  return results;
}
