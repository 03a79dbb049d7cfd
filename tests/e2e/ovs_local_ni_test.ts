/**
 * A local network instance backed by an Open vSwitch bridge (`bridgeType: ovs`, userspace
 * datapath), end to end through libcni: the pod's net1 host veth becomes a port of the OVS
 * bridge, the NI's dnsmasq (on the bridge's own interface) leases the reserved address, the
 * pod pings its gateway; CHECK, eve-cni-debug check and bridges understand the OVS port; DEL
 * removes the port from OVS's database and the veth from the kernel.
 */
import assert from "node:assert/strict";
import {
  getLink,
  getOvsPort,
  listOvsPorts,
  readDnsmasqLeases,
  systemRunner,
} from "../../netns/mod.ts";
import { BridgesModelSchema } from "../../cli/eve-cni-debug/cmd_bridges.ts";
import { CheckModelSchema } from "../../cli/eve-cni-debug/cmd_check.ts";
import { ExitCode } from "../../cli/eve-cni-debug/exit_codes.ts";
import { CNIDRIVE, dnsmasqOf, ping, podAddresses } from "./harness.ts";
import {
  attachOvsPod,
  debugJson,
  OVS_ADAPTER,
  OVS_NI,
  ovsLocalNiConfig,
  ovsTest,
} from "./ovs_harness.ts";
import { checkAll, detach } from "./runtime.ts";

ovsTest(
  "e2e: a pod on an OVS-backed local NI gets its lease, pings the gateway, DEL unplugs",
  ovsLocalNiConfig(1500),
  async (ctx) => {
    const { node, ovs } = ctx;
    const { pod, attached, attachment } = await attachOvsPod(ctx);
    assert.ok(attachment, "zedrouter recorded the attachment");
    assert.deepEqual(attachment.problems, []);
    const host = attachment.hostIfName;
    assert.deepEqual(await listOvsPorts(systemRunner, ovs.db, OVS_NI.bridge), [host]);
    assert.equal((await getOvsPort(systemRunner, ovs.db, host))?.bridge, OVS_NI.bridge);

    // DHCP through the OVS bridge: the reservation, on the pod and in dnsmasq's lease file.
    assert.deepEqual(await podAddresses(pod, "net1"), [`${OVS_ADAPTER.ip}/24`]);
    const { leaseFile } = await dnsmasqOf(node, OVS_NI.name);
    const leases = (await readDnsmasqLeases(leaseFile)).map((l) => `${l.mac} ${l.ip}`);
    assert.deepEqual(leases, [`${OVS_ADAPTER.mac} ${OVS_ADAPTER.ip}`]);
    const gw = await ping(pod, "10.78.5.1");
    assert.ok(gw.ok, gw.output);

    await checkAll(CNIDRIVE, node, attached);
    const check = await debugJson(node, CheckModelSchema, "check", pod.name, "net1");
    assert.equal(check.code, ExitCode.Ok, JSON.stringify(check.model.results));
    const bridges = await debugJson(node, BridgesModelSchema, "bridges");
    const obr1 = bridges.model.bridges.find((b) => b.name === OVS_NI.bridge);
    assert.equal(obr1?.bridgeType, "ovs");
    assert.deepEqual(obr1?.ports.map((p) => p.name), [host]);
    const availability = bridges.model.availability.find((a) => a.bridge === OVS_NI.bridge);
    assert.deepEqual([availability?.bridgeType, availability?.available], ["ovs", true]);
    assert.equal(bridges.code, ExitCode.Ok, bridges.model.problems.join("; "));

    await detach(CNIDRIVE, node, attached);
    assert.deepEqual(await listOvsPorts(systemRunner, ovs.db, OVS_NI.bridge), []);
    assert.equal(await getLink(systemRunner, node.ns.ns, host), undefined);
  },
);
