/**
 * `deno task compile`: one self-contained executable per program with `deno compile`, into
 * `dist/compiled/`. `deno compile` needs the `denort` runtime: it downloads it unless
 * `DENORT_BIN` names a local copy. Where neither works, this fails with a message saying so.
 */
import { PROGRAMS } from "./programs.ts";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const denort = Deno.env.get("DENORT_BIN");
if (denort !== undefined) {
  try {
    Deno.statSync(denort);
  } catch {
    // deno-lint-ignore no-console
    console.error(
      `DENORT_BIN="${denort}" does not exist: point it at a denort binary of this Deno version`,
    );
    Deno.exit(1);
  }
}
await Deno.mkdir(`${root}/dist/compiled`, { recursive: true });
for (const program of PROGRAMS) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "compile",
      "--quiet",
      "--no-check",
      ...program.runFlags,
      ...program.permissions,
      "-o",
      `${root}/dist/compiled/${program.name}`,
      `${root}/${program.entry}`,
    ],
    cwd: root,
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) {
    // deno-lint-ignore no-console
    console.error(
      `deno compile failed for ${program.name}: ${stderr.trim()}\n` +
        (denort === undefined
          ? "deno compile downloads denort from the internet; where that is unreachable, set " +
            "DENORT_BIN to a local denort binary of the same Deno version and run again"
          : `DENORT_BIN="${denort}" was used; check it is denort of the same Deno version`),
    );
    Deno.exit(1);
  }
  // deno-lint-ignore no-console
  console.error(`compiled dist/compiled/${program.name}`);
}
