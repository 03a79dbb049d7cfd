import assert from "node:assert/strict";
import { CniError } from "./errors.ts";
import { NetConfSchema } from "./config.ts";
import type { CniResult } from "./result.ts";
import { run } from "./skeleton.ts";
import type { CniContext, CniPlugin, GcContext } from "./types.ts";

const RESULT: CniResult = {
  interfaces: [{ name: "eth0", mac: "02:00:00:00:00:02", mtu: 1400, sandbox: "/x" }],
  ips: [{ address: "10.1.0.5/24", gateway: "10.1.0.1", interface: 0 }],
  routes: [{ dst: "0.0.0.0/0", gw: "10.1.0.1", priority: 7 }],
  dns: {},
};

interface Recorder {
  calls: CniContext[];
  gcCalls: GcContext[];
  throwWith?: unknown;
}

function fakePlugin(rec: Recorder, logFile: string): CniPlugin {
  const handle = (ctx: CniContext) => {
    rec.calls.push(ctx);
    ctx.logger.info("Handler ran");
    if (rec.throwWith !== undefined) return Promise.reject(rec.throwWith);
    return Promise.resolve();
  };
  return {
    name: "fake",
    configSchema: NetConfSchema,
    defaultLogFile: logFile,
    add: async (ctx) => {
      await handle(ctx);
      return RESULT;
    },
    del: handle,
    check: handle,
    status: handle,
    gc: (ctx) => {
      rec.gcCalls.push(ctx);
      return handle(ctx);
    },
  };
}

const ENV = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "c1",
  CNI_NETNS: "/proc/self/ns/net",
  CNI_NETNS_OVERRIDE: "1",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/usr/lib/cni",
  CNI_ARGS: "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=pod1",
};

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "evetest-skel-" });
  const rec: Recorder = { calls: [], gcCalls: [] };
  const logFile = `${dir}/eve-bridge.log`;
  return { dir, rec, logFile, plugin: fakePlugin(rec, logFile) };
}

function conf(extra: Record<string, unknown> = {}, version = "1.1.0"): string {
  return JSON.stringify({ cniVersion: version, name: "net", type: "fake", ...extra });
}

