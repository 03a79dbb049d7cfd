import assert from "node:assert/strict";
import {
  isAlive,
  readPidFile,
  signalPid,
  spawnDaemon,
  startDetachedDaemon,
  stopPid,
  waitGone,
} from "./process.ts";

Deno.test("spawnDaemon + stopPid: SIGTERM stops a cooperative daemon", async () => {
  const daemon = spawnDaemon(["sleep", "60"]);
  try {
    assert.ok(isAlive(daemon.pid));
  } finally {
    await stopPid(daemon.pid, { graceMs: 2000 });
  }
  assert.equal(isAlive(daemon.pid), false);
  assert.equal((await daemon.exited).signal, "SIGTERM");
});

Deno.test("stopPid escalates to SIGKILL when SIGTERM is ignored", async () => {
  const dir = await Deno.makeTempDir();
  // A script ignoring TERM; it touches a file once the trap is in place.
  const ready = `${dir}/ready`;
  const daemon = spawnDaemon([
    "sh",
    "-c",
    'trap "" TERM; touch "$0"; while :; do sleep 1; done',
    ready,
  ]);
  try {
    while (!(await Deno.stat(ready).then(() => true, () => false))) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await stopPid(daemon.pid, { graceMs: 200 });
    assert.equal(isAlive(daemon.pid), false);
    assert.equal((await daemon.exited).signal, "SIGKILL");
  } finally {
    if (isAlive(daemon.pid)) signalPid(daemon.pid, "SIGKILL");
    await daemon.exited;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("spawnDaemon: output redirected to files; exited waits for the flush", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const daemon = spawnDaemon(["sh", "-c", "echo out; echo err >&2"], {
      stdoutPath: `${dir}/out`,
      stderrPath: `${dir}/err`,
      env: { EVE_X: "1" },
    });
    assert.equal((await daemon.exited).code, 0);
    assert.equal(await Deno.readTextFile(`${dir}/out`), "out\n");
    assert.equal(await Deno.readTextFile(`${dir}/err`), "err\n");
    assert.ok(await waitGone(daemon.pid, 1000));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("spawnDaemon: detach puts the daemon in its own session with the same pid", async () => {
  const daemon = spawnDaemon(["sleep", "60"], { detach: true });
  try {
    // The child calls setsid() before its exec: the same pid runs sleep, in a new session.
    const deadline = Date.now() + 3000;
    const argv0 = async () =>
      (await Deno.readTextFile(`/proc/${daemon.pid}/cmdline`)).split("\0")[0]?.split("/").at(-1);
    while ((await argv0()) !== "sleep") {
      if (Date.now() > deadline) throw new Error("the daemon never exec'd sleep");
      await new Promise((r) => setTimeout(r, 10));
    }
    const stat = await Deno.readTextFile(`/proc/${daemon.pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    assert.equal(fields[3], String(daemon.pid), "session id is the daemon itself");
  } finally {
    await stopPid(daemon.pid);
    // A detached child is unref'd: its status alone does not keep the event loop alive, and
    // the test would end with the promise pending when the reap comes late. A timer does.
    const keepAlive = setInterval(() => {}, 20);
    try {
      await daemon.exited;
    } finally {
      clearInterval(keepAlive);
    }
  }
  assert.throws(
    () => spawnDaemon(["sleep", "1"], { detach: true, stdoutPath: "/tmp/x" }),
    /detached daemon/,
  );
});

Deno.test("stopPid and signalPid refuse pid <= 1; isAlive is false for them", async () => {
  await assert.rejects(stopPid(1), /Refusing to signal pid 1/);
  await assert.rejects(stopPid(0), /Refusing to signal pid 0/);
  await assert.rejects(stopPid(-1), /Refusing/);
  assert.throws(() => signalPid(1, "SIGTERM"), /Refusing/);
  assert.equal(isAlive(0), false);
  assert.equal(isAlive(-5), false);
});

Deno.test("readPidFile: plausible pids only", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/pid`;
    assert.equal(await readPidFile(path), undefined);
    for (
      const [text, want] of [
        ["1234\n", 1234],
        ["", undefined],
        ["0", undefined],
        ["1", undefined],
        ["12x", undefined],
        ["-5", undefined],
      ] as const
    ) {
      await Deno.writeTextFile(path, text);
      assert.equal(await readPidFile(path), want, JSON.stringify(text));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("signalPid: delivers each signal the toolkit sends; false once the process is gone", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A shell that records every signal it gets (USR1, USR2, HUP), then ends on TERM.
    const log = `${dir}/signals`;
    const ready = `${dir}/ready`;
    const daemon = spawnDaemon([
      "sh",
      "-c",
      'for s in USR1 USR2 HUP; do trap "echo $s >> \\"$0\\"" $s; done; touch "$1"; ' +
      "while :; do sleep 0.05; done",
      log,
      ready,
    ]);
    try {
      while (!(await Deno.stat(ready).then(() => true, () => false))) {
        await new Promise((r) => setTimeout(r, 10));
      }
      for (const signal of ["SIGUSR1", "SIGUSR2", "SIGHUP"] as const) {
        const seen = (await Deno.readTextFile(log).catch(() => "")).split("\n").length;
        assert.equal(signalPid(daemon.pid, signal), true);
        while ((await Deno.readTextFile(log).catch(() => "")).split("\n").length === seen) {
          await new Promise((r) => setTimeout(r, 10));
        }
      }
      assert.deepEqual((await Deno.readTextFile(log)).trim().split("\n"), ["USR1", "USR2", "HUP"]);
      assert.equal(signalPid(daemon.pid, "SIGTERM"), true);
      assert.equal((await daemon.exited).signal, "SIGTERM");
    } finally {
      if (isAlive(daemon.pid)) signalPid(daemon.pid, "SIGKILL");
      await daemon.exited;
    }
    assert.equal(signalPid(daemon.pid, "SIGTERM"), false, "a reaped pid is gone");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startDetachedDaemon: own session, stdio on /dev/null, env added; exited follows it", async () => {
  const daemon = await startDetachedDaemon(["sleep", "60"], { EVE_TEST_MARK: "m1" });
  try {
    const stat = Deno.readTextFileSync(`/proc/${daemon.pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields after the name: state, ppid, pgrp, session; a new session is led by the daemon.
    assert.equal(Number(fields[3]), daemon.pid, "the daemon leads a session of its own");
    for (const fd of [0, 1, 2]) {
      assert.equal(Deno.readLinkSync(`/proc/${daemon.pid}/fd/${fd}`), "/dev/null");
    }
    const environ = Deno.readTextFileSync(`/proc/${daemon.pid}/environ`).split("\0");
    assert.ok(environ.includes("EVE_TEST_MARK=m1"));
    assert.ok(environ.some((entry) => entry.startsWith("PATH=")), "the inherited environment");
  } finally {
    signalPid(daemon.pid, "SIGKILL");
  }
  await daemon.exited;
  assert.equal(isAlive(daemon.pid), false);
});
