/**
 * The format of a program file: ONE file that is both a `#!/bin/sh` script and an ES module.
 * Every line of the sh part reads `":" //; <sh>`: sh runs `:` (a no-op) and then <sh>; JavaScript
 * sees a string statement and a comment. The sh part ends by exec'ing Deno on the file itself,
 * so the file works after a copy by content into any directory (EVE's kube-init copies
 * /usr/bin/eve-bridge into /var/lib/cni/bin and /opt/cni/bin); nothing else of the build has
 * to be beside it.
 *
 * The sh part forks nothing (builtins only: no `$(...)`, no pipes), so it costs what sh's own
 * start costs, and it can grow a fast path later (a `case` before the exec) without a fork.
 * It sets up Deno:
 * - the runtime: EVE_CNI_DENO (a Deno executable, run directly) overrides the one carried in
 *   the file: the pinned Deno for `dist/bin`, or the release runtime (Deno started through its
 *   own glibc loader, so it runs on a musl host), found at EVE_CNI_RUNTIME or the install path;
 * - the V8 code cache: DENO_DIR is EVE_CNI_CACHE or the carried cache directory, prepared at
 *   build time and usable read-only. Deno keys code cache entries by module URL, so the file is
 *   opened as fd `mainFd` and run as /proc/self/fd/<mainFd>: one entry serves every copy, in
 *   any directory (without /proc, the file's own path is used). The fd stays open in the
 *   program and the processes it starts (udhcpc keeps eve-bridge's file open, read-only);
 * - no `node` shim (DENO_DISABLE_NODE_SHIM): Deno would otherwise scan PATH for `node` on every
 *   start, write a symlink into DENO_DIR and put its directory on PATH; under the loader that
 *   symlink would even point at ld.so (Deno.execPath() is the loader there);
 * - PROGRAM_FILE_ENV, the file's absolute path, for programs that call themselves again.
 */
import { PROGRAM_FILE_ENV, VERSION_STDIN_ENV } from "../core/launched_program.ts";

/** How the file starts Deno. */
export type RuntimeStart =
  /** A Deno executable for this host (glibc), by absolute path. */
  | { readonly kind: "deno"; readonly deno: string }
  /** The release runtime: `<dir>/deno` started by `<dir>/lib/<loader>` with `<dir>/lib`. */
  | { readonly kind: "loader"; readonly dir: string; readonly loader: string };

export interface LauncherOptions {
  /** Program name, for the comment and error messages. */
  readonly name: string;
  readonly version: string;
  /** Deno permission flags (scripts/programs.ts). */
  readonly permissions: readonly string[];
  /** Other `deno run` flags of the program (scripts/programs.ts), e.g. V8's. */
  readonly runFlags?: readonly string[];
  readonly runtime: RuntimeStart;
  /** Default DENO_DIR (EVE_CNI_CACHE overrides it). */
  readonly cacheDir: string;
  /** The fd the file is opened on (3..9, one per program so their cache entries differ). */
  readonly mainFd: number;
  /** A CNI plugin's VERSION answer, given by the sh part itself (versionLines). */
  readonly versionAnswer?: VersionAnswer;
}

/** What a CNI plugin answers to VERSION: the versions it speaks, the one it assumes. */
export interface VersionAnswer {
  readonly supported: readonly string[];
  readonly latest: string;
}

/** Environment variables the sh part reads; README "Installing on a node" documents them. */
export const LAUNCHER_ENV = {
  deno: "EVE_CNI_DENO",
  runtime: "EVE_CNI_RUNTIME",
  cache: "EVE_CNI_CACHE",
  programFile: PROGRAM_FILE_ENV,
  versionStdin: VERSION_STDIN_ENV,
} as const;

/** What the sh part exports besides DENO_DIR (a benchmark's floor runs Deno the same way). */
export const DENO_ENV = { DENO_DISABLE_NODE_SHIM: "1", DENO_NO_UPDATE_CHECK: "1" } as const;

/** `deno run` and its flags, as the sh part passes them (before the module and the args). */
export function denoRunArgs(
  permissions: readonly string[],
  runFlags: readonly string[] = [],
): string[] {
  return [
    "run",
    "--quiet",
    "--no-config",
    "--no-prompt",
    "--cached-only",
    ...runFlags,
    ...permissions,
    "--ext=js",
  ];
}

/** A path carried in the file: it goes inside double quotes, so only plain characters. */
function carriedPath(path: string, what: string): string {
  if (!/^\/[A-Za-z0-9._/+-]*$/.test(path)) {
    throw new Error(`The ${what} "${path}" must be an absolute path of [A-Za-z0-9._/+-] only`);
  }
  return path;
}

