/**
 * Throwaway network namespaces for root-only tests. Each sandbox owns a unique prefix
 * `evetest-<6 random>`, so helpers running tests at the same time never touch each
 * other's namespaces, and cleanup (in finally, even on failure) stops every tracked process
 * by pid and deletes only its own namespaces, which takes their veths and bridges along.
 * Nothing here changes the machine's own network namespace.
 */
import {
  createNetns,
  deleteNetns,
  type DetachedDaemon,
  execArgv,
  listNetns,
  type Netns,
  type RunResult,
  stopPid,
  systemRunner,
} from "../../netns/mod.ts";

export const SANDBOX_PREFIX = "evetest-";

/** True when running as uid 0 (root tests need CAP_NET_ADMIN and CAP_SYS_ADMIN). */
export function isRoot(): boolean {
  return Deno.uid() === 0;
}

const EXTRA_BIN_DIRS = [
  "/usr/local/sbin",
  "/usr/local/bin",
  "/usr/sbin",
  "/usr/bin",
  "/sbin",
  "/bin",
];

/** Absolute path of `tool` on PATH (plus the sbin dirs), or undefined. */
export function findTool(tool: string): string | undefined {
  if (tool.includes("/")) return isExecutable(tool) ? tool : undefined;
  const dirs = [...(Deno.env.get("PATH") ?? "").split(":").filter((d) => d), ...EXTRA_BIN_DIRS];
  for (const dir of dirs) {
    const candidate = `${dir}/${tool}`;
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * Why a root test cannot run here ("needs root", "needs udhcpc, dnsmasq"), or undefined
 * when it can. `ip` and `nsenter` are always required.
 */
export function skipReason(...tools: string[]): string | undefined {
  if (!isRoot()) return "needs root";
  const missing = ["ip", "nsenter", ...tools].filter((tool) => findTool(tool) === undefined);
  return missing.length ? `needs ${missing.join(", ")}` : undefined;
}

export interface SandboxNetns {
  /** `evetest-<id>-<role>` */
  name: string;
  /** `/var/run/netns/evetest-<id>-<role>` */
  path: string;
  /** `{ name }`, ready for netns/ functions. */
  ns: Netns;
}

export interface Sandbox {
  /** `evetest-<6 random>`; every namespace of this sandbox starts with `${prefix}-`. */
  prefix: string;
  /** A private temporary directory (conf, lease, pid files), removed on cleanup. */
  dir: string;
  /** Creates the namespace `${prefix}-${role}` (role: letters, digits, '-', short). */
  netns(role: string): Promise<SandboxNetns>;
  /** Stops this pid (or daemon, whose exit is then awaited) on cleanup, newest first. */
  track(process: number | DetachedDaemon): void;
  /** Runs argv inside a sandbox namespace (nsenter --net), never through a shell. */
  exec(ns: SandboxNetns | Netns, argv: readonly string[]): Promise<RunResult>;
}

function randomId(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

/** Runs fn with a fresh sandbox and always cleans up; cleanup errors surface after fn's. */
export async function withSandbox(fn: (sb: Sandbox) => Promise<void>): Promise<void> {
  const prefix = `${SANDBOX_PREFIX}${randomId()}`;
  const dir = await Deno.makeTempDir({ prefix: `${prefix}-` });
  const names: string[] = [];
  const tracked: (number | DetachedDaemon)[] = [];
  const sb: Sandbox = {
    prefix,
    dir,
    async netns(role) {
      if (!/^[a-z0-9-]{1,20}$/.test(role)) throw new Error(`Invalid sandbox role "${role}"`);
      const name = `${prefix}-${role}`;
      await createNetns(systemRunner, name);
      names.push(name);
      // Loopback up, as a container runtime would leave it; some tools expect it.
      await systemRunner(["ip", "-n", name, "link", "set", "lo", "up"]);
      return { name, path: `/var/run/netns/${name}`, ns: { name } };
    },
    track(process) {
      tracked.push(process);
    },
    exec(ns, argv) {
      const target: Netns = "ns" in ns ? ns.ns : ns;
      return systemRunner(execArgv(target, argv));
    },
  };
  try {
    await fn(sb);
  } finally {
    await cleanup(tracked, names, dir);
  }
}

async function cleanup(
  tracked: (number | DetachedDaemon)[],
  names: string[],
  dir: string,
): Promise<void> {
  const errors: unknown[] = [];
  for (const process of tracked.reverse()) {
    try {
      const pid = typeof process === "number" ? process : process.pid;
      await stopPid(pid, { graceMs: 2000 });
      if (typeof process !== "number") await process.exited;
    } catch (error) {
      errors.push(error);
    }
  }
  for (const name of names.reverse()) {
    try {
      await deleteNetns(systemRunner, name);
    } catch (error) {
      errors.push(error);
    }
  }
  await Deno.remove(dir, { recursive: true }).catch((error) => errors.push(error));
  if (errors.length) throw new AggregateError(errors, "Sandbox cleanup failed");
}

/**
 * Deletes leftover namespaces of one sandbox prefix (e.g. after a crashed run). Refuses
 * anything but a full `evetest-<id>` prefix, so it can never sweep other runs' namespaces.
 */
export async function cleanupLeftovers(prefix: string): Promise<string[]> {
  if (!/^evetest-[a-z0-9]{6}$/.test(prefix)) {
    throw new Error(`Refusing to clean up "${prefix}": expected a sandbox prefix evetest-XXXXXX`);
  }
  const doomed = (await listNetns(systemRunner)).filter((n) => n.startsWith(`${prefix}-`));
  for (const name of doomed) await deleteNetns(systemRunner, name);
  return doomed;
}

/**
 * Deno.test for a root test: skipped (with the reason in its name) when not root or a tool
 * is missing; otherwise fn runs inside a fresh sandbox.
 */
export function sandboxTest(
  name: string,
  tools: string[],
  fn: (sb: Sandbox) => Promise<void>,
): void {
  const reason = skipReason(...tools);
  Deno.test({
    name: reason ? `${name} (skipped: ${reason})` : name,
    ignore: reason !== undefined,
    fn: () => withSandbox(fn),
  });
}
