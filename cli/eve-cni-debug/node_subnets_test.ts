import assert from "node:assert/strict";
import fc from "fast-check";
import { allocateIndex, nodeSubnet } from "./node_subnets.ts";
import { allocateNodeSubnet } from "./node_subnet_file.ts";
import { LockBusyError, withFileLock } from "./file_lock.ts";

Deno.test("node subnet: gateway .1, range .2 to the last before broadcast", () => {
  assert.deepEqual(nodeSubnet("10.42.0.0/16", 8, 0), {
    index: 0,
    subnet: "10.42.0.0/24",
    gateway: "10.42.0.1",
    rangeStart: "10.42.0.2",
    rangeEnd: "10.42.0.254",
  });
  assert.deepEqual(nodeSubnet("10.42.0.0/16", 6, 3), {
    index: 3,
    subnet: "10.42.12.0/22",
    gateway: "10.42.12.1",
    rangeStart: "10.42.12.2",
    rangeEnd: "10.42.15.254",
  });
  // Host bits in the PodCIDR are ignored, as in a CIDR's network address.
  assert.equal(nodeSubnet("10.42.7.9/16", 8, 255).subnet, "10.42.255.0/24");
  assert.throws(() => nodeSubnet("10.42.0.0/16", 8, 256), /outside 0..255/);
  assert.throws(() => nodeSubnet("10.42.0.0/16", 15, 0), /Invalid --node-bits 15/);
  assert.throws(() => nodeSubnet("fd00::/64", 8, 0), /only IPv4/);
});

Deno.test("node subnets never overlap (property)", () => {
  fc.assert(fc.property(
    fc.integer({ min: 8, max: 24 }),
    fc.integer({ min: 1, max: 6 }),
    fc.integer({ min: 0, max: 63 }),
    fc.integer({ min: 0, max: 63 }),
    (p, b, i, j) => {
      fc.pre(p + b <= 30 && i < 2 ** b && j < 2 ** b && i !== j);
      const x = nodeSubnet(`10.0.0.0/${p}`, b, i);
      const y = nodeSubnet(`10.0.0.0/${p}`, b, j);
      const start = (s: string) => s.split(".").reduce((a, o) => a * 256 + Number(o), 0);
      const size = 2 ** (32 - p - b);
      const [xs, ys] = [start(x.subnet.split("/")[0]!), start(y.subnet.split("/")[0]!)];
      return xs + size <= ys || ys + size <= xs;
    },
  ));
});

Deno.test("allocateIndex: keeps a node's index, else the lowest free one, else fails", () => {
  assert.equal(allocateIndex("b", { a: 0, b: 2 }, 2), 2);
  assert.equal(allocateIndex("c", { a: 0, b: 2 }, 2), 1);
  assert.throws(() => allocateIndex("e", { a: 0, b: 1, c: 2, d: 3 }, 2), /No free node subnet/);
});

Deno.test("allocation file: conflict-free across nodes, stable across reruns, plan fixed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eve-cni-debug-alloc-" });
  try {
    const path = `${dir}/sub/node-subnets.json`;
    const plan = { podCidr: "10.42.0.0/16", nodeBits: 8 };
    // Twelve nodes allocating at once: the lock serialises them.
    const nodes = Array.from({ length: 12 }, (_, i) => `node${i}`);
    const first = await Promise.all(
      nodes.map((node) => allocateNodeSubnet(path, { ...plan, node })),
    );
    assert.equal(new Set(first.map((s) => s.subnet)).size, 12, "every node its own subnet");
    const again = await Promise.all(
      [...nodes].reverse().map((node) => allocateNodeSubnet(path, { ...plan, node })),
    );
    assert.deepEqual(again.reverse(), first, "a rerun keeps every subnet");
    const file = JSON.parse(await Deno.readTextFile(path));
    assert.equal(Object.keys(file.nodes).length, 12);
    await assert.rejects(
      allocateNodeSubnet(path, { podCidr: "10.43.0.0/16", nodeBits: 8, node: "node1" }),
      /was made for PodCIDR 10\.42\.0\.0\/16 with NodeBits 8/,
    );
    assert.deepEqual([...Deno.readDirSync(`${dir}/sub`)].map((e) => e.name), [
      "node-subnets.json",
    ], "no lock or temp file left");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("allocation file: separate processes allocate distinct subnets", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eve-cni-debug-alloc-" });
  try {
    const path = `${dir}/node-subnets.json`;
    const module = new URL("./node_subnet_file.ts", import.meta.url).href;
    const code = `const { allocateNodeSubnet } = await import(${JSON.stringify(module)});
      const s = await allocateNodeSubnet(${JSON.stringify(path)},
        { podCidr: "10.42.0.0/16", nodeBits: 4, node: Deno.args[0] });
      await Deno.stdout.write(new TextEncoder().encode(s.subnet));`;
    const outputs = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        new Deno.Command(Deno.execPath(), {
          args: ["eval", code, `n${i}`],
          stdout: "piped",
          stderr: "piped",
        }).output()),
    );
    const subnets = outputs.map((o) => new TextDecoder().decode(o.stdout));
    assert.ok(
      outputs.every((o) => o.code === 0),
      outputs.map((o) => new TextDecoder().decode(o.stderr)).join(),
    );
    assert.equal(new Set(subnets).size, 6, subnets.join(" "));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file lock: a lock of a dead pid is broken; a live holder times out", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eve-cni-debug-lock-" });
  try {
    const lock = `${dir}/x.lock`;
    await Deno.writeTextFile(lock, JSON.stringify({ pid: 999_999_999, createdAt: Date.now() }));
    assert.equal(await withFileLock(lock, () => Promise.resolve("ran"), { timeoutMs: 500 }), "ran");
    await assert.rejects(Deno.stat(lock), Deno.errors.NotFound, "released after use");

    // Held by a live process (pid 1 is always alive): busy until the timeout.
    await Deno.writeTextFile(lock, JSON.stringify({ pid: 1, createdAt: Date.now() }));
    await assert.rejects(
      withFileLock(lock, () => Promise.resolve(), { timeoutMs: 100 }),
      (e) => e instanceof LockBusyError && /held by pid 1/.test(e.message),
    );
    // ...unless it is older than staleMs (pid reuse after a crash).
    await Deno.writeTextFile(lock, JSON.stringify({ pid: 1, createdAt: Date.now() - 120_000 }));
    assert.equal(await withFileLock(lock, () => Promise.resolve(1), { staleMs: 60_000 }), 1);
    // A torn lock file is stale once its mtime is old enough.
    await Deno.writeTextFile(lock, "{");
    await Deno.utime(lock, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    assert.equal(await withFileLock(lock, () => Promise.resolve(2), { timeoutMs: 500 }), 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file lock: mutual exclusion inside one process", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eve-cni-debug-lock-" });
  try {
    let inside = 0;
    let maxInside = 0;
    await Promise.all(Array.from({ length: 8 }, () =>
      withFileLock(`${dir}/y.lock`, async () => {
        inside++;
        maxInside = Math.max(maxInside, inside);
        await new Promise((r) => setTimeout(r, 5));
        inside--;
      })));
    assert.equal(maxInside, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
