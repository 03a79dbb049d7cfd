import assert from "node:assert/strict";
import {
  delegate,
  delegateEnv,
  delegateSupports,
  delegateVersion,
  findPlugin,
} from "./delegate.ts";
import { parseCniArgs } from "./cni_args.ts";
import { CniError } from "./errors.ts";
import { silentLogger } from "./logging.ts";
import type { CniResult } from "./result.ts";
import type { CniContext } from "./types.ts";
import type { CniVersion } from "./versions.ts";
import { withTempDir } from "../../core/mod.ts";

/**
 * A fake delegate: records its stdin and CNI_* env in files, then prints `reply` and exits
 * with `exitCode`. A shell script run directly (argv), like any CNI plugin.
 */
async function fakePlugin(dir: string, name: string, reply: string, exitCode = 0) {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(`${dir}/${name}.reply`, reply);
  await Deno.writeTextFile(
    path,
    [
      "#!/bin/sh",
      `cat > "${dir}/${name}.stdin"`,
      `env | grep '^CNI_' | sort > "${dir}/${name}.env"`,
      `cat "${dir}/${name}.reply"`,
      `exit ${exitCode}`,
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  return path;
}

function ctx(dir: string, version: CniVersion, prevResult?: CniResult): CniContext {
  const env = {
    CNI_COMMAND: "CHECK",
    CNI_CONTAINERID: "c1",
    CNI_NETNS: "/var/run/netns/p",
    CNI_IFNAME: "eth0",
    CNI_PATH: `/nonexistent:${dir}`,
    CNI_ARGS: "K8S_POD_NAME=p",
  };
  return {
    command: "CHECK",
    containerId: "c1",
    netns: "/var/run/netns/p",
    netnsExists: true,
    ifname: "eth0",
    args: parseCniArgs(env.CNI_ARGS),
    path: ["/nonexistent", dir],
    config: { name: "net", type: "eve-bridge" },
    rawConfig: {},
    ...(prevResult && { prevResult }),
    cniVersion: version,
    env,
    logger: silentLogger,
  };
}

const PREV: CniResult = {
  interfaces: [{ name: "eth0", sandbox: "/var/run/netns/p", mtu: 1400 }],
  ips: [{ address: "10.1.0.5/24", gateway: "10.1.0.1", interface: 0 }],
  routes: [{ dst: "0.0.0.0/0", gw: "10.1.0.1", priority: 9 }],
  dns: {},
};

const withDir = <T>(fn: (dir: string) => Promise<T>) => withTempDir("evetest-delegate-", fn);

Deno.test("delegate: version capped at 1.0.0, IgnoreUnknown added to CNI_ARGS", () => {
  assert.equal(delegateVersion("1.1.0"), "1.0.0");
  assert.equal(delegateVersion("0.3.1"), "0.3.1");
  assert.equal(delegateVersion("1.1.0", "1.1.0"), "1.1.0");
  assert.equal(
    delegateEnv({ CNI_ARGS: "K8S_POD_NAME=p" }, "DEL").CNI_ARGS,
    "IgnoreUnknown=1;K8S_POD_NAME=p",
  );
  assert.equal(
    delegateEnv({ CNI_ARGS: "IgnoreUnknown=true;A=b" }, "DEL").CNI_ARGS,
    "IgnoreUnknown=true;A=b",
  );
  assert.equal(
    delegateEnv({ CNI_ARGS: "IgnoreUnknown=0;K8S_POD_NAME=p" }, "DEL").CNI_ARGS,
    "IgnoreUnknown=1;K8S_POD_NAME=p",
  );
  assert.equal(delegateEnv({}, "ADD").CNI_COMMAND, "ADD");
  assert.equal(delegateEnv({}, "ADD").CNI_ARGS, undefined);
});

Deno.test("delegate: findPlugin takes the first executable on CNI_PATH, else names both", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/a`);
    await Deno.mkdir(`${dir}/b`);
    await Deno.writeTextFile(`${dir}/a/bridge`, "not executable");
    await fakePlugin(`${dir}/b`, "bridge", "");
    assert.equal(findPlugin("bridge", [`${dir}/a`, `${dir}/b`]), `${dir}/b/bridge`);
    assert.throws(
      () => findPlugin("tuning", [`${dir}/a`]),
      (e: unknown) =>
        e instanceof CniError && e.code === 7 && /"tuning"/.test(e.msg) &&
        e.details.includes(`${dir}/a`),
    );
    assert.throws(() => findPlugin("../bridge", [dir]), (e: unknown) => e instanceof CniError);
  });
});

Deno.test("delegate: a 1.1.0 request goes out at 1.0.0 and the result comes back", async () => {
  await withDir(async (dir) => {
    const result = {
      cniVersion: "1.0.0",
      interfaces: [{ name: "eth0", sandbox: "/var/run/netns/p" }],
      ips: [{ address: "10.1.0.5/24", gateway: "10.1.0.1", interface: 0 }],
    };
    await fakePlugin(dir, "bridge", JSON.stringify(result));
    const out = await delegate(
      ctx(dir, "1.1.0", PREV),
      "bridge",
      {
        name: "net",
        type: "eve-bridge",
        cniVersion: "1.1.0",
        cniVersions: ["1.1.0"],
        isGateway: true,
      },
      { command: "ADD" },
    );
    const sent = JSON.parse(await Deno.readTextFile(`${dir}/bridge.stdin`));
    assert.equal(sent.cniVersion, "1.0.0");
    assert.equal(sent.type, "bridge");
    assert.equal(sent.isGateway, true);
    assert.equal(sent.cniVersions, undefined);
    assert.deepEqual(
      sent.prevResult.routes,
      [{ dst: "0.0.0.0/0", gw: "10.1.0.1" }],
      "no 1.1 extras",
    );
    const env = await Deno.readTextFile(`${dir}/bridge.env`);
    assert.match(env, /^CNI_COMMAND=ADD$/m);
    assert.match(env, /^CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAME=p$/m);
    assert.match(env, /^CNI_IFNAME=eth0$/m);
    assert.deepEqual(out.result?.ips, [{
      address: "10.1.0.5/24",
      gateway: "10.1.0.1",
      interface: 0,
    }]);
  });
});

Deno.test("delegate: an older request keeps its version; prevResult: null sends none", async () => {
  await withDir(async (dir) => {
    await fakePlugin(dir, "bridge", "");
    await delegate(ctx(dir, "0.4.0", PREV), "bridge", { name: "net", prevResult: {} }, {
      prevResult: null,
    });
    const sent = JSON.parse(await Deno.readTextFile(`${dir}/bridge.stdin`));
    assert.equal(sent.cniVersion, "0.4.0");
    assert.equal(sent.prevResult, undefined);
    await delegate(ctx(dir, "0.4.0", PREV), "bridge", { name: "net" });
    const again = JSON.parse(await Deno.readTextFile(`${dir}/bridge.stdin`));
    assert.equal(again.prevResult.ips[0].version, "4", "prevResult printed at 0.4.0");
    assert.match(await Deno.readTextFile(`${dir}/bridge.env`), /^CNI_COMMAND=CHECK$/m);
  });
});

Deno.test("delegate: its error JSON keeps code and msg; garbage becomes code 101", async () => {
  await withDir(async (dir) => {
    await fakePlugin(dir, "bridge", '{"code":11,"msg":"busy","details":"later"}', 1);
    await assert.rejects(
      delegate(ctx(dir, "1.0.0"), "bridge", { name: "net" }),
      (e: unknown) =>
        e instanceof CniError && e.code === 11 && e.msg === "busy" && e.details === "later",
    );
    await fakePlugin(dir, "host-local", "segfault", 2);
    await assert.rejects(
      delegate(ctx(dir, "1.0.0"), "host-local", { name: "net" }),
      (e: unknown) =>
        e instanceof CniError && e.code === 101 && /"host-local".*exit code 2/.test(e.msg),
    );
    await fakePlugin(dir, "tuning", "not json");
    await assert.rejects(
      delegate(ctx(dir, "1.0.0"), "tuning", { name: "net" }, { command: "ADD" }),
      (e: unknown) => e instanceof CniError && e.code === 101 && /not JSON/.test(e.msg),
    );
  });
});

Deno.test("delegate: delegateSupports reads the delegate's VERSION answer", async () => {
  await withDir(async (dir) => {
    await fakePlugin(dir, "old", '{"cniVersion":"1.1.0","supportedVersions":["0.4.0","1.0.0"]}');
    await fakePlugin(dir, "new", '{"cniVersion":"1.1.0","supportedVersions":["1.0.0","1.1.0"]}');
    await fakePlugin(dir, "broken", "", 1);
    assert.equal(await delegateSupports(ctx(dir, "1.1.0"), "old", "1.1.0"), false);
    assert.equal(await delegateSupports(ctx(dir, "1.1.0"), "new", "1.1.0"), true);
    assert.equal(await delegateSupports(ctx(dir, "1.1.0"), "broken", "1.1.0"), false);
  });
});
