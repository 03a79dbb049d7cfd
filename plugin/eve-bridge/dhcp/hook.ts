/**
 * The udhcpc hook of eve-bridge's long-running DHCP clients, and how it calls eve-bridge back.
 *
 * Why a callback and not a watcher: a lease lives as long as its pod, and renewals come every
 * half lease time. A supervisor process per pod (a Deno runtime, tens of MB each) would sit
 * idle almost always; udhcpc already wakes up at the right moments and runs its hook. So the
 * hook (1) appends the event to the attachment's event file (netns's report script: what
 * ADD, CHECK and DEL read) and (2) on `renew` and any `bound` but the client's first (the
 * lease ADD itself waits for) starts `eve-bridge dhcp-event
 * <eventFile>` in the background (udhcpc must not wait on zedrouter), which takes the
 * attachment's lock, compares the newest lease with the state file and, when the address
 * moved, tells zedrouter (ConnectPodAtL3) and removes the old address from the pod.
 *
 * How the hook finds eve-bridge: the command is recorded when ADD writes the hook. Started
 * from its self-contained file (`dist/bin/eve-bridge`, or a copy of it in /opt/cni/bin), it is
 * that file (core/launched_program.ts): calling it again keeps its runtime, permissions and
 * overrides. From source (`deno run plugin/eve-bridge/main.ts`) it is Deno with the
 * repository's config. Anything else (an in-process test) gets no callback: events are still
 * recorded, addresses are not followed.
 */
import { ensureOwnFile, ensureTrustedDirectory, ownFileProblem } from "../../../core/mod.ts";
import { launchedProgramFile } from "../../../core/launched_program.ts";
import { UDHCPC_HOOK_SCRIPT } from "../../../netns/mod.ts";

import { DHCP_EVENT_COMMAND } from "./event_command.ts";
export { DHCP_EVENT_COMMAND };
export const REPORT_SCRIPT_NAME = "udhcpc-report.sh";
export const HOOK_SCRIPT_NAME = "udhcpc-hook.sh";

/**
 * The argv that runs this eve-bridge program again, or undefined when it cannot tell.
 * `execPath` matters only from source: under the release runtime Deno.execPath() is the glibc
 * loader that started Deno, which cannot run `deno run` by itself.
 */
export function selfCommand(
  mainModule: string = Deno.mainModule,
  execPath: string = Deno.execPath(),
  programFile: string | undefined = launchedProgramFile(mainModule),
): string[] | undefined {
  if (programFile !== undefined) return [programFile];
  if (!mainModule.startsWith("file://")) return undefined;
  const path = decodeURIComponent(new URL(mainModule).pathname);
  if (path.endsWith("/plugin/eve-bridge/main.ts")) {
    const root = path.slice(0, -"/plugin/eve-bridge/main.ts".length);
    return [execPath, "run", "--allow-all", "--quiet", "--config", `${root}/deno.json`, path];
  }
  return undefined;
}

/** Single-quotes a word for sh (our own paths, but quoted anyway). */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The wrapper hook: report the event, then (bound/renew) call eve-bridge back.
 *
 * Fork-free up to the callback: the report script is sourced (`.`), not run, and a DHCP
 * client's first `bound` starts no callback: that lease is the one ADD is waiting for and
 * applies itself under the attachment's lock, so a second eve-bridge then (a whole Deno,
 * ~34 ms of CPU on a 2-core node, measured in issue 11) would only find the lease it already
 * has. It is the first when the event file has nothing after its first `bound` line (ADD
 * starts each client on an empty file); the loop reads the file only up to that line and one
 * more. Any later `bound` (a lease lost and taken again) and every `renew` call back.
 */
