/**
 * The bench's container runtime: one process inside the node's netns that runs each CNI
 * call (a cnidrive argv) it is sent, as containerd runs CNI from the node's own namespace.
 * Without it every call would be `nsenter --net=NODE cnidrive ...`, one more exec per call
 * that no real node pays (1.9% of the node's CPU in the burst).
 *
 * Run as a program (inside the node netns): one JSON request per stdin line, `{id, argv}`;
 * one JSON answer per stdout line, `{id, ok, ms, stderr}`, timed from spawn to exit here.
 * Imported: `startNodeRuntime` starts it and sends it calls.
 */
import type { Sandbox } from "../../scripts/sandbox/sandbox.ts";

interface Request {
  readonly id: number;
  readonly argv: readonly string[];
}

export interface RuntimeAnswer {
  readonly ok: boolean;
  readonly ms: number;
  readonly stderr: string;
}

const CALL_TIMEOUT_MS = 60_000;

/** The JSON values of a stream of JSON lines (both ends of the runtime speak them). */
async function* jsonLines<T>(stream: ReadableStream<Uint8Array>): AsyncGenerator<T> {
  let buffered = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      yield JSON.parse(line) as T;
    }
  }
}

async function answer(request: Request): Promise<RuntimeAnswer & { id: number }> {
  const [program, ...args] = request.argv;
  const started = performance.now();
  try {
    const r = await new Deno.Command(program!, {
      args,
      stdout: "null",
      stderr: "piped",
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    }).output();
    const stderr = new TextDecoder().decode(r.stderr).trim();
    return { id: request.id, ok: r.success, ms: performance.now() - started, stderr };
  } catch (error) {
    return { id: request.id, ok: false, ms: performance.now() - started, stderr: String(error) };
  }
}

async function serve(): Promise<void> {
  const encoder = new TextEncoder();
  const writer = Deno.stdout.writable.getWriter();
  const running: Promise<void>[] = [];
  for await (const request of jsonLines<Request>(Deno.stdin.readable)) {
    running.push(
      answer(request).then((a) => writer.write(encoder.encode(`${JSON.stringify(a)}\n`))),
    );
  }
  await Promise.all(running);
  await writer.close();
}

export interface NodeRuntime {
  /** Runs argv inside the node netns; resolves when it has exited. */
  run(argv: readonly string[]): Promise<RuntimeAnswer>;
  /** Ends the runtime once its calls are answered. */
  close(): Promise<void>;
}

/** Starts the runtime in `nodeNetnsPath`; the sandbox stops it by pid if close never comes. */
export function startNodeRuntime(sb: Sandbox, nodeNetnsPath: string): NodeRuntime {
  const self = new URL(import.meta.url).pathname;
  const child = new Deno.Command("nsenter", {
    args: [`--net=${nodeNetnsPath}`, Deno.execPath(), "run", "-A", "--quiet", self],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  sb.track(child.pid);
  const waiting = new Map<number, (a: RuntimeAnswer) => void>();
  const pump = (async () => {
    for await (const { id, ...a } of jsonLines<RuntimeAnswer & { id: number }>(child.stdout)) {
      waiting.get(id)?.(a);
      waiting.delete(id);
    }
    for (const resolve of waiting.values()) {
      resolve({ ok: false, ms: 0, stderr: "the bench's node runtime ended" });
    }
  })();
  const writer = child.stdin.getWriter();
  const encoder = new TextEncoder();
  let next = 0;
  return {
    run(argv) {
      const id = next++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        writer.write(encoder.encode(`${JSON.stringify({ id, argv })}\n`)).catch(() => {});
      });
    },
    async close() {
      await writer.close().catch(() => {});
      await pump;
      await child.status;
    },
  };
}

if (import.meta.main) await serve();
