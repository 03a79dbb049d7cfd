/**
 * `rpFilter`: the reverse-path filter of one pod interface (IPv4 only; the kernel has no
 * IPv6 one). The kernel applies max(conf/all, conf/<interface>), so setting the interface's
 * own value is enough while `all` is not above it. When `all` is above it, `all` comes down
 * to the value and every other interface's own value goes up to the old `all` first, so
 * what each of them gets is unchanged. Two or three sysctl processes at most.
 */
import {
  getSysctls,
  interfaceSysctlKey,
  type Netns,
  type Runner,
  setSysctls,
} from "../../netns/mod.ts";

const ALL = "all";
const key = (ifname: string) => interfaceSysctlKey("ipv4", ifname, "rp_filter");

/** The writes that give `ifname` the value `value` and leave every other interface's alone. */
export function rpFilterWrites(
  value: number,
  ifname: string,
  all: number,
  own: number,
  others: ReadonlyMap<string, number>,
): [string, number][] {
  if (all <= value) return own === value ? [] : [[key(ifname), value]];
  const writes: [string, number][] = [];
  for (const [name, current] of others) {
    if (current < all) writes.push([key(name), all]);
  }
  writes.push([key(ifname), value], [key(ALL), value]);
  return writes;
}

export async function applyRpFilter(
  runner: Runner,
  ns: Netns,
  ifname: string,
  value: number,
  interfaces: readonly string[],
): Promise<void> {
  // 2 is the highest value: max(all, 2) is 2 whatever `all` is, so nothing needs reading.
  if (value === 2) return await setSysctls(runner, ns, [[key(ifname), value]]);
  const [all = 0, own = 0] = (await getSysctls(runner, ns, [key(ALL), key(ifname)])).map(Number);
  const names = all > value ? interfaces.filter((n) => n !== ifname && n !== ALL) : [];
  const values = (await getSysctls(runner, ns, names.map(key))).map(Number);
  const others = new Map(names.map((n, i) => [n, values[i] ?? 0]));
  await setSysctls(runner, ns, rpFilterWrites(value, ifname, all, own, others));
}

/** The values CHECK compares: `all` and the interface's own. */
export async function readRpFilter(
  runner: Runner,
  ns: Netns,
  ifname: string,
): Promise<{ all: number; own: number }> {
  const [all = 0, own = 0] = (await getSysctls(runner, ns, [key(ALL), key(ifname)])).map(Number);
  return { all, own };
}
