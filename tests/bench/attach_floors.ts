/**
 * The floors bench:attach compares each eve-bridge path with (issue 11's targets), each part
 * measured in the same run as the path:
 *
 * - Deno start: Deno running an empty script with the launcher's flags, environment and code
 *   cache directory (what no Deno program can beat);
 * - a bare udhcpc lease: `udhcpc -f -q -n` with a no-op hook script in the pod's namespace on
 *   the same interface, MAC and dnsmasq (what udhcpc itself needs for a lease);
 * - a bare udhcpc release: a bare client with `-R` that holds that lease, from SIGTERM to its
 *   exit (its DHCPRELEASE, a no-op `deconfig` hook, the exit): what netX DEL cannot skip,
 *   since the server must get the address back;
 * - L2 and L3 RPCs: ConnectPodAtL2 / ConnectPodAtL3 as eve-bridge timed them (its log lines),
 *   i.e. zedrouter's own work plus one round trip;
 * - Debian's bridge + host-local, run by the same libcni driver (the eth0 baseline).
 *
 * Beside them, a reference: minimal_eth0_plugin.js, a Deno plugin that only hands its stdin
 * to bridge, run as a CNI plugin (`minimal-eth0` in `minimalPluginDir`) with eve-bridge's
 * flags and a code cache of its own. Its time is what a delegating Deno plugin cannot go
 * below: the floor plus Deno's process module (loaded on the first Deno.Command).
 */
import { DENO_ENV, denoRunArgs } from "../../scripts/launcher.ts";
import { PROGRAMS } from "../../scripts/programs.ts";
import { type E2eNode, POD_NETWORK } from "../../scripts/sandbox/node.ts";
import type { Attachment } from "../../scripts/sandbox/pod.ts";
import { eventuallyTrue } from "../poll.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const EVE_BRIDGE = PROGRAMS.find((p) => p.name === "eve-bridge")!;

export interface FloorTools {
  /** Times one empty-script Deno start (ms). */
  denoStart(): Promise<number>;
  /** Times one `eve-bridge` VERSION call as a runtime makes it (ms); NaN when it failed. */
  version(): Promise<number>;
  /** Times one bare udhcpc lease on `ifname` in `netnsPath` (ms); NaN when none came. */
  bareLease(netnsPath: string, ifname: string): Promise<number>;
  /** Times one bare udhcpc release on `ifname` in `netnsPath` (ms); NaN when none went out. */
  bareRelease(netnsPath: string, ifname: string): Promise<number>;
  /** A directory for CNI_PATH holding the reference plugin, `MINIMAL_PLUGIN`. */
  readonly minimalPluginDir: string;
  close(): Promise<void>;
}

/** The reference plugin's CNI type (minimal_eth0_plugin.js). */
export const MINIMAL_PLUGIN = "minimal-eth0";

/**
 * Debian's bridge + host-local alone: exactly what eve-bridge hands `bridge` for the bench's
 * pods (EVE apps: no default gateway, routes to the service CIDR and the node IP). With
 * `type` MINIMAL_PLUGIN the same config goes through the reference Deno plugin, which hands
 * it on unchanged (its own host-local data dir, so the two never share addresses).
 */
export function baselineConflist(node: E2eNode, type = "bridge"): Record<string, unknown> {
  const name = type === "bridge" ? "baseline" : type;
  return {
    cniVersion: "1.0.0",
    name,
    plugins: [{
      type,
      bridge: POD_NETWORK.bridge,
      isGateway: true,
      isDefaultGateway: false,
      forceAddress: true,
      hairpinMode: true,
      ipam: {
        type: "host-local",
        dataDir: `${node.ipamDir}-${name}`,
        ranges: [[{ subnet: POD_NETWORK.subnet, gateway: POD_NETWORK.gateway }]],
        routes: [{ dst: POD_NETWORK.serviceCIDR }, { dst: `${POD_NETWORK.nodeIP}/32` }],
      },
    }],
  };
}

