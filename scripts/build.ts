/**
 * `deno task build`: bundles each program with `deno bundle` into `dist/<name>.js` and writes
 * a launcher `dist/bin/<name>` that runs it with the pinned Deno this checkout installed
 * (CNI runtimes call plugins with a bare PATH, so the launcher names Deno by absolute path;
 * `EVE_CNI_DENO` overrides it on a node where Deno lives elsewhere).
 */
import { PROGRAMS } from "./programs.ts";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const deno = Deno.execPath();
await Deno.mkdir(`${root}/dist/bin`, { recursive: true });

for (const program of PROGRAMS) {
  const bundle = `${root}/dist/${program.name}.js`;
  const out = await new Deno.Command(deno, {
    args: [
      "bundle",
      "--quiet",
      "--platform",
      "deno",
      "--minify",
      "-o",
      bundle,
      `${root}/${program.entry}`,
    ],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) {
    throw new Error(`deno bundle failed for ${program.entry} (exit ${out.code})`);
  }
  const launcher = `${root}/dist/bin/${program.name}`;
  await Deno.writeTextFile(
    launcher,
    [
      "#!/bin/sh",
      `# ${program.name}: launcher written by deno task build. Override Deno with EVE_CNI_DENO.`,
      // Follow a symlink ($0 in /opt/cni/bin) to find the bundle beside the real launcher.
      `self=$(readlink -f -- "$0" 2>/dev/null || printf '%s' "$0")`,
      `here=$(CDPATH= cd -- "$(dirname -- "$self")" && pwd)`,
      `exec "\${EVE_CNI_DENO:-${deno}}" run --quiet --no-config --no-prompt --cached-only ${
        [...program.runFlags, ...program.permissions].join(" ")
      } "$here/../${program.name}.js" "$@"`,
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  await Deno.chmod(launcher, 0o755);
  // deno-lint-ignore no-console
  console.error(`built dist/bin/${program.name}`);
}
