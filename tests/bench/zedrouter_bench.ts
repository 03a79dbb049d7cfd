/**
 * `deno task bench:zedrouter`: ConnectPodAtL2 + DisconnectPod cycles against the real
 * fake-zedrouter (subprocess in a sandbox "node" netns), from 8 parallel clients speaking
 * Go's net/rpc/jsonrpc dialect, one app and one pod netns per client (calls for one app are
 * serialized by design, so parallel clients use different apps). Prints p50/p99 per call
 * and per cycle, errors, and leaked veths (must be 0). Root only.
 */
import { RpcClient } from "../../rpc/mod.ts";
import { listLinks, systemRunner } from "../../netns/mod.ts";
import { skipReason, withSandbox } from "../../scripts/sandbox/sandbox.ts";
import { nodeWithUplink, startZedrouter } from "../fake_zedrouter_harness.ts";

const CYCLES = Number(Deno.env.get("BENCH_CYCLES") ?? 200);
const CLIENTS = Number(Deno.env.get("BENCH_CLIENTS") ?? 8);

function benchConfig(): string {
  const apps = Array.from({ length: CLIENTS }, (_, i) => {
    const hex = i.toString(16).padStart(2, "0");
    return `  - name: bench${i}
    uuid: ${hex}${hex}${hex}${hex}-0000-4000-8000-0000000000${hex}
    adapters: [{networkInstance: ni-local, mac: "02:16:3e:be:00:${hex}"}]`;
  });
  return `networkInstances:
  - {name: ni-local, type: local, bridge: bn1, subnet: 10.88.0.0/16, defaultRoute: true}
  - {name: ni-switch, type: switch, bridge: bn2, port: swport}
apps:
${apps.join("\n")}
`;
}

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0
    ? NaN
    : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function fmt(ms: number): string {
  return `${ms.toFixed(2)} ms`;
}

const reason = skipReason("dnsmasq");
if (reason) {
  // deno-lint-ignore no-console
  console.log(`bench:zedrouter skipped: ${reason}`);
  Deno.exit(0);
}

await withSandbox(async (sb) => {
  const { node } = await nodeWithUplink(sb);
  const config = `${sb.dir}/bench.yaml`;
  await Deno.writeTextFile(config, benchConfig());
  const pods = [];
  for (let i = 0; i < CLIENTS; i++) pods.push(await sb.netns(`pod${i}`));
  const zr = await startZedrouter(sb, node, { config });
  try {
    const l2Times: number[] = [];
    const delTimes: number[] = [];
    const cycleTimes: number[] = [];
    const errors: string[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(pods.map(async (pod, i) => {
      const client = await RpcClient.connect(zr.socket, { dialect: "go" });
      const hex = i.toString(16).padStart(2, "0");
      const base = {
        pod: { name: `bench${i}-${hex}${hex}${hex[0]}-abcde`, netNsPath: pod.path },
        podInterface: { name: "net1", mac: `02:16:3e:be:00:${hex}`, netNsPath: pod.path },
      };
      try {
        while (next < CYCLES) {
          next++;
          const t0 = performance.now();
          try {
            await client.call("RPCServer.ConnectPodAtL2", base);
            const t1 = performance.now();
            await client.call("RPCServer.DisconnectPod", {
              ...base,
              podInterface: { ...base.podInterface, mac: null },
            });
            const t2 = performance.now();
            l2Times.push(t1 - t0);
            delTimes.push(t2 - t1);
            cycleTimes.push(t2 - t0);
          } catch (error) {
            errors.push(error instanceof Error ? error.message : String(error));
          }
        }
      } finally {
        await client.close();
      }
    }));
    const wall = performance.now() - started;
    const leakedHost = (await listLinks(systemRunner, node.ns))
      .filter((l) => l.name.startsWith("nbu"));
    let leakedPod = 0;
    for (const pod of pods) {
      leakedPod += (await listLinks(systemRunner, pod.ns)).filter((l) => l.name !== "lo").length;
    }
    for (const list of [l2Times, delTimes, cycleTimes]) list.sort((a, b) => a - b);
    const lines = [
      `bench:zedrouter: ${cycleTimes.length}/${CYCLES} ConnectPodAtL2+DisconnectPod cycles, ` +
      `${CLIENTS} parallel clients (Go dialect), wall ${fmt(wall)}, ` +
      `${(cycleTimes.length / (wall / 1000)).toFixed(1)} cycles/s`,
      `  ConnectPodAtL2  p50 ${fmt(quantile(l2Times, 0.5))}  p99 ${fmt(quantile(l2Times, 0.99))}`,
      `  DisconnectPod   p50 ${fmt(quantile(delTimes, 0.5))}  p99 ${fmt(quantile(delTimes, 0.99))}`,
      `  cycle           p50 ${fmt(quantile(cycleTimes, 0.5))}  p99 ${
        fmt(quantile(cycleTimes, 0.99))
      }`,
      `  errors ${errors.length}${errors.length ? ` (first: ${errors[0]})` : ""}`,
      `  leaked veths: host ${leakedHost.length}, pod ${leakedPod}`,
    ];
    // deno-lint-ignore no-console
    console.log(lines.join("\n"));
    if (errors.length > 0 || leakedHost.length > 0 || leakedPod > 0) Deno.exitCode = 1;
  } finally {
    await zr.stop();
  }
});
