/**
 * `deno task bench:eth0-stub`: what eve-bridge's eth0 path costs of its own, with bridge's
 * time out of the picture. bench:attach compares eth0 with Debian's bridge + host-local,
 * whose 15-30 ms (and this VM's drift) hide a few milliseconds; here `bridge` is a stub (a sh
 * script of builtins that prints a fixed result), so every row differs from the next only by
 * what its program does. Rows, interleaved N times (BENCH_N, default 30) in one run:
 *
 * - Deno on an empty script with the launcher's flags (issue 11's "Deno start");
 * - the stub bridge alone;
 * - eve-bridge answering VERSION in Deno (a version its sh part does not answer): the whole
 *   program loaded, nothing done;
 * - the minimal Deno plugin (minimal_eth0_plugin.js: stdin to bridge with Deno.Command) on
 *   the stub, as bench:attach runs it;
 * - eve-bridge eth0 ADD and DEL of an EVE app pod on the stub (its config, netns check,
 *   log lines, posix_spawn of the stub, result).
 *
 * The differences printed after the table split eve-bridge's eth0 ADD into Deno's start,
 * loading the program, and the work. Wall times as the bench process sees them (each row
 * pays the same spawn from here). Root only (a pod netns for the netns check, removed after).
 * Asserts nothing.
 */
import { DENO_ENV, denoRunArgs } from "../../scripts/launcher.ts";
import { PROGRAMS } from "../../scripts/programs.ts";
import { skipReason, withSandbox } from "../../scripts/sandbox/sandbox.ts";
import { p50, percentile, timedRun } from "./attach_floors.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const N = Number(Deno.env.get("BENCH_N") ?? 30);
const EVE_BRIDGE = PROGRAMS.find((p) => p.name === "eve-bridge")!;
const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// deno-lint-ignore no-console
const out = (line: string) => console.log(line);

/** A bridge that does nothing: reads its config (builtins only), prints a fixed result. */
function stubBridge(netnsPath: string): string {
  const result = {
    cniVersion: "1.0.0",
    interfaces: [
      { name: "cni0", mac: "22:53:18:5f:b0:52" },
      { name: "vethstub", mac: "2a:75:ed:fb:9d:60" },
      { name: "eth0", mac: "f2:ab:29:54:a3:fd", sandbox: netnsPath },
    ],
    ips: [{ interface: 2, address: "10.42.0.3/24", gateway: "10.42.0.1" }],
    routes: [{ dst: "10.43.0.0/16", gw: "10.42.0.1" }],
    dns: {},
  };
  return [
    "#!/bin/sh",
    "while read -r _; do :; done",
    `[ "$CNI_COMMAND" = ADD ] && printf '%s\\n' '${JSON.stringify(result)}'`,
    "exit 0",
    "",
  ].join("\n");
}

interface Row {
  readonly name: string;
  readonly argv: string[];
  readonly env: Record<string, string>;
  readonly stdin?: string;
}

