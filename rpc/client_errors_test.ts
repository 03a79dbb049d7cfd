/**
 * The client's failure modes, each a distinct `RpcError` class naming the socket: missing
 * socket, refused (stale socket, not a socket), timeout, remote error, malformed replies,
 * a peer hanging up mid-call. The peer is a scripted raw socket server, so the client sees
 * exactly the bytes under test.
 */
import assert from "node:assert/strict";
import {
  callOnce,
  JsonValueSplitter,
  RpcClient,
  RpcConnectionClosedError,
  RpcConnectionRefusedError,
  RpcError,
  RpcMalformedReplyError,
  RpcRemoteError,
  RpcSocketMissingError,
  RpcTimeoutError,
} from "./mod.ts";

const APP = "1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d";
const ARGS = {
  pod: { name: "p", netNsPath: "/var/run/netns/x" },
  podInterface: { name: "net1", mac: "1e:a8:c3:77:12:5d", netNsPath: "/var/run/netns/x" },
};
const GOOD_RESULT = { AppUUID: APP, UseDHCP: true, Interfaces: null };

type Request = { method: string; params: unknown; id: number; jsonrpc?: string };
/** What the scripted server does with a request: a reply text, nothing, or hang up. */
type Script = (request: Request, index: number) => string | null | "hang-up";

