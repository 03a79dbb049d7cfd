import assert from "node:assert/strict";
import { parseLdd } from "./release.ts";

// `ldd` of the pinned Deno 2.9.6 on Debian 12 (x86_64).
const LDD = `	linux-vdso.so.1 (0x00007ffd4b5f2000)
	libdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f353418f000)
	libgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007f3534159000)
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f352e01e000)
	/lib64/ld-linux-x86-64.so.2 (0x00007f3534191000)
`;

Deno.test("parseLdd: the loader and each library Deno links, not the vDSO", () => {
  const libs = parseLdd(LDD);
  assert.equal(libs.loader, "ld-linux-x86-64.so.2");
  assert.deepEqual([...libs.files], [
    ["libdl.so.2", "/lib/x86_64-linux-gnu/libdl.so.2"],
    ["libgcc_s.so.1", "/lib/x86_64-linux-gnu/libgcc_s.so.1"],
    ["libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6"],
    ["ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2"],
  ]);
});

Deno.test("parseLdd: a missing library or no loader stops the release", () => {
  assert.throws(
    () => parseLdd(`${LDD}\tlibfoo.so.1 => not found\n`),
    /a library Deno needs is missing: libfoo.so.1 => not found/,
  );
  assert.throws(() => parseLdd("\tstatically linked\n"), /ldd names no dynamic loader/);
});
