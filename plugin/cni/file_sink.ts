/**
 * The rotating file the invocation log's JSON lines go to: a few synchronous calls. It replaces @logtape/file's getRotatingFileSink, which cost every
 * logging invocation more than the whole budget (issue 11: ≤ 2 ms): loading it boots Deno's
 * Node compatibility layer (its bundled path helpers probe `globalThis.process`), and it
 * fsyncs the file after every line. `deno task bench:log` measures both.
 *
 * Same file layout as before, so readers (eve-cni-debug logs) are unchanged: lines are
 * appended to `path` (O_APPEND, one write per line, so concurrent invocations never interleave
 * within a line); when a line would take the file past `maxSize`, `path.N` becomes `path.N+1`
 * for N from `maxFiles - 1` down to 1 (the oldest, `path.<maxFiles>`, is overwritten), `path`
 * becomes `path.1`, and a new `path` starts, as @logtape/file did. Written lines reach the kernel at once (nothing is buffered in the process, so a
 * killed invocation loses nothing); no fsync, as a log line is not worth a disk flush.
 */
export interface RotatingFileSinkOptions {
  /** A file larger than this is rotated before the next line. */
  readonly maxSize: number;
  /** The live file and the rotated `FILE.1` ... `FILE.<maxFiles>`. */
  readonly maxFiles: number;
  /** Why the rotated names must not be renamed over (log_file.ts), checked before a rotation. */
  readonly rotationProblem?: () => string | undefined;
}

/** A rotation the sink refused (`rotationProblem`): the line was not written. */
export class RotationRefused extends Error {
  override name = "RotationRefused";
}

export interface LineSink {
  /** Appends one line (with its newline). */
  write(line: string): void;
  close(): void;
}

/**
 * Appends to `opened` (the log file at `path`, open for appending, which the sink then owns),
 * or else to `path` opened (created) here; throws when it cannot (the caller falls back).
 */
export function getRotatingFileSink(
  path: string,
  options: RotatingFileSinkOptions,
  opened?: Deno.FsFile,
): LineSink {
  const encoder = new TextEncoder();
  let file = opened ?? Deno.openSync(path, { create: true, append: true });
  let size = file.statSync().size;
  const rotate = () => {
    const problem = options.rotationProblem?.();
    if (problem !== undefined) throw new RotationRefused(problem);
    file.close();
    for (let i = options.maxFiles - 1; i > 0; i--) {
      try {
        Deno.renameSync(`${path}.${i}`, `${path}.${i + 1}`);
      } catch {
        // No such generation yet.
      }
    }
    Deno.renameSync(path, `${path}.1`);
    file = Deno.openSync(path, { create: true, append: true });
    size = 0;
  };
  const write = (line: string) => {
    const bytes = encoder.encode(line);
    if (size > 0 && size + bytes.length > options.maxSize) rotate();
    let written = 0;
    while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
    size += bytes.length;
  };
  return { write, close: () => file.close() };
}
