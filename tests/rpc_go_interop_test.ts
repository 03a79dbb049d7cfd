/**
 * Interop with the real Go net/rpc/jsonrpc (tests/go/rpcpeer): Go's client against our
 * server, our client against Go's server. The Go side reports what it decoded byte by byte,
 * so MACs, IPNets, gateways and nil-versus-empty slices are checked from Go's point of view.
 */
import assert from "node:assert/strict";
import {
  type CheckPodConnectionArgs,
  type ConnectPodAtL2Args,
  type ConnectPodAtL3Args,
  type HandlerMap,
  RpcClient,
  RpcRemoteError,
  serveRpc,
} from "../rpc/mod.ts";
import { runRpcPeer, startGoServer } from "./go/rpcpeer/peer.ts";
import { withTempDir } from "../core/mod.ts";

const APP = "1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d";
const NETNS = "/var/run/netns/cni-5e0c";

/** What rpcpeer's "all" case sends, in the friendly form. */
const GO_POD = { name: "nginx-1a2b3-0-x7k2p", netNsPath: NETNS, namespace: "eve-kube-app" };
const GO_IFACE = { name: "net1", mac: "1e:a8:c3:77:12:5d", netNsPath: NETNS };
const GO_NI = "9f3c1d2e-4b5a-4c6d-8e7f-0a1b2c3d4e5f";

const withDir = <T>(fn: (dir: string) => Promise<T>) => withTempDir("rpc-interop-", fn);

/** Handlers that record what they were given and answer like rpcpeer's server does. */
function recordingHandlers(
  seen: Record<string, unknown>,
  delay?: () => number,
): Partial<HandlerMap> {
  const pause = () => new Promise((r) => setTimeout(r, delay ? delay() : 0));
  return {
    "RPCServer.ConnectPodAtL2": async (params) => {
      seen["RPCServer.ConnectPodAtL2"] = params;
      await pause();
      if (params.pod.name === "fail") {
        throw new Error(`failed to find app network status for pod ${params.pod.name}`);
      }
      return {
        appUUID: APP,
        useDHCP: true,
        interfaces: [
          { name: "bn1", mac: "00:16:3e:5a:c1:01", netNsPath: "" },
          { name: "nbu1x1", mac: null, netNsPath: "" },
          params.podInterface,
        ],
      };
    },
    "RPCServer.ConnectPodAtL3": (params) => {
      seen["RPCServer.ConnectPodAtL3"] = params;
      return Promise.resolve({ appUUID: APP });
    },
    "RPCServer.DisconnectPod": (params) => {
      seen["RPCServer.DisconnectPod"] = params;
      return Promise.resolve({ appUUID: APP, usedDHCP: true });
    },
    "RPCServer.CheckPodConnection": (params) => {
      seen["RPCServer.CheckPodConnection"] = params;
      return Promise.resolve({ appUUID: APP, usesDHCP: true });
    },
  };
}

Deno.test("Go client -> our server: all four methods, Go checks the replies, we check the args", async () => {
  await withDir(async (dir) => {
    const seen: Record<string, unknown> = {};
    const server = await serveRpc({ path: `${dir}/rpc.sock`, handlers: recordingHandlers(seen) });
    try {
      const run = await runRpcPeer(["client", "-socket", server.path, "-case", "all"]);
      assert.equal(run.stdout.trim(), '{"calls":4,"ok":true}', run.stderr);
      assert.equal(run.code, 0);
      const common = { pod: GO_POD, podInterface: GO_IFACE, networkInstance: GO_NI };
      assert.deepEqual(seen["RPCServer.ConnectPodAtL2"], common);
      assert.deepEqual(seen["RPCServer.ConnectPodAtL3"], {
        ...common,
        ips: [
          { address: "10.11.12.5/24", gateway: "10.11.12.1" },
          { address: "fd00:11::5/64", gateway: "fd00:11::1" },
        ],
        routes: [
          { dst: "0.0.0.0/0", gw: "10.11.12.1" },
          { dst: "10.43.0.0/16", gw: null },
        ],
        dns: { nameservers: ["10.11.12.1"], domain: "", search: null, options: [] },
      });
      const noMac = { ...common, podInterface: { ...GO_IFACE, mac: null } };
      assert.deepEqual(seen["RPCServer.CheckPodConnection"], noMac);
      assert.deepEqual(seen["RPCServer.DisconnectPod"], noMac);
    } finally {
      await server.close();
    }
  });
});

Deno.test("Go client -> our server: 64 calls in flight on one connection, replies out of order", async () => {
  await withDir(async (dir) => {
    const server = await serveRpc({
      path: `${dir}/rpc.sock`,
      handlers: recordingHandlers({}, () => Math.floor(Math.random() * 20)),
    });
    try {
      const run = await runRpcPeer(["client", "-socket", server.path, "-case", "concurrent"]);
      assert.equal(run.stdout.trim(), '{"calls":64,"ok":true}', run.stderr);
    } finally {
      await server.close();
    }
  });
});

