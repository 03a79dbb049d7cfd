/**
 * A real etcd (Debian's etcd-server) for tests: one member on loopback, client and peer
 * ports picked free at random, its data in a temporary directory; stopped by its pid and the
 * directory removed when the test's function ends, even on failure.
 */
import { spawnDaemon, stopPid } from "../netns/mod.ts";
import { findTool } from "../scripts/sandbox/sandbox.ts";
import { EtcdClient } from "../store/mod.ts";

export interface TestEtcd {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly pid: number;
  readonly dir: string;
  client(): EtcdClient;
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

async function waitHealthy(endpoint: string, pid: number, log: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const response = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
      const body = await response.text();
      if (response.ok && body.includes('"true"')) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      const tail = await Deno.readTextFile(log).catch(() => "");
      throw new Error(`etcd (pid ${pid}) not healthy after 20 s:\n${tail.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs fn with a fresh etcd; always stops it and removes its data. */
export async function withEtcd(fn: (etcd: TestEtcd) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "evetest-etcd-" });
  const [client, peer] = [freePort(), freePort()];
  const endpoint = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const daemon = spawnDaemon([
    findTool("etcd")!,
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
    await waitHealthy(endpoint, daemon.pid, `${dir}/etcd.log`);
    await fn({
      endpoint,
      pid: daemon.pid,
      dir,
      client: () => new EtcdClient({ endpoints: [endpoint], timeoutMs: 5000 }),
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
