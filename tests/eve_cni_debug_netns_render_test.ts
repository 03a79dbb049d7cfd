/**
 * `netns` on a namespace the test builds by hand (read back against what it configured), and
 * `render` end to end: --out-dir files, NIs from a live fake-zedrouter, a stable subnet, and
 * every example of the help run as written. The --json is checked by the production schemas.
 */
import assert from "node:assert/strict";
import * as v from "valibot";
import { parse as parseYaml } from "yaml";
import { defaultDeps, ExitCode, runCli } from "../cli/eve-cni-debug/mod.ts";
import { NetnsModelSchema } from "../cli/eve-cni-debug/cmd_netns.ts";
import { RenderModelSchema } from "../cli/eve-cni-debug/cmd_render.ts";
import { PerNiRenderModelSchema } from "../cli/eve-cni-debug/render_per_ni.ts";
import { NadSchema, PrimaryConflistSchema } from "../cli/eve-cni-debug/cni_configs.ts";
import { sandboxTest } from "../scripts/sandbox/sandbox.ts";
import { startNode } from "./eve_cni_debug_harness.ts";

/** The `eve-cni-debug ...` example lines of a help text, as argv (comment and pipe cut off). */
function examples(help: string): string[][] {
  return help.split("\n").filter((l) => l.startsWith("  eve-cni-debug ")).map((l) =>
    l.trim().split(/\s{2,}/)[0]!.split("|")[0]!.trim().split(/\s+/).slice(1)
  );
}

sandboxTest(
  "eve-cni-debug netns: what the namespace holds, by name and by path",
  [],
  async (sb) => {
    const ns = await sb.netns("a");
    const run = (args: string[]) => sb.exec(ns, args);
    await run(["ip", "link", "add", "br0", "type", "bridge"]);
    await run([
      "ip",
      "link",
      "add",
      "veth0",
      "address",
      "02:00:00:00:00:0a",
      "type",
      "veth",
      "peer",
      "name",
      "veth1",
    ]);
    await run(["ip", "link", "set", "veth0", "master", "br0"]);
    for (const dev of ["br0", "veth0", "veth1"]) await run(["ip", "link", "set", dev, "up"]);
    await run(["ip", "addr", "add", "192.168.77.2/24", "dev", "br0"]);
    await run(["ip", "route", "add", "10.99.0.0/16", "via", "192.168.77.1"]);
    await run(["ip", "neigh", "add", "192.168.77.9", "lladdr", "02:00:00:00:00:99", "dev", "br0"]);
    await run(["ip", "rule", "add", "from", "192.168.77.0/24", "table", "100", "priority", "100"]);

    const byName = await runCli(["--json", "netns", ns.name], defaultDeps({}));
    assert.equal(byName.exitCode, 0, byName.stderr);
    const m = v.parse(NetnsModelSchema, JSON.parse(byName.stdout));
    assert.equal(m.exists, true);
    assert.deepEqual(m.path, ns.path);
    assert.ok(
      m.rules.some((r) => r.priority === 100 && r.src === "192.168.77.0/24" && r.table === "100"),
      JSON.stringify(m.rules),
    );
    assert.ok(m.rules.some((r) => r.table === "main" && r.src === "all"), "the default rules too");
    assert.equal(m.links.find((l) => l.name === "veth0")?.master, "br0");
    assert.equal(m.links.find((l) => l.name === "veth0")?.mac, "02:00:00:00:00:0a");
    assert.ok(m.addresses.some((a) => a.ifname === "br0" && a.cidr === "192.168.77.2/24"));
    assert.ok(m.routes.some((r) => r.dst === "10.99.0.0/16" && r.gateway === "192.168.77.1"));
    assert.ok(m.neighbours.some((n) => n.ip === "192.168.77.9" && n.mac === "02:00:00:00:00:99"));

    const byPath = await runCli(["netns", ns.path], defaultDeps({}));
    assert.match(byPath.stdout, /veth0 +veth +02:00:00:00:00:0a +1500 +up\/\w+ +br0/);
    assert.match(byPath.stdout, /main +10\.99\.0\.0\/16 +192\.168\.77\.1 +br0/);

    // Well-formed but not there: the inspection could not run (4), not "problems found" (1).
    const missing = await runCli(["netns", `${sb.prefix}-nope`], defaultDeps({}));
    assert.equal(missing.exitCode, ExitCode.Failure);
    assert.match(missing.stdout, /does not exist/);
    const missingJson = await runCli(["--json", "netns", `${sb.prefix}-nope`], defaultDeps({}));
    assert.equal(missingJson.exitCode, ExitCode.Failure);
    assert.equal(v.parse(NetnsModelSchema, JSON.parse(missingJson.stdout)).exists, false);
    const invalid = await runCli(["netns", "bad name"], defaultDeps({}));
    assert.equal(invalid.exitCode, ExitCode.Usage);
  },
);

