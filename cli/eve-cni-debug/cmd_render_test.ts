/**
 * `render` without a zedrouter (no root needed): --node-ip is required and written as EVE
 * writes it (`<ip>/32`); EVE's layout is the default (Multus's config with the flannel delegate,
 * the one NAD); per-NI flags belong to --layout per-ni, which checks every flag before a node
 * subnet is allocated; the --json matches RenderModelSchema.
 */
import assert from "node:assert/strict";
import * as v from "valibot";
import { parse as parseYaml } from "yaml";
import { RenderModelSchema } from "./cmd_render.ts";
import { EveRenderModelSchema } from "./render_eve.ts";
import { EveNadSchema, MultusConfigSchema } from "./eve_layout.ts";
import { PerNiRenderModelSchema } from "./render_per_ni.ts";
import { defaultDeps, runCli } from "./program.ts";
import { withTempDir } from "../../core/mod.ts";

const UUID = "1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d";
const OTHER_UUID = "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f";

const withDir = <T>(fn: (dir: string) => Promise<T>) => withTempDir("eve-cni-debug-render-", fn);

function render(dir: string, ...args: string[]) {
  return runCli(["--socket", `${dir}/absent.sock`, "--json", "render", ...args], defaultDeps({}));
}

/** --layout per-ni with this test's allocation file. */
function renderPerNi(dir: string, ...args: string[]) {
  return render(dir, "--layout", "per-ni", "--alloc-file", `${dir}/node-subnets.json`, ...args);
}

async function readOrNull(path: string): Promise<string | null> {
  return await Deno.readTextFile(path).catch(() => null);
}

Deno.test("render: EVE's layout by default, exactly EVE's Multus config and NAD", async () => {
  await withDir(async (dir) => {
    // eve-cni-debug's own defaults for the socket and log are eve-bridge's: nothing extra.
    const r = await runCli(["--json", "render", "--node-ip", "192.168.1.10"], defaultDeps({}));
    assert.equal(r.exitCode, 0, r.stderr);
    const m = v.parse(EveRenderModelSchema, JSON.parse(r.stdout));
    assert.deepEqual(m.multusConfig.delegates[0], {
      name: "cbr0",
      cniVersion: "0.3.1",
      plugins: [
        { type: "flannel", delegate: { type: "eve-bridge", nodeIP: "192.168.1.10/32" } },
        { type: "portmap", capabilities: { portMappings: true } },
      ],
    });
    assert.equal(m.multusConfig.type, "multus");
    assert.equal(m.multusConfig.binDir, "/var/lib/cni/bin");
    assert.equal(m.nad.metadata.name, "network-instance-attachment");
    assert.equal(m.nad.metadata.namespace, "eve-kube-app");
    assert.deepEqual(JSON.parse(m.nad.spec.config), { cniVersion: "0.3.1", type: "eve-bridge" });
    assert.deepEqual(m.written, []);
    assert.equal(await readOrNull(`${dir}/node-subnets.json`), null, "no subnet allocated");
  });
});

Deno.test("render: EVE's layout to --out-dir, a named socket carried into both files", async () => {
  await withDir(async (dir) => {
    const out = `${dir}/net.d`;
    const r = await render(dir, "--node-ip", "192.168.1.10/32", "--out-dir", out);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(v.parse(RenderModelSchema, JSON.parse(r.stdout)).written, [
      `${out}/00-multus.conf`,
      `${out}/nad-network-instance-attachment.yaml`,
    ]);
    const multus = v.parse(
      MultusConfigSchema,
      JSON.parse(await Deno.readTextFile(`${out}/00-multus.conf`)),
    );
    const delegate = multus.delegates[0].plugins[0].delegate;
    assert.equal(delegate.nodeIP, "192.168.1.10/32");
    assert.equal(delegate.zedrouterSocket, `${dir}/absent.sock`);
    const nad = v.parse(
      EveNadSchema,
      parseYaml(await Deno.readTextFile(`${out}/nad-network-instance-attachment.yaml`)),
    );
    assert.equal(JSON.parse(nad.spec.config).zedrouterSocket, `${dir}/absent.sock`);
  });
});

