/**
 * Shared pieces of the eve-bridge pod-interface tests: the BUILT dist/bin/eve-bridge run with
 * CNI env + stdin inside a sandbox's node namespace (where the real fake-zedrouter serves),
 * its config, and read-backs of what the flow leaves on the node (state files, udhcpc).
 */
import assert from "node:assert/strict";
import { isAlive, readDnsmasqLeases } from "../netns/mod.ts";
import type { Sandbox, SandboxNetns } from "../scripts/sandbox/sandbox.ts";
import { inetAddrs } from "./addresses.ts";
import { listDhcpClients } from "../scripts/sandbox/processes.ts";
import { EVE_BRIDGE, exec, type Output, requireBuilt, runEveBridge } from "./cni_harness.ts";
import {
  FLOW_CONFIG,
  nodeWithUplink,
  startZedrouter,
  type Zedrouter,
} from "./fake_zedrouter_harness.ts";

export { EVE_BRIDGE, exec, inetAddrs, requireBuilt };
export const TOOLS = ["dnsmasq", "udhcpc"];
export const WEB = "11111111-aaaa-4aaa-8aaa-111111111111";
export const WEB_MAC = "02:16:3e:77:00:01";
export const WEB_POD = "web-11111-0-x7k2p";

export interface PodCall {
  readonly node: SandboxNetns;
  readonly pod: SandboxNetns | { path: string };
  readonly containerId: string;
  readonly podName: string;
  readonly ifname?: string;
  readonly podNamespace?: string;
  readonly extraArgs?: string;
  /** argv that runs the plugin's command line (e.g. in a private mount namespace). */
  readonly prefix?: readonly string[];
}

export interface PodNode {
  readonly node: SandboxNetns;
  /** The running fake-zedrouter; a test that restarts it puts the new one here. */
  zr: Zedrouter;
  /** eve-bridge's state dir, as podConfig names it. */
  readonly stateDir: string;
  /** The copy of flow.yaml fake-zedrouter serves: edit it, then SIGHUP to reload. */
  readonly configFile: string;
}

/**
 * The set-up of every pod-interface test: the built plugin, a node with an uplink, and
 * fake-zedrouter serving a private copy of flow.yaml in it. Afterwards, even on failure,
 * every udhcpc eve-bridge left behind is handed to the sandbox and zedrouter is stopped.
 */
export async function withPodNode(
  sb: Sandbox,
  body: (pn: PodNode) => Promise<void>,
): Promise<void> {
  await requireBuilt();
  const { node } = await nodeWithUplink(sb);
  const configFile = `${sb.dir}/zr.yaml`;
  await Deno.copyFile(FLOW_CONFIG, configFile);
  const zr = await startZedrouter(sb, node, { config: configFile });
  const pn: PodNode = { node, zr, stateDir: podStateDir(sb.dir), configFile };
  try {
    await body(pn);
  } finally {
    for (const pid of await dhcpClientsOf(pn.stateDir)) sb.track(pid);
    await pn.zr.stop();
  }
}

/** Where eve-bridge keeps its state in a test whose scratch dir is `dir`. */
export function podStateDir(dir: string): string {
  return `${dir}/eve-bridge-state`;
}

export function podConfig(
  dir: string,
  zr: Pick<Zedrouter, "socket">,
  mac: string | undefined,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    cniVersion: "1.0.0",
    name: "ni-local-net",
    type: "eve-bridge",
    zedrouterSocket: zr.socket,
    stateDir: podStateDir(dir),
    logFile: `${dir}/eve-bridge.log`,
    dhcp: { timeoutSeconds: 2, retries: 4 },
    ...(mac !== undefined && { runtimeConfig: { mac } }),
    ...extra,
  };
}

