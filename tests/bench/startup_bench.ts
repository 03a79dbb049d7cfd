/**
 * `deno task bench:startup`: wall time of a VERSION call to the built dist/bin/eve-bridge
 * against Debian's Go /usr/lib/cni/bridge, N runs each, interleaved in the same run so both
 * see the same machine load. A third row is the floor no Deno program can beat: the pinned
 * Deno running an empty script with the launcher's flags, so the figure says how much of
 * eve-bridge's time is the runtime and how much is our code. Prints p50/p99 and the ratios;
 * asserts nothing.
 */
const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const N = Number(Deno.env.get("BENCH_N") ?? 30);
const emptyScript = await Deno.makeTempFile({ prefix: "evetest-startup-", suffix: ".js" });
// `plugin`: a CNI plugin answering VERSION (its stdout is checked); otherwise only timed.
const PLUGINS = [
  { name: "eve-bridge", path: `${ROOT}/dist/bin/eve-bridge`, args: [], plugin: true },
  { name: "bridge (Go)", path: "/usr/lib/cni/bridge", args: [], plugin: true },
  {
    name: "deno floor",
    path: Deno.execPath(),
    args: ["run", "--quiet", "--no-config", "--no-prompt", "--cached-only", emptyScript],
    plugin: false,
  },
];

for (const plugin of PLUGINS) {
  try {
    await Deno.stat(plugin.path);
  } catch {
    // deno-lint-ignore no-console
    console.error(`${plugin.path} is missing (run "deno task build" for eve-bridge)`);
    Deno.exit(1);
  }
}

async function versionOnce(
  { path, args, plugin }: typeof PLUGINS[number],
): Promise<number> {
  const started = performance.now();
  const child = new Deno.Command(path, {
    args,
    env: { CNI_COMMAND: "VERSION", PATH: "/usr/bin:/bin" },
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode('{"cniVersion":"1.0.0"}'));
  await writer.close();
  const out = await child.output();
  const elapsed = performance.now() - started;
  const answered = !plugin || new TextDecoder().decode(out.stdout).includes("supportedVersions");
  if (out.code !== 0 || !answered) {
    throw new Error(`${path} VERSION failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return elapsed;
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

// One warm-up each (page cache, Deno's module cache), then interleaved measurements.
const samples = new Map<string, number[]>(PLUGINS.map((p) => [p.name, []]));
try {
  for (const plugin of PLUGINS) await versionOnce(plugin);
  for (let i = 0; i < N; i++) {
    for (const plugin of PLUGINS) samples.get(plugin.name)!.push(await versionOnce(plugin));
  }
} finally {
  await Deno.remove(emptyScript);
}

const rows = PLUGINS.map((plugin) => {
  const sorted = [...samples.get(plugin.name)!].sort((a, b) => a - b);
  return { name: plugin.name, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
});
const [eve, go, floor] = rows as [typeof rows[0], typeof rows[0], typeof rows[0]];
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
// deno-lint-ignore no-console
console.log(`VERSION wall time, N=${N} each (interleaved)`);
for (const row of rows) {
  // deno-lint-ignore no-console
  console.log(
    `  ${row.name.padEnd(12)} p50 ${fmt(row.p50).padStart(9)}   p99 ${fmt(row.p99).padStart(9)}`,
  );
}
// deno-lint-ignore no-console
console.log(
  `  ratio eve-bridge/bridge: p50 ${(eve.p50 / go.p50).toFixed(1)}x, p99 ${
    (eve.p99 / go.p99).toFixed(1)
  }x`,
);
// deno-lint-ignore no-console
console.log(
  `  eve-bridge above the Deno floor: p50 ${fmt(eve.p50 - floor.p50)} ` +
    `(${(100 * (eve.p50 - floor.p50) / eve.p50).toFixed(0)}% of its time is our code)`,
);
