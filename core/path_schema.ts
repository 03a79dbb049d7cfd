/**
 * Paths a config names (a state dir, a log file, a socket), checked before anything is
 * created with them, so a bad one fails with its field's name instead of as an OS error
 * half-way through (a `..` passed to a later check about a netns, a 300-byte socket path
 * as "dial failed"). Only the syntax is checked here; who owns the directory is
 * core/trusted_dir.ts's business.
 */
import * as v from "valibot";

const encoder = new TextEncoder();
const byteLength = (s: string): number => encoder.encode(s).length;

/** Linux's PATH_MAX (4096) less the terminating NUL. */
export const PATH_MAX_BYTES = 4095;
/** NAME_MAX: the longest single component most file systems take. */
export const NAME_MAX_BYTES = 255;
/** A unix socket's path must fit sun_path (108 bytes) with its terminating NUL. */
export const SUN_PATH_MAX_BYTES = 107;

/** `what` names the path in the messages ("a socket path", "a directory"). */
export function absolutePathSchema(
  maxBytes: number = PATH_MAX_BYTES,
  what = "path",
): v.GenericSchema<string, string> {
  return v.pipe(
    v.string((issue) => `Expected an absolute ${what} as a string, got ${issue.received}`),
    v.check(
      (s) => !s.includes("\0"),
      `The ${what} contains a NUL character, which no file name can hold; remove it`,
    ),
    v.startsWith(
      "/",
      (issue) =>
        `Expected an absolute ${what} (starting with "/"), got ${JSON.stringify(issue.input)}`,
    ),
    v.check(
      (s) => !s.split("/").includes(".."),
      (issue) =>
        `The ${what} ${JSON.stringify(issue.input)} contains "..": give it without ".." ` +
        "components (the directory it means, spelt out)",
    ),
    v.check(
      (s) => byteLength(s) <= maxBytes,
      (issue) =>
        `The ${what} is ${byteLength(String(issue.input))} bytes long, over the limit of ` +
        `${maxBytes}${
          maxBytes === SUN_PATH_MAX_BYTES
            ? " (a unix socket's sun_path holds 108 with its NUL)"
            : ""
        }; choose a shorter path`,
    ),
    v.check(
      (s) => s.split("/").every((part) => byteLength(part) <= NAME_MAX_BYTES),
      `A component of the ${what} is over ${NAME_MAX_BYTES} bytes (NAME_MAX); shorten it`,
    ),
  );
}
