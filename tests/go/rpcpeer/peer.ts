/**
 * Builds and runs `rpcpeer`, the Go net/rpc/jsonrpc peer (see main.go for its modes).
 * The binary is built once per source version with Debian's golang-go, offline, into
 * `.cache/rpcpeer-<hash>/` and reused by every test file and run after that.
 */

const SOURCE_DIR = new URL(".", import.meta.url).pathname;
const CACHE_DIR = new URL("../../../.cache/", import.meta.url).pathname;

async function sourceHash(): Promise<string> {
  const names = [...Deno.readDirSync(SOURCE_DIR)]
    .map((e) => e.name)
    .filter((n) => n.endsWith(".go") || n === "go.mod")
    .sort();
  const parts: Uint8Array[] = [];
  for (const name of names) {
    parts.push(new TextEncoder().encode(name), await Deno.readFile(`${SOURCE_DIR}${name}`));
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

let built: Promise<string> | null = null;

/** Path of the built `rpcpeer` binary (built on first use). */
export function buildRpcPeer(): Promise<string> {
  built ??= build();
  return built;
}

async function build(): Promise<string> {
  const dir = `${CACHE_DIR}rpcpeer-${await sourceHash()}`;
  const binary = `${dir}/rpcpeer`;
  try {
    await Deno.stat(binary);
    return binary;
  } catch {
    // not built yet
  }
  await Deno.mkdir(dir, { recursive: true });
  // Build beside, then rename: test files running in parallel never see half a binary.
  const temp = `${binary}.${crypto.randomUUID()}`;
  const goCache = `${CACHE_DIR}go-build`;
  const result = await new Deno.Command("go", {
    args: ["build", "-o", temp, "."],
    cwd: SOURCE_DIR,
    env: {
      GOFLAGS: "-mod=mod",
      GOPROXY: "off",
      GOTOOLCHAIN: "local",
      GOCACHE: goCache,
      HOME: Deno.env.get("HOME") ?? "/root",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    throw new Error(`Cannot build rpcpeer: ${new TextDecoder().decode(result.stderr)}`);
  }
  await Deno.rename(temp, binary);
  return binary;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `rpcpeer` with `args` to completion. */
export async function runRpcPeer(args: string[]): Promise<RunResult> {
  const out = await new Deno.Command(await buildRpcPeer(), {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

export interface GoServer {
  readonly socket: string;
  /** Stops the server by its pid and waits for it. */
  stop(): Promise<void>;
}

/** Starts `rpcpeer server` on `socket` and waits until it prints "ready". */
export async function startGoServer(socket: string): Promise<GoServer> {
  const child = new Deno.Command(await buildRpcPeer(), {
    args: ["server", "-socket", socket],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  let seen = "";
  try {
    while (!seen.includes("ready\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`rpcpeer server exited before it was ready: ${seen}`);
      seen += new TextDecoder().decode(value);
    }
  } catch (e) {
    child.kill("SIGKILL");
    await child.status;
    throw e;
  } finally {
    reader.releaseLock();
  }
  // Keep draining stdout so the pipe never fills and blocks the server.
  const draining = child.stdout.pipeTo(new WritableStream()).catch(() => {});
  return {
    socket,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      await child.status;
      await draining;
    },
  };
}
