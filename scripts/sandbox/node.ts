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
  /** Where Open vSwitch is (for NIs with bridgeType ovs). */
  ovs?: { db: string; datapathType?: "system" | "netdev" };
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
  /**
   * The node's namespace, made beforehand (several nodes in one sandbox, joined by an
   * underlay made first); default: a new one named "node".
   */
  netns?: SandboxNetns;
  /** Where the node's files go (default: the sandbox's dir); one per node of a sandbox. */
  dir?: string;
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

/** Where the node keeps fake-zedrouter's and eve-bridge's files, under the sandbox's dir. */
function nodePaths(dir: string) {
  return {
    socket: `${dir}/zedrouter/rpc.sock`,
    zedrouterStateDir: `${dir}/zedrouter/state`,
    zedrouterLog: `${dir}/zedrouter/zedrouter.log`,
    stateDir: `${dir}/eve-bridge/state`,
    logFile: `${dir}/eve-bridge/eve-bridge.log`,
    ipamDir: `${dir}/eve-bridge/ipam`,
    cacheDir: `${dir}/cni-cache`,
  };
}
type NodePaths = ReturnType<typeof nodePaths>;

/** Builds the node: namespaces, ports, config, fake-zedrouter, conflists. */
export async function startNode(sb: Sandbox, options: NodeOptions): Promise<E2eNode> {
  const ns = options.netns ?? await sb.netns("node");
  const upstreams = new Map<string, SandboxNetns>();
  for (const { port, role } of options.uplinks ?? []) {
    upstreams.set(role, await addUplink(sb, ns, port, role));
  }
  const dir = options.dir ?? sb.dir;
  const paths = nodePaths(dir);
  for (const sub of ["zedrouter", "eve-bridge", "net.d", "multus"]) {
    await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
  }
  const configPath = `${dir}/zedrouter/config.json`;
  const builtIn = options.config === "built-in";
  if (options.config !== "built-in") await writeJson(configPath, options.config);
  const zedrouter = new ZedrouterProcess(sb, paths, [
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
  ]);
  await zedrouter.start();
  const inspect = <M extends MethodName & `Inspect.${string}`>(method: M) =>
    callOnce(paths.socket, method, {} as ParamsOf<M>, { timeoutMs: 10_000 }) as Promise<
      ResultOf<M>
    >;
  const { primaryPath, nadPaths } = await writeConflists(dir, paths, inspect);
  return {
    sb,
    ns,
    dir,
    configPath,
    ...paths,
    cniPath: `${DIST_BIN}:${CNI_BIN}`,
    primaryConflist: primaryPath,
    nad: (niName) => found(nadPaths, niName, `No NAD for network instance "${niName}"`),
    upstream: (role) => found(upstreams, role, `No upstream namespace "${role}"`),
    get zedrouter() {
      return zedrouter.running();
    },
    inspect,
    async reload(config) {
      if (builtIn) throw new Error("Cannot reload the built-in config");
      const before = (await inspect("Inspect.Config")).loadedAt;
      await writeJson(configPath, config);
      Deno.kill(zedrouter.running().pid, "SIGHUP");
      const deadline = Date.now() + 15_000;
      while ((await inspect("Inspect.Config")).loadedAt === before) {
        if (Date.now() > deadline) throw new Error("fake-zedrouter did not reload its config");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stopZedrouter: () => zedrouter.stop(),
    startZedrouter: () => zedrouter.start(),
  };
}

function found<T>(map: ReadonlyMap<string, T>, key: string, missing: string): T {
  const value = map.get(key);
  if (value === undefined) throw new Error(missing);
  return value;
}

/**
 * The primary conflist, and one NAD per network instance zedrouter serves (named after the
 * NI, carrying its UUID).
 */
async function writeConflists(
  dir: string,
  paths: NodePaths,
  inspect: E2eNode["inspect"],
): Promise<{ primaryPath: string; nadPaths: Map<string, string> }> {
  const primaryPath = `${dir}/net.d/10-eve-bridge.conflist`;
  await writeJson(primaryPath, primaryConflist(paths));
  const nadPaths = new Map<string, string>();
  for (const ni of (await inspect("Inspect.NetworkInstances")).networkInstances) {
    const path = `${dir}/multus/${ni.name}.conflist`;
    await writeJson(path, nadConflist(paths, ni.name, ni.uuid));
    nadPaths.set(ni.name, path);
  }
  return { primaryPath, nadPaths };
}

/** The node's fake-zedrouter: started, stopped and started again (restart tests). */
class ZedrouterProcess {
  #daemon: Daemon | undefined;

  constructor(
    private readonly sb: Sandbox,
    private readonly paths: NodePaths,
    private readonly argv: readonly string[],
  ) {}

  /** The running daemon (throws when stopped). */
  running(): Daemon {
    if (!this.#daemon) throw new Error("fake-zedrouter is not running");
    return this.#daemon;
  }

  /** Starts it and waits until it answers; a start that fails leaves nothing running. */
  async start(): Promise<void> {
    if (this.#daemon) throw new Error("fake-zedrouter is already running");
    const log = this.paths.zedrouterLog;
    const daemon = spawnDaemon(this.argv, { stdoutPath: log, stderrPath: log });
    this.sb.track(daemon);
    this.#daemon = daemon;
    try {
      await waitForHealth(this.paths.socket, daemon, () => Deno.readTextFile(log).catch(() => ""));
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** SIGTERM (and any dnsmasq it left) and wait. Idempotent. */
  async stop(): Promise<void> {
    const running = this.#daemon;
    this.#daemon = undefined;
    if (running) {
      if (isAlive(running.pid)) await stopPid(running.pid, { graceMs: 5000 });
      await running.exited;
    }
    await stopLeftoverDnsmasq(this.paths.zedrouterStateDir);
  }
}
