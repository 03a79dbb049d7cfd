import assert from "node:assert/strict";
import { run } from "../cni/mod.ts";
import { createEveBridgePlugin } from "./plugin.ts";
import { probeZedrouterSocket } from "./zedrouter_probe.ts";
import { withTempDir } from "../../core/mod.ts";

/** ADD of net1 in this process' own netns (the handlers under test are stubs). */
const NET1_ADD_ENV = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "c1",
  CNI_NETNS: "/proc/self/ns/net",
  CNI_NETNS_OVERRIDE: "1",
  CNI_IFNAME: "net1",
  CNI_PATH: "/usr/lib/cni",
};

const withDir = <T>(fn: (dir: string) => Promise<T>) => withTempDir("evetest-evebridge-", fn);

function conf(dir: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    cniVersion: "1.1.0",
    name: "k8s",
    type: "eve-bridge",
    logFile: `${dir}/eve-bridge.log`,
    zedrouterSocket: `${dir}/rpc.sock`,
    ipam: { type: "host-local" },
    ...extra,
  });
}

Deno.test("eve-bridge STATUS: code 50 naming the socket when zedrouter does not answer", async () => {
  await withDir(async (dir) => {
    const plugin = createEveBridgePlugin({
      probeZedrouter: () => Promise.reject(new Error("connection refused")),
    });
    const out = await run({
      env: { CNI_COMMAND: "STATUS", CNI_PATH: "/usr/lib/cni" },
      stdin: conf(dir),
    }, plugin);
    const error = JSON.parse(out.stdout);
    assert.equal(error.code, 50);
    assert.match(error.msg, /rpc\.sock/);
    assert.match(error.details, /connection refused/);
  });
});

Deno.test("eve-bridge STATUS: ok with a live probe; skips delegates that stop at 1.0.0", async () => {
  await withDir(async (dir) => {
    const probed: string[] = [];
    const plugin = createEveBridgePlugin({
      probeZedrouter: (path) => Promise.resolve(void probed.push(path)),
    });
    const out = await run({
      env: { CNI_COMMAND: "STATUS", CNI_PATH: "/usr/lib/cni" },
      stdin: conf(dir),
    }, plugin);
    assert.equal(out.exitCode, 0, out.stdout);
    assert.deepEqual(probed, [`${dir}/rpc.sock`]);
    const log = await Deno.readTextFile(`${dir}/eve-bridge.log`);
    assert.match(log, /Skipping .*bridge.* does not speak cniVersion 1\.1\.0/);
  });
});

Deno.test("eve-bridge STATUS: a missing bridge plugin on CNI_PATH is code 50", async () => {
  await withDir(async (dir) => {
    const plugin = createEveBridgePlugin({ probeZedrouter: () => Promise.resolve() });
    const out = await run(
      { env: { CNI_COMMAND: "STATUS", CNI_PATH: dir }, stdin: conf(dir) },
      plugin,
    );
    const error = JSON.parse(out.stdout);
    assert.equal(error.code, 50);
    assert.match(error.msg, /"bridge"/);
    assert.match(error.details, new RegExp(dir));
  });
});

Deno.test("eve-bridge GC: succeeds when no delegate speaks 1.1.0", async () => {
  await withDir(async (dir) => {
    const plugin = createEveBridgePlugin({ probeZedrouter: () => Promise.resolve() });
    const out = await run({
      env: { CNI_COMMAND: "GC", CNI_PATH: "/usr/lib/cni" },
      stdin: conf(dir, { "cni.dev/valid-attachments": [{ containerID: "c", ifname: "eth0" }] }),
    }, plugin);
    assert.equal(out.exitCode, 0, out.stdout);
  });
});

Deno.test("eve-bridge: interfaces other than eth0 go to the zedrouter handler", async () => {
  await withDir(async (dir) => {
    const seen: string[] = [];
    const plugin = createEveBridgePlugin({
      podInterface: {
        name: "test-zedrouter",
        add: (ctx) => {
          seen.push(`add ${ctx.ifname}`);
          return Promise.resolve({
            interfaces: [{ name: ctx.ifname }],
            ips: [],
            routes: [],
            dns: {},
          });
        },
        del: (ctx) => Promise.resolve(void seen.push(`del ${ctx.ifname}`)),
        check: () => Promise.resolve(),
      },
    });
    const env = NET1_ADD_ENV;
    const out = await run({ env, stdin: conf(dir) }, plugin);
    assert.equal(out.exitCode, 0, out.stdout);
    assert.equal(JSON.parse(out.stdout).interfaces[0].name, "net1");
    await run({ env: { ...env, CNI_COMMAND: "DEL" }, stdin: conf(dir) }, plugin);
    assert.deepEqual(seen, ["add net1", "del net1"]);
  });
});

Deno.test("zedrouter probe: a server that answers passes, one that is silent or absent fails", async () => {
  await withDir(async (dir) => {
    const answering = Deno.listen({ transport: "unix", path: `${dir}/answer.sock` });
    const silent = Deno.listen({ transport: "unix", path: `${dir}/silent.sock` });
    const held: Deno.Conn[] = [];
    const serveAnswering = (async () => {
      const conn = await answering.accept();
      const buffer = new Uint8Array(1024);
      await conn.read(buffer);
      await conn.write(new TextEncoder().encode(
        '{"id":0,"result":null,"error":"rpc: can\'t find method RPCServer.StatusProbe"}\n',
      ));
      held.push(conn);
    })();
    const serveSilent = (async () => held.push(await silent.accept()))();
    try {
      await probeZedrouterSocket(`${dir}/answer.sock`, 2000);
      await assert.rejects(
        probeZedrouterSocket(`${dir}/silent.sock`, 200),
        /No reply .* within 200 ms/,
      );
      await assert.rejects(probeZedrouterSocket(`${dir}/absent.sock`, 200), /no such socket/);
    } finally {
      await serveAnswering;
      await serveSilent;
      for (const conn of held) conn.close();
      answering.close();
      silent.close();
    }
  });
});
