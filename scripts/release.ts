/**
 * The release: what a node image unpacks to run the programs on any Linux of this CPU, musl
 * (EVE's Alpine kube container) or glibc. Deno is a glibc program, so the release carries
 * glibc's dynamic loader and the libraries Deno links (read from `ldd` of the pinned Deno) and
 * starts Deno through that loader (`ld-linux-x86-64.so.2 --library-path <lib> deno ...`), as
 * Deno's own Alpine images do. Layout, unpacked at RELEASE_PREFIX:
 *
 *     bin/eve-bridge, bin/fake-zedrouter, bin/eve-cni-debug   program files (copy them anywhere)
 *     runtime/deno, runtime/lib/{ld-linux-x86-64.so.2,libc.so.6,...}
 *     cache/                                                   V8 code cache, prepared here
 *     INSTALL                                                  these steps for the image
 *
 * Under the loader Deno.execPath() is the loader, not Deno: nothing may run it as `deno`
 * (the launcher turns Deno's `node` shim off for that reason; see scripts/launcher.ts).
 */
import { systemRunner } from "../netns/mod.ts";
import { prepareCodeCache, type WarmProgram } from "./code_cache.ts";
import { programFile } from "./launcher.ts";
import { launcherOptions, type Program } from "./programs.ts";

/** Where the release is unpacked on a node; `EVE_CNI_PREFIX` at build time changes it. */
export const RELEASE_PREFIX = Deno.env.get("EVE_CNI_PREFIX") ?? "/opt/eve-cni";

export interface BuiltProgram {
  readonly program: Program;
  readonly bundle: string;
}

export interface RuntimeLibraries {
  /** The dynamic loader's file name (`ld-linux-x86-64.so.2`). */
  readonly loader: string;
  /** Name in runtime/lib → the file it is copied from (the loader included). */
  readonly files: ReadonlyMap<string, string>;
}

