/**
 * `deno task bench:startup`: wall time of eve-bridge VERSION, as a runtime calls it (no PATH,
 * no HOME), for each way the program file is installed, beside the floor no Deno program can
 * beat: Deno running an empty script with the launcher's flags and environment (same code
 * cache directory, node shim off). Rows, interleaved N times in one run so all see the same
 * machine load:
 *
 * - dist/bin/eve-bridge, and a by-content copy of it in a temp dir (the kube-init install),
 *   with its code cache and without one;
 * - the release's eve-bridge, started through the release's own glibc loader, beside the
 *   floor of that runtime (its loader starting its Deno on the empty script);
 * - "empty program": the launcher with no program after it (what the sh part costs);
 * - Debian's Go bridge plugin, for scale.
 *
 * Prints p50/p99 (and the minimum, the least disturbed by other load), each eve-bridge row's
 * p50 distance from its floor and the ratio (issue 11's target: VERSION ≤ the floor + 5 ms).
 * Asserts nothing.
 */
import { DENO_ENV, denoRunArgs, programFile } from "../../scripts/launcher.ts";
import { PROGRAMS } from "../../scripts/programs.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const N = Number(Deno.env.get("BENCH_N") ?? 30);
const EVE_BRIDGE = PROGRAMS.find((p) => p.name === "eve-bridge")!;
const DEV_CACHE = `${ROOT}/dist/cache`;
const RELEASE = `${ROOT}/dist/release`;

interface Row {
  name: string;
  argv: string[];
  env: Record<string, string>;
  /** A CNI plugin answering VERSION (its stdout is checked); otherwise only timed. */
  plugin: boolean;
  /** The row this one is compared with. */
  floor?: string;
}

function requireFile(path: string): void {
  try {
    Deno.statSync(path);
  } catch {
    // deno-lint-ignore no-console
    console.error(`${path} is missing (run "deno task build")`);
    Deno.exit(1);
  }
}

const dir = await Deno.makeTempDir({ prefix: "evetest-startup-" });
const empty = `${dir}/empty.js`;
await Deno.writeTextFile(empty, "");
for (const path of [`${ROOT}/dist/bin/eve-bridge`, `${RELEASE}/bin/eve-bridge`]) requireFile(path);
const copy = `${dir}/eve-bridge`;
await Deno.writeFile(copy, await Deno.readFile(`${ROOT}/dist/bin/eve-bridge`), { mode: 0o755 });
const launcherOnly = `${dir}/empty-program`;
await Deno.writeTextFile(
  launcherOnly,
  programFile({
    name: "empty-program",
    version: "0",
    permissions: EVE_BRIDGE.permissions,
    runtime: { kind: "deno", deno: Deno.execPath() },
    // Its own cache and fd: sharing eve-bridge's entry (fd 7 in dist/cache) would evict it.
    cacheDir: `${dir}/cache`,
    mainFd: 3,
  }, ""),
  { mode: 0o755 },
);

const flags = [...denoRunArgs(EVE_BRIDGE.permissions, EVE_BRIDGE.runFlags), empty];
const releaseEnv = { EVE_CNI_RUNTIME: `${RELEASE}/runtime`, EVE_CNI_CACHE: `${RELEASE}/cache` };
const releaseLoader = [
  `${RELEASE}/runtime/lib/ld-linux-x86-64.so.2`,
  "--library-path",
  `${RELEASE}/runtime/lib`,
  `${RELEASE}/runtime/deno`,
];
const ROWS: Row[] = [
  {
    name: "deno floor",
    argv: [Deno.execPath(), ...flags],
    env: { ...DENO_ENV, DENO_DIR: DEV_CACHE },
    plugin: false,
  },
  {
    name: "dist/bin",
    argv: [`${ROOT}/dist/bin/eve-bridge`],
    env: {},
    plugin: true,
    floor: "deno floor",
  },
  { name: "copy", argv: [copy], env: {}, plugin: true, floor: "deno floor" },
  // What the code cache saves: a cache directory Deno cannot create (under /proc), so none.
  {
    name: "copy, no cache",
    argv: [copy],
    env: { EVE_CNI_CACHE: "/proc/eve-cni-no-cache" },
    plugin: true,
    floor: "deno floor",
  },
  { name: "empty program", argv: [launcherOnly], env: {}, plugin: false, floor: "deno floor" },
  {
    name: "release floor",
    argv: [...releaseLoader, ...flags],
    env: { ...DENO_ENV, DENO_DIR: `${RELEASE}/cache` },
    plugin: false,
  },
  {
    name: "release",
    argv: [`${RELEASE}/bin/eve-bridge`],
    env: releaseEnv,
    plugin: true,
    floor: "release floor",
  },
  { name: "bridge (Go)", argv: ["/usr/lib/cni/bridge"], env: {}, plugin: true },
];

async function versionOnce({ argv, env, plugin }: Row): Promise<number> {
  const [program, ...args] = argv;
  const started = performance.now();
  const child = new Deno.Command(program!, {
    args,
    env: { CNI_COMMAND: "VERSION", ...env },
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  // The empty program exits without reading it.
  await writer.write(new TextEncoder().encode('{"cniVersion":"1.0.0"}')).catch(() => {});
  await writer.close().catch(() => {});
  const out = await child.output();
  const elapsed = performance.now() - started;
  const answered = !plugin || new TextDecoder().decode(out.stdout).includes("supportedVersions");
  if (out.code !== 0 || !answered) {
    throw new Error(`${argv.join(" ")} VERSION failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return elapsed;
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

// Two warm-ups each (page cache; a code cache entry written on the first), then interleaved.
const samples = new Map<string, number[]>(ROWS.map((r) => [r.name, []]));
try {
  for (const row of ROWS) for (let i = 0; i < 2; i++) await versionOnce(row);
  for (let i = 0; i < N; i++) {
    for (const row of ROWS) samples.get(row.name)!.push(await versionOnce(row));
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}

const stats = new Map(ROWS.map((row) => {
  const sorted = [...samples.get(row.name)!].sort((a, b) => a - b);
  return [row.name, { min: sorted[0]!, p50: percentile(sorted, 50), p99: percentile(sorted, 99) }];
}));
const ms = (v: number) => `${v.toFixed(1)} ms`.padStart(9);
const log = (line: string) => {
  // deno-lint-ignore no-console
  console.log(line);
};
log(
  `eve-bridge VERSION wall time, N=${N} each (interleaved), ${navigator.hardwareConcurrency} CPUs`,
);
for (const row of ROWS) {
  const s = stats.get(row.name)!;
  let versus = "";
  if (row.floor) {
    const f = stats.get(row.floor)!;
    versus = `   p50 ${(s.p50 - f.p50 >= 0 ? "+" : "")}${(s.p50 - f.p50).toFixed(1)} ms, ` +
      `${(s.p50 / f.p50).toFixed(2)}x ${row.floor}`;
  }
  log(`  ${row.name.padEnd(15)} p50 ${ms(s.p50)}   p99 ${ms(s.p99)}   min ${ms(s.min)}${versus}`);
}
log("  target (issue 11): eve-bridge VERSION p50 <= its floor + 5 ms");