sandboxTest(
  "eve-cni-debug render --layout per-ni: files, NIs from zedrouter, stable node subnets",
  [
    "dnsmasq",
  ],
  async (sb) => {
    const live = await startNode(sb);
    const alloc = `${sb.dir}/alloc/node-subnets.json`;
    const out = `${sb.dir}/net.d`;
    const render = (node: string, ...extra: string[]) =>
      runCli([
        "--socket",
        live.socket,
        "render",
        "--layout",
        "per-ni",
        "--node",
        node,
        "--pod-cidr",
        "10.42.0.0/16",
        "--alloc-file",
        alloc,
        ...extra,
      ], defaultDeps({}));
    const r = await render(
      "node-a",
      "--from-zedrouter",
      "--node-ip",
      "192.168.1.10",
      "--out-dir",
      out,
    );
    assert.equal(r.exitCode, 0, r.stderr);
    const conflist = v.parse(
      PrimaryConflistSchema,
      JSON.parse(await Deno.readTextFile(`${out}/10-eve-bridge.conflist`)),
    );
    assert.equal(conflist.plugins[0].type, "eve-bridge");
    assert.equal(conflist.plugins[0].nodeIP, "192.168.1.10/32", "as EVE writes it");
    assert.equal(conflist.plugins[0].ipam.ranges[0]![0]!.subnet, "10.42.0.0/24");
    const nad = v.parse(NadSchema, parseYaml(await Deno.readTextFile(`${out}/nad-ni-local.yaml`)));
    assert.equal(nad.kind, "NetworkAttachmentDefinition");
    const inner = JSON.parse(nad.spec.config);
    assert.deepEqual(inner.plugins.map((p: { type: string }) => p.type), ["eve-bridge", "tuning"]);
    assert.ok(await Deno.stat(`${out}/nad-ni-other.yaml`));

    const json = async (r: Promise<{ stdout: string; exitCode: number; stderr: string }>) => {
      const done = await r;
      assert.equal(done.exitCode, 0, done.stderr);
      return v.parse(PerNiRenderModelSchema, v.parse(RenderModelSchema, JSON.parse(done.stdout)));
    };
    const b = await json(
      render("node-b", "--node-ip", "192.168.1.11", "--json", "--from-zedrouter"),
    );
    assert.equal(b.subnet.subnet, "10.42.1.0/24");
    assert.deepEqual(b.nads.map((n) => n.metadata.name), ["ni-local", "ni-other"]);
    const again = await json(render("node-a", "--node-ip", "192.168.1.10", "--json"));
    assert.equal(again.subnet.subnet, "10.42.0.0/24", "a rerun keeps the subnet");

    // A usage error consumes no subnet: node-c gets none, the file is byte for byte the same.
    const allocated = await Deno.readTextFile(alloc);
    const bad = await render("node-c", "--node-ip", "192.168.1.12", "--ni", "nope");
    assert.equal(bad.exitCode, 2);
    assert.match(bad.stderr, /Invalid --ni "nope": expected NAME=UUID/);
    const noIp = await render("node-c", "--from-zedrouter");
    assert.equal(noIp.exitCode, 2);
    assert.match(noIp.stderr, /Missing --node-ip/);
    assert.equal(await Deno.readTextFile(alloc), allocated);
  },
);

sandboxTest("eve-cni-debug help: every example parses; render's run as written", [
  "dnsmasq",
], async (sb) => {
  const live = await startNode(sb);
  const rootHelp = (await runCli(["--help"], defaultDeps({}))).stdout;
  const renderHelp = (await runCli(["render", "--help"], defaultDeps({}))).stdout;
  const all = [...examples(rootHelp), ...examples(renderHelp)];
  assert.ok(all.filter((a) => a[0] === "render").length >= 3, JSON.stringify(all));
  for (const [i, argv] of all.entries()) {
    if (argv[0] !== "render") {
      // Against the live node: the answer may be a problem or a missing pod, never a usage error.
      const r = await live.debug(...argv);
      assert.notEqual(r.exitCode, ExitCode.Usage, `${argv.join(" ")}: ${r.stderr}`);
      continue;
    }
    // As written, only with this sandbox's output directory (and allocation file, per-NI).
    const out = argv.map((a, j) => argv[j - 1] === "--out-dir" ? `${sb.dir}/out${i}` : a);
    const perNi = argv.includes("per-ni");
    const r = await live.debug(
      "--json",
      ...out,
      ...(perNi ? ["--alloc-file", `${sb.dir}/examples-alloc.json`] : []),
    );
    assert.equal(r.exitCode, 0, `${argv.join(" ")}: ${r.stderr}`);
    const m = v.parse(RenderModelSchema, JSON.parse(r.stdout));
    const nodeIP = m.layout === "eve"
      ? m.multusConfig.delegates[0].plugins[0].delegate.nodeIP
      : m.conflist.plugins[0].nodeIP;
    assert.equal(nodeIP, "192.168.1.10/32");
  }
});
