import assert from "node:assert/strict";
import { withTempDir } from "../core/mod.ts";
import { launcherHeader, type LauncherOptions, programFile } from "./launcher.ts";

const DENO = Deno.execPath();
/** The program part of the test files: what a launched program sees. */
const PROBE = `const out = {
  main: Deno.mainModule,
  self: Deno.env.get("EVE_CNI_SELF"),
  denoDir: Deno.env.get("DENO_DIR"),
  shim: Deno.env.get("DENO_DISABLE_NODE_SHIM"),
  path: Deno.env.get("PATH") ?? null,
  home: Deno.env.get("HOME") ?? null,
  args: Deno.args,
};
console.log(JSON.stringify(out));
`;

function options(over: Partial<LauncherOptions> = {}): LauncherOptions {
  return {
    name: "probe",
    version: "0.0.1",
    permissions: ["--allow-all"],
    runtime: { kind: "deno", deno: DENO },
    cacheDir: "/nonexistent/cache",
    mainFd: 7,
    ...over,
  };
}

async function writeProgram(path: string, o: LauncherOptions): Promise<void> {
  await Deno.writeTextFile(path, programFile(o, PROBE), { mode: 0o755 });
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  argv: string[],
  env: Record<string, string> = {},
  cwd?: string,
): Promise<Ran> {
  const [program, ...args] = argv;
  const out = await new Deno.Command(program!, {
    args,
    env,
    clearEnv: true,
    ...(cwd ? { cwd } : {}),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

Deno.test("program file: the sh part starts Deno on the file itself, opened as its fd", async () => {
  await withTempDir("launcher-", async (dir) => {
    const file = `${dir}/probe`;
    await writeProgram(file, options({ cacheDir: `${dir}/cache` }));
    // No PATH and no HOME, as a CNI runtime may call it; the arguments arrive unchanged.
    const ran = await run([file, "a b", "$HOME", ""]);
    assert.equal(ran.code, 0, ran.stderr);
    const seen = JSON.parse(ran.stdout);
    assert.equal(seen.main, "file:///proc/self/fd/7");
    assert.equal(seen.self, file);
    assert.equal(seen.denoDir, `${dir}/cache`);
    assert.equal(seen.shim, "1");
    assert.equal(seen.home, null);
    assert.deepEqual(seen.args, ["a b", "$HOME", ""]);
  });
});

const BUSYBOX = ["/bin/busybox", "/usr/bin/busybox"].find((path) => {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
});

Deno.test({
  name: "program file: runs the same under busybox sh (Alpine's /bin/sh), by relative path" +
    (BUSYBOX ? "" : " (skipped: needs busybox; scripts/install.sh installs busybox-static)"),
  ignore: BUSYBOX === undefined,
}, async () => {
  const busybox = BUSYBOX!;
  await withTempDir("launcher-", async (dir) => {
    await writeProgram(`${dir}/probe`, options({ cacheDir: `${dir}/cache` }));
    const ran = await run([busybox, "sh", "./probe", "x"], { EVE_CNI_CACHE: `${dir}/other` }, dir);
    assert.equal(ran.code, 0, ran.stderr);
    const seen = JSON.parse(ran.stdout);
    assert.equal(seen.self, `${dir}/./probe`);
    assert.equal(seen.denoDir, `${dir}/other`);
    assert.deepEqual(seen.args, ["x"]);
  });
});

Deno.test("program file: the release start goes through the runtime's loader, EVE_CNI_DENO overrides", async () => {
  await withTempDir("launcher-", async (dir) => {
    // A runtime directory of this host's loader and Deno (the release copies the same files).
    await Deno.mkdir(`${dir}/rt/lib`, { recursive: true });
    await Deno.symlink(DENO, `${dir}/rt/deno`);
    await Deno.symlink("/lib64/ld-linux-x86-64.so.2", `${dir}/rt/lib/ld-linux-x86-64.so.2`);
    const file = `${dir}/probe`;
    const loader = options({
      runtime: { kind: "loader", dir: "/nonexistent/runtime", loader: "ld-linux-x86-64.so.2" },
    });
    await writeProgram(file, loader);
    const missing = await run([file]);
    assert.equal(missing.code, 127);
    assert.match(missing.stderr, /probe: no Deno runtime at \/nonexistent\/runtime\/deno/);
    assert.equal(missing.stdout, "");
    const viaLoader = await run([file], { EVE_CNI_RUNTIME: `${dir}/rt` });
    assert.equal(viaLoader.code, 0, viaLoader.stderr);
    // Deno's node shim stays off: under the loader it would put a `node` -> ld.so on PATH.
    assert.equal(JSON.parse(viaLoader.stdout).path, null);
    const direct = await run([file], { EVE_CNI_DENO: DENO });
    assert.equal(direct.code, 0, direct.stderr);
  });
});

Deno.test("program file: a missing Deno is exit 127 naming the variable, not sh parsing JavaScript", async () => {
  await withTempDir("launcher-", async (dir) => {
    const file = `${dir}/probe`;
    await writeProgram(file, options());
    const ran = await run([file], { EVE_CNI_DENO: `${dir}/no-deno` });
    assert.equal(ran.code, 127);
    assert.equal(ran.stdout, "");
    assert.equal(ran.stderr, `probe: no Deno runtime at ${dir}/no-deno (set EVE_CNI_DENO)\n`);
  });
});

Deno.test('launcherHeader: only builtins, one `":" //;` line each, paths it can quote', () => {
  // With the VERSION lines, which only a CNI plugin's launcher has.
  const answer = { supported: ["0.4.0", "1.0.0"], latest: "1.0.0" };
  const header = launcherHeader(options({ versionAnswer: answer }));
  assert.match(header, /VERSION\)/);
  const lines = header.trimEnd().split("\n");
  assert.equal(lines[0], "#!/bin/sh");
  for (const line of lines.slice(1)) {
    assert.ok(line.startsWith('":" //; '), line);
    const sh = line.slice('":" //; '.length);
    if (sh.startsWith("#")) continue;
    // No command substitution, pipes or background jobs: each would fork.
    assert.doesNotMatch(sh.replaceAll("||", "").replaceAll("&&", ""), /\$\(|`|\||[^<>]&/, line);
  }
  assert.throws(() => launcherHeader(options({ cacheDir: 'a"b' })), /cache directory "a"b"/);
  assert.throws(() => launcherHeader(options({ cacheDir: "/a b" })), /must be an absolute path/);
  assert.throws(() => launcherHeader(options({ mainFd: 10 })), /mainFd 10 must be 3..9/);
  const quoted = { supported: ['1.0"'], latest: "1.0" };
  assert.throws(() => launcherHeader(options({ versionAnswer: quoted })), /not a plain version/);
});

const STRACE = ["/usr/bin/strace", "/bin/strace"].find((path) => {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
});

Deno.test({
  name: "program file: the sh part forks nothing, it execs Deno in its own process (strace)" +
    (STRACE ? "" : " (skipped: needs strace; scripts/install.sh installs it)"),
  ignore: STRACE === undefined,
}, async () => {
  await withTempDir("launcher-", async (dir) => {
    const file = `${dir}/probe`;
    await writeProgram(file, options({ cacheDir: `${dir}/cache` }));
    const log = `${dir}/strace.log`;
    const traced = ["-f", "-qq", "-e", "trace=execve,fork,vfork,clone,clone3", "-o", log, file];
    const ran = await run([STRACE!, ...traced], { EVE_CNI_DENO: DENO });
    assert.equal(ran.code, 0, ran.stderr);
    // Every process-creating call up to Deno's own start (its threads come after).
    const events = (await Deno.readTextFile(log)).split("\n").flatMap((line) => {
      const m = /^(\d+)\s+(\w+)\((.*)$/.exec(line);
      return m ? [{ pid: m[1]!, call: m[2]!, args: m[3]!, line }] : [];
    });
    const pid = events[0]?.pid;
    const denoStart = events.findIndex((e, i) =>
      i > 0 && e.pid === pid && e.call === "execve" && e.args.startsWith(`"${DENO}"`)
    );
    const all = events.map((e) => e.line).join("\n");
    assert.ok(denoStart > 0, `Deno was not exec'd by the launcher's own process:\n${all}`);
    const before = events.slice(0, denoStart);
    assert.deepEqual(before.filter((e) => e.call !== "execve").map((e) => e.line), []);
    assert.equal(before.length, 1, `one execve (the file) before Deno's:\n${all}`);
  });
});