Deno.test("skeleton: VERSION echoes the requested version, tolerates an empty stdin", async () => {
  const { dir, plugin } = await setup();
  try {
    const out = await run(
      { env: { CNI_COMMAND: "VERSION" }, stdin: '{"cniVersion":"0.4.0"}' },
      plugin,
    );
    assert.equal(out.exitCode, 0);
    assert.deepEqual(JSON.parse(out.stdout), {
      cniVersion: "0.4.0",
      supportedVersions: ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"],
    });
    const empty = await run({ env: { CNI_COMMAND: "VERSION" }, stdin: "" }, plugin);
    assert.equal(JSON.parse(empty.stdout).cniVersion, "1.1.0");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("skeleton: ADD prints the result in the request's version; logs go to the file", async () => {
  const { dir, rec, plugin, logFile } = await setup();
  try {
    for (const version of ["0.3.1", "1.0.0", "1.1.0"]) {
      const out = await run({ env: ENV, stdin: conf({}, version) }, plugin);
      assert.equal(out.exitCode, 0, out.stdout);
      const printed = JSON.parse(out.stdout);
      assert.equal(printed.cniVersion, version);
      assert.equal(printed.ips[0].version, version === "0.3.1" ? "4" : undefined);
      assert.equal(printed.interfaces[0].mtu, version === "0.3.1" ? undefined : 1400);
      assert.equal(printed.routes[0].priority, version === "1.1.0" ? 7 : undefined);
    }
    const ctx = rec.calls[0]!;
    assert.equal(ctx.containerId, "c1");
    assert.equal(ctx.args.podName, "pod1");
    assert.equal(ctx.netnsExists, true);
    assert.equal(ctx.cniVersion, "0.3.1");
    const lines = (await Deno.readTextFile(logFile)).trim().split("\n").map((l) => JSON.parse(l));
    assert.ok(lines.length >= 6);
    for (const line of lines) {
      assert.equal(line.properties.command, "ADD");
      assert.equal(line.properties.containerID, "c1");
      assert.equal(line.properties.ifname, "eth0");
      assert.equal(line.properties.podNamespace, "ns1");
      assert.equal(line.properties.podName, "pod1");
      assert.equal(typeof line.properties.durationMs, "number");
    }
    assert.ok(lines.some((line) => line.message === "Handler ran"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("skeleton: prevResult is read in the request's version and normalised", async () => {
  const { dir, rec, plugin } = await setup();
  try {
    const prevResult = {
      cniVersion: "0.4.0",
      interfaces: [{ name: "eth0", sandbox: "/x" }],
      ips: [{ version: "4", address: "10.1.0.5/24", interface: 0 }],
    };
    const out = await run(
      { env: { ...ENV, CNI_COMMAND: "CHECK" }, stdin: conf({ prevResult }, "0.4.0") },
      plugin,
    );
    assert.equal(out.exitCode, 0, out.stdout);
    assert.equal(out.stdout, "");
    assert.deepEqual(rec.calls[0]?.prevResult, {
      interfaces: [{ name: "eth0", sandbox: "/x" }],
      ips: [{ address: "10.1.0.5/24", interface: 0 }],
      routes: [],
      dns: {},
    });
    const bad = await run(
      { env: { ...ENV, CNI_COMMAND: "CHECK" }, stdin: conf({ prevResult: { ips: [{}] } }) },
      plugin,
    );
    assert.equal(JSON.parse(bad.stdout).code, 7);
    assert.match(JSON.parse(bad.stdout).details, /prevResult\.ips\.0\.address/);
    const del = await run(
      { env: { ...ENV, CNI_COMMAND: "DEL" }, stdin: conf({ prevResult: { ips: [{}] } }) },
      plugin,
    );
    assert.equal(del.exitCode, 0, "DEL ignores a garbled prevResult");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("skeleton: error JSON and codes", async () => {
  const { dir, rec, plugin } = await setup();
  try {
    const cases: [string, Record<string, string>, string, number][] = [
      ["bad JSON", ENV, "{", 6],
      ["not an object", ENV, "[1]", 6],
      ["missing cniVersion", ENV, '{"name":"n","type":"fake"}', 7],
      ["unknown version", ENV, conf({}, "9.9.9"), 1],
      ["missing name", ENV, '{"cniVersion":"1.0.0","type":"fake"}', 7],
      ["CHECK at 0.3.1", { ...ENV, CNI_COMMAND: "CHECK" }, conf({}, "0.3.1"), 1],
      ["STATUS at 1.0.0", { ...ENV, CNI_COMMAND: "STATUS" }, conf({}, "1.0.0"), 1],
      ["GC at 1.0.0", { ...ENV, CNI_COMMAND: "GC" }, conf({}, "1.0.0"), 1],
      ["no command", { CNI_PATH: "/x" }, conf(), 4],
      ["bad ifname", { ...ENV, CNI_IFNAME: "a/b" }, conf(), 4],
      ["bad MAC", { ...ENV, CNI_ARGS: "MAC=nope" }, conf(), 4],
      ["own netns", { ...ENV, CNI_NETNS_OVERRIDE: "" }, conf(), 4],
      ["missing netns", { ...ENV, CNI_NETNS: "/var/run/netns/evetest-gone-x" }, conf(), 3],
      ["bad attachments", { ...ENV, CNI_COMMAND: "GC" }, conf({ "cni.dev/attachments": [1] }), 7],
    ];
    for (const [label, env, stdin, code] of cases) {
      const out = await run({ env, stdin }, plugin);
      assert.equal(out.exitCode, 1, label);
      const error = JSON.parse(out.stdout);
      assert.deepEqual(Object.keys(error), ["cniVersion", "code", "msg", "details"], label);
      assert.equal(error.code, code, `${label}: ${out.stdout}`);
      assert.ok(error.msg.length > 0, label);
    }
    assert.equal(rec.calls.length, 0, "no handler ran for bad input");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("skeleton: a plain exception is code 100 without a stack; CniError keeps its code", async () => {
  const { dir, rec, plugin } = await setup();
  try {
    rec.throwWith = new TypeError("boom");
    const out = await run({ env: ENV, stdin: conf() }, plugin);
    const error = JSON.parse(out.stdout);
    assert.equal(error.code, 100);
    assert.equal(error.details, "boom");
    assert.ok(!out.stdout.includes("at "), "no stack trace on stdout");
    rec.throwWith = new CniError(11, "Busy", "try later");
    const busy = JSON.parse((await run({ env: ENV, stdin: conf({}, "0.4.0") }, plugin)).stdout);
    assert.deepEqual(busy, { cniVersion: "0.4.0", code: 11, msg: "Busy", details: "try later" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("skeleton: DEL with a missing netns reaches the plugin; STATUS and GC", async () => {
  const { dir, rec, plugin } = await setup();
  try {
    const del = await run({
      env: { ...ENV, CNI_COMMAND: "DEL", CNI_NETNS: "/var/run/netns/evetest-gone-y" },
      stdin: conf(),
    }, plugin);
    assert.equal(del.exitCode, 0, del.stdout);
    assert.equal(rec.calls[0]?.netnsExists, false);
    const status = await run(
      { env: { CNI_COMMAND: "STATUS", CNI_PATH: "/x" }, stdin: conf() },
      plugin,
    );
    assert.equal(status.exitCode, 0, status.stdout);
    const keep = [{ containerID: "c1", ifname: "eth0" }];
    for (const key of ["cni.dev/valid-attachments", "cni.dev/attachments"]) {
      const gc = await run({
        env: { CNI_COMMAND: "GC", CNI_PATH: "/x" },
        stdin: conf({ [key]: keep }),
      }, plugin);
      assert.equal(gc.exitCode, 0, gc.stdout);
      assert.deepEqual(rec.gcCalls.at(-1)?.validAttachments, keep);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("skeleton: an unwritable logFile falls back to stderr and the call still works", async () => {
  const { dir, plugin } = await setup();
  try {
    const out = await run({
      env: ENV,
      stdin: conf({ logFile: `${dir}/no/such/dir/eve-bridge.log` }),
    }, plugin);
    assert.equal(out.exitCode, 0, out.stdout);
    assert.equal(JSON.parse(out.stdout).cniVersion, "1.1.0");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("skeleton: a relative logFile is never created; the default log gets the lines", async () => {
  const { dir, plugin, logFile } = await setup();
  const relative = `evetest-skel-relative-${crypto.randomUUID()}.log`;
  try {
    const out = await run({ env: ENV, stdin: conf({ logFile: relative }) }, plugin);
    assert.equal(out.exitCode, 0, out.stdout);
    await assert.rejects(Deno.stat(relative), Deno.errors.NotFound);
    assert.match(await Deno.readTextFile(logFile), /Handler ran/);
  } finally {
    await Deno.remove(relative).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("skeleton: an OS error is code 5 with its errno, path and fix, not 100", async () => {
  const { dir, rec, plugin } = await setup();
  try {
    for (
      const [errno, text, fix] of [
        [
          "ENOSPC",
          "No space left on device (os error 28): write '/run/eve-bridge/c1'",
          /free space/,
        ],
        ["EROFS", "Read-only file system (os error 30): mkdir '/run/eve-bridge'", /remount/],
        ["ENAMETOOLONG", "File name too long (os error 36): open '/run/x'", /shorten/],
      ] as const
    ) {
      rec.throwWith = Object.assign(new Error(text), { code: errno });
      const error = JSON.parse((await run({ env: ENV, stdin: conf() }, plugin)).stdout);
      assert.equal(error.code, 5, JSON.stringify(error));
      assert.equal(error.msg, `An operating-system call failed with ${errno}`);
      assert.ok(error.details.startsWith(`${errno}: ${text}; `), error.details);
      assert.match(error.details, fix);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("skeleton: a logFile with '..' or a NUL is never opened before validation", async () => {
  const { dir, plugin, logFile } = await setup();
  try {
    await Deno.mkdir(`${dir}/sub`);
    for (const bad of [`${dir}/sub/../dotdot.log`, `${dir}/nul\0.log`]) {
      await run({ env: ENV, stdin: conf({ logFile: bad }) }, plugin);
    }
    await assert.rejects(Deno.stat(`${dir}/dotdot.log`), Deno.errors.NotFound);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "eve-bridge.log",
      "sub",
    ]);
    assert.match(await Deno.readTextFile(logFile), /Handler ran/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
