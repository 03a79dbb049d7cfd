/**
 * A node as an EVE node has it, inside a sandbox: the "node" namespace runs the BUILT
 * fake-zedrouter (its NI bridges and dnsmasqs live there), `/etc/cni/net.d`-style files hold
 * the primary conflist (eth0: eve-bridge -> bridge + host-local) and one conflist per
 * NetworkAttachmentDefinition (eve-bridge chained before `tuning`), and eve-bridge's socket,
 * log and state dir point into the sandbox's temp dir. Switch NIs with a port get a veth
 * whose other end sits in an "upstream" namespace (where a test may run its own DHCP server).
 */
import { callOnce, type MethodName, type ParamsOf, type ResultOf } from "../../rpc/mod.ts";
import { type Daemon, isAlive, spawnDaemon, stopPid } from "../../netns/mod.ts";
import type { Sandbox, SandboxNetns } from "./sandbox.ts";
import { CNI_BIN, DIST_BIN, FAKE_ZEDROUTER } from "./paths.ts";
import { addUplink, stopLeftoverDnsmasq, waitForHealth } from "./zedrouter.ts";

/** A fake-zedrouter config as a person writes it (JSON is valid YAML). */
export interface ZedrouterConfig {
  networkInstances: Record<string, unknown>[];
  apps: {
    name: string;
    uuid: string;
    adapters: { networkInstance: string; mac?: string; ip?: string }[];
  }[];
}

/** The Kubernetes network of the node (eth0), as k3s would hand it to the CNI. */
export const POD_NETWORK = {
  bridge: "cni0",
  subnet: "10.42.0.0/24",
  gateway: "10.42.0.1",
  nodeIP: "192.168.77.10",
  serviceCIDR: "10.43.0.0/16",
} as const;

export interface NodeOptions {
  /** The config file's content, or "built-in" for fake-zedrouter's default (no --config). */
  config: ZedrouterConfig | "built-in";
  /** Switch-NI ports to create before zedrouter starts: `port` in the node, `up0` upstream. */
  uplinks?: readonly { port: string; role: string }[];
  /** fake-zedrouter's per-call deadline (default: its own, EVE's 10 s). */
  callTimeoutMs?: number;
}

export interface E2eNode {
  readonly sb: Sandbox;
  readonly ns: SandboxNetns;
  readonly dir: string;
  readonly configPath: string;
  /** fake-zedrouter's socket, state dir and log. */
  readonly socket: string;
  readonly zedrouterStateDir: string;
  readonly zedrouterLog: string;
  /** eve-bridge's files (the conflists point here). */
  readonly stateDir: string;
  readonly logFile: string;
  readonly ipamDir: string;
  /** CNI_PATH as a runtime would pass it. */
  readonly cniPath: string;
  /** libcni's result cache (containerd: /var/lib/cni). */
  readonly cacheDir: string;
  /** The primary conflist (`/etc/cni/net.d/10-eve-bridge.conflist`). */
  readonly primaryConflist: string;
  /** The NAD conflist of a network instance, by NI name. */
  nad(niName: string): string;
  /** The upstream namespace behind a switch port, by role. */
  upstream(role: string): SandboxNetns;
  /** The running fake-zedrouter (throws when stopped). */
  readonly zedrouter: Daemon;
  inspect<M extends MethodName & `Inspect.${string}`>(method: M): Promise<ResultOf<M>>;
  /** Rewrites the config file and sends SIGHUP; resolves once the new config is loaded. */
  reload(config: ZedrouterConfig): Promise<void>;
  /** SIGTERM to fake-zedrouter (and any dnsmasq it left) and wait. Idempotent. */
  stopZedrouter(): Promise<void>;
  /** Starts it again on the same config, socket and state dir (after stopZedrouter). */
  startZedrouter(): Promise<void>;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(value, null, 2) + "\n");
}

/** eve-bridge's own fields, the same on every conflist of the node. */
function eveBridgeFields(node: { socket: string; logFile: string; stateDir: string }) {
  return {
    type: "eve-bridge",
    zedrouterSocket: node.socket,
    logFile: node.logFile,
    stateDir: node.stateDir,
  };
}

export function primaryConflist(
  node: { socket: string; logFile: string; stateDir: string; ipamDir: string },
  cniVersion = "1.0.0",
): Record<string, unknown> {
  return {
    cniVersion,
    name: "eve-bridge",
    plugins: [{
      ...eveBridgeFields(node),
      bridge: POD_NETWORK.bridge,
      isGateway: true,
      nodeIP: POD_NETWORK.nodeIP,
      serviceCIDR: POD_NETWORK.serviceCIDR,
      ipam: {
        type: "host-local",
        dataDir: node.ipamDir,
        // No 0.0.0.0/0 here: bridge's isDefaultGateway gives ordinary pods their default
        // route, and EVE app pods must keep theirs on their network instance.
        ranges: [[{ subnet: POD_NETWORK.subnet, gateway: POD_NETWORK.gateway }]],
      },
    }],
  };
}

export function nadConflist(
  node: { socket: string; logFile: string; stateDir: string },
  niName: string,
  uuid: string | undefined,
  cniVersion = "1.0.0",
): Record<string, unknown> {
  return {
    cniVersion,
    name: niName,
    plugins: [
      { ...eveBridgeFields(node), ...(uuid ? { networkInstance: uuid } : {}) },
      { type: "tuning" },
    ],
  };
}