/** A raw unix-socket server that answers each request by `script`. */
async function withScriptedServer(
  script: Script,
  fn: (path: string, seen: Request[]) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "rpc-client-" });
  const path = `${dir}/rpc.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const seen: Request[] = [];
  const conns: Deno.UnixConn[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      (async () => {
        const splitter = new JsonValueSplitter();
        const buffer = new Uint8Array(65536);
        try {
          while (true) {
            const n = await conn.read(buffer);
            if (n === null) return;
            for (const event of splitter.push(buffer.subarray(0, n))) {
              if (event.kind !== "frame") return;
              const request = JSON.parse(new TextDecoder().decode(event.bytes)) as Request;
              seen.push(request);
              const reply = script(request, seen.length - 1);
              if (reply === "hang-up") {
                conn.close();
                return;
              }
              if (reply !== null) await conn.write(new TextEncoder().encode(reply));
            }
          }
        } catch {
          // closed by the test
        }
      })();
    }
  })();
  try {
    await fn(path, seen);
  } finally {
    listener.close();
    for (const conn of conns) {
      try {
        conn.close();
      } catch {
        // closed already
      }
    }
    await serving;
    await Deno.remove(dir, { recursive: true });
  }
}

const goReply = (id: unknown, result: unknown, error: unknown = null) =>
  `${JSON.stringify({ id, result, error })}\n`;

Deno.test("client: a missing socket is RpcSocketMissingError naming the path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/nope.sock`;
    await assert.rejects(RpcClient.connect(path), (e: unknown) => {
      assert.ok(e instanceof RpcSocketMissingError && e instanceof RpcError);
      assert.equal(
        e.message,
        `Cannot connect to "${path}": no such socket (is zedrouter running?)`,
      );
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("client: a stale socket and a plain file are RpcConnectionRefusedError", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A socket file nobody listens on: bind elsewhere, move it, stop listening (Deno
    // unlinks only the path it bound).
    const stale = `${dir}/stale.sock`;
    const listener = Deno.listen({ transport: "unix", path: `${dir}/bound.sock` });
    await Deno.rename(`${dir}/bound.sock`, stale);
    listener.close();
    assert.ok((await Deno.lstat(stale)).isSocket);
    await assert.rejects(RpcClient.connect(stale), (e: unknown) => {
      assert.ok(e instanceof RpcConnectionRefusedError);
      assert.equal(
        e.message,
        `Cannot connect to "${stale}": connection refused (stale socket: nobody is listening)`,
      );
      return true;
    });
    const file = `${dir}/file`;
    await Deno.writeTextFile(file, "");
    await assert.rejects(
      RpcClient.connect(file),
      (e: unknown) => e instanceof RpcConnectionRefusedError && /not a socket/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("client: ids start at 0 per connection, Go's request shape, callOnce closes", async () => {
  await withScriptedServer((r) => goReply(r.id, GOOD_RESULT), async (path, seen) => {
    const client = await RpcClient.connect(path);
    try {
      await client.call("RPCServer.ConnectPodAtL2", ARGS);
      await client.call("RPCServer.ConnectPodAtL2", ARGS);
    } finally {
      await client.close();
    }
    assert.deepEqual(await callOnce(path, "RPCServer.ConnectPodAtL2", ARGS), {
      appUUID: APP,
      useDHCP: true,
      interfaces: null,
    });
    assert.deepEqual(seen.map((r) => r.id), [0, 1, 0]);
    assert.deepEqual(seen[0], {
      method: "RPCServer.ConnectPodAtL2",
      params: [{
        Pod: { Name: "p", NetNsPath: "/var/run/netns/x" },
        PodInterface: { Name: "net1", MAC: "HqjDdxJd", NetNsPath: "/var/run/netns/x" },
      }],
      id: 0,
    });
  });
});

Deno.test("client: no reply in time is RpcTimeoutError naming the method; the next call works", async () => {
  await withScriptedServer(
    (r, i) => (i === 0 ? null : goReply(r.id, GOOD_RESULT)),
    async (path) => {
      const client = await RpcClient.connect(path);
      try {
        await assert.rejects(
          client.call("RPCServer.ConnectPodAtL2", ARGS, { timeoutMs: 50 }),
          (e: unknown) => {
            assert.ok(e instanceof RpcTimeoutError);
            assert.equal(
              e.message,
              `No reply to RPCServer.ConnectPodAtL2 from "${path}" within 50 ms`,
            );
            return true;
          },
        );
        assert.equal((await client.call("RPCServer.ConnectPodAtL2", ARGS)).appUUID, APP);
      } finally {
        await client.close();
      }
    },
  );
});

Deno.test("client: a late reply for a timed-out id is ignored, not taken as malformed", async () => {
  await withScriptedServer(
    (r, i) => (i === 0 ? null : goReply(0, GOOD_RESULT) + goReply(r.id, GOOD_RESULT)),
    async (path) => {
      const client = await RpcClient.connect(path);
      try {
        await assert.rejects(
          client.call("RPCServer.ConnectPodAtL2", ARGS, { timeoutMs: 30 }),
          RpcTimeoutError,
        );
        assert.equal((await client.call("RPCServer.ConnectPodAtL2", ARGS)).appUUID, APP);
      } finally {
        await client.close();
      }
    },
  );
});

Deno.test("client: the remote error string is RpcRemoteError.remoteMessage, verbatim", async () => {
  await withScriptedServer(
    (r) => goReply(r.id, null, "failed to find app network status for pod p"),
    async (path) => {
      await assert.rejects(callOnce(path, "RPCServer.ConnectPodAtL2", ARGS), (e: unknown) => {
        assert.ok(e instanceof RpcRemoteError);
        assert.equal(e.remoteMessage, "failed to find app network status for pod p");
        assert.equal(
          e.message,
          `RPCServer.ConnectPodAtL2 on "${path}" failed: failed to find app network status for pod p`,
        );
        return true;
      });
    },
  );
});

Deno.test("client: a reply that is not JSON fails every pending call as malformed", async () => {
  await withScriptedServer((_, i) => (i === 1 ? "this is {not json\n" : null), async (path) => {
    const client = await RpcClient.connect(path);
    try {
      const results = await Promise.allSettled([
        client.call("RPCServer.ConnectPodAtL2", ARGS),
        client.call("RPCServer.ConnectPodAtL2", ARGS),
      ]);
      for (const r of results) {
        assert.equal(r.status, "rejected");
        if (r.status === "rejected") {
          assert.ok(r.reason instanceof RpcMalformedReplyError, String(r.reason));
          assert.match(r.reason.message, new RegExp(`^Malformed reply from "${path}": not JSON`));
        }
      }
    } finally {
      await client.close();
    }
  });
});

Deno.test("client: a reply to an id never sent is malformed", async () => {
  await withScriptedServer(() => goReply(99, GOOD_RESULT), async (path) => {
    await assert.rejects(
      callOnce(path, "RPCServer.ConnectPodAtL2", ARGS),
      (e: unknown) =>
        e instanceof RpcMalformedReplyError &&
        /reply to id 99, which was never sent/.test(e.message),
    );
  });
});

Deno.test("client: an undecodable result or a non-string error fails that call only", async () => {
  const badMac = { ...GOOD_RESULT, Interfaces: [{ Name: "bn1", MAC: "1e:a8:c3:77:12:5d" }] };
  await withScriptedServer((r, i) => {
    if (i === 0) return goReply(r.id, badMac);
    if (i === 1) return goReply(r.id, null, { code: 1 });
    if (i === 2) return goReply(r.id, null, null);
    return goReply(r.id, GOOD_RESULT);
  }, async (path) => {
    const client = await RpcClient.connect(path);
    try {
      await assert.rejects(
        client.call("RPCServer.ConnectPodAtL2", ARGS),
        (e: unknown) =>
          e instanceof RpcMalformedReplyError &&
          /result of RPCServer\.ConnectPodAtL2: Interfaces\[0\]\.MAC: /.test(e.message),
      );
      await assert.rejects(
        client.call("RPCServer.ConnectPodAtL2", ARGS),
        (e: unknown) =>
          e instanceof RpcMalformedReplyError && /error is not a string/.test(e.message),
      );
      await assert.rejects(
        client.call("RPCServer.ConnectPodAtL2", ARGS),
        (e: unknown) =>
          e instanceof RpcMalformedReplyError && /neither a result nor an error/.test(e.message),
      );
      assert.equal((await client.call("RPCServer.ConnectPodAtL2", ARGS)).appUUID, APP);
    } finally {
      await client.close();
    }
  });
});

Deno.test("client: the server hanging up mid-call is RpcConnectionClosedError naming the call", async () => {
  await withScriptedServer(() => "hang-up", async (path) => {
    const client = await RpcClient.connect(path);
    try {
      await assert.rejects(client.call("RPCServer.DisconnectPod", { ...ARGS }), (e: unknown) => {
        assert.ok(e instanceof RpcConnectionClosedError);
        assert.match(
          e.message,
          /the server hung up with 1 call\(s\) pending \(while RPCServer\.DisconnectPod was pending\)/,
        );
        return true;
      });
      await assert.rejects(client.call("RPCServer.DisconnectPod", ARGS), RpcConnectionClosedError);
    } finally {
      await client.close();
    }
  });
});

Deno.test("client: invalid params are refused before sending, naming the field", async () => {
  await withScriptedServer((r) => goReply(r.id, GOOD_RESULT), async (path, seen) => {
    const client = await RpcClient.connect(path);
    try {
      const bad = { ...ARGS, podInterface: { ...ARGS.podInterface, mac: "not-a-mac" } };
      await assert.rejects(
        client.call("RPCServer.ConnectPodAtL2", bad),
        (e: unknown) =>
          e instanceof RpcError &&
          /^Invalid params for RPCServer\.ConnectPodAtL2: podInterface\.mac: /.test(e.message),
      );
      assert.equal(seen.length, 0);
    } finally {
      await client.close();
    }
  });
});

Deno.test("client: JSON-RPC 2.0 requests carry friendly params; error codes reach the caller", async () => {
  await withScriptedServer(
    (r) => JSON.stringify({ jsonrpc: "2.0", id: r.id, error: { code: -32602, message: "bad" } }),
    async (path, seen) => {
      const client = await RpcClient.connect(path, { dialect: "jsonrpc2" });
      try {
        await assert.rejects(
          client.call("RPCServer.ConnectPodAtL2", ARGS),
          (e: unknown) =>
            e instanceof RpcRemoteError && e.code === -32602 && e.remoteMessage === "bad",
        );
        assert.deepEqual(seen[0], {
          jsonrpc: "2.0",
          id: 0,
          method: "RPCServer.ConnectPodAtL2",
          params: ARGS,
        });
      } finally {
        await client.close();
      }
    },
  );
});
