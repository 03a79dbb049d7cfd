/**
 * Shared pieces of the eve-bridge subprocess tests: run the BUILT dist/bin/eve-bridge inside a
 * throwaway "node" namespace (the bridge plugin creates its bridge in the namespace it runs
 * in, so the machine's own namespace is never touched), with a pod namespace beside it, and
 * read state back from the kernel with `ip -j`.
 */
import assert from "node:assert/strict";
import { CNI_BIN, EVE_BRIDGE, ROOT } from "../scripts/sandbox/paths.ts";

export { CNI_BIN, EVE_BRIDGE, ROOT };
export const IS_ROOT = Deno.uid() === 0;
export const HAVE_REFERENCE_PLUGINS = await exists(`${CNI_BIN}/bridge`) &&
  await exists(`${CNI_BIN}/host-local`);
/** Root tests need root and Debian's reference plugins; the name says which is missing. */
export const ROOT_SKIP_REASON = !IS_ROOT
  ? " (skipped: needs root)"
  : !HAVE_REFERENCE_PLUGINS
  ? " (skipped: needs containernetworking-plugins in /usr/lib/cni)"
  : "";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Fails with a clear message when the build step was skipped. */
export async function requireBuilt(): Promise<void> {
  if (!(await exists(EVE_BRIDGE))) {
    throw new Error(`${EVE_BRIDGE} is missing: run "deno task build" before these tests`);
  }
}

export interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

export async function exec(
  argv: string[],
  stdin = "",
  env?: Record<string, string>,
): Promise<Output> {
  const [program, ...args] = argv;
  const child = new Deno.Command(program!, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    ...(env && { env, clearEnv: true }),
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin)).catch(() => {});
  await writer.close().catch(() => {});
  const out = await child.output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/**
 * Runs the built eve-bridge inside the namespace `netns` (by name) with exactly this
 * environment (PATH the system's unless `env` sets one) and `stdin`.
 */
export async function runEveBridge(
  netns: string,
  env: Record<string, string>,
  stdin: string,
  prefix: readonly string[] = [],
): Promise<Output> {
  return await exec(
    [...prefix, "ip", "netns", "exec", netns, EVE_BRIDGE],
    stdin,
    { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", ...env },
  );
}

export async function ipJson(netns: string, ...args: string[]): Promise<Record<string, unknown>[]> {
  const out = await exec(["ip", "-n", netns, "-j", ...args]);
  assert.equal(out.code, 0, `ip -n ${netns} -j ${args.join(" ")}: ${out.stderr}`);
  return out.stdout.trim() === "" ? [] : JSON.parse(out.stdout);
}

/** A node namespace (where the plugin runs) and pods beside it; removed by `close`. */
export class PluginNode {
  readonly id = crypto.randomUUID().slice(0, 8);
  readonly node = `evetest-${this.id}-node`;
  readonly bridge = `evetestbr${this.id.slice(0, 6)}`;
  readonly pods: string[] = [];
  dir = "";

  static async open(): Promise<PluginNode> {
    const lab = new PluginNode();
    lab.dir = await Deno.makeTempDir({ prefix: `evetest-${lab.id}-` });
    await lab.#netnsAdd(lab.node);
    return lab;
  }

  async #netnsAdd(name: string): Promise<void> {
    const out = await exec(["ip", "netns", "add", name]);
    assert.equal(out.code, 0, `ip netns add ${name}: ${out.stderr}`);
  }

  async addPod(suffix: string): Promise<string> {
    const name = `evetest-${this.id}-${suffix}`;
    await this.#netnsAdd(name);
    this.pods.push(name);
    return name;
  }

  async deletePod(name: string): Promise<void> {
    await exec(["ip", "netns", "del", name]);
  }

  netnsPath(name: string): string {
    return `/var/run/netns/${name}`;
  }

  /** eve-bridge's config for eth0 in this lab (host-local data in the temp dir). */
  config(extra: Record<string, unknown> = {}, version = "1.0.0"): Record<string, unknown> {
    return {
      cniVersion: version,
      name: `evetest-${this.id}`,
      type: "eve-bridge",
      bridge: this.bridge,
      isGateway: true,
      nodeIP: "192.168.77.10",
      serviceCIDR: "10.43.0.0/16",
      logFile: `${this.dir}/eve-bridge.log`,
      zedrouterSocket: `${this.dir}/rpc.sock`,
      ipam: {
        type: "host-local",
        dataDir: `${this.dir}/ipam`,
        ranges: [[{ subnet: "10.88.0.0/24" }]],
      },
      ...extra,
    };
  }

  /** Runs dist/bin/eve-bridge inside the node namespace with exactly this environment. */
  async run(env: Record<string, string>, stdin: string | Record<string, unknown>): Promise<Output> {
    return await runEveBridge(
      this.node,
      env,
      typeof stdin === "string" ? stdin : JSON.stringify(stdin),
    );
  }

  /** Allocations host-local holds (file names that are IPs). */
  async allocatedIps(): Promise<string[]> {
    const ips: string[] = [];
    try {
      for await (const entry of Deno.readDir(`${this.dir}/ipam/evetest-${this.id}`)) {
        if (/^[0-9.]+$|:/.test(entry.name)) ips.push(entry.name);
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    return ips.sort();
  }

  async links(netns: string): Promise<string[]> {
    return (await ipJson(netns, "link", "show")).map((l) => String(l.ifname)).sort();
  }

  async close(): Promise<void> {
    for (const pod of this.pods) await exec(["ip", "netns", "del", pod]);
    await exec(["ip", "netns", "del", this.node]);
    if (this.dir) await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

export function cniEnv(
  command: string,
  lab: PluginNode,
  pod: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    CNI_COMMAND: command,
    CNI_CONTAINERID: `c-${pod}`,
    CNI_NETNS: lab.netnsPath(pod),
    CNI_IFNAME: "eth0",
    CNI_PATH: CNI_BIN,
    CNI_ARGS: "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-1",
    ...extra,
  };
}

/** A unix socket that answers every request line like Go's net/rpc does for unknown methods. */
export function fakeZedrouterSocket(path: string): { close(): Promise<void> } {
  const listener = Deno.listen({ transport: "unix", path });
  const conns = new Set<Deno.Conn>();
  const loop = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      (async () => {
        const buffer = new Uint8Array(4096);
        try {
          while ((await conn.read(buffer)) !== null) {
            await conn.write(new TextEncoder().encode(
              '{"id":0,"result":null,"error":"rpc: can\'t find method RPCServer.StatusProbe"}\n',
            ));
          }
        } catch {
          // Peer went away.
        } finally {
          conns.delete(conn);
          try {
            conn.close();
          } catch {
            // Already closed.
          }
        }
      })();
    }
  })();
  return {
    async close() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // Already closed.
        }
      }
      await loop.catch(() => {});
    },
  };
}
