/**
 * `deno task bench:log`: what one invocation's logging costs (issue 11: ≤ 2 ms), in a fresh
 * process of a bundle run with the launchers' flags and a warm code cache, as eve-bridge runs:
 * open the log, 8 JSON lines with the invocation's fields, close. "own" is eve-bridge's log
 * (plugin/cni/logging.ts: LogTape's line format, written without LogTape); "own, added" the
 * same after what every eve-bridge command does anyway, logging or not (log_probe.ts): what
 * logging adds to an invocation, the figure issue 11's target is about; "@logtape/file"
 * what it replaced: LogTape with @logtape/file's rotating sink (which loads Deno's Node layer
 * and fsyncs every line). Also the whole process beside an empty script's. The log
 * file is in a temp dir (BENCH_LOG_DIR to put it on another file system). Asserts nothing.
 */
import { bundleProgram } from "../../scripts/bundle.ts";
import { DENO_ENV, denoRunArgs } from "../../scripts/launcher.ts";
import { PROGRAMS } from "../../scripts/programs.ts";

const N = Number(Deno.env.get("BENCH_N") ?? 30);
const here = new URL(".", import.meta.url).pathname;
const dir = await Deno.makeTempDir({ prefix: "evetest-logbench-" });
const logDir = Deno.env.get("BENCH_LOG_DIR") ?? dir;
const encoder = new TextEncoder();
const out = (line: string) => Deno.stdout.writeSync(encoder.encode(`${line}\n`));

async function timed(args: string[]): Promise<{ wall: number; inProcess: number }> {
  const started = performance.now();
  const r = await new Deno.Command(Deno.execPath(), {
    args,
    env: { ...DENO_ENV, DENO_DIR: `${dir}/cache` },
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const wall = performance.now() - started;
  return { wall, inProcess: Number(new TextDecoder().decode(r.stdout).trim()) };
}

const p50 = (v: number[]) => v.slice().sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;

try {
  const own = `${dir}/own.js`;
  await Deno.writeTextFile(own, await bundleProgram(`${here}log_probe.ts`));
  const logtapeFile = `${dir}/logtape_file.js`;
  await Deno.writeTextFile(logtapeFile, await bundleProgram(`${here}log_probe_logtape_file.ts`));
  await Deno.writeTextFile(`${dir}/empty.js`, "");
  // eve-bridge's own V8 flags (scripts/programs.ts): its code cache holds the whole program.
  const eveBridge = PROGRAMS.find((program) => program.name === "eve-bridge")!;
  const run = denoRunArgs(["--allow-all"], eveBridge.runFlags)
    .filter((flag) => flag !== "--cached-only");
  const variants = {
    "empty script": [...run, `${dir}/empty.js`],
    own: [...run, own, `${logDir}/own.log`],
    "own, added": [...run, own, `${logDir}/own-added.log`, dir],
    "@logtape/file": [...run, logtapeFile, `${logDir}/logtape-file.log`],
  };
  for (const args of Object.values(variants)) for (let i = 0; i < 3; i++) await timed(args);
  const samples = new Map(
    Object.keys(variants).map((k) => [k, [] as Array<{ wall: number; inProcess: number }>]),
  );
  for (let i = 0; i < N; i++) {
    for (const [name, args] of Object.entries(variants)) samples.get(name)!.push(await timed(args));
  }
  out(
    `logging one invocation (open, 8 lines, close), N=${N} each (interleaved), ` +
      `${navigator.hardwareConcurrency} CPUs; log in ${logDir}`,
  );
  const floor = p50(samples.get("empty script")!.map((s) => s.wall));
  for (const [name, s] of samples) {
    const wall = p50(s.map((x) => x.wall));
    const inProcess = name === "empty script"
      ? ""
      : `in-process p50 ${p50(s.map((x) => x.inProcess)).toFixed(2)} ms   `;
    out(
      `  ${name.padEnd(14)} ${inProcess}process p50 ${wall.toFixed(1)} ms (${
        (wall - floor).toFixed(1)
      } ms over the empty script)`,
    );
  }
  out("  target (issue 11): ≤ 2 ms per invocation");
} finally {
  await Deno.remove(dir, { recursive: true });
}
