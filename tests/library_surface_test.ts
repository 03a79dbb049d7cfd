/**
 * The library surface in use, as another TypeScript tool would use it: a server and a client
 * from mod.ts over a real unix socket, with the Go encoding checked on the wire.
 */
import assert from "node:assert/strict";
import { encodeGo, EVE_METHODS, RpcClient, RpcRemoteError, serveRpc } from "../mod.ts";

Deno.test("mod.ts: serve and call EVE's methods through the library surface", async () => {
  const dir = await Deno.makeTempDir();
  const server = await serveRpc({
    path: `${dir}/rpc.sock`,
    handlers: {
      "RPCServer.CheckPodConnection": (args) =>
        args.pod.name === "nginx-1a2b3-x7k2p"
          ? Promise.resolve({ appUUID: "1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d", usesDHCP: true })
          : Promise.reject(new Error(`failed to find app network status for pod ${args.pod.name}`)),
    },
  });
  const client = await RpcClient.connect(server.path);
  try {
    const args = {
      pod: { name: "nginx-1a2b3-x7k2p", netNsPath: "/var/run/netns/p" },
      podInterface: { name: "net1", mac: null, netNsPath: "/var/run/netns/p" },
    };
    const ok = await client.call("RPCServer.CheckPodConnection", args);
    assert.deepEqual(ok, { appUUID: "1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d", usesDHCP: true });
    await assert.rejects(
      client.call("RPCServer.CheckPodConnection", { ...args, pod: { ...args.pod, name: "x" } }),
      (e) =>
        e instanceof RpcRemoteError &&
        /failed to find app network status for pod x/.test(e.message),
    );
    const raw = await client.callRaw("RPCServer.CheckPodConnection", [
      encodeGo(EVE_METHODS["RPCServer.CheckPodConnection"].params, args),
    ]);
    assert.match(raw.request, /"PodInterface":\{"Name":"net1","MAC":null/);
    assert.match(raw.replyText, /"UsesDHCP":true/);
  } finally {
    await client.close();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
