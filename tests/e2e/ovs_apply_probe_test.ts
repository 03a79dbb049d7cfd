/**
 * Apply's DHCP probe on an OVS-backed local NI (userspace datapath): the probe port joins
 * the OVS bridge as a port, the NI's dnsmasq leases the probe MAC its reservation through
 * it, and afterwards the port is gone from OVS's database and the kernel while the pod's
 * port stays.
 */
import assert from "node:assert/strict";
import { getLink, listNetns, listOvsPorts, systemRunner } from "../../netns/mod.ts";
import { findLeaks } from "../../scripts/sandbox/leaks.ts";
import { PROBE_PORT } from "../../cli/fake-zedrouter/apply_dhcp_probe.ts";
import { APPLY_PROBE_MAC } from "../../cli/fake-zedrouter/identity.ts";
import { CNIDRIVE, dnsmasqOf, ping } from "./harness.ts";
import { applyToNode, niResult } from "./apply_harness.ts";
import { attachOvsPod, OVS_NI, ovsLocalNiConfig, ovsTest } from "./ovs_harness.ts";
import { detach } from "./runtime.ts";

ovsTest(
  "e2e: apply's DHCP probe leases through an OVS bridge's probe port",
  ovsLocalNiConfig(1500),
  async (
    ctx,
  ) => {
    const { node, ovs } = ctx;
    const { pod, attached, attachment } = await attachOvsPod(ctx);
    const ports = await listOvsPorts(systemRunner, ovs.db, OVS_NI.bridge);
    assert.deepEqual(ports, [attachment!.hostIfName]);

    const next = ovsLocalNiConfig(1400);
    const applied = await applyToNode(node, {
      ...next,
      ovs: { db: ovs.db.socket, datapathType: "netdev" },
    });
    assert.equal(applied.code, 0, JSON.stringify(applied.record));
    assert.equal(niResult(applied.record, OVS_NI.name)?.outcome, "SuccessfullyConfigured");
    const log = await Deno.readTextFile((await dnsmasqOf(node, OVS_NI.name)).logFile);
    for (const what of ["DHCPACK", "DHCPRELEASE"]) {
      assert.ok(log.includes(`${what}(${OVS_NI.bridge}) 10.78.5.254 ${APPLY_PROBE_MAC}`), log);
    }
    // The probe port left OVS's database and the kernel; the pod's port is still there.
    assert.deepEqual(await listOvsPorts(systemRunner, ovs.db, OVS_NI.bridge), ports);
    assert.equal(await getLink(systemRunner, node.ns.ns, PROBE_PORT), undefined);
    const probeNs = (await listNetns(systemRunner)).filter((n) => n.startsWith(node.ns.name));
    assert.ok(!probeNs.some((n) => n.endsWith("-dhcp-probe")), probeNs.join());
    const gw = await ping(pod, "10.78.5.1");
    assert.ok(gw.ok, gw.output);

    await detach(CNIDRIVE, node, attached);
    assert.deepEqual(await findLeaks(node, ctx.pods), []);
  },
);
