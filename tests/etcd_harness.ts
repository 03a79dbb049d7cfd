/**
 * A real etcd (Debian's etcd-server) for tests: one member on loopback, client and peer
 * ports picked free at random, its data in a temporary directory; stopped by its pid and the
 * directory removed when the test's function ends, even on failure.
 */
import { execArgv, spawnDaemon, stopPid, systemRunner } from "../netns/mod.ts";
import { findTool } from "../scripts/sandbox/sandbox.ts";
import { EtcdClient } from "../store/mod.ts";

export interface TestEtcd {
  /** `http://127.0.0.1:<port>` (or the given host's address, in the given namespace) */
  readonly endpoint: string;
  readonly pid: number;
  readonly dir: string;
  /** A client from this process (only for an etcd on our own loopback). */
  client(): EtcdClient;
  /** The keys and values under `prefix`, read from wherever etcd listens (its namespace). */
  range(prefix: string): Promise<{ key: string; value: string }[]>;
}

export interface EtcdPlace {
  /** Run etcd in this network namespace (a path under /var/run/netns)... */
  readonly netnsPath: string;
  /** ...listening on this address of it. */
  readonly host: string;
}

const RANGE_CLI = new URL("./etcd_range_cli.ts", import.meta.url).pathname;

/** Runs the range helper, inside `place`'s namespace when given. */
async function rangeAt(
  endpoint: string,
  prefix: string,
  place: EtcdPlace | undefined,
): Promise<{ key: string; value: string }[]> {
  const argv = [Deno.execPath(), "run", "--allow-all", "--quiet", RANGE_CLI, endpoint, prefix];
  const r = await systemRunner(place ? execArgv({ path: place.netnsPath }, argv) : argv, {
    timeoutMs: 20_000,
  });
  if (r.code !== 0) throw new Error(`etcd range ${prefix} at ${endpoint}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Why etcd tests cannot run here, or undefined (scripts/install.sh installs etcd-server). */
export function etcdSkipReason(): string | undefined {
  return findTool("etcd") ? undefined : "needs etcd (Debian etcd-server)";
}

/** A loopback port nobody listens on now (the kernel picks it; we release it at once). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function healthy(endpoint: string, place: EtcdPlace | undefined): Promise<boolean> {
  if (place) return await rangeAt(endpoint, "/health-probe", place).then(() => true, () => false);
  try {
    const response = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
    return response.ok && (await response.text()).includes('"true"');
  } catch {
    return false; // Not listening yet.
  }
}

async function waitHealthy(
  endpoint: string,
  pid: number,
  log: string,
  place: EtcdPlace | undefined,
): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (await healthy(endpoint, place)) return;
    if (Date.now() > deadline) {
      const tail = await Deno.readTextFile(log).catch(() => "");
      throw new Error(`etcd (pid ${pid}) not healthy after 20 s:\n${tail.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs fn with a fresh etcd (on loopback, or at `place`); always stops it, removes its data. */
export async function withEtcd(
  fn: (etcd: TestEtcd) => Promise<void>,
  place?: EtcdPlace,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "evetest-etcd-" });
  const [client, peer] = [freePort(), freePort()];
  const host = place?.host ?? "127.0.0.1";
  const endpoint = `http://${host}:${client}`;
  const peerUrl = `http://${host}:${peer}`;
  const etcd = [findTool("etcd")!];
  const daemon = spawnDaemon([
    ...(place ? execArgv({ path: place.netnsPath }, etcd) : etcd),
    "--name=test",
    `--data-dir=${dir}/data`,
    `--listen-client-urls=${endpoint}`,
    `--advertise-client-urls=${endpoint}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=test=${peerUrl}`,
    "--log-outputs=stderr",
  ], { stderrPath: `${dir}/etcd.log` });
  try {
    await waitHealthy(endpoint, daemon.pid, `${dir}/etcd.log`, place);
    await fn({
      endpoint,
      pid: daemon.pid,
      dir,
      client: () => new EtcdClient({ endpoints: [endpoint], timeoutMs: 5000 }),
      range: (prefix) => rangeAt(endpoint, prefix, place),
    });
  } finally {
    await stopPid(daemon.pid, { graceMs: 3000 });
    await daemon.exited;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Deno.test against a fresh etcd, skipped (saying why) when etcd is not installed. */
export function etcdTest(name: string, fn: (etcd: TestEtcd) => Promise<void>): void {
  const reason = etcdSkipReason();
  Deno.test({
    name: reason ? `${name} (skipped: ${reason})` : name,
    ignore: reason !== undefined,
    fn: () => withEtcd(fn),
  });
}
