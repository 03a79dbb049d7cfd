/**
 * Issue 17, item 2: root's log never goes through a symlink, never into an existing file that
 * is not a log of ours, never into a directory others can change, and rotation never renames
 * a file that is not ours. Real files in a temp dir; `nobody` plants what an attacker would.
 */
import assert from "node:assert/strict";
import { openLog } from "./logging.ts";
import { openLogFile } from "./log_file.ts";

const IS_ROOT = Deno.uid() === 0;

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "eve-log-file-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Why openLogFile refuses `path` ("" when it opens it). */
function refusal(path: string): string {
  const opened = openLogFile(path);
  if (typeof opened === "string") return opened;
  opened.close();
  return "";
}

async function logOnce(path: string): Promise<string> {
  const log = await openLog(path, { command: "ADD" });
  log.logger.info("Finished {command}", { outcome: "ok" });
  await log.close();
  return log.destination;
}

Deno.test("log: a planted symlink is never followed, its target untouched", async () => {
  await withDir(async (dir) => {
    const secret = `${dir}/secret`;
    await Deno.writeTextFile(secret, "root only\n", { mode: 0o600 });
    await Deno.mkdir(`${dir}/logs`, { mode: 0o755 });
    await Deno.symlink(secret, `${dir}/logs/eve-bridge.log`);
    assert.equal(await logOnce(`${dir}/logs/eve-bridge.log`), "stderr");
    assert.equal(await Deno.readTextFile(secret), "root only\n");
    assert.match(refusal(`${dir}/logs/eve-bridge.log`), /is a symlink/);
  });
});

Deno.test("log: an existing non-log file is neither appended to nor rotated", async () => {
  await withDir(async (dir) => {
    const data = `${dir}/data.db`;
    await Deno.writeTextFile(data, "SQLite format 3\n");
    assert.equal(await logOnce(data), "stderr");
    assert.equal(await Deno.readTextFile(data), "SQLite format 3\n");
  });
});

Deno.test("log: a rotation name that is not ours is never renamed over; lines go to stderr", async () => {
  await withDir(async (dir) => {
    const log = `${dir}/eve-bridge.log`;
    await Deno.writeTextFile(`${log}.2`, "keep me\n");
    // Below the size limit nothing rotates, so the stranger at .2 does not matter yet.
    assert.equal(await logOnce(log), log);
    // A live log at the limit (10 MiB) must rotate before its next line: refused.
    const full = `${JSON.stringify({ "@timestamp": "2026-01-01T00:00:00.000Z" })}\n`;
    await Deno.writeTextFile(log, full.padEnd(10 * 1024 * 1024, " "));
    const before = (await Deno.stat(log)).size;
    await logOnce(log);
    assert.equal(await Deno.readTextFile(`${log}.2`), "keep me\n");
    assert.equal((await Deno.stat(log)).size, before, "the live log got no line");
    await assert.rejects(Deno.stat(`${log}.1`), Deno.errors.NotFound);
  });
});

Deno.test("log: a fresh log is created, written, and used again next time", async () => {
  await withDir(async (dir) => {
    const log = `${dir}/eve-bridge.log`;
    assert.equal(await logOnce(log), log);
    assert.equal(await logOnce(log), log);
    const lines = (await Deno.readTextFile(log)).trim().split("\n");
    assert.equal(lines.length, 2);
    assert.ok(lines.every((line) => JSON.parse(line).message.startsWith("Finished")));
  });
});

Deno.test({
  name: "log: nobody's symlink in a 1777 log dir: the dir is refused, the target untouched",
  ignore: !IS_ROOT,
  fn: async () => {
    await withDir(async (dir) => {
      await Deno.chmod(dir, 0o755);
      const secret = `${dir}/secret`;
      await Deno.writeTextFile(secret, "root only\n", { mode: 0o600 });
      const shared = `${dir}/shared`;
      await Deno.mkdir(shared);
      await Deno.chmod(shared, 0o1777);
      const planted = new Deno.Command("setpriv", {
        args: [
          "--reuid=65534",
          "--regid=65534",
          "--clear-groups",
          "--",
          "ln",
          "-s",
          secret,
          `${shared}/eve-bridge.log`,
        ],
      });
      assert.equal((await planted.output()).code, 0);
      assert.equal(await logOnce(`${shared}/eve-bridge.log`), "stderr");
      assert.equal(await Deno.readTextFile(secret), "root only\n");
      assert.match(refusal(`${shared}/eve-bridge.log`), /not a trusted directory/);
    });
  },
});