/** Runs the built plugin inside the node namespace with exactly this CNI environment. */
export async function runPod(
  command: string,
  call: PodCall,
  config: Record<string, unknown>,
): Promise<Output> {
  const env: Record<string, string> = {
    CNI_COMMAND: command,
    CNI_CONTAINERID: call.containerId,
    CNI_NETNS: call.pod.path,
    CNI_IFNAME: call.ifname ?? "net1",
    CNI_PATH: "/usr/lib/cni",
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${call.podNamespace ?? "eve-kube-app"};` +
      `K8S_POD_NAME=${call.podName}${call.extraArgs ?? ""}`,
  };
  return await runEveBridge(call.node.name, env, JSON.stringify(config), call.prefix);
}

export function ok(out: Output, what: string): Record<string, unknown> {
  assert.equal(out.code, 0, `${what} failed: ${out.stdout} ${out.stderr}`);
  return out.stdout.trim() === "" ? {} : JSON.parse(out.stdout);
}

export function failed(out: Output, what: string): { code: number; msg: string; details: string } {
  assert.notEqual(out.code, 0, `${what} should have failed: ${out.stdout}`);
  return JSON.parse(out.stdout);
}

/** The state file of an attachment (undefined when gone). */
export async function stateFile(
  config: Record<string, unknown>,
  containerId: string,
  ifname = "net1",
): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(
      await Deno.readTextFile(`${config.stateDir}/${containerId}/${ifname}.json`),
    );
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

export async function leasedMacs(zr: Pick<Zedrouter, "stateDir">, ni = "ni-local"): Promise<
  string[]
> {
  return (await readDnsmasqLeases(`${zr.stateDir}/dnsmasq-${ni}.leases`)).map((l) => l.mac);
}

/** udhcpc processes whose command line names this state dir (leak detector). */
export async function dhcpClientsOf(stateDir: string): Promise<number[]> {
  return (await listDhcpClients()).filter((c) =>
    c.cmdline[0] === "udhcpc" && c.cmdline.some((arg) => arg.includes(stateDir)) &&
    isAlive(c.pid)
  ).map((c) => c.pid);
}

/**
 * A unix-socket proxy in front of fake-zedrouter: forwards every request, except that it
 * answers `refuse` (a method) with an error itself; records what it saw. Go's framing: one
 * JSON value per line, calls in sequence (eve-bridge waits for each reply).
 */
export function rpcProxy(path: string, upstream: string, refuse?: string): {
  /** Every request seen: connection number, method, id. */
  seen: { conn: number; method: string; id: number }[];
  close(): Promise<void>;
} {
  const listener = Deno.listen({ transport: "unix", path });
  const seen: { conn: number; method: string; id: number }[] = [];
  let connections = 0;
  const tasks: Promise<void>[] = [];
  const conns: Deno.Conn[] = [];
  const serve = async (client: Deno.Conn) => {
    const number = connections++;
    const server = await Deno.connect({ transport: "unix", path: upstream });
    conns.push(server);
    const back = server.readable.pipeTo(client.writable, { preventClose: true }).catch(() => {});
    const encoder = new TextEncoder();
    const writer = server.writable.getWriter();
    let buffer = "";
    try {
      for await (const chunk of client.readable.pipeThrough(new TextDecoderStream())) {
        buffer += chunk;
        for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          const { id, method } = JSON.parse(line) as { id: number; method: string };
          seen.push({ conn: number, method, id });
          if (method === refuse) {
            await client.write(
              encoder.encode(`{"id":${id},"result":null,"error":"injected L3 failure"}\n`),
            );
          } else {
            await writer.write(encoder.encode(`${line}\n`));
          }
        }
      }
    } catch {
      // The client went away.
    } finally {
      await writer.close().catch(() => {});
      await back;
      try {
        client.close();
      } catch {
        // Already closed.
      }
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      tasks.push(serve(conn));
    }
  })();
  return {
    seen,
    async close() {
      listener.close();
      await accepting.catch(() => {});
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // Already closed.
        }
      }
      await Promise.all(tasks);
    },
  };
}
