/**
 * kill(2) for eve-bridge's hot paths. Deno.kill lives in Deno's process module, which Deno
 * loads (and, with eve-bridge's --no-lazy, compiles whole) on its first use: ~6-9 ms of CPU,
 * which a net1 DEL (it signals udhcpc and starts no process) paid for one signal. libc's
 * kill through Deno's FFI costs ~1 ms on its first call (`perf stat` task-clock p50 of a
 * net1 DEL, 20 interleaved calls: 70.1 -> 63.9 ms). Deno.kill stays the fallback: a runtime
 * without a loadable libc.so.6 (Deno resolves it as the dynamic loader does: the host's glibc,
 * or the release runtime's own under its loader) still signals, only slower.
 */

/** Linux's signal numbers on every architecture EVE runs on (x86_64, arm64, riscv64). */
const SIGNAL_NUMBERS: Partial<Record<Deno.Signal, number>> = {
  SIGHUP: 1,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGUSR2: 12,
  SIGTERM: 15,
};

type LibcKill = (pid: number, signal: number) => number;

let libcKill: LibcKill | null | undefined;

function loadLibcKill(): LibcKill | null {
  if (libcKill !== undefined) return libcKill;
  try {
    const libc = Deno.dlopen("libc.so.6", {
      kill: { parameters: ["i32", "i32"], result: "i32" },
    });
    libcKill = (pid, signal) => libc.symbols.kill(pid, signal);
  } catch {
    libcKill = null;
  }
  return libcKill;
}

function processExists(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sends `signal` to `pid`; false when there is no such process. The caller checks the pid
 * (process.ts: never <= 1).
 */
export function sendSignal(pid: number, signal: Deno.Signal): boolean {
  const kill = loadLibcKill();
  const number = SIGNAL_NUMBERS[signal];
  if (kill === null || number === undefined) return denoKill(pid, signal);
  if (kill(pid, number) === 0) return true;
  // FFI gives no errno: ESRCH is the process being gone; anything else (EPERM) is asked of
  // Deno.kill, whose error says what it is.
  return processExists(pid) ? denoKill(pid, signal) : false;
}

function denoKill(pid: number, signal: Deno.Signal): boolean {
  try {
    Deno.kill(pid, signal);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    // ESRCH maps to NotFound on most builds; some report it as a generic error.
    if (error instanceof Error && /No such process|ESRCH/.test(error.message)) return false;
    throw error;
  }
}