Deno.test("render: per-NI flags are a usage error in EVE's layout", async () => {
  await withDir(async (dir) => {
    const r = await render(
      dir,
      "--node-ip",
      "192.168.1.10",
      "--ni",
      `local1=${UUID}`,
      "--node",
      "a",
    );
    assert.equal(r.exitCode, 2, r.stderr);
    assert.match(r.stderr, /--node, --ni only apply to --layout per-ni: EVE's layout/);
    const bad = await render(dir, "--node-ip", "192.168.1.10", "--layout", "multus");
    assert.equal(bad.exitCode, 2);
    assert.match(bad.stderr, /Invalid --layout "multus": expected eve or per-ni/);
  });
});

Deno.test("render: the eth0 config needs --node-ip; without it nothing is allocated", async () => {
  await withDir(async (dir) => {
    for (
      const r of [
        await render(dir),
        await renderPerNi(dir, "--node", "node-a", "--ni", `local1=${UUID}`),
      ]
    ) {
      assert.equal(r.exitCode, 2, r.stderr);
      assert.equal(r.stdout, "");
      assert.match(
        r.stderr,
        /Missing --node-ip: .*nodeIP.*EVE-app pod.*CNI error 7, Missing "nodeIP"/,
      );
    }
    assert.equal(await readOrNull(`${dir}/node-subnets.json`), null, "no subnet allocated");
  });
});

Deno.test("render --layout per-ni: a bad flag or an unreachable zedrouter leaves the allocations unchanged", async () => {
  await withDir(async (dir) => {
    const alloc = `${dir}/node-subnets.json`;
    const first = await renderPerNi(dir, "--node", "node-a", "--node-ip", "192.168.1.10");
    assert.equal(first.exitCode, 0, first.stderr);
    const before = await Deno.readTextFile(alloc);
    const bad: [string[], RegExp, number][] = [
      [["--ni", "nope"], /Invalid --ni "nope": expected NAME=UUID/, 2],
      [["--ni", `local1=${UUID}`, "--ni", "x=not-a-uuid"], /Invalid --ni "x=not-a-uuid"/, 2],
      [["--node-ip", "192.168.1"], /Invalid --node-ip "192\.168\.1"/, 2],
      [
        ["--node-ip", "192.168.1.11/24"],
        /Invalid --node-ip "192\.168\.1\.11\/24".*"192\.168\.1\.10\/32"/,
        2,
      ],
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
      const r = await renderPerNi(dir, "--node", "node-b", "--node-ip", "192.168.1.11", ...args);
      assert.equal(r.exitCode, code, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(await Deno.readTextFile(alloc), before, `${args.join(" ")} allocated a subnet`);
    }
    const b = await renderPerNi(dir, "--node", "node-b", "--node-ip", "192.168.1.11");
    const model = v.parse(PerNiRenderModelSchema, JSON.parse(b.stdout));
    assert.equal(model.subnet.index, 1, "next free one");
  });
});

Deno.test("render --layout per-ni --json: the conflist and NADs as RenderModelSchema says", async () => {
  await withDir(async (dir) => {
    const r = await renderPerNi(
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
    const m = v.parse(PerNiRenderModelSchema, v.parse(RenderModelSchema, JSON.parse(r.stdout)));
    const eveBridge = m.conflist.plugins[0];
    assert.equal(eveBridge.nodeIP, "192.168.1.10/32", "written as EVE writes it");
    assert.equal(eveBridge.serviceCIDR, "10.43.0.0/16");
    assert.equal(eveBridge.zedrouterSocket, `${dir}/absent.sock`);
    assert.deepEqual(m.nads.map((n) => [n.metadata.name, n.metadata.namespace]), [
      ["local1", "eve-kube-app"],
    ]);
    assert.deepEqual(m.written, []);
  });
});

Deno.test("render --layout per-ni: an NI named twice gets one NAD", async () => {
  await withDir(async (dir) => {
    const ni = `local1=${UUID}`;
    const r = await renderPerNi(
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
    const model = v.parse(PerNiRenderModelSchema, JSON.parse(r.stdout));
    assert.deepEqual(model.nads.map((nad) => nad.metadata.name), ["local1"]);
  });
});
