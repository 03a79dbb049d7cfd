/**
 * Builds (../go_build.ts) and runs `rpcpeer`, the Go net/rpc/jsonrpc peer (see main.go for
 * its modes).
 */

import { buildGoProgram } from "../go_build.ts";

const SOURCE_DIR = new URL(".", import.meta.url).pathname;

/** Path of the built `rpcpeer` binary (built on first use). */
export function buildRpcPeer(): Promise<string> {
  return buildGoProgram("rpcpeer", SOURCE_DIR);
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
