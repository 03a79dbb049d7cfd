/**
 * Issue 17, item 6: fake-zedrouter refuses a "pod" namespace that is its own under another
 * name (a bind mount of the node's namespace under /var/run/netns): ConnectPodAtL2 fails
 * naming the rule, and no link appears in zedrouter's namespace (read back from the kernel).
 */
import assert from "node:assert/strict";
import { listLinks, systemRunner } from "../netns/mod.ts";
import { sandboxTest } from "../scripts/sandbox/sandbox.ts";
import { goCall, podArgs, withZedrouter } from "./fake_zedrouter_harness.ts";

const WEB_MAC = "02:16:3e:77:00:01";

async function run(argv: string[]): Promise<void> {
  const out = await systemRunner(argv);
  if (out.code !== 0) throw new Error(`${argv.join(" ")}: ${out.stderr}`);
}

sandboxTest("fake-zedrouter: a pod netns that is zedrouter's own under another name is refused", [
  "dnsmasq",
  "go",
], async (sb) => {
  await withZedrouter(sb, async ({ node, zr }) => {
    const alias = `/var/run/netns/${sb.prefix}-alias`;
    await Deno.writeTextFile(alias, "");
    try {
      await run(["mount", "--bind", node.path, alias]);
      const before = (await listLinks(systemRunner, node.ns)).map((l) => l.name).sort();
      const r = await goCall(
        zr.socket,
        "RPCServer.ConnectPodAtL2",
        podArgs("web-11111-0-x7k2p", { path: alias }, "net1", WEB_MAC),
      );
      assert.equal(r.ok, false, "ConnectPodAtL2 must fail");
      assert.match(r.ok ? "" : r.error, /is zedrouter's own network namespace under another name/);
      const after = (await listLinks(systemRunner, node.ns)).map((l) => l.name).sort();
      assert.deepEqual(after, before, "no link made in zedrouter's namespace");
    } finally {
      await systemRunner(["umount", alias]);
      await Deno.remove(alias).catch(() => {});
    }
  });
});