export function hookScript(reportScript: string, callback: readonly string[] | undefined): string {
  const lines = [
    "#!/bin/sh",
    "# Written by eve-bridge (plugin/eve-bridge/dhcp/hook.ts). udhcpc runs it on every event:",
    "# the event is appended to $EVE_DHCP_EVENT_FILE; bound (but the client's first) and renew",
    "# also start `eve-bridge dhcp-event` in the background, which moves the pod if the address",
    "# changed. Builtins only until then.",
    'PATH="${PATH:-/usr/sbin:/usr/bin:/sbin:/bin}"',
    "export PATH",
    `. ${shellQuote(reportScript)}`,
    // Its status is its append's: non-zero when the state dir is full. Then the space ADD set
    // aside for this attachment goes, so the event (a lease dnsmasq granted, which must be
    // released, or DEL's deconfig) is recorded after all, and ADD, finding the reserve gone,
    // names the cause (plugin/eve-bridge/attachment_state.ts writeReserve). A fork only then.
    'if [ $? -ne 0 ] && [ -n "$EVE_DHCP_EVENT_FILE" ]; then',
    '  rm -f "${EVE_DHCP_EVENT_FILE%.events}.reserve"',
    `  . ${shellQuote(reportScript)}`,
    "fi",
  ];
  if (callback !== undefined && callback.length > 0) {
    lines.push(
      'case "$1" in',
      "  bound|renew)",
      '    if [ -n "$EVE_DHCP_EVENT_FILE" ]; then',
      "      first=",
      '      if [ "$1" = bound ] && [ -r "$EVE_DHCP_EVENT_FILE" ]; then',
      "        while IFS= read -r l; do",
      `          case $l in *'"event":"bound"'*)`,
      "            if IFS= read -r l; then first=no; else first=yes; fi",
      "            break ;;",
      "          esac",
      '        done <"$EVE_DHCP_EVENT_FILE"',
      "      fi",
      '      if [ "$first" != yes ]; then',
      `        ${
        callback.map(shellQuote).join(" ")
      } ${DHCP_EVENT_COMMAND} "$EVE_DHCP_EVENT_FILE" \\`,
      "          </dev/null >/dev/null 2>&1 &",
      "      fi",
      "    fi",
      "    ;;",
      "esac",
    );
  }
  lines.push("exit 0", "");
  return lines.join("\n");
}

/**
 * Writes both scripts into `stateDir` and returns the hook's path. udhcpc runs them as root,
 * so `stateDir` must be a trusted directory (made 0700 when missing; UntrustedPathError
 * otherwise: nobody else can plant or swap a file there), and each script is verified (a
 * regular file owned by root, mode 0755, one link, exactly our text) and replaced when it is
 * not (core/trusted_file.ts). Called before every use: ADD starting udhcpc, DEL and GC before
 * they make it run `deconfig`, and each renewal's callback. Idempotent and atomic: a running
 * udhcpc never sees half a script.
 */
export async function installHook(
  stateDir: string,
  callback: readonly string[] | undefined,
): Promise<string> {
  ensureTrustedDirectory(stateDir, { create: true, mode: 0o700 });
  const report = `${stateDir}/${REPORT_SCRIPT_NAME}`;
  await ensureOwnFile(report, UDHCPC_HOOK_SCRIPT, 0o755);
  const hook = `${stateDir}/${HOOK_SCRIPT_NAME}`;
  await ensureOwnFile(hook, hookScript(report, callback), 0o755);
  return hook;
}

/**
 * Before udhcpc is made to run a hook it was started with (`hookPath`, from the state file):
 * its directory is trusted and both scripts are ours, else they are replaced (the hook with
 * this program's callback). Throws UntrustedPathError when the directory is not trusted.
 */
export async function verifyHook(hookPath: string): Promise<void> {
  const slash = hookPath.lastIndexOf("/");
  if (slash <= 0) return; // a record without a hook (a pid file's client): nothing to check
  const stateDir = hookPath.slice(0, slash);
  ensureTrustedDirectory(stateDir);
  await ensureOwnFile(`${stateDir}/${REPORT_SCRIPT_NAME}`, UDHCPC_HOOK_SCRIPT, 0o755);
  // Its text names the program that wrote it (which an upgrade may have moved): the shape
  // is what must hold; a wrong one is rewritten for this program.
  if (ownFileProblem(hookPath, { mode: 0o755 }) !== undefined) {
    await ensureOwnFile(
      hookPath,
      hookScript(`${stateDir}/${REPORT_SCRIPT_NAME}`, selfCommand()),
      0o755,
    );
  }
}
