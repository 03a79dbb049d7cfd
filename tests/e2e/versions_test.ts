/**
 * NetworkAttachmentDefinitions in the wild carry every cniVersion from 0.3.1 on: eve-bridge
 * chained before tuning must serve net1 through libcni at each one (results converted to the
 * NAD's version, prevResult parsed in it, CHECK where the spec has it) and leave nothing.
 */
import assert from "node:assert/strict";
import { APPS, CNIDRIVE, e2eTest, NI, podAddresses, podLink, trackedPod } from "./harness.ts";
import { findLeaks } from "../../scripts/sandbox/leaks.ts";
import { nadConflist } from "../../scripts/sandbox/node.ts";
import { cni } from "../../scripts/sandbox/pod.ts";
import { attach, detach } from "./runtime.ts";

for (const version of ["0.3.1", "0.4.0", "1.0.0"]) {
  e2eTest(
    `e2e: net1 through a cniVersion ${version} NAD (eve-bridge + tuning)`,
    {},
    async (ctx) => {
      const { node } = ctx;
      const conf = nadConflist(node, NI.local.name, NI.local.uuid, version);
      // tuning after eve-bridge: it must find net1 in prevResult and act on it.
      (conf.plugins as Record<string, unknown>[])[1] = { type: "tuning", mtu: 1400 };
      const path = `${node.dir}/nad-${version}.conflist`;
      await Deno.writeTextFile(path, JSON.stringify(conf));
      const pod = await trackedPod(ctx, "pod1", APPS.nginx);

      const attached = await attach(CNIDRIVE, node, pod, [
        { ifname: "net1", conflist: path, mac: APPS.nginx.local.mac },
      ]);
      const result = attached.results.get("net1")!;
      assert.equal(result.cniVersion, version);
      const ip = result.ips?.[0] as { address: string; version?: string; interface?: number };
      assert.equal(ip.address, `${APPS.nginx.local.ip}/24`);
      assert.equal(ip.version, version.startsWith("0.") ? "4" : undefined);
      assert.equal(result.interfaces?.[ip.interface ?? -1]?.sandbox, pod.netns.path);
      assert.deepEqual(await podAddresses(pod, "net1"), [`${APPS.nginx.local.ip}/24`]);
      assert.equal((await podLink(pod, "net1"))?.mtu, 1400, "tuning ran on eve-bridge's net1");

      const check = await cni(CNIDRIVE, node, "check", pod, attached.attachments[0]!);
      if (version === "0.3.1") {
        assert.notEqual(check.code, 0, "CHECK does not exist before 0.4.0");
      } else {
        assert.equal(check.code, 0, check.stderr);
      }
      await detach(CNIDRIVE, node, attached);
      assert.deepEqual(await findLeaks(node, ctx.pods), []);
    },
  );
}
