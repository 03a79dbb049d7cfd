import assert from "node:assert/strict";
import {
  classifyStderr,
  CommandError,
  EXIT_NOT_EXECUTABLE,
  EXIT_TIMED_OUT,
  isCommandError,
  recordingRunner,
  runChecked,
  systemRunner,
} from "./runner.ts";
import { libcRunner } from "./libc_runner.ts";

Deno.test("classifyStderr: only unambiguous messages become not-found or exists", () => {
  assert.equal(classifyStderr('Cannot find device "net1"\n'), "not-found");
  assert.equal(classifyStderr("RTNETLINK answers: File exists\n"), "exists");
  assert.equal(classifyStderr("Error: ipv4: Address already assigned.\n"), "exists");
  assert.equal(classifyStderr("Error: ipv4: Address not found.\n"), "not-found");
  assert.equal(
    classifyStderr('Cannot open network namespace "x": No such file or directory'),
    "not-found",
  );
  assert.equal(classifyStderr("RTNETLINK answers: Device or resource busy"), "busy");
  assert.equal(classifyStderr('Error: argument "x" is wrong: Invalid "netns" value'), "other");
  assert.equal(classifyStderr("RTNETLINK answers: Operation not permitted"), "other");
  assert.equal(classifyStderr(""), "other");
});

Deno.test("CommandError keeps argv, exit code and raw stderr; message names the command", () => {
  const error = new CommandError(
    ["ip", "link", "add", "net1", "type", "veth"],
    2,
    "\nRTNETLINK answers: File exists\nmore\n",
  );
  assert.equal(
    error.message,
    'Command "ip link add net1 type veth" failed (exit 2): RTNETLINK answers: File exists',
  );
  assert.equal(error.kind, "exists");
  assert.equal(error.code, 2);
  assert.equal(error.stderr, "\nRTNETLINK answers: File exists\nmore\n");
  assert.deepEqual(error.argv, ["ip", "link", "add", "net1", "type", "veth"]);
  assert.ok(isCommandError(error, "exists"));
  assert.ok(!isCommandError(error, "not-found"));
  assert.ok(!isCommandError(new Error("x")));
  assert.equal(new CommandError(["true"], 1, "").message, 'Command "true" failed (exit 1)');
});

Deno.test("runChecked returns stdout or throws CommandError", async () => {
  const runner = recordingRunner((argv) =>
    argv[1] === "bad" ? { code: 1, stdout: "", stderr: 'Cannot find device "bad"' } : undefined
  );
  assert.equal(await runChecked(runner, ["ip", "good"]), "");
  await assert.rejects(runChecked(runner, ["ip", "bad"]), (e) => isCommandError(e, "not-found"));
  assert.deepEqual(runner.calls, [["ip", "good"], ["ip", "bad"]]);
});

// libcRunner (libc_runner.ts) keeps systemRunner's contract: every case runs against both.
for (
  const [name, runner] of [["systemRunner", systemRunner], ["libcRunner", libcRunner]] as const
) {
  Deno.test(`${name}: argv reaches the program verbatim, no shell in between`, async () => {
    const hostile = ["$(touch /tmp/pwned)", "a;b", "`id`", "*", "'\"", "x\ny"];
    const result = await runner(["printf", "%s\\0", ...hostile]);
    assert.equal(result.code, 0);
    assert.deepEqual(result.stdout.split("\0").slice(0, -1), hostile);
  });

  Deno.test(`${name}: stdin, env, exit code and stderr`, async () => {
    const cat = await runner(["cat"], { stdin: "hello\n" });
    assert.deepEqual(cat, { code: 0, stdout: "hello\n", stderr: "" });
    const env = await runner(["printenv", "EVE_TEST_VAR"], { env: { EVE_TEST_VAR: "v1" } });
    assert.equal(env.stdout, "v1\n");
    const fail = await runner(["ls", "/nonexistent-eve-path"]);
    assert.notEqual(fail.code, 0);
    assert.equal(classifyStderr(fail.stderr), "not-found");
  });

  Deno.test(`${name}: env adds to the inherited environment; no stdin reads as end of file`, async () => {
    Deno.env.set("EVE_TEST_INHERITED", "kept");
    try {
      const env = await runner(["sh", "-c", 'echo "$EVE_TEST_INHERITED $EVE_TEST_ADDED"'], {
        env: { EVE_TEST_ADDED: "added" },
      });
      assert.equal(env.stdout, "kept added\n");
    } finally {
      Deno.env.delete("EVE_TEST_INHERITED");
    }
    assert.deepEqual(await runner(["cat"]), { code: 0, stdout: "", stderr: "" });
  });

  Deno.test(`${name}: a missing executable is exit 127, not an exception`, async () => {
    const result = await runner(["eve-no-such-program-xyz"]);
    assert.equal(result.code, EXIT_NOT_EXECUTABLE);
    assert.match(result.stderr, /Cannot run "eve-no-such-program-xyz"/);
    await assert.rejects(runChecked(runner, ["eve-no-such-program-xyz"]), CommandError);
  });

  Deno.test(`${name}: the child is killed on timeout`, async () => {
    const result = await runner(["sleep", "30"], { timeoutMs: 100 });
    assert.equal(result.code, EXIT_TIMED_OUT);
    assert.match(result.stderr, /^Timed out after 100 ms/);
  });

  Deno.test(`${name}: a child that ends in time is not signalled`, async () => {
    const result = await runner(["sh", "-c", "echo done"], { timeoutMs: 10_000 });
    assert.deepEqual(result, { code: 0, stdout: "done\n", stderr: "" });
  });

  Deno.test(`${name}: an empty argv is refused`, async () => {
    await assert.rejects(runner([]), /empty command/);
  });
}
