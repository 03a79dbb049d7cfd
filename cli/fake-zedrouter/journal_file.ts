/**
 * The journal file (`serve --journal PATH`): one JSON line per finished call, appended in
 * the order calls finish (a restarted daemon appends too; its seq starts at 1 again). Lines
 * are written one at a time through a queue, so none interleave. A failed write is reported
 * once and the file given up: a full disk must not fail the calls the journal describes.
 */
import { errorMessage } from "../../core/mod.ts";

export class JournalFile {
  readonly #file: Deno.FsFile;
  readonly #encoder = new TextEncoder();
  readonly #log: (message: string) => void;
  #writes = Promise.resolve();
  #failed = false;

  private constructor(readonly path: string, file: Deno.FsFile, log: (message: string) => void) {
    this.#file = file;
    this.#log = log;
  }

  /** Opens (creating it and its directory, as for the socket) `path` for appending. */
  static async open(path: string, log: (message: string) => void): Promise<JournalFile> {
    try {
      await Deno.mkdir(parentDir(path), { recursive: true });
      const file = await Deno.open(path, { append: true, create: true, write: true, mode: 0o644 });
      return new JournalFile(path, file, log);
    } catch (error) {
      throw new Error(`Cannot open the journal file "${path}": ${errorMessage(error)}`);
    }
  }

  /** Queues one line (`text` without its newline). */
  append(text: string): void {
    const bytes = this.#encoder.encode(`${text}\n`);
    this.#writes = this.#writes.then(async () => {
      if (this.#failed) return;
      try {
        let written = 0;
        while (written < bytes.length) written += await this.#file.write(bytes.subarray(written));
      } catch (error) {
        this.#failed = true;
        this.#log(`Journal file "${this.path}" is no longer written: ${errorMessage(error)}`);
      }
    });
  }

  /** Writes what is queued and closes the file. */
  async close(): Promise<void> {
    await this.#writes;
    try {
      this.#file.close();
    } catch {
      // already closed
    }
  }
}

function parentDir(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash > 0 ? path.slice(0, slash) : slash === 0 ? "/" : ".";
}
