/**
 * The server's socket file: mode 0600 from the first moment it is reachable, directory
 * created, a stale socket replaced, a live server or a non-socket file never displaced,
 * removed on close only while it is still ours.
 */
import assert from "node:assert/strict";
import { RpcClient, RpcError, serveRpc } from "../rpc/mod.ts";
import { startGoServer } from "./go/rpcpeer/peer.ts";
import { withTempDir } from "../core/mod.ts";

const handlers = {
  "RPCServer.CheckPodConnection": () =>
    Promise.resolve({ appUUID: "1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d", usesDHCP: true }),
};
const CHECK_ARGS = {
  pod: { name: "p", netNsPath: "/var/run/netns/x" },
  podInterface: { name: "net1", mac: null, netNsPath: "/var/run/netns/x" },
};

const withDir = <T>(fn: (dir: string) => Promise<T>) => withTempDir("rpc-sock-", fn);

async function serves(path: string): Promise<boolean> {
  const client = await RpcClient.connect(path);
  try {
    return (await client.call("RPCServer.CheckPodConnection", CHECK_ARGS)).usesDHCP;
  } finally {
    await client.close();
  }
}

Deno.test("socket: mode 0600, parent directories created, no temporary left behind, removed on close", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/run/zedrouter/rpc.sock`;
    const server = await serveRpc({ path, handlers });
    try {
      const info = await Deno.lstat(path);
      assert.ok(info.isSocket);
      assert.equal(info.mode! & 0o777, 0o600);
      assert.deepEqual([...Deno.readDirSync(`${dir}/run/zedrouter`)].map((e) => e.name), [
        "rpc.sock",
      ]);
      assert.equal(await serves(path), true);
    } finally {
      await server.close();
    }
    await assert.rejects(Deno.lstat(path), Deno.errors.NotFound);
  });
});

Deno.test("socket: a stale socket left by a killed server is replaced", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/rpc.sock`;
    // A real server death: killed by a signal, Go leaves its socket file behind.
    const go = await startGoServer(path);
    await go.stop();
    assert.ok((await Deno.lstat(path)).isSocket);
    await assert.rejects(Deno.connect({ transport: "unix", path }), Deno.errors.ConnectionRefused);
    const server = await serveRpc({ path, handlers });
    try {
      assert.equal(await serves(path), true);
      assert.equal((await Deno.lstat(path)).mode! & 0o777, 0o600);
    } finally {
      await server.close();
    }
  });
});

Deno.test("socket: refuses to start while another server is live on the path", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/rpc.sock`;
    const first = await serveRpc({ path, handlers });
    try {
      await assert.rejects(serveRpc({ path, handlers }), (e: unknown) => {
        assert.ok(e instanceof RpcError);
        assert.equal(e.message, `Cannot serve on "${path}": another server is listening there`);
        return true;
      });
      assert.equal(await serves(path), true); // the first one is untouched
    } finally {
      await first.close();
    }
  });
});

Deno.test("socket: refuses a path that holds a regular file, and leaves the file alone", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/rpc.sock`;
    await Deno.writeTextFile(path, "precious");
    await assert.rejects(
      serveRpc({ path, handlers }),
      (e: unknown) =>
        e instanceof RpcError &&
        e.message === `Cannot serve on "${path}": it exists and is not a socket`,
    );
    assert.equal(await Deno.readTextFile(path), "precious");
  });
});

Deno.test("socket: close() leaves a successor's socket in place", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/rpc.sock`;
    const old = await serveRpc({ path, handlers });
    // An operator removes the file and a new server takes the path while the old one runs.
    await Deno.remove(path);
    const successor = await serveRpc({ path, handlers });
    try {
      await old.close();
      assert.equal(await serves(path), true);
    } finally {
      await successor.close();
    }
  });
});

Deno.test("socket: close() is idempotent and ends live connections", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/rpc.sock`;
    const server = await serveRpc({ path, handlers });
    const client = await RpcClient.connect(path);
    try {
      assert.equal((await client.call("RPCServer.CheckPodConnection", CHECK_ARGS)).usesDHCP, true);
      await Promise.all([server.close(), server.close()]);
      await assert.rejects(client.call("RPCServer.CheckPodConnection", CHECK_ARGS), RpcError);
    } finally {
      await client.close();
    }
  });
});
