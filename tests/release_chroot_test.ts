/**
 * The release on a host with no libc of its own, as EVE's Alpine (musl) kube container is to a
 * glibc program: a chroot of Debian's static busybox and the unpacked release archive, nothing
 * else, its root read-only. eve-bridge is copied by content into its `cni/bin` (as kube-init
 * copies /usr/bin/eve-bridge) and called with an empty PATH and no HOME: VERSION answers from
 * the code cache the release ships, STATUS reaches a fake-zedrouter (started outside, in an
 * `evetest-*` namespace, its socket inside the chroot's tree) and is code 50 once it stopped.
 */
import assert from "node:assert/strict";
import { type Daemon, spawnDaemon, stopPid } from "../netns/mod.ts";
import { findTool, isRoot, type Sandbox, withSandbox } from "../scripts/sandbox/sandbox.ts";
import { CNI_BIN, FAKE_ZEDROUTER, isFile, ROOT } from "../scripts/sandbox/paths.ts";
import { waitForHealth } from "../scripts/sandbox/zedrouter.ts";
import { programFile } from "../scripts/launcher.ts";
import { RELEASE_PREFIX } from "../scripts/release.ts";

const VERSION = (JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`)) as { version: string })
  .version;
const ARCHIVE = `${ROOT}/dist/eve-cni-${VERSION}-linux-${Deno.build.arch}.tar.gz`;
const BUSYBOX = "/bin/busybox";
const TOOLS = ["unshare", "chroot", "mount", "tar", "ldd"];
const DEVICES = ["null", "zero", "random", "urandom"];

/** Why this test cannot run here, or undefined. */
async function skipReason(): Promise<string | undefined> {
  if (!isRoot()) return "needs root";
  // The loader's name below (the release's own comes from ldd).
  if (Deno.build.arch !== "x86_64") return "written for x86_64";
  const missing = TOOLS.filter((tool) => findTool(tool) === undefined);
  if (missing.length) return `needs ${missing.join(", ")}`;
  const ldd = await new Deno.Command("ldd", { args: [BUSYBOX], stdout: "piped", stderr: "piped" })
    .output().catch(() => undefined);
  if (ldd === undefined || ldd.success) {
    return "needs a static /bin/busybox (scripts/install.sh installs busybox-static)";
  }
  if (!isFile(ARCHIVE) || !isFile(FAKE_ZEDROUTER)) {
    return 'needs the release: run "deno task build"';
  }
  return undefined;
}

const SKIP = await skipReason();

async function writeExecutable(path: string, bytes: Uint8Array | string): Promise<void> {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  await Deno.writeFile(path, data, { mode: 0o755 });
  await Deno.chmod(path, 0o755);
}

/** The chroot: busybox (sh, udhcpc, nsenter), the release, a plugin dir; returns its root. */
async function buildNodeRoot(sb: Sandbox): Promise<string> {
  const root = `${sb.dir}/musl-node`;
  for (
    const dir of [
      "bin",
      "sbin",
      "usr/bin",
      "usr/lib/cni",
      "cni/bin",
      "proc",
      "dev",
      "run/zedrouter",
    ]
  ) {
    await Deno.mkdir(`${root}/${dir}`, { recursive: true });
  }
  await writeExecutable(`${root}/bin/busybox`, await Deno.readFile(BUSYBOX));
  await Deno.symlink("busybox", `${root}/bin/sh`);
  // What STATUS asks of a pod-interface host: udhcpc and nsenter at their standard paths.
  await Deno.symlink("/bin/busybox", `${root}/sbin/udhcpc`);
  await Deno.symlink("/bin/busybox", `${root}/usr/bin/nsenter`);
  for (const device of DEVICES) await Deno.writeFile(`${root}/dev/${device}`, new Uint8Array());

  const prefix = `${root}${RELEASE_PREFIX}`;
  await Deno.mkdir(prefix, { recursive: true });
  const untar = await new Deno.Command("tar", { args: ["-xzf", ARCHIVE, "-C", prefix] }).output();
  assert.ok(untar.success, "tar -xzf of the release failed");
  // kube-init's install: a copy by content of the program file, into the plugin directory.
  await writeExecutable(
    `${root}/cni/bin/eve-bridge`,
    await Deno.readFile(`${prefix}/bin/eve-bridge`),
  );
  // The node's bridge plugin (STATUS asks its VERSION): Debian's is a glibc program, started
  // here the way the release starts Deno, through the release's loader.
  await writeExecutable(`${root}/usr/lib/cni/bridge`, await Deno.readFile(`${CNI_BIN}/bridge`));
  const rt = `${RELEASE_PREFIX}/runtime`;
  await writeExecutable(
    `${root}/cni/bin/bridge`,
    `#!/bin/sh\nexec ${rt}/lib/ld-linux-x86-64.so.2 --library-path ${rt}/lib /usr/lib/cni/bridge "$@"\n`,
  );
  return root;
}

/** Every file in the tree whose name is a C library or a dynamic loader. */
async function libcFiles(dir: string, under = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(`${dir}${under}`)) {
    const path = `${under}/${entry.name}`;
    if (entry.isDirectory) found.push(...await libcFiles(dir, path));
    else if (/^(libc\.so|libc\.musl|ld-linux|ld-musl)/.test(entry.name)) found.push(path);
  }
  return found;
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs argv inside the chroot with exactly `env` (PATH empty unless `env` sets it, no HOME),
 * in a private mount namespace where the root is read-only and /proc and a few devices are
 * mounted: all of it goes away with the process.
 */
