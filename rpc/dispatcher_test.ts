import assert from "node:assert/strict";
import { memoryStreamPair } from "./byte_stream.ts";
import { RpcClient } from "./client.ts";
import { serveConnection } from "./connection.ts";
import type { ConnectPodAtL2Args } from "./contract.ts";
import { RpcDispatcher } from "./dispatcher.ts";
import { RpcRemoteError } from "./errors.ts";
import type { Dialect, HandlerMap } from "./methods.ts";

const APP = "1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d";
const ARGS: ConnectPodAtL2Args = {
  pod: { name: "nginx-1a2b3-0-x7k2p", netNsPath: "/var/run/netns/cni-5e0c" },
  podInterface: { name: "net1", mac: "1e:a8:c3:77:12:5d", netNsPath: "/var/run/netns/cni-5e0c" },
};

const handlers: Partial<HandlerMap> = {
  "RPCServer.ConnectPodAtL2": (params) =>
    Promise.resolve({
      appUUID: APP,
      useDHCP: true,
      interfaces: [{ name: "bn1", mac: "00:16:3e:5a:c1:01", netNsPath: "" }, params.podInterface],
    }),
  "RPCServer.CheckPodConnection": (params) =>
    Promise.reject(new Error(`failed to find app network status for pod ${params.pod.name}`)),
};

/** A client and a served connection over an in-memory pair. */
function pair(dialect: Dialect) {
  const [clientEnd, serverEnd] = memoryStreamPair();
  const served = serveConnection(serverEnd, new RpcDispatcher(handlers));
  const client = RpcClient.over(clientEnd, "memory", { dialect });
  return {
    client,
    async close() {
      await client.close();
      await served;
    },
  };
}

for (const dialect of ["go", "jsonrpc2"] as const) {
  Deno.test(`in-memory ${dialect}: a call returns the handler's result, decoded`, async () => {
    const { client, close } = pair(dialect);
    try {
      const result = await client.call("RPCServer.ConnectPodAtL2", ARGS);
      assert.deepEqual(result, {
        appUUID: APP,
        useDHCP: true,
        interfaces: [{ name: "bn1", mac: "00:16:3e:5a:c1:01", netNsPath: "" }, ARGS.podInterface],
      });
    } finally {
      await close();
    }
  });

  Deno.test(`in-memory ${dialect}: a handler's error reaches the caller verbatim`, async () => {
    const { client, close } = pair(dialect);
    try {
      await assert.rejects(
        client.call("RPCServer.CheckPodConnection", {
          ...ARGS,
          podInterface: { ...ARGS.podInterface, mac: null },
        }),
        (e: unknown) =>
          e instanceof RpcRemoteError &&
          e.remoteMessage === "failed to find app network status for pod nginx-1a2b3-0-x7k2p",
      );
    } finally {
      await close();
    }
  });

  Deno.test(`in-memory ${dialect}: a method without a handler is net/rpc's "can't find method"`, async () => {
    const { client, close } = pair(dialect);
    try {
      await assert.rejects(
        client.call("RPCServer.DisconnectPod", ARGS),
        (e: unknown) =>
          e instanceof RpcRemoteError &&
          e.remoteMessage === "rpc: can't find method RPCServer.DisconnectPod" &&
          e.code === (dialect === "go" ? undefined : -32601),
      );
      await assert.rejects(
        client.call("Inspect.Health", {}),
        (e: unknown) =>
          e instanceof RpcRemoteError &&
          e.remoteMessage === "rpc: can't find service Inspect.Health",
      );
    } finally {
      await close();
    }
  });
}

Deno.test("in-memory go: the wire carries Go's encoding (base64 MAC, PascalCase keys)", async () => {
  const { client, close } = pair("go");
  try {
    const raw = await client.callRaw("RPCServer.ConnectPodAtL2", [{
      Pod: { Name: "p", NetNsPath: "/var/run/netns/x" },
      PodInterface: { Name: "net1", MAC: "HqjDdxJd", NetNsPath: "/var/run/netns/x" },
    }]);
    assert.equal(
      raw.request,
      '{"method":"RPCServer.ConnectPodAtL2","params":[{"Pod":{"Name":"p","NetNsPath":"/var/run/netns/x"},"PodInterface":{"Name":"net1","MAC":"HqjDdxJd","NetNsPath":"/var/run/netns/x"}}],"id":0}\n',
    );
    assert.equal(
      raw.replyText,
      `{"id":0,"result":{"AppUUID":"${APP}","UseDHCP":true,"Interfaces":[{"Name":"bn1","MAC":"ABY+WsEB","NetNsPath":""},{"Name":"net1","MAC":"HqjDdxJd","NetNsPath":"/var/run/netns/x"}]},"error":null}`,
    );
  } finally {
    await close();
  }
});

Deno.test("dispatcher: the dialect is chosen per message on one connection", async () => {
  const dispatcher = new RpcDispatcher(handlers);
  const signal = new AbortController().signal;
  const go = await dispatcher.handleFrame(
    '{"method":"RPCServer.Nope","params":[{}],"id":7}',
    signal,
  );
  assert.equal(
    go.reply,
    '{"id":7,"result":null,"error":"rpc: can\'t find method RPCServer.Nope"}\n',
  );
  const two = await dispatcher.handleFrame(
    '{"jsonrpc":"2.0","method":"RPCServer.Nope","params":{},"id":8}',
    signal,
  );
  assert.deepEqual(JSON.parse(two.reply!), {
    jsonrpc: "2.0",
    id: 8,
    error: { code: -32601, message: "rpc: can't find method RPCServer.Nope" },
  });
});

Deno.test("dispatcher: handleMessage takes a parsed message; Go's undecodable shapes mean close", async () => {
  const dispatcher = new RpcDispatcher(handlers);
  const signal = new AbortController().signal;
  const ok = await dispatcher.handleMessage({
    method: "RPCServer.ConnectPodAtL2",
    params: [{ Pod: { Name: "p" }, PodInterface: { Name: "net1", MAC: "HqjDdxJd" } }],
    id: "x",
  }, signal);
  assert.equal(ok.close, false);
  assert.equal(JSON.parse(ok.reply!).id, "x");
  assert.equal(JSON.parse(ok.reply!).result.Interfaces[1].MAC, "HqjDdxJd");
  assert.deepEqual(await dispatcher.handleMessage([1, 2], signal), {
    reply: null,
    close: true,
    dialect: "go",
  });
});
