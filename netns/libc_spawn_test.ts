import assert from "node:assert/strict";
import { libcForSpawn, libcSpawn } from "./libc_spawn.ts";

const libc = libcForSpawn();
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const encode = (text: string) => new TextEncoder().encode(text);
const noLibc = libc === null;

/** Deno.Command's answer to the same call, the behaviour libcSpawn keeps. */
async function denoCommand(argv: string[], env: Record<string, string>, stdin: string) {
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    env,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(encode(stdin)).catch(() => {});
  await writer.close().catch(() => {});
  const out = await child.output();
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

async function viaLibc(argv: string[], env: Record<string, string>, stdin: string) {
  const out = await libcSpawn(libc!, argv, env, encode(stdin));
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

function openFds(): string[] {
  return Array.from(Deno.readDirSync("/proc/self/fd"), (entry) => entry.name).sort();
}

Deno.test({
  name: "libcSpawn: stdin, stdout, stderr, exit code and the exact environment",
  ignore: noLibc,
  fn: async () => {
    const argv = ["/bin/sh", "-c", 'cat; echo "err $A" >&2; exit 3'];
    const got = await viaLibc(argv, { A: "x y" }, "the config");
    assert.deepEqual(got, { code: 3, stdout: "the config", stderr: "err x y\n" });
    assert.deepEqual(got, await denoCommand(argv, { A: "x y" }, "the config"));
    const env = await viaLibc(["/usr/bin/env"], { CNI_COMMAND: "ADD", PATH: "/bin" }, "");
    assert.equal(env.stdout, "CNI_COMMAND=ADD\nPATH=/bin\n");
  },
});

Deno.test({
  name: "libcSpawn: a child killed by a signal reports 128 + the signal, as Deno.Command",
  ignore: noLibc,
  fn: async () => {
    const argv = ["/bin/sh", "-c", "kill -KILL $$"];
    assert.equal((await viaLibc(argv, {}, "")).code, 137);
    assert.equal((await denoCommand(argv, {}, "")).code, 137);
  },
});

Deno.test({
  name: "libcSpawn: input and output larger than a pipe's buffer do not deadlock",
  ignore: noLibc,
  fn: async () => {
    const big = "0123456789abcdef".repeat(40_000); // 640 KB each way
    const got = await viaLibc(["/bin/sh", "-c", "cat; cat /dev/null >&2"], {}, big);
    assert.equal(got.code, 0);
    assert.equal(got.stdout, big);
  },
});

Deno.test({
  name: "libcSpawn: a child that never reads its stdin still finishes",
  ignore: noLibc,
  fn: async () => {
    const got = await viaLibc(["/bin/true"], {}, "x".repeat(1_000_000));
    assert.equal(got.code, 0);
  },
});

Deno.test({
  name: "libcSpawn: the child's signal dispositions and mask are Deno.Command's (SIGPIPE default)",
  ignore: noLibc,
  fn: async () => {
    const argv = ["/bin/grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"];
    const got = await viaLibc(argv, {}, "");
    assert.equal(got.stdout, (await denoCommand(argv, {}, "")).stdout);
    const ignored = BigInt(`0x${/SigIgn:\s*([0-9a-f]+)/.exec(got.stdout)![1]}`);
    assert.equal(ignored & (1n << 12n), 0n, "SIGPIPE (13) is not ignored in the child");
  },
});

Deno.test({
  name: "libcSpawn: a missing program fails naming it and the error; no fd is left open",
  ignore: noLibc,
  fn: async () => {
    const before = openFds();
    await assert.rejects(
      viaLibc(["/nonexistent-dir/plugin"], {}, ""),
      /Failed to spawn '\/nonexistent-dir\/plugin': No such file or directory \(os error 2\)/,
    );
    await viaLibc(["/bin/echo", "hi"], {}, "in");
    assert.deepEqual(openFds(), before);
  },
});

Deno.test({
  name: "libcSpawn: a name without a slash is found on this process's PATH",
  ignore: noLibc,
  fn: async () => {
    const got = await viaLibc(["echo", "found"], {}, "");
    assert.deepEqual(got, { code: 0, stdout: "found\n", stderr: "" });
  },
});

Deno.test({
  name: "libcSpawn: a NUL byte in an argument or the environment is refused before any spawn",
  ignore: noLibc,
  fn: async () => {
    await assert.rejects(viaLibc(["/bin/echo", "a\0b"], {}, ""), /NUL byte/);
    await assert.rejects(viaLibc(["/bin/echo"], { A: "a\0b" }, ""), /NUL byte/);
  },
});

Deno.test("libcForSpawn loads libc on this machine (the tests above would be skipped)", () => {
  assert.notEqual(libc, null);
});
