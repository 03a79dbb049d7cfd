/**
 * When zedrouter does not answer, eve-cni-debug falls back to fake-zedrouter's state dir.
 * This test writes state.json with fake-zedrouter's own writer (and a dnsmasq conf beside it)
 * and reads it the way eve-cni-debug does: the two must agree on the file's field names.
 */
import assert from "node:assert/strict";
import { RpcSocketMissingError } from "../rpc/mod.ts";
import { emptyState, writeStateFile } from "../cli/fake-zedrouter/state.ts";
import type { CommandContext } from "../cli/eve-cni-debug/context.ts";
import { readZedrouterView } from "../cli/eve-cni-debug/zedrouter_view.ts";
import { defaultDeps } from "../cli/eve-cni-debug/mod.ts";

const APP = "11111111-aaaa-4aaa-8aaa-111111111111";
const NI = "22222222-bbbb-4bbb-8bbb-222222222222";

Deno.test("eve-cni-debug reads fake-zedrouter's state dir when the socket is missing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eve-cni-debug-zr-state-" });
  try {
    const state = emptyState();
    state.appNums[APP] = 1;
    state.boundPods[APP] = { podName: "web-1", podNetnsPath: "/var/run/netns/cni-1" };
    state.attachments[`${APP}/0`] = {
      appUuid: APP,
      adapterIndex: 0,
      niUuid: NI,
      bridge: "bn1",
      podName: "web-1",
      podNetnsPath: "/var/run/netns/cni-1",
      podIfName: "net1",
      hostIfName: "nbu1x1",
      mac: "02:16:3E:00:00:01",
      mtu: 1500,
      usesDhcp: true,
      l3: {
        ips: [{ address: "10.11.12.50/24", gateway: "10.11.12.1" }],
        routes: [{ dst: "0.0.0.0/0", gw: "10.11.12.1" }],
        dns: { nameservers: ["10.11.12.1"], domain: "", search: [], options: [] },
      },
      connectedAt: "2026-01-01T00:00:00.000Z",
    };
    await writeStateFile(`${dir}/state.json`, state);
    await Deno.writeTextFile(
      `${dir}/dnsmasq-ni-local.conf`,
      "interface=bn1\ndhcp-host=02:16:3E:00:00:01,id:*,10.11.12.50,web\n",
    );
    const socket = `${dir}/missing.sock`;
    const ctx: CommandContext = {
      globals: {
        socket,
        stateDir: `${dir}/eve-bridge`,
        zedrouterStateDir: dir,
        logFile: `${dir}/eve-bridge.log`,
        hostNetns: undefined,
        dialect: "go",
        timeoutMs: 1000,
        json: true,
      },
      deps: {
        ...defaultDeps({}),
        connect: () => Promise.reject(new RpcSocketMissingError(socket)),
      },
    };
    const view = await readZedrouterView(ctx);
    assert.equal(view.source, "state-file");
    assert.equal(view.reachable, false);
    assert.match(view.note ?? "", /no such socket/);
    assert.deepEqual(view.attachments, [{
      appUuid: APP,
      appName: null,
      adapterIndex: 0,
      niUuid: NI,
      bridge: "bn1",
      podName: "web-1",
      podNetnsPath: "/var/run/netns/cni-1",
      podIfName: "net1",
      hostIfName: "nbu1x1",
      mac: "02:16:3e:00:00:01",
      mtu: 1500,
      usesDhcp: true,
      l3: {
        ips: [{ address: "10.11.12.50/24", gateway: "10.11.12.1" }],
        routes: [{ dst: "0.0.0.0/0", gw: "10.11.12.1" }],
      },
      zedrouterProblems: [],
    }]);
    assert.deepEqual(view.apps, [{
      name: APP,
      uuid: APP,
      kubeName: "",
      boundPod: "web-1",
      adapters: [],
    }]);
    assert.equal(view.dnsmasq.length, 1);
    assert.equal(view.dnsmasq[0]?.ni, "ni-local");
    assert.equal(view.dnsmasq[0]?.bridge, "bn1");
    assert.deepEqual(view.dnsmasq[0]?.reservations, [
      { mac: "02:16:3e:00:00:01", ip: "10.11.12.50", hostname: "web" },
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
