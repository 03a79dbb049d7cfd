/**
 * sysctls of a network namespace. /proc/sys/net follows the netns of the process that opens
 * it, so `sysctl` runs inside the namespace via nsenter; nothing here touches our own netns
 * unless the caller passes `undefined`.
 */
import { checkIfName } from "./_validate.ts";
import { runChecked, type Runner } from "./runner.ts";
import { execArgv, type Netns } from "./target.ts";

/**
 * A sysctl key: dotted (`net.ipv4.ip_forward`) or, when a segment holds an interface name
 * with dots, slash-separated (`net/ipv6/conf/eth0.100/accept_dad`), which procps accepts.
 */
const KEY_PATTERN = /^[a-z][a-z0-9_./-]*$/;

function checkKey(key: string): string {
  const segments = key.split(/[./]/);
  if (!KEY_PATTERN.test(key) || segments.some((s) => s === "") || key.includes("/../")) {
    throw new TypeError(
      `Invalid sysctl key ${JSON.stringify(key)}: expected segments of [a-z0-9_-] ` +
        `separated by "." or "/" (use interfaceSysctlKey for interface names)`,
    );
  }
  return key;
}

function checkValue(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) {
    throw new TypeError(`Invalid sysctl value ${JSON.stringify(value)}: printable ASCII only`);
  }
  return value;
}

/**
 * The key of a per-interface sysctl, e.g. `interfaceSysctlKey("ipv6", "net1", "accept_dad")`.
 * Interface names may hold characters a plain key forbids (dots, capitals), so the key uses
 * the slash form where each segment is a path component.
 */
export function interfaceSysctlKey(
  family: "ipv4" | "ipv6",
  ifname: string,
  leaf: string,
): string {
  const name = checkIfName(ifname);
  // procps splits "key=value" at the first "="; a name holding one cannot be addressed.
  if (name.includes("=")) {
    throw new TypeError(
      `Invalid interface name ${JSON.stringify(ifname)} in a sysctl key: contains "="`,
    );
  }
  if (!/^[a-z0-9_]+$/.test(leaf)) {
    throw new TypeError(`Invalid sysctl leaf ${JSON.stringify(leaf)}`);
  }
  return `net/${family}/conf/${name}/${leaf}`;
}

/** Validates a key; interface keys built by interfaceSysctlKey pass as is. */
function checkAnyKey(key: string): string {
  const m = /^net\/(ipv4|ipv6)\/conf\/([^/]+)\/([a-z0-9_]+)$/.exec(key);
  if (m) return interfaceSysctlKey(m[1] as "ipv4" | "ipv6", m[2]!, m[3]!);
  return checkKey(key);
}

/** `sysctl -w KEY=VALUE` inside `ns`. */
export async function setSysctl(
  runner: Runner,
  ns: Netns | undefined,
  key: string,
  value: string | number,
): Promise<void> {
  const entry = `${checkAnyKey(key)}=${checkValue(String(value))}`;
  await runChecked(runner, execArgv(ns, ["sysctl", "-q", "-w", entry]));
}

/** `sysctl -n KEY` inside `ns`, trimmed. */
export async function getSysctl(
  runner: Runner,
  ns: Netns | undefined,
  key: string,
): Promise<string> {
  return (await runChecked(runner, execArgv(ns, ["sysctl", "-n", checkAnyKey(key)]))).trim();
}

/** `sysctl -n KEY...` inside `ns` in one process: the values in the order of `keys`. */
export async function getSysctls(
  runner: Runner,
  ns: Netns | undefined,
  keys: readonly string[],
): Promise<string[]> {
  if (keys.length === 0) return [];
  const stdout = await runChecked(runner, execArgv(ns, ["sysctl", "-n", ...keys.map(checkAnyKey)]));
  const values = stdout.split("\n").map((line) => line.trim()).slice(0, keys.length);
  if (values.length !== keys.length) {
    throw new Error(`sysctl printed ${values.length} values for ${keys.length} keys`);
  }
  return values;
}

/** `sysctl -w KEY=VALUE...` inside `ns` in one process, in order. */
export async function setSysctls(
  runner: Runner,
  ns: Netns | undefined,
  entries: readonly (readonly [string, string | number])[],
): Promise<void> {
  if (entries.length === 0) return;
  const args = entries.map(([key, value]) => `${checkAnyKey(key)}=${checkValue(String(value))}`);
  await runChecked(runner, execArgv(ns, ["sysctl", "-q", "-w", ...args]));
}
