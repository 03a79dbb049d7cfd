/**
 * Small file helpers every program needs for its state files. The one rule they keep: a
 * reader (another invocation, a running udhcpc executing a hook script, eve-cni-debug) sees
 * the old file or the new one, never half of one.
 */
import * as v from "valibot";
import { errorMessage } from "./errors.ts";
import { describeIssues } from "./values.ts";

export interface WriteFileAtomicOptions {
  /** Permission bits of the new file; without it the file is 0600 (the temp file's mode). */
  mode?: number;
  /** Leave the file alone (and return false) when it already holds exactly `text`. */
  onlyIfChanged?: boolean;
}

/**
 * Writes `text` to `path` through a temp file in the same directory and a rename, so the
 * switch is atomic. The temp file (`.<name>.<random>.tmp`) is removed when anything fails.
 * Returns whether the file was written. The calls are synchronous: these files are a few KiB,
 * and Deno's async file writes cost a thread hop per call and, the first time, the load of
 * more of its runtime (issue 11 measured 5-13 ms); the signature stays async for callers.
 */
export async function writeFileAtomic(
  path: string,
  text: string,
  options: WriteFileAtomicOptions = {},
): Promise<boolean> {
  if (options.onlyIfChanged) {
    // Any read failure just means "write it": the write below reports what is really wrong.
    let current: string | undefined;
    try {
      current = Deno.readTextFileSync(path);
    } catch {
      current = undefined;
    }
    if (current === text) return false;
  }
  const slash = path.lastIndexOf("/");
  const dir = slash > 0 ? path.slice(0, slash) : slash === 0 ? "/" : ".";
  const name = path.slice(slash + 1);
  const temp = Deno.makeTempFileSync({ dir, prefix: `.${name}.`, suffix: ".tmp" });
  try {
    Deno.writeTextFileSync(temp, text);
    if (options.mode !== undefined) Deno.chmodSync(temp, options.mode);
    Deno.renameSync(temp, path);
  } catch (error) {
    try {
      Deno.removeSync(temp);
    } catch {
      // Already gone: the error that matters is the one thrown below.
    }
    throw error;
  }
  return await Promise.resolve(true);
}

/** The file's text, or undefined when it does not exist; any other failure is thrown. */
export async function readTextFileIfExists(path: string): Promise<string | undefined> {
  try {
    // Synchronous for the reason writeFileAtomic gives (small files).
    return await Promise.resolve(Deno.readTextFileSync(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * The JSON record at `path` as `schema` reads it; undefined when there is none. A file that
 * is not JSON or does not fit is an error naming `noun` and the path (a corrupt record must
 * be looked at, not taken as absent).
 */
export async function readJsonRecordIfExists<S extends v.GenericSchema>(
  path: string,
  schema: S,
  noun: string,
): Promise<v.InferOutput<S> | undefined> {
  const text = await readTextFileIfExists(path);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${noun} "${path}" is not JSON: ${errorMessage(error)}`);
  }
  const parsed = v.safeParse(schema, json);
  if (!parsed.success) {
    throw new Error(`${noun} "${path}" is invalid: ${describeIssues(parsed.issues)}`);
  }
  return parsed.output;
}

/** The directory part of an absolute path ("/" for "/x" and for "/"), without touching the disk. */
export function parentDirectory(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}

/**
 * Whether anything (a symlink included, never followed) is at `path`: the trust checks must
 * see a planted link as present rather than look through it.
 */
export function entryExistsSync(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
