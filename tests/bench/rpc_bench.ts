/**
 * RPC round-trip benchmark over a unix socket: p50/p99 latency and calls/s of sequential
 * ConnectPodAtL2 calls on one connection, for our client and server in both dialects, the
 * Go client against our server, our client against the Go server, and the baseline of Go's
 * own net/rpc client against Go's server, all measured in the same run. Servers run in their
 * own processes, as they do in production. Bounded: N calls per case, then it stops.
 *
 *   deno task bench:rpc            (N = 2000)
 *   deno task bench:rpc -- 500     (N = 500)
 */
import { type HandlerMap, RpcClient, serveRpc } from "../../rpc/mod.ts";
import { buildRpcPeer, startGoServer } from "../go/rpcpeer/peer.ts";

const ARGS = {
  pod: { name: "nginx-1a2b3-0-x7k2p", netNsPath: "/var/run/netns/cni-5e0c" },
  podInterface: { name: "net1", mac: "1e:a8:c3:77:12:5d", netNsPath: "/var/run/netns/cni-5e0c" },
};

/** The same answer rpcpeer's Go server gives, so both servers do comparable work. */
const handlers: Partial<HandlerMap> = {
  "RPCServer.ConnectPodAtL2": (params) =>
    Promise.resolve({
      appUUID: "1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d",
      useDHCP: true,
      interfaces: [
        { name: "bn1", mac: "00:16:3e:5a:c1:01", netNsPath: "" },
        { name: "nbu1x1", mac: null, netNsPath: "" },
        params.podInterface,
      ],
    }),
};

interface Figures {
  readonly p50Us: number;
  readonly p99Us: number;
  readonly callsPerSec: number;
}

function log(line: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(`${line}\n`));
}

/** `--serve PATH`: run only our server (a child of the benchmark). */
async function serveMode(path: string): Promise<void> {
  const server = await serveRpc({ path, handlers });
  log("ready");
  Deno.addSignalListener("SIGTERM", () => {
    server.close().then(() => Deno.exit(0));
  });
}

async function startTsServer(path: string): Promise<{ stop(): Promise<void> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL(import.meta.url).pathname, "--serve", path],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  let seen = "";
  while (!seen.includes("ready\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`The TypeScript server exited before it was ready: ${seen}`);
    seen += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const draining = child.stdout.pipeTo(new WritableStream()).catch(() => {});
  return {
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await draining;
    },
  };
}

async function tsClient(path: string, dialect: "go" | "jsonrpc2", n: number): Promise<Figures> {
  const client = await RpcClient.connect(path, { dialect });
  try {
    // Warm up the JIT on both ends first: the first calls run unoptimised code.
    for (let i = 0; i < n / 4 + 1; i++) await client.call("RPCServer.ConnectPodAtL2", ARGS);
    const times = new Float64Array(n);
    const start = performance.now();
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await client.call("RPCServer.ConnectPodAtL2", ARGS);
      times[i] = performance.now() - t;
    }
    const total = performance.now() - start;
    times.sort();
    const pick = (q: number) => times[Math.floor(q * (n - 1))]! * 1000;
    return { p50Us: pick(0.5), p99Us: pick(0.99), callsPerSec: n / (total / 1000) };
  } finally {
    await client.close();
  }
}

async function goClient(path: string, n: number): Promise<Figures> {
  const out = await new Deno.Command(await buildRpcPeer(), {
    args: ["bench", "-socket", path, "-n", String(n)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`rpcpeer bench failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout)) as Figures;
}

function fmt(value: number, width: number, digits = 0): string {
  return value.toFixed(digits).padStart(width);
}

async function main(n: number): Promise<void> {
  await buildRpcPeer();
  const dir = await Deno.makeTempDir({ prefix: "rpc-bench-" });
  const tsPath = `${dir}/ts.sock`;
  const goPath = `${dir}/go.sock`;
  const ts = await startTsServer(tsPath);
  const go = await startGoServer(goPath);
  const rows: [string, Figures][] = [];
  try {
    rows.push(["Go client -> Go server (baseline)", await goClient(goPath, n)]);
    rows.push(["TS client -> TS server, Go dialect", await tsClient(tsPath, "go", n)]);
    rows.push(["TS client -> TS server, JSON-RPC 2.0", await tsClient(tsPath, "jsonrpc2", n)]);
    rows.push(["Go client -> TS server", await goClient(tsPath, n)]);
    rows.push(["TS client -> Go server", await tsClient(goPath, "go", n)]);
  } finally {
    await ts.stop();
    await go.stop();
    await Deno.remove(dir, { recursive: true });
  }
  const base = rows[0]![1];
  log(`RPC round trip, ${n} sequential ConnectPodAtL2 calls per case, one connection, unix socket`);
  log(
    `${"case".padEnd(38)} ${"p50 us".padStart(8)} ${"p99 us".padStart(8)} ${
      "calls/s".padStart(9)
    }` +
      ` ${"p50 x base".padStart(10)} ${"calls/s x base".padStart(14)}`,
  );
  for (const [name, f] of rows) {
    log(
      `${name.padEnd(38)} ${fmt(f.p50Us, 8)} ${fmt(f.p99Us, 8)} ${fmt(f.callsPerSec, 9)}` +
        ` ${fmt(f.p50Us / base.p50Us, 10, 2)} ${fmt(f.callsPerSec / base.callsPerSec, 14, 2)}`,
    );
  }
}

if (Deno.args[0] === "--serve" && Deno.args[1]) {
  await serveMode(Deno.args[1]);
} else {
  // `deno task bench:rpc -- 500` hands the script the "--" too.
  const count = Deno.args.find((arg) => arg !== "--");
  const n = Number(count ?? 2000);
  if (!Number.isInteger(n) || n < 10) {
    throw new Error(`Expected a call count of at least 10, got "${count}"`);
  }
  await main(n);
}