/** Reads `ldd <deno>`: the loader and every library Deno links, none missing. */
export function parseLdd(output: string): RuntimeLibraries {
  const files = new Map<string, string>();
  let loader: string | undefined;
  for (const line of output.split("\n").map((l) => l.trim()).filter((l) => l !== "")) {
    const linked = /^(\S+) => (\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (linked) {
      files.set(linked[1]!, linked[2]!);
      continue;
    }
    if (/ => not found$/.test(line)) {
      throw new Error(`ldd: a library Deno needs is missing: ${line}`);
    }
    const direct = /^(\/\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (direct) {
      loader = direct[1]!.slice(direct[1]!.lastIndexOf("/") + 1);
      files.set(loader, direct[1]!);
    }
    // Anything else is the kernel's vDSO (linux-vdso.so.1 (0x...)): nothing to carry.
  }
  if (loader === undefined) throw new Error(`ldd names no dynamic loader:\n${output}`);
  return { loader, files };
}

async function runtimeLibraries(deno: string): Promise<RuntimeLibraries> {
  const out = await systemRunner(["ldd", deno]);
  if (out.code !== 0) throw new Error(`ldd ${deno} failed: ${out.stderr}`);
  return parseLdd(out.stdout);
}

/** Deno into the release: a hard link when on the same file system (95 MB), else a copy. */
async function placeRuntime(deno: string, target: string): Promise<void> {
  try {
    await Deno.link(await Deno.realPath(deno), target);
  } catch {
    await Deno.copyFile(deno, target);
  }
}

function installText(version: string, loader: string): string {
  return `eve-cni ${version}: eve-bridge (CNI plugin), fake-zedrouter, eve-cni-debug.

Unpack this archive at ${RELEASE_PREFIX} (the program files carry that path):
    mkdir -p ${RELEASE_PREFIX} && tar -xzf eve-cni-${version}-linux-*.tar.gz -C ${RELEASE_PREFIX}
Then copy the programs where they are run from, by content or as symlinks, e.g. on EVE:
    cp ${RELEASE_PREFIX}/bin/eve-bridge /usr/bin/eve-bridge   (kube-init copies it on to
    /var/lib/cni/bin and /opt/cni/bin)
Nothing else is needed on the host: runtime/ holds Deno and glibc's loader (${loader}) with
the libraries Deno links, so it runs on musl hosts too; cache/ holds the V8 code cache and may
be read-only. Environment: EVE_CNI_RUNTIME (runtime/ elsewhere), EVE_CNI_CACHE (another code
cache directory), EVE_CNI_DENO (run this Deno instead, on a glibc host).
`;
}

/** Identifies what a release is built from, so an unchanged one is not built again. */
async function releaseStamp(texts: readonly string[], libs: RuntimeLibraries): Promise<string> {
  const files = [Deno.execPath(), ...libs.files.values()];
  const ids = await Promise.all(files.map(async (file) => {
    const info = await Deno.stat(file);
    return `${await Deno.realPath(file)} ${info.size} ${info.mtime?.getTime()}`;
  }));
  const data = new TextEncoder().encode([RELEASE_PREFIX, ...ids, ...texts].join("\n"));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Builds `<root>/dist/release` and its archive (unless unchanged); returns the archive. */
export async function buildRelease(
  root: string,
  version: string,
  built: readonly BuiltProgram[],
): Promise<string> {
  const dir = `${root}/dist/release`;
  const archivePath = `${root}/dist/eve-cni-${version}-linux-${Deno.build.arch}.tar.gz`;
  const libs = await runtimeLibraries(Deno.execPath());
  const texts = built.map(({ program, bundle }) =>
    programFile(
      launcherOptions(
        program,
        version,
        { kind: "loader", dir: `${RELEASE_PREFIX}/runtime`, loader: libs.loader },
        `${RELEASE_PREFIX}/cache`,
      ),
      bundle,
    )
  );
  const stampPath = `${root}/dist/.release-stamp`;
  const stamp = await releaseStamp(texts, libs);
  const previous = await Deno.readTextFile(stampPath).catch(() => "");
  if (previous === stamp && (await Deno.stat(archivePath).catch(() => undefined))) {
    return archivePath;
  }
  await Deno.remove(stampPath).catch(() => {});
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  for (const sub of ["bin", "runtime/lib", "cache"]) {
    await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
  }
  for (const [name, from] of libs.files) await Deno.copyFile(from, `${dir}/runtime/lib/${name}`);
  await placeRuntime(Deno.execPath(), `${dir}/runtime/deno`);
  const warm: WarmProgram[] = [];
  for (const [i, { program }] of built.entries()) {
    const file = `${dir}/bin/${program.name}`;
    await Deno.writeTextFile(file, texts[i]!, { mode: 0o755 });
    await Deno.chmod(file, 0o755);
    warm.push({ name: program.name, file, mainFd: program.mainFd, warmUp: program.warmUp });
  }
  await Deno.writeTextFile(`${dir}/INSTALL`, installText(version, libs.loader));
  // The release's own runtime (through its loader) prepares the cache it ships.
  await prepareCodeCache(`${dir}/cache`, warm, { EVE_CNI_RUNTIME: `${dir}/runtime` });
  await archive(dir, archivePath);
  await Deno.writeTextFile(stampPath, stamp);
  return archivePath;
}

/**
 * The tar.gz of the release. runtime/deno is a hard link to the pinned Deno, which every
 * checkout on the machine shares: another checkout's build linking or unlinking it changes its
 * link count, hence its ctime, and GNU tar then fails with "file changed as we read it" (the
 * content did not change). That is retried, a few times.
 */
async function archive(dir: string, path: string): Promise<void> {
  const argv = ["tar", "-C", dir, "--owner=0", "--group=0", "--numeric-owner", "-czf", path, "."];
  for (let attempt = 1;; attempt++) {
    const out = await systemRunner(argv);
    if (out.code === 0) return;
    if (attempt >= 5 || !/file changed as we read it/.test(out.stderr)) {
      throw new Error(`tar failed: ${out.stderr}`);
    }
  }
}
