import assert from "node:assert/strict";
import { defaultConfig } from "./default_config.ts";
import { findAttachment, requireApp, selectAdapter } from "./resolve.ts";
import type { Attachment } from "./state.ts";

const config = defaultConfig();
const nginx = config.apps[0]!;
const vm = config.apps[1]!;

Deno.test("pods resolve to apps by prefix; unknown pods get EVE's error", () => {
  assert.equal(requireApp(config, "nginx-1a2b3-x7k2p"), nginx);
  assert.equal(requireApp(config, "virt-launcher-ubuntu-vm-9f8e7-abcde"), vm);
  assert.throws(
    () => requireApp(config, "redis-00000-abcde"),
    { message: "failed to find app network status for pod redis-00000-abcde" },
  );
});

Deno.test("adapters are picked by MAC, or by NI when the client names one", () => {
  assert.equal(selectAdapter(config, nginx, "02:16:3e:00:00:01", undefined).adapter.index, 0);
  const airgap = vm.adapters[1]!;
  const picked = selectAdapter(config, vm, "02:00:00:00:00:99", airgap.niUuid);
  assert.equal(picked.adapter, airgap);
  assert.equal(picked.ni.type, "switch");
  assert.throws(
    () => selectAdapter(config, nginx, "02:00:00:00:00:99", undefined),
    {
      message: `failed to find adapter with MAC 02:00:00:00:00:99 for app ${nginx.uuid}`,
    },
  );
  const missing = "00000000-0000-0000-0000-0000000000ff";
  assert.throws(
    () => selectAdapter(config, nginx, null, missing),
    { message: `missing network instance status for ${missing}` },
  );
  assert.throws(() => selectAdapter(config, nginx, null, airgap.niUuid), /failed to find adapter/);
});

Deno.test("attachments are found by pod and interface name", () => {
  const base = {
    appUuid: nginx.uuid,
    adapterIndex: 0,
    niUuid: nginx.adapters[0]!.niUuid,
    bridge: "bn1",
    podNetnsPath: "/var/run/netns/p",
    hostIfName: "nbu1x1",
    mac: "02:16:3e:00:00:01",
    mtu: 1500,
    usesDhcp: true,
    l3: null,
    connectedAt: "",
  };
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
