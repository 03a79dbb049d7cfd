/**
 * posix_spawn(3) through Deno's FFI, for the processes eve-bridge's CNI calls start: eth0's
 * `bridge` delegate, netX's DHCP client (detached) and the routing policy's commands
 * (libc_runner.ts). `Deno.Command` is in Deno's process module, which Deno
 * loads on first use together with what it imports (web streams, fetch's body and form
 * data, structured clone: ~350 KB of code cache, compiled whole under eve-bridge's
 * --no-lazy). Measured with eve-bridge's flags and a warm cache, one `cat` with a piped
 * stdin: 10.6 ms from Deno's time origin to exit through Deno.Command, 6.6 ms this way
 * (p50 of 40 interleaved runs).
 *
 * Every libc function is bound `nonblocking` (each call runs on Deno's blocking thread pool,
 * ~20-50 µs): Deno builds a fast-call trampoline for each synchronous symbol it binds, and
 * binding the dozen this needs that way cost ~5 ms, more than the process module.
 *
 * Memory handed to libc lives in ArrayBuffers of 4 KiB or more, never in small typed arrays:
 * V8 keeps small ones inside its heap, where a GC may move them while a pool thread writes.
 *
 * Semantics follow Deno.Command's (Rust's std): the child gets exactly `env`, SIGPIPE back at
 * its default (Deno ignores it) and no blocked signals; `code` is the exit status, or 128 + the
 * signal that killed it. A program name without "/" is looked up on this process's PATH.
 */

/** How many bytes a C object of each kind may take, with room to spare on glibc and musl. */
const FILE_ACTIONS_BYTES = 256; // glibc and musl: 80
const SPAWN_ATTR_BYTES = 512; // glibc: 336, musl: 336
const SIGSET_BYTES = 128; // glibc and musl: 1024 bits

const O_CLOEXEC = 0o2000000;
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80; // glibc >= 2.26, musl >= 1.1.24
const O_RDONLY = 0;
const O_WRONLY = 1;
const SIGPIPE = 13;
const READ_CHUNK = 64 * 1024;

/** errno values posix_spawn may return, as Deno.Command's errors word them. */
const ERRNO_TEXT: Record<number, string> = {
  2: "No such file or directory",
  8: "Exec format error",
  13: "Permission denied",
  20: "Not a directory",
};

