/**
 * `./run demo` and its optional OVS part (`--ovs`), run as a user runs them (scripts/demo.ts
 * with the built programs): each exits 0 with its closing line, the OVS part shows the OVS
 * NI applied, the pod's lease and ping, and stops both OVS daemons; afterwards none of the
 * demo's namespaces is left and the daemons' pids are gone. An unknown argument is exit 2.
 */
import assert from "node:assert/strict";
import { isAlive, listNetns, systemRunner } from "../../netns/mod.ts";
import { ovsSkipReason } from "../../scripts/sandbox/ovs.ts";
import { DEMO_OVS_APP, DEMO_OVS_NI } from "../../scripts/demo_ovs.ts";
import { e2eSkipReason } from "./harness.ts";

const SKIP = await e2eSkipReason();
const DEMO = new URL("../../scripts/demo.ts", import.meta.url).pathname;

async function runDemo(...args: string[]): Promise<{ code: number; out: string }> {
  const r = await systemRunner([Deno.execPath(), "run", "--allow-all", DEMO, ...args], {
    timeoutMs: 120_000,
  });
  return { code: r.code, out: `${r.stdout}${r.stderr}` };
}

/** The sandbox prefix the demo narrates, and that none of its namespaces is left. */
async function assertNamespacesGone(out: string): Promise<void> {
  const prefix = out.match(/Creating the node namespace (evetest-[a-z0-9]{6})-node/)?.[1];
  assert.ok(prefix, out);
  const left = (await listNetns(systemRunner)).filter((n) => n.startsWith(`${prefix}-`));
  assert.deepEqual(left, []);
}

function demoTest(name: string, skip: string | undefined, fn: () => Promise<void>): void {
  Deno.test({ name: skip ? `${name} (skipped: ${skip})` : name, ignore: skip !== undefined, fn });
}

demoTest(
  "demo: the default demo attaches, pings, inspects and detaches two pods",
  SKIP,
  async () => {
    const { code, out } = await runDemo();
    assert.equal(code, 0, out);
    assert.match(out, /Demo finished: two pods attached through eve-bridge/);
    assert.doesNotMatch(out, /OVS/);
    assert.match(out, /nothing left behind/);
    await assertNamespacesGone(out);
  },
);

demoTest(
  "demo --ovs: an OVS-backed NI applied, a pod on it leased and pinging, the daemons stopped",
  SKIP ?? ovsSkipReason(),
  async () => {
    const { code, out } = await runDemo("--ovs");
    assert.equal(code, 0, out);
    assert.match(out, new RegExp(`${DEMO_OVS_NI.name} \\(added\\): SuccessfullyConfigured`));
    const { mac, ip } = DEMO_OVS_APP.adapter;
    assert.ok(out.includes(`dnsmasq's lease: ${mac} ${ip}`), out);
    assert.match(out, new RegExp(`-> ${DEMO_OVS_NI.gateway.replaceAll(".", "\\.")}: 64 bytes`));
    assert.match(out, /Demo finished: three pods \(one on an OVS bridge\)/);
    // The demo's own leak check, the OVS pod's lease in ni-ovs's dnsmasq included.
    assert.match(out, /nothing left behind/);
    const pids = out.match(/stopped ovs-vswitchd (\d+) and ovsdb-server (\d+)/);
    assert.ok(pids, out);
    assert.deepEqual([isAlive(Number(pids[1])), isAlive(Number(pids[2]))], [false, false]);
    await assertNamespacesGone(out);
  },
);

demoTest("demo: an unknown argument is a usage error", SKIP, async () => {
  const { code, out } = await runDemo("--bogus");
  assert.equal(code, 2);
  assert.match(out, /usage: \.\/run demo \[--ovs\]/);
});