async function inNodeRoot(
  root: string,
  argv: string[],
  env: Record<string, string>,
  stdin = "",
): Promise<Ran> {
  const [mount, chroot] = [findTool("mount")!, findTool("chroot")!];
  const script = [
    "r=$1; shift",
    `${mount} --bind "$r" "$r"`,
    `${mount} -o remount,bind,ro "$r"`,
    `${mount} -t proc proc "$r/proc"`,
    ...DEVICES.map((d) => `${mount} --bind /dev/${d} "$r/dev/${d}"`),
    "unset PWD OLDPWD",
    `exec ${chroot} "$r" "$@"`,
  ].join(" && ");
  const child = new Deno.Command(findTool("unshare")!, {
    args: ["--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh", root, ...argv],
    env: { PATH: "", ...env },
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin)).catch(() => {});
  await writer.close().catch(() => {});
  const out = await child.output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

async function startZedrouter(sb: Sandbox, root: string): Promise<Daemon> {
  const ns = await sb.netns("node");
  const config = `${sb.dir}/zedrouter.json`;
  await Deno.writeTextFile(config, JSON.stringify({ networkInstances: [], apps: [] }));
  const socket = `${root}/run/zedrouter/rpc.sock`;
  const log = `${sb.dir}/zedrouter.log`;
  const daemon = spawnDaemon([
    "nsenter",
    `--net=${ns.path}`,
    FAKE_ZEDROUTER,
    "serve",
    "--config",
    config,
    "--socket",
    socket,
    "--state-dir",
    `${sb.dir}/zedrouter-state`,
  ], { stdoutPath: log, stderrPath: log });
  sb.track(daemon);
  await waitForHealth(socket, daemon, () => Deno.readTextFile(log).catch(() => ""));
  return daemon;
}

const STATUS_CONFIG = JSON.stringify({ cniVersion: "1.1.0", name: "cbr0", type: "eve-bridge" });
const STATUS_ENV = { CNI_COMMAND: "STATUS", CNI_PATH: "/cni/bin" };

Deno.test({
  name: "release: eve-bridge copied into a chroot with no libc runs VERSION and STATUS" +
    (SKIP ? ` (skipped: ${SKIP})` : ""),
  ignore: SKIP !== undefined,
  fn: () =>
    withSandbox(async (sb) => {
      const root = await buildNodeRoot(sb);
      const runtimeLib = `${RELEASE_PREFIX}/runtime/lib`;
      assert.deepEqual(
        (await libcFiles(root)).filter((path) => !path.startsWith(`${runtimeLib}/`)),
        [],
        "the node root has a libc or loader of its own",
      );
      const write = await inNodeRoot(root, ["/bin/sh", "-c", ": >/written"], {});
      assert.notEqual(write.code, 0, "the node root is writable");
      // No system loader there: a glibc program does not even start without the release's.
      const bare = await inNodeRoot(root, ["/usr/lib/cni/bridge"], { CNI_COMMAND: "VERSION" });
      assert.equal(bare.code, 127, `${bare.stdout}${bare.stderr}`);

      // Under the loader, Deno.execPath() is the loader: what the programs must not run as Deno.
      const probe = programFile({
        name: "probe",
        version: VERSION,
        permissions: ["--allow-all"],
        runtime: {
          kind: "loader",
          dir: `${RELEASE_PREFIX}/runtime`,
          loader: "ld-linux-x86-64.so.2",
        },
        cacheDir: `${RELEASE_PREFIX}/cache`,
        mainFd: 3,
      }, "console.log(Deno.execPath());");
      await writeExecutable(`${root}/cni/probe`, probe);
      const execPath = await inNodeRoot(root, ["/cni/probe"], {});
      assert.equal(execPath.stdout, `${runtimeLib}/ld-linux-x86-64.so.2\n`, execPath.stderr);

      const answer = {
        cniVersion: "0.3.1",
        supportedVersions: ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"],
      };
      const versionEnv = { CNI_COMMAND: "VERSION", DENO_LOG: "deno::module_loader=debug" };
      // libcni's plain stdin: busybox's sh answers it, Deno does not start (nothing logged).
      const plain = await inNodeRoot(
        root,
        ["/cni/bin/eve-bridge"],
        versionEnv,
        '{"cniVersion":"0.3.1"}',
      );
      assert.equal(plain.code, 0, plain.stderr);
      assert.deepEqual(JSON.parse(plain.stdout), answer);
      assert.equal(plain.stderr, "");
      // Any other stdin: the program answers.
      const version = await inNodeRoot(
        root,
        ["/cni/bin/eve-bridge"],
        versionEnv,
        '{ "cniVersion": "0.3.1" }',
      );
      assert.equal(version.code, 0, version.stderr);
      assert.deepEqual(JSON.parse(version.stdout), answer);
      // Deno's own account: the program came from the code cache the release ships, read-only.
      assert.match(
        version.stderr,
        /V8 code cache hit for ES module: file:\/\/\/proc\/self\/fd\/7,/,
      );

      const zedrouter = await startZedrouter(sb, root);
      const up = await inNodeRoot(root, ["/cni/bin/eve-bridge"], STATUS_ENV, STATUS_CONFIG);
      assert.equal(up.code, 0, `${up.stdout}${up.stderr}`);
      assert.equal(up.stdout, "");

      await stopPid(zedrouter.pid, { graceMs: 5000 });
      await zedrouter.exited;
      const down = await inNodeRoot(root, ["/cni/bin/eve-bridge"], STATUS_ENV, STATUS_CONFIG);
      assert.equal(down.code, 1);
      const error = JSON.parse(down.stdout);
      assert.equal(error.code, 50);
      assert.equal(error.msg, 'zedrouter does not answer on "/run/zedrouter/rpc.sock"');
    }),
});