const SYMBOLS = {
  pipe2: { parameters: ["buffer", "i32"], result: "i32", nonblocking: true },
  close: { parameters: ["i32"], result: "i32", nonblocking: true },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize", nonblocking: true },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize", nonblocking: true },
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32", nonblocking: true },
  posix_spawn_file_actions_init: { parameters: ["buffer"], result: "i32", nonblocking: true },
  posix_spawn_file_actions_adddup2: {
    parameters: ["buffer", "i32", "i32"],
    result: "i32",
    nonblocking: true,
  },
  posix_spawn_file_actions_addopen: {
    parameters: ["buffer", "i32", "buffer", "i32", "u32"],
    result: "i32",
    nonblocking: true,
  },
  posix_spawn_file_actions_destroy: { parameters: ["buffer"], result: "i32", nonblocking: true },
  posix_spawnattr_init: { parameters: ["buffer"], result: "i32", nonblocking: true },
  posix_spawnattr_setflags: { parameters: ["buffer", "i16"], result: "i32", nonblocking: true },
  posix_spawnattr_setsigdefault: {
    parameters: ["buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  posix_spawnattr_setsigmask: {
    parameters: ["buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  posix_spawnattr_destroy: { parameters: ["buffer"], result: "i32", nonblocking: true },
  posix_spawnp: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let loaded: Libc | null | undefined;

/** libc's symbols, or null where no libc.so.6 can be loaded (the caller then uses Deno.Command). */
export function libcForSpawn(): Libc | null {
  if (loaded !== undefined) return loaded;
  try {
    loaded = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
  } catch {
    loaded = null;
  }
  return loaded;
}

export interface LibcSpawnOutput {
  readonly code: number;
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
}

/**
 * C strings packed into one buffer, and the NULL-terminated pointer arrays argv and envp that
 * point into it. One allocation keeps every pointer valid as long as the object is referenced.
 */
class CStrings {
  readonly bytes: Uint8Array;
  readonly argv: BigUint64Array;
  readonly envp: BigUint64Array;

  constructor(argv: readonly string[], env: readonly string[]) {
    const encoder = new TextEncoder();
    const encoded = [...argv, ...env].map((s) => encoder.encode(`${s}\0`));
    for (const chunk of encoded) {
      if (chunk.indexOf(0) !== chunk.length - 1) {
        throw new TypeError("Cannot pass a NUL byte in an argument or environment entry");
      }
    }
    const size = encoded.reduce((sum, chunk) => sum + chunk.length, 0);
    this.bytes = new Uint8Array(new ArrayBuffer(Math.max(size, 4096)));
    const base = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(this.bytes)));
    const pointers = new BigUint64Array(new ArrayBuffer(Math.max((encoded.length + 2) * 8, 4096)));
    let offset = 0;
    encoded.forEach((chunk, i) => {
      this.bytes.set(chunk, offset);
      pointers[i < argv.length ? i : i + 1] = base + BigInt(offset);
      offset += chunk.length;
    });
    // argv: slots 0..argc-1 then NULL; envp: the slots after that NULL, then NULL.
    this.argv = pointers.subarray(0, argv.length + 1);
    this.envp = pointers.subarray(argv.length + 1, encoded.length + 2);
  }
}

/** The small C objects of one spawn, all in one ArrayBuffer outside V8's heap. */
class SpawnMemory {
  readonly #buffer = new ArrayBuffer(4096);
  readonly pipes = new Int32Array(this.#buffer, 0, 6); // stdin, stdout, stderr: [read, write]
  readonly pid = new Int32Array(this.#buffer, 24, 1);
  readonly status = new Int32Array(this.#buffer, 28, 1);
  readonly sigdefault = new BigUint64Array(this.#buffer, 64, SIGSET_BYTES / 8);
  readonly sigmask = new BigUint64Array(this.#buffer, 64 + SIGSET_BYTES, SIGSET_BYTES / 8);
  readonly fileActions = new Uint8Array(this.#buffer, 512, FILE_ACTIONS_BYTES);
  readonly attr = new Uint8Array(this.#buffer, 1024, SPAWN_ATTR_BYTES);
  readonly devNull = new Uint8Array(this.#buffer, 2048, 16);

  constructor() {
    this.devNull.set(new TextEncoder().encode("/dev/null\0"));
  }

  pipe(index: number): Int32Array {
    return this.pipes.subarray(index * 2, index * 2 + 2);
  }
}

async function check(call: Promise<number>, what: string): Promise<void> {
  const rc = await call;
  if (rc !== 0) throw new Error(`${what} failed (${rc})`);
}

/**
 * The spawn attributes: SIGPIPE at its default, nothing blocked (as Rust's std does); with
 * `extraFlags` POSIX_SPAWN_SETSID, a session of its own.
 */
async function prepareAttr(libc: Libc, memory: SpawnMemory, extraFlags = 0): Promise<void> {
  await check(libc.posix_spawnattr_init(memory.attr), "posix_spawnattr_init");
  memory.sigdefault[0] = 1n << BigInt(SIGPIPE - 1);
  await check(
    libc.posix_spawnattr_setsigdefault(memory.attr, memory.sigdefault),
    "posix_spawnattr_setsigdefault",
  );
  await check(
    libc.posix_spawnattr_setsigmask(memory.attr, memory.sigmask),
    "posix_spawnattr_setsigmask",
  );
  await check(
    libc.posix_spawnattr_setflags(
      memory.attr,
      POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | extraFlags,
    ),
    "posix_spawnattr_setflags",
  );
}

/** The child's stdin, stdout and stderr become the pipes' child ends. */
async function prepareFileActions(libc: Libc, memory: SpawnMemory): Promise<void> {
  await check(libc.posix_spawn_file_actions_init(memory.fileActions), "file_actions_init");
  for (const [index, childFd] of [[0, 0], [1, 1], [2, 2]] as const) {
    const end = memory.pipe(index)[index === 0 ? 0 : 1]!;
    await check(
      libc.posix_spawn_file_actions_adddup2(memory.fileActions, end, childFd),
      "file_actions_adddup2",
    );
  }
}

/** The child's stdin, stdout and stderr are /dev/null. */
async function nullFileActions(libc: Libc, memory: SpawnMemory): Promise<void> {
  await check(libc.posix_spawn_file_actions_init(memory.fileActions), "file_actions_init");
  for (const [childFd, flags] of [[0, O_RDONLY], [1, O_WRONLY], [2, O_WRONLY]] as const) {
    await check(
      libc.posix_spawn_file_actions_addopen(memory.fileActions, childFd, memory.devNull, flags, 0),
      "file_actions_addopen",
    );
  }
}

async function readAll(libc: Libc, fd: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(READ_CHUNK);
  const chunks: Uint8Array[] = [];
  // -1 is EINTR or a broken fd (FFI gives no errno): a few retries, then what was read.
  for (let failures = 0; failures < 3;) {
    const count = Number(await libc.read(fd, buffer, BigInt(READ_CHUNK)));
    if (count === 0) break;
    if (count < 0) {
      failures++;
      continue;
    }
    chunks.push(buffer.slice(0, count));
  }
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

async function writeAll(libc: Libc, fd: number, data: Uint8Array): Promise<void> {
  // The pool thread reads the buffer while it writes: an off-heap copy.
  const buffer = new Uint8Array(new ArrayBuffer(Math.max(data.length, 4096)));
  buffer.set(data);
  for (let written = 0; written < data.length;) {
    const count = Number(
      await libc.write(fd, buffer.subarray(written), BigInt(data.length - written)),
    );
    // EPIPE (the child exited without reading) or an error: its exit status tells the story.
    if (count <= 0) return;
    written += count;
  }
}

async function waitExit(libc: Libc, memory: SpawnMemory, pid: number): Promise<number> {
  for (let failures = 0; failures < 3; failures++) {
    if (await libc.waitpid(pid, memory.status, 0) === pid) {
      const status = memory.status[0]!;
      const signal = status & 0x7f;
      return signal === 0 ? (status >> 8) & 0xff : 128 + signal;
    }
  }
  throw new Error(`Cannot wait for process ${pid}`);
}

/** posix_spawn failed: `errno` says why (2 ENOENT, 13 EACCES, ...); worded as Deno.Command's. */
export class SpawnFailure extends Error {
  override readonly name = "SpawnFailure";
  readonly errno: number;

  constructor(program: string, errno: number) {
    super(`Failed to spawn '${program}': ${ERRNO_TEXT[errno] ?? "error"} (os error ${errno})`);
    this.errno = errno;
  }
}

/** posix_spawnp with the prepared memory; the child's pid. */
async function spawnPrepared(
  libc: Libc,
  memory: SpawnMemory,
  strings: CStrings,
  program: string,
): Promise<number> {
  const rc = await libc.posix_spawnp(
    memory.pid,
    strings.bytes, // argv[0] is the first string
    memory.fileActions,
    memory.attr,
    strings.argv,
    strings.envp,
  );
  await libc.posix_spawn_file_actions_destroy(memory.fileActions);
  await libc.posix_spawnattr_destroy(memory.attr);
  // strings' C memory must outlive the call above; referencing it here keeps it.
  void strings.bytes.length;
  if (rc !== 0) throw new SpawnFailure(program, rc);
  return memory.pid[0]!;
}

/**
 * Starts `argv` with `env` as its whole environment in a session of its own, stdin, stdout
 * and stderr on /dev/null, and does not wait for it (Deno.Command's `detached` + unref): a
 * daemon that outlives this process. Its pid.
 */
export async function libcSpawnDetached(
  libc: Libc,
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<number> {
  const [program] = argv;
  if (program === undefined) throw new Error("Cannot run an empty command");
  const strings = new CStrings(argv, Object.entries(env).map(([k, value]) => `${k}=${value}`));
  const memory = new SpawnMemory();
  await nullFileActions(libc, memory);
  await prepareAttr(libc, memory, POSIX_SPAWN_SETSID);
  return await spawnPrepared(libc, memory, strings, program);
}

/**
 * Runs `argv` with `env` as its whole environment and `stdin` as its input; resolves once it
 * has exited and both its outputs are read to their end. `onStarted` learns the pid (to kill
 * it on a timeout: it stays a zombie, not a reusable pid, until this reaps it).
 */
export async function libcSpawn(
  libc: Libc,
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
  stdin: Uint8Array,
  onStarted?: (pid: number) => void,
): Promise<LibcSpawnOutput> {
  const [program] = argv;
  if (program === undefined) throw new Error("Cannot run an empty command");
  const strings = new CStrings(argv, Object.entries(env).map(([k, value]) => `${k}=${value}`));
  const memory = new SpawnMemory();
  for (const index of [0, 1, 2]) {
    await check(libc.pipe2(memory.pipe(index), O_CLOEXEC), "pipe2");
  }
  const [stdinRead, stdinWrite, stdoutRead, stdoutWrite, stderrRead, stderrWrite] = memory.pipes;
  let pid: number;
  try {
    await prepareFileActions(libc, memory);
    await prepareAttr(libc, memory);
    pid = await spawnPrepared(libc, memory, strings, program);
  } catch (error) {
    for (const fd of [stdinWrite!, stdoutRead!, stderrRead!]) await libc.close(fd);
    throw error;
  } finally {
    for (const fd of [stdinRead!, stdoutWrite!, stderrWrite!]) await libc.close(fd);
  }
  onStarted?.(pid);
  const [stdout, stderr] = await Promise.all([
    readAll(libc, stdoutRead!),
    readAll(libc, stderrRead!),
    writeAll(libc, stdinWrite!, stdin).finally(() => libc.close(stdinWrite!)),
  ]);
  await Promise.all([libc.close(stdoutRead!), libc.close(stderrRead!)]);
  const code = await waitExit(libc, memory, pid);
  return { code, stdout, stderr };
}
