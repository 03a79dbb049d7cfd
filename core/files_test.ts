import assert from "node:assert/strict";
import { readTextFileIfExists, writeFileAtomic } from "./files.ts";

Deno.test("writeFileAtomic replaces the file whole and leaves no temp file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "core-files-" });
  try {
    const path = `${dir}/state.json`;
    assert.equal(await writeFileAtomic(path, "one\n"), true);
    assert.equal(await writeFileAtomic(path, "two\n"), true);
    assert.equal(await Deno.readTextFile(path), "two\n");
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name), [
      "state.json",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic sets the mode and skips an unchanged file when asked", async () => {
  const dir = await Deno.makeTempDir({ prefix: "core-files-" });
  try {
    const path = `${dir}/hook.sh`;
    assert.equal(await writeFileAtomic(path, "#!/bin/sh\n", { mode: 0o755 }), true);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o755);
    const inode = (await Deno.stat(path)).ino;
    assert.equal(await writeFileAtomic(path, "#!/bin/sh\n", { onlyIfChanged: true }), false);
    assert.equal((await Deno.stat(path)).ino, inode, "an unchanged file is not replaced");
    assert.equal(await writeFileAtomic(path, "#!/bin/sh\nexit 0\n", { onlyIfChanged: true }), true);
    assert.notEqual((await Deno.stat(path)).ino, inode);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic removes its temp file when the rename fails", async () => {
  const dir = await Deno.makeTempDir({ prefix: "core-files-" });
  try {
    const path = `${dir}/taken`;
    await Deno.mkdir(`${path}/inside`, { recursive: true }); // a non-empty directory: rename fails
    await assert.rejects(writeFileAtomic(path, "x"));
    assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name), ["taken"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readTextFileIfExists: undefined for a missing file, other failures thrown", async () => {
  const dir = await Deno.makeTempDir({ prefix: "core-files-" });
  try {
    assert.equal(await readTextFileIfExists(`${dir}/missing`), undefined);
    await Deno.writeTextFile(`${dir}/present`, "text");
    assert.equal(await readTextFileIfExists(`${dir}/present`), "text");
    await assert.rejects(readTextFileIfExists(dir)); // a directory is not NotFound
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
