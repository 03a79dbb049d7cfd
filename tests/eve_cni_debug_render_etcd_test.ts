/**
 * `render --layout per-ni --etcd`: node subnets kept in a real etcd on loopback. Sixteen
 * eve-cni-debug processes rendering at once for sixteen nodes get sixteen distinct subnets; a
 * node asking again keeps its subnet; the full PodCIDR, another plan and a stopped etcd are
 * clear errors; the records read back from etcd say the same.
 */
import assert from "node:assert/strict";
import * as v from "valibot";
import { PerNiRenderModelSchema } from "../cli/eve-cni-debug/render_per_ni.ts";
import { etcdTest, freePort } from "./etcd_harness.ts";

const ENTRY = new URL("../cli/eve-cni-debug/main.ts", import.meta.url).pathname;
const PLAN = ["--pod-cidr", "10.42.0.0/16", "--node-bits", "4"];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** One eve-cni-debug process, as a node's init would run it. */
async function render(endpoint: string, node: string, ...extra: string[]): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--quiet",
      ENTRY,
      "--json",
      "render",
      "--layout",
      "per-ni",
      "--node",
      node,
      "--node-ip",
      "192.168.1.10",
      "--etcd",
      endpoint,
      ...PLAN,
      ...extra,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

function subnetOf(run: Run): string {
  assert.equal(run.code, 0, run.stderr);
  const model = v.parse(PerNiRenderModelSchema, JSON.parse(run.stdout));
  assert.equal(model.allocFile, null);
  return model.subnet.subnet;
}

etcdTest("render --etcd: 16 nodes at once get 16 distinct subnets, kept on rerun", async (etcd) => {
  const nodes = Array.from({ length: 16 }, (_, i) => `node${String(i).padStart(2, "0")}`);
  const runs = await Promise.all(nodes.map((node) => render(etcd.endpoint, node)));
  const subnets = runs.map(subnetOf);
  assert.equal(new Set(subnets).size, 16, subnets.join(" "));
  for (const s of subnets) assert.match(s, /^10\.42\.\d+\.0\/20$/);
  // The same node asking again gets the same subnet.
  assert.equal(subnetOf(await render(etcd.endpoint, "node07")), subnets[7]);
  // etcd holds one record per node and one per subnet, and they agree.
  const c = etcd.client();
  const byNode = await c.range("/eve-cni/node-subnets/nodes/", { prefix: true });
  const byIndex = await c.range("/eve-cni/node-subnets/index/", { prefix: true });
  assert.equal(byNode.length, 16);
  assert.equal(byIndex.length, 16);
  for (const kv of byNode) {
    const node = kv.key.split("/").at(-1)!;
    const { index } = JSON.parse(kv.value);
    const holder = byIndex.find((x) => x.key.endsWith(`/index/${index}`));
    assert.equal(JSON.parse(holder!.value).node, node);
    assert.equal(subnets[nodes.indexOf(node)], `10.42.${index * 16}.0/20`);
  }
  // A 17th node finds the PodCIDR full.
  const full = await render(etcd.endpoint, "node16");
  assert.equal(full.code, 4, full.stdout);
  assert.match(
    full.stderr,
    /No free node subnet: all 16 are allocated; raise --node-bits or widen --pod-cidr \(allocations in etcd http:\/\/127\.0\.0\.1:\d+ under "\/eve-cni\/"\)/,
  );
  // Another plan over the same store is refused, naming both plans.
  const replan = await render(etcd.endpoint, "node00", "--node-bits", "5");
  assert.equal(replan.code, 4);
  assert.match(replan.stderr, /keeps node subnets for PodCIDR 10\.42\.0\.0\/16 with NodeBits 4/);
  // Another prefix is another store: node00 starts over there.
  const other = await render(etcd.endpoint, "node15", "--etcd-prefix", "/other/");
  assert.equal(subnetOf(other), "10.42.0.0/20");
});

Deno.test("render --etcd: etcd down or misnamed is a clear error, nothing written", async () => {
  const nobody = `http://127.0.0.1:${freePort()}`;
  const dir = await Deno.makeTempDir({ prefix: "evetest-render-etcd-" });
  try {
    const down = await render(nobody, "node1", "--out-dir", dir);
    assert.equal(down.code, 4);
    assert.match(
      down.stderr,
      new RegExp(`Cannot reach etcd at ${nobody} \\(connection refused\\)`),
    );
    assert.deepEqual([...Deno.readDirSync(dir)], [], "no config written without a subnet");
    const bad = await render("127.0.0.1:2379", "node1");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Invalid --etcd "127\.0\.0\.1:2379": expected etcd client URLs/);
    const both = await render(nobody, "node1", "--alloc-file", `${dir}/a.json`);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--etcd and --alloc-file both say where node subnets are kept/);
    const slash = await render(nobody, "a/b");
    assert.equal(slash.code, 2);
    assert.match(slash.stderr, /Invalid node name "a\/b" for etcd/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