/** eth0 through the reference plugin on the baseline's config: its conflist, written now. */
export async function minimalPluginAttachment(
  node: E2eNode,
  tools: Pick<FloorTools, "minimalPluginDir">,
): Promise<Attachment> {
  const conflist = `${node.dir}/net.d/00-minimal.conflist`;
  await Deno.writeTextFile(conflist, JSON.stringify(baselineConflist(node, MINIMAL_PLUGIN)));
  return { ifname: "eth0", conflist, path: `${tools.minimalPluginDir}:${node.cniPath}` };
}

/** A single-quoted sh word (the flags and paths below hold no quote of their own). */
const shWord = (word: string): string => `'${word.replaceAll("'", `'\\''`)}'`;

/** The reference plugin as a runtime finds one: an executable on CNI_PATH, here a sh file. */
async function installMinimalPlugin(dir: string): Promise<string> {
  const pluginDir = `${dir}/cni`;
  await Deno.mkdir(`${pluginDir}/cache`, { recursive: true });
  const script = new URL("./minimal_eth0_plugin.js", import.meta.url).pathname;
  const env = Object.entries({ ...DENO_ENV, DENO_DIR: `${pluginDir}/cache` })
    .map(([name, value]) => `${name}=${shWord(value)}`).join(" ");
  const argv = [Deno.execPath(), ...denoRunArgs(EVE_BRIDGE.permissions, EVE_BRIDGE.runFlags)];
  await Deno.writeTextFile(
    `${pluginDir}/${MINIMAL_PLUGIN}`,
    `#!/bin/sh\nexport ${env}\nexec ${[...argv, script].map(shWord).join(" ")}\n`,
    { mode: 0o755 },
  );
  return pluginDir;
}

/** Times one run of argv with exactly `env` (ms); NaN when it failed. */
export async function timedRun(
  argv: string[],
  env: Record<string, string>,
  stdin?: string,
): Promise<number> {
  const [program, ...args] = argv;
  const started = performance.now();
  const child = new Deno.Command(program!, {
    args,
    env,
    clearEnv: true,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "null",
    stderr: "null",
    signal: AbortSignal.timeout(30_000),
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin)).catch(() => {});
    await writer.close().catch(() => {});
  }
  const status = await child.status;
  const ms = performance.now() - started;
  return status.success ? ms : NaN;
}

const exists = (path: string): boolean => {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
};

/**
 * One bare release: a bare udhcpc (`-f -n -R`) leases on `ifname`, where eve-bridge's
 * attachment already holds the address (a DHCPRELEASE is sent from it); its hook only marks
 * `bound` with builtins. Then SIGTERM, on which `-R` releases, runs `deconfig` and exits;
 * timed to its exit. (Not SIGUSR2 and SIGTERM together: the kernel runs the handler of the
 * later-delivered, higher-numbered SIGTERM first, and udhcpc then exits without a release.)
 */
async function timedBareRelease(
  udhcpcArgv: string[],
  hook: string,
  marker: string,
  env: Record<string, string>,
): Promise<number> {
  await Deno.remove(marker).catch(() => {});
  const [program, ...args] = [...udhcpcArgv, "-s", hook];
  const child = new Deno.Command(program!, {
    args,
    env: { ...env, EVE_BENCH_BOUND: marker },
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    // Looked for every millisecond: the wait is not timed, but it holds up the bench.
    if (!(await eventuallyTrue(() => Promise.resolve(exists(marker)), 5000, 1))) return NaN;
    const started = performance.now();
    child.kill("SIGTERM");
    const status = await child.status;
    return status.success ? performance.now() - started : NaN;
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* ended */ }
    await child.status;
  }
}

