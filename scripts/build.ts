/**
 * `deno task build`: one self-contained program file per program (scripts/launcher.ts), twice:
 *
 * - `dist/bin/<name>`: runs on this machine with the pinned Deno this checkout installed (its
 *   absolute path is carried in the file; `EVE_CNI_DENO` overrides it), code cache in
 *   `dist/cache` (prepared here);
 * - `dist/release/` and `dist/eve-cni-<version>-linux-<arch>.tar.gz`: the same programs with
 *   their own Deno, glibc loader and code cache, for any node (scripts/release.ts).
 */
import { writeFileAtomic } from "../core/mod.ts";
import { bundleProgram } from "./bundle.ts";
import { prepareCodeCache } from "./code_cache.ts";
import { programFile } from "./launcher.ts";
import { launcherOptions, PROGRAMS } from "./programs.ts";
import { buildRelease, type BuiltProgram } from "./release.ts";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const { version } = JSON.parse(await Deno.readTextFile(`${root}/deno.json`)) as { version: string };

const built: BuiltProgram[] = [];
for (const program of PROGRAMS) {
  built.push({ program, bundle: await bundleProgram(`${root}/${program.entry}`) });
}

await Deno.mkdir(`${root}/dist/bin`, { recursive: true });
for (const { program, bundle } of built) {
  const file = `${root}/dist/bin/${program.name}`;
  const runtime = { kind: "deno", deno: Deno.execPath() } as const;
  const options = launcherOptions(program, version, runtime, `${root}/dist/cache`);
  const text = programFile(options, bundle);
  // Atomic, and untouched when unchanged: a sh may be reading the file as it runs it.
  await writeFileAtomic(file, text, { mode: 0o755, onlyIfChanged: true });
  // Bundles beside the launchers were the layout before one-file programs; none may linger.
  await Deno.remove(`${root}/dist/${program.name}.js`).catch(() => {});
}
await prepareCodeCache(
  `${root}/dist/cache`,
  built.map(({ program }) => ({
    name: program.name,
    file: `${root}/dist/bin/${program.name}`,
    mainFd: program.mainFd,
    warmUp: program.warmUp,
  })),
);
// deno-lint-ignore no-console
console.error(`built ${PROGRAMS.map((p) => `dist/bin/${p.name}`).join(", ")}`);

const archive = await buildRelease(root, version, built);
// deno-lint-ignore no-console
console.error(`built dist/release/ and ${archive.slice(root.length + 1)}`);
