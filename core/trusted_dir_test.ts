import assert from "node:assert/strict";
import { ensureTrustedDirectory, isTrustedDirectory, UntrustedPathError } from "./trusted_dir.ts";

const NOBODY = 65534;
// Skipped unless root: chown to another user (a stranger's entries) needs root.
const notRoot = Deno.uid() !== 0;

/** A 0700 directory in /tmp for `fn`, removed after it. */
async function withTempDir(prefix: string, fn: (dir: string) => void | Promise<void>) {
  const dir = Deno.makeTempDirSync({ prefix });
  try {
    await fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** Runs `fn` and returns the UntrustedPathError it throws (fails when it throws none). */
function refusal(fn: () => void): UntrustedPathError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UntrustedPathError) return error;
    throw error;
  }
  assert.fail("expected an UntrustedPathError");
}

function mkdir(path: string, mode: number): void {
  Deno.mkdirSync(path);
  Deno.chmodSync(path, mode);
}

// Deno.makeTempDir makes a 0700 directory in /tmp (1777): a root-owned entry in a sticky one.
Deno.test("a 0700 directory of ours below sticky /tmp is trusted", async () => {
  await withTempDir("evetest-trust-", (base) => {
    ensureTrustedDirectory(base);
    mkdir(`${base}/state`, 0o755);
    assert.equal(isTrustedDirectory(`${base}/state`), true);
  });
});

Deno.test("missing directories are made with the mode asked for, and refused otherwise", async () => {
  await withTempDir("evetest-trust-", (base) => {
    const err = refusal(() => ensureTrustedDirectory(`${base}/a/b`));
    assert.equal(err.path, `${base}/a`);
    assert.match(err.message, /does not exist/);
    ensureTrustedDirectory(`${base}/a/b`, { create: true, mode: 0o700 });
    for (const dir of [`${base}/a`, `${base}/a/b`]) {
      const info = Deno.statSync(dir);
      assert.equal(info.isDirectory, true);
      assert.equal(info.mode! & 0o7777, 0o700, dir);
    }
  });
});

Deno.test("a group- or world-writable directory is refused, sticky or not", async () => {
  await withTempDir("evetest-trust-", (base) => {
    for (const mode of [0o777, 0o1777, 0o770]) {
      const dir = `${base}/m${mode.toString(8)}`;
      mkdir(dir, mode);
      const err = refusal(() => ensureTrustedDirectory(dir));
      assert.equal(err.path, dir);
      assert.match(err.message, /writable by group or others/);
      assert.ok(err.message.includes(mode.toString(8)), err.message);
    }
  });
});

Deno.test("a writable ancestor is refused, and nothing is made below it", async () => {
  await withTempDir("evetest-trust-", (base) => {
    mkdir(`${base}/open`, 0o777);
    const err = refusal(() => ensureTrustedDirectory(`${base}/open/state`, { create: true }));
    assert.equal(err.path, `${base}/open`);
    assert.throws(() => Deno.statSync(`${base}/open/state`), Deno.errors.NotFound);
  });
});

Deno.test("a stranger's directory is refused, even below a sticky one", {
  ignore: notRoot,
}, async () => {
  await withTempDir("evetest-trust-", (base) => {
    mkdir(`${base}/theirs`, 0o700);
    Deno.chownSync(`${base}/theirs`, NOBODY, NOBODY);
    assert.match(refusal(() => ensureTrustedDirectory(`${base}/theirs`)).message, /uid 65534/);
    // In a sticky directory: the attacker pre-creates the name before root does.
    mkdir(`${base}/sticky`, 0o1777);
    mkdir(`${base}/sticky/squat`, 0o700);
    Deno.chownSync(`${base}/sticky/squat`, NOBODY, NOBODY);
    const err = refusal(() =>
      ensureTrustedDirectory(`${base}/sticky/squat/state`, { create: true })
    );
    assert.equal(err.path, `${base}/sticky/squat`);
    assert.throws(() => Deno.statSync(`${base}/sticky/squat/state`), Deno.errors.NotFound);
    // Root's own entry in the same sticky directory is trusted.
    ensureTrustedDirectory(`${base}/sticky/mine`, { create: true });
  });
});

Deno.test("symlinks count where they and their targets are trusted", {
  ignore: notRoot,
}, async () => {
  await withTempDir("evetest-trust-", async (base) => {
    mkdir(`${base}/real`, 0o755);
    Deno.symlinkSync(`${base}/real`, `${base}/link`);
    ensureTrustedDirectory(`${base}/link/state`, { create: true });
    assert.equal(Deno.statSync(`${base}/real/state`).isDirectory, true);

    mkdir(`${base}/open`, 0o777);
    mkdir(`${base}/open/inner`, 0o700);
    Deno.symlinkSync(`${base}/open/inner`, `${base}/to-open`);
    assert.equal(refusal(() => ensureTrustedDirectory(`${base}/to-open`)).path, `${base}/open`);

    // A stranger's symlink planted in a sticky directory, pointing at a trusted directory.
    mkdir(`${base}/sticky`, 0o1777);
    Deno.symlinkSync(`${base}/real`, `${base}/sticky/planted`);
    // Deno has no lchown; chown -h changes the link itself.
    const chown = new Deno.Command("chown", {
      args: ["-h", `${NOBODY}`, `${base}/sticky/planted`],
    });
    assert.equal((await chown.output()).code, 0);
    const err = refusal(() => ensureTrustedDirectory(`${base}/sticky/planted`));
    assert.equal(err.path, `${base}/sticky/planted`);
  });
});

Deno.test("a file, a relative path, '..' and NUL are refused", async () => {
  await withTempDir("evetest-trust-", (base) => {
    Deno.writeTextFileSync(`${base}/file`, "");
    assert.match(refusal(() => ensureTrustedDirectory(`${base}/file`)).message, /not a directory/);
    assert.match(refusal(() => ensureTrustedDirectory("relative/dir")).message, /absolute/);
    assert.match(refusal(() => ensureTrustedDirectory(`${base}/../x`)).message, /"\.\."/);
    assert.match(refusal(() => ensureTrustedDirectory(`${base}/a\0b`)).message, /absolute/);
  });
});