export async function floorTools(): Promise<FloorTools> {
  const dir = await Deno.makeTempDir({ prefix: "evetest-floors-" });
  const empty = `${dir}/empty.js`;
  await Deno.writeTextFile(empty, "");
  const noop = `${dir}/noop.sh`;
  await Deno.writeTextFile(noop, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  const boundHook = `${dir}/bound.sh`;
  const marks = '#!/bin/sh\n[ "$1" = bound ] && : >"$EVE_BENCH_BOUND"\nexit 0\n';
  await Deno.writeTextFile(boundHook, marks, { mode: 0o755 });
  const path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  const denoArgv = [
    Deno.execPath(),
    ...denoRunArgs(EVE_BRIDGE.permissions, EVE_BRIDGE.runFlags),
    empty,
  ];
  const denoEnv = { ...DENO_ENV, DENO_DIR: `${ROOT}/dist/cache` };
  const minimalPluginDir = await installMinimalPlugin(dir);
  return {
    minimalPluginDir,
    denoStart: () => timedRun(denoArgv, denoEnv),
    version: () =>
      timedRun(
        [`${ROOT}/dist/bin/eve-bridge`],
        { CNI_COMMAND: "VERSION" },
        '{"cniVersion":"1.0.0"}',
      ),
    bareLease: (netnsPath, ifname) =>
      timedRun(
        ["nsenter", `--net=${netnsPath}`, "udhcpc", "-i", ifname, "-f", "-q", "-n"].concat(
          ["-t", "3", "-T", "3", "-s", noop],
        ),
        { PATH: path },
      ),
    bareRelease: (netnsPath, ifname) =>
      timedBareRelease(
        [
          "nsenter",
          `--net=${netnsPath}`,
          "udhcpc",
          "-i",
          ifname,
          "-f",
          "-n",
          "-R",
          "-t",
          "3",
          "-T",
          "3",
        ],
        boundHook,
        `${dir}/bound`,
        { PATH: path },
      ),
    close: () => Deno.remove(dir, { recursive: true }),
  };
}

export function percentile(values: number[], q: number): number {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return NaN;
  const sorted = [...finite].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

export const p50 = (values: number[]): number => percentile(values, 0.5);

/** One path beside its floor: the floor is the sum of its parts' p50s (plus a constant). */
export interface FloorRow {
  readonly path: string;
  readonly samples: number[];
  /** The floor's parts, each a set of samples from this run (their p50s are summed). */
  readonly parts: ReadonlyArray<{ readonly name: string; readonly samples: number[] }>;
  /** Added to the floor (VERSION's +5 ms). */
  readonly plusMs?: number;
  /**
   * The target: "ratio" (path p50 ≤ 1.1 × floor), "plus" (path p50 ≤ floor), or none for a
   * reference row (its ratio only).
   */
  readonly target: "ratio" | "plus" | "reference";
}

export function floorTable(rows: readonly FloorRow[]): { header: string[]; body: string[][] } {
  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "-");
  const body = rows.map((row) => {
    const floor = row.parts.reduce((sum, part) => sum + p50(part.samples), row.plusMs ?? 0);
    const mid = p50(row.samples);
    const ratio = mid / floor;
    const met = row.target === "ratio" ? ratio <= 1.1 : mid <= floor;
    const parts = row.parts.map((p) => `${p.name} ${f(p50(p.samples))}`).join(" + ") +
      (row.plusMs ? ` + ${row.plusMs}` : "");
    return [
      row.path,
      String(row.samples.filter(Number.isFinite).length),
      f(mid),
      f(percentile(row.samples, 0.99)),
      f(floor),
      `${ratio.toFixed(2)}x`,
      row.target === "ratio" ? "<= 1.10x" : row.target === "plus" ? "<= floor" : "-",
      Number.isFinite(ratio) && row.target !== "reference" ? (met ? "met" : "NOT met") : "-",
      parts,
    ];
  });
  return {
    header: ["path", "n", "p50", "p99", "floor", "ratio", "target", "", "floor = sum of p50s"],
    body,
  };
}
