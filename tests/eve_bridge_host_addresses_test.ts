/**
 * The node's addresses eve-bridge protects from a DHCP lease (lease_guard.ts), read by Deno
 * in the namespace the plugin runs in, against what the kernel holds there: a sandbox
 * namespace with addresses of its own, the plugin's code run inside it.
 */
import assert from "node:assert/strict";
import { sandboxTest } from "../scripts/sandbox/sandbox.ts";

const LEASE_GUARD = new URL("../plugin/eve-bridge/lease_guard.ts", import.meta.url).href;

sandboxTest("hostAddresses: the namespace's IPv4 addresses, loopback's aside", [], async (sb) => {
  const node = await sb.netns("node");
  const ip = (...args: string[]) => sb.exec(node, ["ip", ...args]);
  for (
    const argv of [
      // A veth pair: this kernel may have no dummy module.
      ["link", "add", "d0", "type", "veth", "peer", "name", "d1"],
      ["addr", "add", "10.91.0.2/24", "dev", "d0"],
      ["addr", "add", "10.91.0.3/32", "dev", "d0"],
      ["addr", "add", "192.168.77.1/16", "dev", "d1"], // d1 stays down: still the node's
      ["addr", "add", "fd00:91::2/64", "dev", "d0"],
      ["link", "set", "lo", "up"],
      ["link", "set", "d0", "up"],
    ]
  ) assert.equal((await ip(...argv)).code, 0, argv.join(" "));
  const run = await sb.exec(node, [
    Deno.execPath(),
    "eval",
    `import { hostAddresses } from "${LEASE_GUARD}"; console.log(JSON.stringify(hostAddresses()))`,
  ]);
  assert.equal(run.code, 0, run.stderr);
  const found = (JSON.parse(run.stdout) as string[]).sort();
  assert.deepEqual(found, ["10.91.0.2", "10.91.0.3", "192.168.77.1"]);
  // What `ip` lists there, minus loopback: the same set.
  const listed = (await ip("-4", "-o", "addr", "show")).stdout.split("\n")
    .map((line) => line.match(/ inet (\d+\.\d+\.\d+\.\d+)\//)?.[1])
    .filter((a): a is string => a !== undefined && !a.startsWith("127."));
  assert.deepEqual(listed.sort(), found);
});