async function bench(): Promise<void> {
  const reason = skipReason();
  if (reason) {
    out(`bench:eth0-stub skipped: ${reason}`);
    return;
  }
  await withSandbox(async (sb) => {
    const pod = await sb.netns("pod");
    const bin = `${sb.dir}/bin`;
    await Deno.mkdir(bin);
    await Deno.mkdir(`${sb.dir}/minimal-cache`);
    await Deno.writeTextFile(`${bin}/bridge`, stubBridge(pod.path), { mode: 0o755 });
    await Deno.writeTextFile(`${sb.dir}/empty.js`, "");
    const config = JSON.stringify({
      cniVersion: "1.0.0",
      name: "eve-bridge",
      type: "eve-bridge",
      logFile: `${sb.dir}/eve-bridge.log`,
      stateDir: `${sb.dir}/state`,
      zedrouterSocket: `${sb.dir}/rpc.sock`,
      bridge: "cni0",
      isGateway: true,
      nodeIP: "192.168.77.10/32",
      serviceCIDR: "10.43.0.0/16",
      ipam: { type: "host-local", ranges: [[{ subnet: "10.42.0.0/24" }]] },
    });
    const deno = [Deno.execPath(), ...denoRunArgs(EVE_BRIDGE.permissions, EVE_BRIDGE.runFlags)];
    const cni = (command: string, id: string) => ({
      PATH,
      CNI_COMMAND: command,
      CNI_CONTAINERID: id,
      CNI_NETNS: pod.path,
      CNI_IFNAME: "eth0",
      CNI_PATH: bin,
      CNI_ARGS: `IgnoreUnknown=true;K8S_POD_NAMESPACE=eve-kube-app;K8S_POD_NAME=bench-${id}`,
    });
    const eveBridge = `${ROOT}/dist/bin/eve-bridge`;
    const rows = (i: number): Row[] => [
      {
        name: "Deno, empty script",
        argv: [...deno, `${sb.dir}/empty.js`],
        env: { ...DENO_ENV, DENO_DIR: `${ROOT}/dist/cache` },
      },
      { name: "stub bridge", argv: [`${bin}/bridge`], env: cni("ADD", `s${i}`), stdin: config },
      {
        name: "eve-bridge VERSION in Deno",
        argv: [eveBridge],
        env: { PATH, CNI_COMMAND: "VERSION" },
        // Not the one form the sh part answers (no space after the colon): Deno answers it.
        stdin: '{"cniVersion": "1.0.0"}',
      },
      {
        name: "minimal plugin ADD",
        argv: [...deno, new URL("./minimal_eth0_plugin.js", import.meta.url).pathname],
        env: { ...DENO_ENV, DENO_DIR: `${sb.dir}/minimal-cache`, ...cni("ADD", `m${i}`) },
        stdin: config,
      },
      { name: "eve-bridge eth0 ADD", argv: [eveBridge], env: cni("ADD", `e${i}`), stdin: config },
      { name: "eve-bridge eth0 DEL", argv: [eveBridge], env: cni("DEL", `e${i}`), stdin: config },
    ];
    const samples = new Map<string, number[]>();
    // Two unrecorded rounds fill the code caches and the log and state directories.
    for (let i = -2; i < N; i++) {
      for (const row of rows(i)) {
        const ms = await timedRun(row.argv, row.env, row.stdin);
        if (Number.isNaN(ms)) throw new Error(`${row.name} failed (round ${i})`);
        if (i >= 0) samples.set(row.name, [...(samples.get(row.name) ?? []), ms]);
      }
    }
    printRows(samples);
  });
}

function printRows(samples: Map<string, number[]>): void {
  const f = (n: number) => n.toFixed(1);
  out(`bench:eth0-stub: ${N} interleaved rounds (ms, wall as this process sees it)`);
  out(`${"row".padEnd(28)}  ${"p50".padStart(6)}  ${"p99".padStart(6)}  ${"min".padStart(6)}`);
  for (const [name, values] of samples) {
    const finite = values.filter(Number.isFinite);
    out(
      `${name.padEnd(28)}  ${f(p50(values)).padStart(6)}  ` +
        `${f(percentile(values, 0.99)).padStart(6)}  ${f(Math.min(...finite)).padStart(6)}`,
    );
  }
  const at = (name: string) => p50(samples.get(name) ?? []);
  const denoStart = at("Deno, empty script");
  const stub = at("stub bridge");
  const loaded = at("eve-bridge VERSION in Deno");
  const minimal = at("minimal plugin ADD");
  const add = at("eve-bridge eth0 ADD");
  out("");
  out(`  eve-bridge's program loaded (VERSION in Deno - Deno start): ${f(loaded - denoStart)}`);
  out(`  eve-bridge eth0 ADD's work (ADD - VERSION in Deno - stub): ${f(add - loaded - stub)}`);
  out(`  minimal plugin beyond Deno start and the stub: ${f(minimal - denoStart - stub)}`);
  out(`  eve-bridge eth0 ADD beyond the minimal plugin: ${f(add - minimal)}`);
  out(
    `  issue 11's eth0 ADD allowance (10% of Deno start + a bridge of ~15 ms): ` +
      `${f(0.1 * (denoStart + 15))}; eve-bridge beyond Deno start and the stub: ` +
      f(add - denoStart - stub),
  );
}

await bench();