Deno.test("Go client -> our server: handler errors and net/rpc's not-found errors read verbatim by Go", async () => {
  await withDir(async (dir) => {
    const server = await serveRpc({ path: `${dir}/rpc.sock`, handlers: recordingHandlers({}) });
    try {
      const run = await runRpcPeer(["client", "-socket", server.path, "-case", "errors"]);
      assert.equal(run.stdout.trim(), '{"calls":4,"ok":true}', run.stderr);
    } finally {
      await server.close();
    }
  });
});

Deno.test("Go client generic mode: Go-style params in, Go's view of the reply out", async () => {
  await withDir(async (dir) => {
    const server = await serveRpc({ path: `${dir}/rpc.sock`, handlers: recordingHandlers({}) });
    try {
      const params = JSON.stringify({
        Pod: { Name: "p-1", NetNsPath: NETNS },
        PodInterface: { Name: "net1", MAC: "HqjDdxJd", NetNsPath: NETNS },
      });
      const ok = await runRpcPeer([
        "client",
        "-socket",
        server.path,
        "-method",
        "ConnectPodAtL2",
        "-params",
        params,
      ]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.deepEqual(JSON.parse(ok.stdout), {
        error: null,
        result: {
          AppUUID: APP,
          UseDHCP: true,
          Interfaces: [
            { Name: "bn1", MAC: "ABY+WsEB", NetNsPath: "" },
            { Name: "nbu1x1", MAC: null, NetNsPath: "" },
            { Name: "net1", MAC: "HqjDdxJd", NetNsPath: NETNS },
          ],
        },
      });
      const failing = params.replace('"p-1"', '"fail"');
      const bad = await runRpcPeer([
        "client",
        "-socket",
        server.path,
        "-method",
        "RPCServer.ConnectPodAtL2",
        "-params",
        failing,
      ]);
      assert.equal(bad.code, 1);
      assert.deepEqual(JSON.parse(bad.stdout), {
        result: null,
        error: "failed to find app network status for pod fail",
      });
    } finally {
      await server.close();
    }
  });
});

// ---- our client -> Go's server ----

const L2: ConnectPodAtL2Args = {
  pod: { name: "nginx-1a2b3-0-x7k2p", netNsPath: NETNS },
  podInterface: { name: "net1", mac: "1e:a8:c3:77:12:5d", netNsPath: NETNS },
};
const L3: ConnectPodAtL3Args = {
  ...L2,
  ips: [
    { address: "10.11.12.5/24", gateway: "10.11.12.1" },
    { address: "fd00:11::5/64", gateway: null },
  ],
  routes: [{ dst: "0.0.0.0/0", gw: "10.11.12.1" }, { dst: "10.43.0.0/16", gw: null }],
  dns: { nameservers: ["10.11.12.1"], domain: "eve.local", search: null, options: [] },
};
const CHECK: CheckPodConnectionArgs = { ...L2, podInterface: { ...L2.podInterface, mac: null } };

/** Asks rpcpeer's server what it decoded (pod name "describe..." makes it say so). */
async function goView(
  client: RpcClient,
  method: "RPCServer.ConnectPodAtL3",
  args: ConnectPodAtL3Args,
): Promise<unknown>;
async function goView(
  client: RpcClient,
  method: "RPCServer.ConnectPodAtL2" | "RPCServer.CheckPodConnection",
  args: ConnectPodAtL2Args,
): Promise<unknown>;
async function goView(
  client: RpcClient,
  method: "RPCServer.ConnectPodAtL2" | "RPCServer.ConnectPodAtL3" | "RPCServer.CheckPodConnection",
  args: ConnectPodAtL3Args | ConnectPodAtL2Args,
): Promise<unknown> {
  const described = { ...args, pod: { ...args.pod, name: "describe" } };
  try {
    await client.call(method, described as ConnectPodAtL3Args);
  } catch (e) {
    if (e instanceof RpcRemoteError && e.remoteMessage.startsWith("decoded ")) {
      return JSON.parse(e.remoteMessage.slice("decoded ".length));
    }
    throw e;
  }
  throw new Error("rpcpeer did not describe the args");
}

Deno.test("our client -> Go server: all four methods, results decoded from Go's encoding", async () => {
  await withDir(async (dir) => {
    const go = await startGoServer(`${dir}/go.sock`);
    const client = await RpcClient.connect(go.socket);
    try {
      assert.deepEqual(await client.call("RPCServer.ConnectPodAtL2", L2), {
        appUUID: APP,
        useDHCP: true,
        interfaces: [
          { name: "bn1", mac: "00:16:3e:5a:c1:01", netNsPath: "" },
          { name: "nbu1x1", mac: null, netNsPath: "" },
          L2.podInterface,
        ],
      });
      assert.deepEqual(await client.call("RPCServer.ConnectPodAtL3", L3), { appUUID: APP });
      assert.deepEqual(await client.call("RPCServer.CheckPodConnection", CHECK), {
        appUUID: APP,
        usesDHCP: true,
      });
      assert.deepEqual(await client.call("RPCServer.DisconnectPod", CHECK), {
        appUUID: APP,
        usedDHCP: true,
      });
      await assert.rejects(
        client.call("RPCServer.ConnectPodAtL2", { ...L2, pod: { ...L2.pod, name: "fail" } }),
        (e: unknown) =>
          e instanceof RpcRemoteError &&
          e.remoteMessage === "failed to find app network status for pod fail",
      );
      await assert.rejects(
        client.call("Inspect.Health", {}),
        (e: unknown) =>
          e instanceof RpcRemoteError &&
          e.remoteMessage === "rpc: can't find service Inspect.Health",
      );
    } finally {
      await client.close();
      await go.stop();
    }
  });
});

Deno.test("our client -> Go server: Go decodes MAC bytes, IPNet IP and mask, gateways, nil vs empty", async () => {
  await withDir(async (dir) => {
    const go = await startGoServer(`${dir}/go.sock`);
    const client = await RpcClient.connect(go.socket);
    try {
      const pod = { PodName: "describe", PodNetNsPath: NETNS, PodNamespace: "" };
      assert.deepEqual(await goView(client, "RPCServer.ConnectPodAtL2", L2), {
        ...pod,
        PodInterface: { Name: "net1", MACHex: "1ea8c377125d", MACNil: false, NetNsPath: NETNS },
        NetworkInstance: "",
      });
      assert.deepEqual(
        await goView(client, "RPCServer.CheckPodConnection", {
          ...CHECK,
          pod: { ...CHECK.pod, namespace: "eve-kube-app" },
          networkInstance: "9F3C1D2E-4B5A-4C6D-8E7F-0A1B2C3D4E5F",
        }),
        {
          ...pod,
          PodNamespace: "eve-kube-app",
          PodInterface: { Name: "net1", MACHex: "", MACNil: true, NetNsPath: NETNS },
          NetworkInstance: "9f3c1d2e-4b5a-4c6d-8e7f-0a1b2c3d4e5f",
        },
      );
      const view = await goView(client, "RPCServer.ConnectPodAtL3", L3) as { IPAM: unknown };
      assert.deepEqual(view.IPAM, {
        IPsNil: false,
        IPs: [
          {
            Address: {
              Nil: false,
              IP: "10.11.12.5",
              IPLen: 16,
              MaskHex: "ffffff00",
              Prefix: 24,
              Bits: 32,
            },
            Gateway: { Text: "10.11.12.1", Nil: false, Len: 16 },
          },
          {
            Address: {
              Nil: false,
              IP: "fd00:11::5",
              IPLen: 16,
              MaskHex: "ffffffffffffffff0000000000000000",
              Prefix: 64,
              Bits: 128,
            },
            Gateway: { Text: "<nil>", Nil: true, Len: 0 },
          },
        ],
        RoutesNil: false,
        Routes: [
          {
            Dst: { Nil: false, IP: "0.0.0.0", IPLen: 16, MaskHex: "00000000", Prefix: 0, Bits: 32 },
            GW: { Text: "10.11.12.1", Nil: false, Len: 16 },
          },
          {
            Dst: {
              Nil: false,
              IP: "10.43.0.0",
              IPLen: 16,
              MaskHex: "ffff0000",
              Prefix: 16,
              Bits: 32,
            },
            GW: { Text: "<nil>", Nil: true, Len: 0 },
          },
        ],
        DNS: {
          Nameservers: { Nil: false, Values: ["10.11.12.1"] },
          Domain: "eve.local",
          Search: { Nil: true, Values: null },
          Options: { Nil: false, Values: [] },
        },
      });
      const empty = await goView(client, "RPCServer.ConnectPodAtL3", {
        ...L3,
        ips: null,
        routes: [],
        dns: { nameservers: null, domain: "", search: [], options: null },
      }) as { IPAM: Record<string, unknown> };
      assert.equal(empty.IPAM["IPsNil"], true);
      assert.equal(empty.IPAM["RoutesNil"], false);
      assert.deepEqual(empty.IPAM["DNS"], {
        Nameservers: { Nil: true, Values: null },
        Domain: "",
        Search: { Nil: false, Values: [] },
        Options: { Nil: true, Values: null },
      });
    } finally {
      await client.close();
      await go.stop();
    }
  });
});

Deno.test("our client -> Go server: a quick reply overtakes a slow one on the same connection", async () => {
  await withDir(async (dir) => {
    const go = await startGoServer(`${dir}/go.sock`);
    const client = await RpcClient.connect(go.socket);
    try {
      const order: string[] = [];
      const slow = client.call("RPCServer.ConnectPodAtL2", {
        ...L2,
        pod: { ...L2.pod, name: "slow-1" },
      })
        .then(() => order.push("slow"));
      const quick = client.call("RPCServer.ConnectPodAtL2", L2).then(() => order.push("quick"));
      await Promise.all([slow, quick]);
      assert.deepEqual(order, ["quick", "slow"]);
    } finally {
      await client.close();
      await go.stop();
    }
  });
});
