/** Root tests: rules, tables, permanent neighbours and sysctls through ip -batch, read back. */
import assert from "node:assert/strict";
import {
  addAddr,
  CommandError,
  createVethPair,
  delNeighbour,
  delSourceRule,
  getSysctls,
  interfaceSysctlKey,
  listRules,
  permanentNeighbourCommand,
  readInterfaceView,
  readRoutingView,
  routeCommand,
  runIpBatch,
  setLinkUp,
  setSysctls,
  sourceRuleCommand,
  systemRunner as run,
} from "../netns/mod.ts";
import { sandboxTest } from "../scripts/sandbox/sandbox.ts";

sandboxTest(
  "ip batch: rules, a table and neighbours in a pod, read back in one view",
  ["sysctl"],
  async (sb) => {
    const node = await sb.netns("node");
    const pod = await sb.netns("pod");
    await createVethPair(run, node.ns, { hostName: "h1", peerName: "net1", peerNetns: pod.ns });
    await setLinkUp(run, pod.ns, "net1");
    await addAddr(run, pod.ns, "net1", "10.77.0.5/24");
    await addAddr(run, pod.ns, "net1", "fd00:77::5/64");
    const commands = [
      routeCommand("replace", { dst: "default", via: "10.77.0.1", dev: "net1", table: 101 }),
      routeCommand("replace", {
        dst: "10.43.0.0/16",
        via: "10.77.0.1",
        dev: "net1",
        onlink: true,
        table: 101,
      }),
      sourceRuleCommand("add", { src: "10.77.0.5/32", table: 101, priority: 1000 }),
      sourceRuleCommand("add", { src: "fd00:77::5/128", table: 101, priority: 1000 }),
      permanentNeighbourCommand({ ip: "10.77.0.1", dev: "net1", mac: "02:00:00:00:00:01" }),
    ];
    await runIpBatch(run, pod.ns, commands);

    const view = await readRoutingView(run, pod.ns);
    const table = view.routes.filter((r) => r.table === "101");
    assert.deepEqual(table.map((r) => [r.dst, r.gateway, r.dev, r.onlink]), [
      ["default", "10.77.0.1", "net1", false],
      ["10.43.0.0/16", "10.77.0.1", "net1", true],
    ]);
    const connected = view.routes.find((r) => r.dst === "10.77.0.0/24");
    assert.deepEqual([connected?.table, connected?.prefsrc, connected?.protocol], [
      null,
      "10.77.0.5",
      "kernel",
    ]);
    assert.ok(
      view.rules.some((r) => r.src === "10.77.0.5" && r.table === "101" && r.priority === 1000),
    );
    assert.ok((await listRules(run, pod.ns, "inet6")).some((r) => r.src === "fd00:77::5"));
    const neighbour = view.neighbours.find((n) => n.ip === "10.77.0.1");
    assert.deepEqual(neighbour, {
      ip: "10.77.0.1",
      dev: "net1",
      mac: "02:00:00:00:00:01",
      state: ["PERMANENT"],
    });
    assert.equal(view.links.find((l) => l.name === "net1")?.mac !== null, true);

    // Replaces are idempotent; a second identical rule is the kernel's "exists", naming the rule.
    await runIpBatch(run, pod.ns, [commands[0]!, commands[4]!]);
    const again = await runIpBatch(run, pod.ns, [commands[2]!]).catch((e) => e);
    assert.ok(again instanceof CommandError && again.kind === "exists", String(again));
    assert.match(again.message, /rule add from 10\.77\.0\.5\/32 lookup 101 pref 1000/);

    // Deletes of what is not there succeed.
    await delSourceRule(run, pod.ns, { src: "10.77.0.5/32", table: 101, priority: 1000 });
    await delSourceRule(run, pod.ns, { src: "10.77.0.5/32", table: 101, priority: 1000 });
    await delNeighbour(run, pod.ns, { ip: "10.77.0.1", dev: "net1" });
    await delNeighbour(run, pod.ns, { ip: "10.77.0.1", dev: "net1" });
    assert.ok(!(await listRules(run, pod.ns)).some((r) => r.table === "101"));

    const h1 = await readInterfaceView(run, node.ns, "h1");
    assert.equal(h1?.link.name, "h1");
    assert.equal(await readInterfaceView(run, node.ns, "nope0"), undefined);

    // (New namespaces may inherit the host's values: compare with what was there.)
    const keys = ["all", "net1"].map((n) => interfaceSysctlKey("ipv4", n, "rp_filter"));
    const nodeKey = interfaceSysctlKey("ipv4", "h1", "rp_filter");
    const [all] = await getSysctls(run, pod.ns, keys);
    const [nodeBefore] = await getSysctls(run, node.ns, [nodeKey]);
    const value = nodeBefore === "2" ? 1 : 2;
    await setSysctls(run, pod.ns, [[keys[1]!, value]]);
    assert.deepEqual(await getSysctls(run, pod.ns, keys), [all, String(value)]);
    assert.deepEqual(await getSysctls(run, node.ns, [nodeKey]), [nodeBefore], "node untouched");
  },
);
