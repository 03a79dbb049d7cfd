import assert from "node:assert/strict";
import { parseConfigText } from "./config.ts";
import { defaultConfig } from "./default_config.ts";
import { findAttachment, requireApp, selectAdapter } from "./resolve.ts";
import type { Attachment } from "./state.ts";

const config = defaultConfig();
const nginx = config.apps[0]!;
const vm = config.apps[1]!;

/** An attachment of adapter `adapterIndex` (pod and interface names to be set). */
function attachment(appUuid: string, adapterIndex: number, niUuid: string) {
  return {
    appUuid,
    adapterIndex,
    niUuid,
    bridge: "bn1",
    podNetnsPath: "/var/run/netns/p",
    hostIfName: `nbu${adapterIndex + 1}x1`,
    mac: "02:16:3e:00:00:01",
    mtu: 1500,
    usesDhcp: true,
    l3: null,
    connectedAt: "",
  };
}

Deno.test("pods resolve to apps by prefix; unknown pods get EVE's error", () => {
  assert.equal(requireApp(config, "nginx-1a2b3-x7k2p"), nginx);
  assert.equal(requireApp(config, "virt-launcher-ubuntu-vm-9f8e7-abcde"), vm);
  assert.throws(
    () => requireApp(config, "redis-00000-abcde"),
    { message: "failed to find app network status for pod redis-00000-abcde" },
  );
});

/** A ConnectPodAtL2 request of pod "p" for interface "net1". */
const req = (mac: string | null, networkInstance?: string, podIfName = "net1") => ({
  podName: "p",
  podIfName,
  mac,
  networkInstance,
});

Deno.test("adapters are picked by MAC, or by NI when the client names one", () => {
  assert.equal(selectAdapter(config, nginx, req("02:16:3e:00:00:01")).adapter.index, 0);
  const airgap = vm.adapters[1]!;
  const picked = selectAdapter(config, vm, req("02:00:00:00:00:99", airgap.niUuid));
  assert.equal(picked.adapter, airgap);
  assert.equal(picked.ni.type, "switch");
  assert.throws(
    () => selectAdapter(config, nginx, req("02:00:00:00:00:99")),
    {
      message: `failed to find adapter with MAC 02:00:00:00:00:99 for app ${nginx.uuid}`,
    },
  );
  const missing = "00000000-0000-0000-0000-0000000000ff";
  assert.throws(
    () => selectAdapter(config, nginx, req(null, missing)),
    { message: `missing network instance status for ${missing}` },
  );
  assert.throws(
    () => selectAdapter(config, nginx, req(null, airgap.niUuid)),
    /failed to find adapter/,
  );
});

Deno.test("by NI, a pod's second interface gets the adapter its first one does not hold", () => {
  const twice = parseConfigText(`
networkInstances: [{name: a, type: local, bridge: bn1, subnet: 10.0.0.0/24}]
apps:
  - {name: x, uuid: ${nginx.uuid}, adapters: [{networkInstance: a}, {networkInstance: a}]}
`);
  const app = twice.apps[0]!;
  const ni = app.adapters[0]!.niUuid;
  const held = (podName: string, podIfName: string, adapterIndex: number): Attachment => ({
    ...attachment(app.uuid, adapterIndex, ni),
    podName,
    podIfName,
  });
  const pick = (podIfName: string, attachments: Attachment[], mac: string | null = null) =>
    selectAdapter(twice, app, req(mac, ni, podIfName), attachments).adapter.index;

  assert.equal(pick("net1", []), 0);
  const first = [held("p", "net1", 0)];
  assert.equal(pick("net2", first), 1, "net1 holds adapter 0");
  assert.equal(pick("net1", first), 0, "a repeated call keeps its adapter");
  assert.equal(pick("net1", [held("p", "net1", 1)]), 1, "even when it is not the first");
  assert.equal(pick("net2", first, "02:00:00:00:00:77"), 1, "a MAC that matches none");
  assert.equal(pick("net2", first, app.adapters[0]!.mac), 0, "a matching MAC decides");
  assert.equal(pick("net1", [held("old-pod", "net1", 0)]), 0, "another pod's hold is replaced");
  const both = [...first, held("p", "net2", 1)];
  assert.equal(pick("net2", both), 1);
  assert.throws(
    () => pick("net3", both),
    {
      message: `failed to find adapter with pod interface net3 for app ${app.uuid}: every ` +
        `adapter of the app on network instance ${ni} is attached to another pod interface ` +
        "(net1, net2)",
    },
  );
  // One adapter on the NI: a second interface of the pod must not take over the first's.
  const airgap = vm.adapters[1]!;
  assert.throws(
    () =>
      selectAdapter(config, vm, req(null, airgap.niUuid, "net2"), [
        { ...attachment(vm.uuid, airgap.index, airgap.niUuid), podName: "p", podIfName: "net1" },
      ]),
    /failed to find adapter with pod interface net2 for app .*\(net1\)$/,
  );
});

Deno.test("attachments are found by pod and interface name", () => {
  const base = attachment(nginx.uuid, 0, nginx.adapters[0]!.niUuid);
  const list: Attachment[] = [
    { ...base, podName: "old-pod", podIfName: "net1" },
    { ...base, podName: "new-pod", podIfName: "net1" },
  ];
  assert.equal(findAttachment(list, "new-pod", "net1", undefined), list[1]);
  assert.equal(findAttachment(list, "new-pod", "net2", undefined), undefined);
  assert.equal(
    findAttachment(list, "new-pod", "net1", "00000000-0000-0000-0000-000000000000"),
    undefined,
  );
});
