/**
 * The V8 code cache with a read-only cache location (a read-only root, say): prepared once at
 * install time (scripts/code_cache.ts, what the build does for dist/cache and the release),
 * then mounted read-only, it still serves a by-content copy of eve-bridge in another directory.
 * The facts: Deno's own log line for the cache hit, and the cache files unchanged. And a
 * read-only location that was never prepared costs time, not correctness: VERSION still
 * answers, nothing on stderr.
 */
import assert from "node:assert/strict";
import { CODE_CACHE_DB, prepareCodeCache, programModuleUrl } from "../scripts/code_cache.ts";
import { PROGRAMS } from "../scripts/programs.ts";
import { EVE_BRIDGE, isFile } from "../scripts/sandbox/paths.ts";
import { findTool, isRoot } from "../scripts/sandbox/sandbox.ts";
import { withTempDir } from "../core/mod.ts";

const EVE_BRIDGE_PROGRAM = PROGRAMS.find((p) => p.name === "eve-bridge")!;
const SKIP = !isRoot()
  ? "needs root (a read-only bind mount)"
  : !findTool("unshare") || !findTool("mount")
  ? "needs unshare, mount"
  : !isFile(EVE_BRIDGE)
  ? 'needs the built programs: run "deno task build"'
  : undefined;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** VERSION from `file` with `cacheDir` bind-mounted read-only (a private mount namespace). */
async function versionWithReadOnlyCache(
  file: string,
  cacheDir: string,
  env: Record<string, string> = {},
): Promise<Ran> {
  const mount = findTool("mount")!;
  const script = `${mount} --bind "$1" "$1" && ${mount} -o remount,bind,ro "$1" && ` +
    `true 2>/dev/null >"$1/probe" || exec "$2"; echo "the cache is writable" >&2; exit 99`;
  const child = new Deno.Command(findTool("unshare")!, {
    args: ["--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh", cacheDir, file],
    env: { CNI_COMMAND: "VERSION", EVE_CNI_CACHE: cacheDir, ...env },
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  // Not libcni's plain `{"cniVersion":"1.0.0"}`, which the launcher answers without Deno.
  await writer.write(new TextEncoder().encode(EVE_BRIDGE_PROGRAM.warmUp.stdin ?? ""));
  await writer.close();
  const out = await child.output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

const ANSWER = {
  cniVersion: "1.0.0",
  supportedVersions: ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"],
};

async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile) continue;
    const info = await Deno.stat(`${dir}/${entry.name}`);
    files[entry.name] = `${info.size} ${info.mtime?.getTime()}`;
  }
  return files;
}

Deno.test({
  name: "code cache: prepared at install time, read-only, it serves a copy in another directory" +
    (SKIP ? ` (skipped: ${SKIP})` : ""),
  ignore: SKIP !== undefined,
  fn: () =>
    withTempDir("evetest-code-cache-", async (dir) => {
      await Deno.mkdir(`${dir}/opt-cni-bin`);
      const copy = `${dir}/opt-cni-bin/eve-bridge`;
      await Deno.writeFile(copy, await Deno.readFile(EVE_BRIDGE), { mode: 0o755 });
      const cache = `${dir}/cache`;
      await prepareCodeCache(cache, [{ ...EVE_BRIDGE_PROGRAM, file: copy }]);
      assert.ok(isFile(`${cache}/${CODE_CACHE_DB}`));
      const before = await snapshot(cache);

      // Run from a second copy elsewhere: the entry is the fd's URL, not the file's path.
      await Deno.mkdir(`${dir}/var-lib-cni-bin`);
      const other = `${dir}/var-lib-cni-bin/eve-bridge`;
      await Deno.writeFile(other, await Deno.readFile(copy), { mode: 0o755 });
      const ran = await versionWithReadOnlyCache(other, cache, {
        DENO_LOG: "deno::module_loader=debug",
      });
      assert.equal(ran.code, 0, ran.stderr);
      assert.deepEqual(JSON.parse(ran.stdout), ANSWER);
      const url = programModuleUrl(EVE_BRIDGE_PROGRAM.mainFd);
      assert.ok(
        ran.stderr.includes(`V8 code cache hit for ES module: ${url},`),
        `no code cache hit for ${url}:\n${ran.stderr}`,
      );
      assert.deepEqual(await snapshot(cache), before);
    }),
});

Deno.test({
  name: "code cache: a read-only location never prepared still answers, silently" +
    (SKIP ? ` (skipped: ${SKIP})` : ""),
  ignore: SKIP !== undefined,
  fn: () =>
    withTempDir("evetest-code-cache-", async (dir) => {
      const copy = `${dir}/eve-bridge`;
      await Deno.writeFile(copy, await Deno.readFile(EVE_BRIDGE), { mode: 0o755 });
      await Deno.mkdir(`${dir}/empty-cache`);
      const ran = await versionWithReadOnlyCache(copy, `${dir}/empty-cache`);
      assert.equal(ran.code, 0, ran.stderr);
      assert.deepEqual(JSON.parse(ran.stdout), ANSWER);
      assert.equal(ran.stderr, "");
      assert.deepEqual([...Deno.readDirSync(`${dir}/empty-cache`)], []);
    }),
});
