/**
 * The server's connection limit, over a real unix socket: a connection beyond it gets an
 * error reply to its first request, in that request's dialect and with its id (what a Go
 * net/rpc client turns into the call's error), then a hang-up; the served ones are not
 * disturbed, and once one closes the next connection is served again. Told once per burst.
 */
import assert from "node:assert/strict";
import { withTempDir } from "../core/mod.ts";
import { RpcRemoteError } from "./errors.ts";
import { RpcClient } from "./client.ts";
import { JsonValueSplitter } from "./json_splitter.ts";
import type { HandlerMap } from "./methods.ts";
import { type RpcServer, serveRpc } from "./server.ts";

const APP = "1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d";
const NETNS = "/var/run/netns/cni-5e0c";
const FRIENDLY_ARGS = {
  pod: { name: "p", netNsPath: NETNS },
  podInterface: { name: "net1", mac: "1e:a8:c3:77:12:5d", netNsPath: NETNS },
};
const GO_ARGS = {
  Pod: { Name: "p", NetNsPath: NETNS },
  PodInterface: { Name: "net1", MAC: "HqjDdxJd", NetNsPath: NETNS },
};
const handlers: Partial<HandlerMap> = {
  "RPCServer.ConnectPodAtL2": (params) =>
    Promise.resolve({ appUUID: APP, useDHCP: true, interfaces: [params.podInterface] }),
};

async function exchange(path: string, request: string | null): Promise<unknown[]> {
  const conn = await Deno.connect({ transport: "unix", path });
  try {
    if (request !== null) await conn.write(new TextEncoder().encode(request));
    const splitter = new JsonValueSplitter();
    const replies: unknown[] = [];
    const buffer = new Uint8Array(4096);
    for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
      for (const event of splitter.push(buffer.subarray(0, n))) {
        if (event.kind === "frame") replies.push(JSON.parse(new TextDecoder().decode(event.bytes)));
      }
    }
    return replies; // the server hung up
  } finally {
    conn.close();
  }
}

async function until(what: string, probe: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !probe(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(probe(), `Timed out waiting for ${what}`);
}

async function withLimitedServer(
  fn: (server: RpcServer, log: string[]) => Promise<void>,
): Promise<void> {
  await withTempDir("rpc-limits-", async (dir) => {
    const log: string[] = [];
    const server = await serveRpc({
      path: `${dir}/rpc.sock`,
      handlers,
      maxConnections: 2,
      log: (m) => log.push(m),
    });
    try {
      await fn(server, log);
    } finally {
      await server.close();
    }
  });
}

Deno.test("beyond maxConnections: an error reply in the caller's dialect, then a hang-up", async () => {
  await withLimitedServer(async (server, log) => {
    const idle = await Promise.all(
      [1, 2].map(() => Deno.connect({ transport: "unix", path: server.path })),
    );
    try {
      await until("two served connections", () => server.connectionCount === 2);
      const go = `${
        JSON.stringify({ method: "RPCServer.ConnectPodAtL2", params: [GO_ARGS], id: 7 })
      }\n`;
      const [goReply, ...goRest] = await exchange(server.path, go);
      assert.deepEqual(goRest, []);
      assert.deepEqual(Object.keys(goReply as object), ["id", "result", "error"]);
      const { id, result, error } = goReply as { id: number; result: null; error: string };
      assert.equal(id, 7);
      assert.equal(result, null);
      assert.match(error, /^Too many connections: the server handles 2 at once; try again/);
      const rpc2 = JSON.stringify({
        jsonrpc: "2.0",
        method: "RPCServer.ConnectPodAtL2",
        params: FRIENDLY_ARGS,
        id: "a",
      });
      const [rpc2Reply] = await exchange(server.path, rpc2);
      assert.deepEqual(rpc2Reply, {
        jsonrpc: "2.0",
        id: "a",
        error: { code: -32000, message: error },
      });
      // Our own client reports it as the server's error, naming the cause.
      const client = await RpcClient.connect(server.path);
      try {
        await assert.rejects(
          client.call("RPCServer.ConnectPodAtL2", FRIENDLY_ARGS),
          (e) => e instanceof RpcRemoteError && /Too many connections/.test(e.message),
        );
      } finally {
        await client.close();
      }
      // A refused connection that never asks is closed too.
      assert.deepEqual(await exchange(server.path, null), []);
      assert.equal(server.connectionCount, 2, "the served connections were not touched");
    } finally {
      idle.forEach((c) => c.close());
    }
    await until("the idle connections to end", () => server.connectionCount === 0);
    const client = await RpcClient.connect(server.path);
    try {
      const reply = await client.call("RPCServer.ConnectPodAtL2", FRIENDLY_ARGS);
      assert.equal(reply.appUUID, APP);
    } finally {
      await client.close();
    }
    assert.equal(
      log.filter((m) => m.startsWith("Refusing new connections")).length,
      1,
      log.join("\n"),
    );
    assert.equal(log.filter((m) => m.startsWith("Serving new connections again")).length, 1);
  });
});

Deno.test("serveRpc refuses a maxConnections that is not a positive integer", async () => {
  await withTempDir("rpc-limits-", async (dir) => {
    for (const maxConnections of [0, -1, 1.5, NaN]) {
      await assert.rejects(
        serveRpc({ path: `${dir}/rpc.sock`, handlers, maxConnections }),
        /maxConnections must be an integer >= 1/,
      );
    }
  });
});