function startLines(o: LauncherOptions, missing: (where: string) => string): string[] {
  const { deno, runtime } = LAUNCHER_ENV;
  if (o.runtime.kind === "deno") {
    const d = carriedPath(o.runtime.deno, "Deno executable");
    return [
      `d=\${${deno}:-${d}}`,
      `[ -x "$d" ] || { ${missing("$d")}; }`,
      `exec "$d" "$@"`,
    ];
  }
  const dir = carriedPath(o.runtime.dir, "runtime directory");
  const loader = carriedPath(`/${o.runtime.loader}`, "loader name").slice(1);
  return [
    `[ -z "$${deno}" ] || exec "$${deno}" "$@"`,
    `r=\${${runtime}:-${dir}}`,
    `[ -x "$r/deno" ] || { ${missing("$r/deno")}; }`,
    `exec "$r/lib/${loader}" --library-path "$r/lib" "$r/deno" "$@"`,
  ];
}

function plainVersion(version: string): string {
  if (!/^\d+(\.\d+)*$/.test(version)) throw new Error(`"${version}" is not a plain version`);
  return version;
}

/**
 * CNI_COMMAND=VERSION answered by sh, builtins only, when stdin is exactly what libcni sends
 * (`{"cniVersion":"<digits and dots>"}`, a trailing newline allowed) or empty: the answer is
 * versionAnswer()'s (plugin/cni/version_answer.ts), byte for byte, for 1-2 ms instead of a
 * Deno start and the program's load (~30 ms). Any other stdin was read all the same, so it
 * goes on to Deno in VERSION_STDIN_ENV (its newlines rebuilt from IFS, whose default, which
 * sh sets at start, ends in one). A shell variable holds no NUL and Deno drops a variable that
 * is not UTF-8: such a stdin, which is no CNI config, gets the latest version as requested.
 */
function versionLines(answer: VersionAnswer): string[] {
  const list = answer.supported.map((v) => `\\"${plainVersion(v)}\\"`).join(",");
  const env = LAUNCHER_ENV.versionStdin;
  const prefix = `'{"cniVersion":"'`;
  return [
    `case $CNI_COMMAND in VERSION) vn=\${IFS#??}; vs=; while IFS= read -r vl; do vs=$vs$vl$vn;` +
    ` done; vs=$vs$vl; vv=\${vs%"$vn"}; case $vv in ${prefix}*'"}') vv=\${vv#${prefix}};` +
    ` vv=\${vv%'"}'} ;; '') vv=${plainVersion(answer.latest)} ;; *) vv= ;; esac;` +
    ` case $vv in *[!0-9.]*) vv= ;; esac ;; esac`,
    `case $CNI_COMMAND in VERSION) [ -z "$vv" ] || { printf '%s\\n'` +
    ` "{\\"cniVersion\\":\\"$vv\\",\\"supportedVersions\\":[${list}]}"; exit 0; };` +
    ` ${env}=$vs; export ${env} ;; esac`,
  ];
}

/** The sh part: `#!/bin/sh` and the `":" //;` lines, each ending in a newline. */
export function launcherHeader(o: LauncherOptions): string {
  if (!Number.isInteger(o.mainFd) || o.mainFd < 3 || o.mainFd > 9) {
    throw new Error(`mainFd ${o.mainFd} must be 3..9 (fds sh can redirect, past stdio)`);
  }
  const { deno, runtime, cache, programFile } = LAUNCHER_ENV;
  const fd = o.mainFd;
  const flags = denoRunArgs(o.permissions, o.runFlags).join(" ");
  const envAssignments = Object.entries(DENO_ENV).map(([k, v]) => `${k}=${v}`).join(" ");
  const missing = (where: string) =>
    `printf '%s\\n' "${o.name}: no Deno runtime at ${where} (set ${deno}` +
    `${o.runtime.kind === "loader" ? ` or ${runtime}` : ""})" >&2; exit 127`;
  const sh = [
    `# ${o.name} ${o.version}: a sh launcher (these lines, builtins only) and the program`,
    `# (JavaScript, below) in one file, written by \`deno task build\`. README "Installing on a`,
    `# node": ${deno}, ${o.runtime.kind === "loader" ? `${runtime}, ` : ""}${cache}.`,
    ...(o.versionAnswer ? versionLines(o.versionAnswer) : []),
    `DENO_DIR=\${${cache}:-${carriedPath(o.cacheDir, "cache directory")}} ${envAssignments}`,
    `case $0 in /*) ${programFile}=$0 ;; *) ${programFile}=$PWD/$0 ;; esac`,
    `export DENO_DIR ${Object.keys(DENO_ENV).join(" ")} ${programFile}`,
    `exec ${fd}<"$0"; m=/proc/self/fd/${fd}; [ -r $m ] || { exec ${fd}<&-; m=$${programFile}; }`,
    // A fork-free fast path (a `case "$1"` that answers without Deno) belongs here, before
    // `set --` puts Deno's arguments in front of the program's.
    `set -- ${flags} "$m" "$@"`,
    ...startLines(o, missing),
  ];
  return ["#!/bin/sh", ...sh.map((line) => `":" //; ${line}`), ""].join("\n");
}

/** The whole program file: the sh part, then the bundle (its own hashbang, if any, dropped). */
export function programFile(o: LauncherOptions, bundle: string): string {
  const body = bundle.startsWith("#!") ? bundle.slice(bundle.indexOf("\n") + 1) : bundle;
  return launcherHeader(o) + body;
}
