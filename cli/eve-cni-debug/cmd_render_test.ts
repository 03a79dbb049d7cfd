/**
 * `render` without a zedrouter (no root needed): --node-ip is required, every flag is checked
 * before a node subnet is allocated, and the --json matches RenderModelSchema.
 */
import assert from "node:assert/strict";
import * as v from "valibot";
import { RenderModelSchema } from "./cmd_render.ts";
import { defaultDeps, runCli } from "./program.ts";
import { withTempDir } from "../../core/mod.ts";

const UUID = "1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d";
const OTHER_UUID = "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f";

const withDir = <T>(fn: (dir: string) => Promise<T>) => withTempDir("eve-cni-debug-render-", fn);

function render(dir: string, ...args: string[]) {
  return runCli([
    "--socket",
    `${dir}/absent.sock`,
    "--json",
    "render",
    "--alloc-file",
    `${dir}/node-subnets.json`,
    ...args,
  ], defaultDeps({}));
}

async function readOrNull(path: string): Promise<string | null> {
  return await Deno.readTextFile(path).catch(() => null);
}

Deno.test("render: the eth0 conflist needs --node-ip; without it nothing is allocated", async () => {
  await withDir(async (dir) => {
    const r = await render(dir, "--node", "node-a", "--ni", `local1=${UUID}`);
    assert.equal(r.exitCode, 2, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(
      r.stderr,
      /Missing --node-ip: .*nodeIP.*EVE-app pod.*CNI error 7, Missing "nodeIP"/,
    );
    assert.equal(await readOrNull(`${dir}/node-subnets.json`), null, "no subnet allocated");
  });
});

Deno.test("render: a bad flag or an unreachable zedrouter leaves the allocations unchanged", async () => {
  await withDir(async (dir) => {
    const alloc = `${dir}/node-subnets.json`;
    const first = await render(dir, "--node", "node-a", "--node-ip", "192.168.1.10");
    assert.equal(first.exitCode, 0, first.stderr);
    const before = await Deno.readTextFile(alloc);
    const bad: [string[], RegExp, number][] = [
      [["--ni", "nope"], /Invalid --ni "nope": expected NAME=UUID/, 2],
      [["--ni", `local1=${UUID}`, "--ni", "x=not-a-uuid"], /Invalid --ni "x=not-a-uuid"/, 2],
      [["--node-ip", "192.168.1"], /Invalid --node-ip "192\.168\.1"/, 2],
      [["--service-cidr", "10.43.0.0"], /Invalid --service-cidr "10\.43\.0\.0"/, 2],
      [["--bridge", "a/b"], /Invalid --bridge "a\/b"/, 2],
      [["--namespace", "Eve_Apps"], /Invalid --namespace "Eve_Apps"/, 2],
      [["--node-bits", "30"], /Invalid --node-bits 30/, 2],
      [["--from-zedrouter"], /Cannot connect to/, 3],
      [
        ["--ni", `Local_1=${UUID}`, "--ni", `local-1=${OTHER_UUID}`],
        /"Local_1" .* and "local-1" .* would both be NetworkAttachmentDefinition "local-1"/,
        2,
      ],
    ];
    for (const [args, message, code] of bad) {
      const r = await render(dir, "--node", "node-b", "--node-ip", "192.168.1.11", ...args);
      assert.equal(r.exitCode, code, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(await Deno.readTextFile(alloc), before, `${args.join(" ")} allocated a subnet`);
    }
    const b = await render(dir, "--node", "node-b", "--node-ip", "192.168.1.11");
    assert.equal(v.parse(RenderModelSchema, JSON.parse(b.stdout)).subnet.index, 1, "next free one");
  });
});

Deno.test("render --json: the conflist and NADs as RenderModelSchema says", async () => {
  await withDir(async (dir) => {
    const r = await render(
      dir,
      "--node",
      "node-a",
      "--node-ip",
      "192.168.1.10",
      "--service-cidr",
      "10.43.0.0/16",
      "--ni",
      `Local1=${UUID}`,
    );
    assert.equal(r.exitCode, 0, r.stderr);
    const m = v.parse(RenderModelSchema, JSON.parse(r.stdout));
    const eveBridge = m.conflist.plugins[0];
    assert.equal(eveBridge.nodeIP, "192.168.1.10");
    assert.equal(eveBridge.serviceCIDR, "10.43.0.0/16");
    assert.equal(eveBridge.zedrouterSocket, `${dir}/absent.sock`);
    assert.deepEqual(m.nads.map((n) => [n.metadata.name, n.metadata.namespace]), [
      ["local1", "eve-kube-app"],
    ]);
    assert.deepEqual(m.written, []);
  });
});

Deno.test("render: an NI named twice gets one NAD", async () => {
  await withDir(async (dir) => {
    const ni = `local1=${UUID}`;
    const r = await render(
      dir,
      "--node",
      "node-a",
      "--node-ip",
      "192.168.1.10",
      "--ni",
      ni,
      "--ni",
      ni,
    );
    assert.equal(r.exitCode, 0, r.stderr);
    const model = v.parse(RenderModelSchema, JSON.parse(r.stdout));
    assert.deepEqual(model.nads.map((nad) => nad.metadata.name), ["local1"]);
  });
});