/** Builds the node: namespaces, ports, config, fake-zedrouter, conflists. */
export async function startNode(sb: Sandbox, options: NodeOptions): Promise<E2eNode> {
  const ns = await sb.netns("node");
  const upstreams = new Map<string, SandboxNetns>();
  for (const { port, role } of options.uplinks ?? []) {
    upstreams.set(role, await addUplink(sb, ns, port, role));
  }

  const dir = sb.dir;
  const paths = {
    socket: `${dir}/zedrouter/rpc.sock`,
    zedrouterStateDir: `${dir}/zedrouter/state`,
    zedrouterLog: `${dir}/zedrouter/zedrouter.log`,
    stateDir: `${dir}/eve-bridge/state`,
    logFile: `${dir}/eve-bridge/eve-bridge.log`,
    ipamDir: `${dir}/eve-bridge/ipam`,
    cacheDir: `${dir}/cni-cache`,
  };
  await Deno.mkdir(`${dir}/zedrouter`, { recursive: true });
  await Deno.mkdir(`${dir}/eve-bridge`, { recursive: true });
  await Deno.mkdir(`${dir}/net.d`, { recursive: true });
  await Deno.mkdir(`${dir}/multus`, { recursive: true });
  const configPath = `${dir}/zedrouter/config.json`;
  const builtIn = options.config === "built-in";
  if (options.config !== "built-in") await writeJson(configPath, options.config);

  const argv = [
    // Its own session (setsid execs in place: same pid), so a Ctrl-C meant for the demo or a
    // test run does not stop zedrouter before the pods' DELs have reached it.
    "setsid",
    "nsenter",
    `--net=${ns.path}`,
    FAKE_ZEDROUTER,
    "serve",
    ...(builtIn ? [] : ["--config", configPath]),
    "--socket",
    paths.socket,
    "--state-dir",
    paths.zedrouterStateDir,
    ...(options.callTimeoutMs ? ["--call-timeout", String(options.callTimeoutMs)] : []),
  ];
  // The running fake-zedrouter; replaced by startZedrouter after a stop (restart tests).
  let zedrouter: Daemon | undefined;
  const stopZedrouter = async () => {
    const running = zedrouter;
    zedrouter = undefined;
    if (running) {
      if (isAlive(running.pid)) await stopPid(running.pid, { graceMs: 5000 });
      await running.exited;
    }
    await stopLeftoverDnsmasq(paths.zedrouterStateDir);
  };
  const startZedrouter = async () => {
    if (zedrouter) throw new Error("fake-zedrouter is already running");
    const daemon = spawnDaemon(argv, {
      stdoutPath: paths.zedrouterLog,
      stderrPath: paths.zedrouterLog,
    });
    sb.track(daemon);
    zedrouter = daemon;
    try {
      await waitForHealth(
        paths.socket,
        daemon,
        () => Deno.readTextFile(paths.zedrouterLog).catch(() => ""),
      );
    } catch (error) {
      await stopZedrouter();
      throw error;
    }
  };
  await startZedrouter();
  const running = (): Daemon => {
    if (!zedrouter) throw new Error("fake-zedrouter is not running");
    return zedrouter;
  };

  const primaryPath = `${dir}/net.d/10-eve-bridge.conflist`;
  await writeJson(primaryPath, primaryConflist(paths));
  const inspect = <M extends MethodName & `Inspect.${string}`>(method: M) =>
    callOnce(paths.socket, method, {} as ParamsOf<M>, { timeoutMs: 10_000 }) as Promise<
      ResultOf<M>
    >;
  // One NAD per network instance zedrouter serves (named after the NI, carrying its UUID).
  const nadPaths = new Map<string, string>();
  for (const ni of (await inspect("Inspect.NetworkInstances")).networkInstances) {
    const path = `${dir}/multus/${ni.name}.conflist`;
    await writeJson(path, nadConflist(paths, ni.name, ni.uuid));
    nadPaths.set(ni.name, path);
  }
  return {
    sb,
    ns,
    dir,
    configPath,
    ...paths,
    cniPath: `${DIST_BIN}:${CNI_BIN}`,
    primaryConflist: primaryPath,
    nad(niName) {
      const path = nadPaths.get(niName);
      if (!path) throw new Error(`No NAD for network instance "${niName}"`);
      return path;
    },
    upstream(role) {
      const up = upstreams.get(role);
      if (!up) throw new Error(`No upstream namespace "${role}"`);
      return up;
    },
    get zedrouter() {
      return running();
    },
    inspect,
    async reload(config) {
      if (builtIn) throw new Error("Cannot reload the built-in config");
      const before = (await inspect("Inspect.Config")).loadedAt;
      await writeJson(configPath, config);
      Deno.kill(running().pid, "SIGHUP");
      const deadline = Date.now() + 15_000;
      while ((await inspect("Inspect.Config")).loadedAt === before) {
        if (Date.now() > deadline) throw new Error("fake-zedrouter did not reload its config");
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stopZedrouter,
    startZedrouter,
  };
}
