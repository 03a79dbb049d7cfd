/**
 * The server against hostile or clumsy peers, over a real unix socket with raw bytes:
 * garbage, truncated and oversized frames, net/rpc's header errors, bad params, both
 * dialects' error shapes, arbitrary splitting, out-of-order replies, and many connections
 * at once while some misbehave. Nothing may crash the server or stall other connections.
 */
import assert from "node:assert/strict";
import { type HandlerMap, JsonValueSplitter, RpcClient, type RpcServer, serveRpc } from "./mod.ts";

const APP = "1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d";
const NETNS = "/var/run/netns/cni-5e0c";
const GO_ARGS = {
  Pod: { Name: "p", NetNsPath: NETNS },
  PodInterface: { Name: "net1", MAC: "HqjDdxJd", NetNsPath: NETNS },
};
const FRIENDLY_ARGS = {
  pod: { name: "p", netNsPath: NETNS },
  podInterface: { name: "net1", mac: "1e:a8:c3:77:12:5d", netNsPath: NETNS },
};

/** A connection driven byte by byte; replies are read as parsed JSON values. */
class RawConn {
  readonly #splitter = new JsonValueSplitter();
  readonly #queue: unknown[] = [];
  readonly #buffer = new Uint8Array(65536);
  private constructor(readonly conn: Deno.UnixConn) {}

  static async open(path: string): Promise<RawConn> {
    return new RawConn(await Deno.connect({ transport: "unix", path }));
  }

  async send(text: string | Uint8Array): Promise<void> {
    const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
    let at = 0;
    while (at < bytes.length) at += await this.conn.write(bytes.subarray(at));
  }

  /** The next reply, or null when the server hung up. */
  async next(): Promise<unknown> {
    while (this.#queue.length === 0) {
      let n: number | null;
      try {
        n = await this.conn.read(this.#buffer);
      } catch (e) {
        if (e instanceof Deno.errors.ConnectionReset) return null;
        throw e;
      }
      if (n === null) return null;
      for (const event of this.#splitter.push(this.#buffer.subarray(0, n))) {
        assert.equal(event.kind, "frame");
        if (event.kind === "frame") {
          this.#queue.push(JSON.parse(new TextDecoder().decode(event.bytes)));
        }
      }
    }
    return this.#queue.shift();
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // closed already
    }
  }
}

interface Fixture {
  server: RpcServer;
  errors: unknown[];
  gate: PromiseWithResolvers<void>;
  hangAborted: Promise<void>;
}

async function withServer(
  fn: (f: Fixture) => Promise<void>,
  maxFrameBytes?: number,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "rpc-robust-" });
  const errors: unknown[] = [];
  const gate = Promise.withResolvers<void>();
  const hangAborted = Promise.withResolvers<void>();
  const handlers: Partial<HandlerMap> = {
    "RPCServer.ConnectPodAtL2": async (params, ctx) => {
      if (params.pod.name === "slow") await gate.promise;
      if (params.pod.name === "hang") {
        ctx.signal.addEventListener("abort", () => hangAborted.resolve());
        await new Promise(() => {}); // never answers
      }
      if (params.pod.name === "throw-empty") throw new Error("");
      if (params.pod.name === "bad-result") {
        return { appUUID: "not-a-uuid", useDHCP: true, interfaces: null };
      }
      return { appUUID: APP, useDHCP: true, interfaces: [params.podInterface] };
    },
  };
  const server = await serveRpc({
    path: `${dir}/rpc.sock`,
    handlers,
    ...(maxFrameBytes ? { maxFrameBytes } : {}),
    onError: (e) => errors.push(e),
  });
  try {
    await fn({ server, errors, gate, hangAborted: hangAborted.promise });
  } finally {
    gate.resolve();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** One good Go call on a fresh connection: the server is still serving. */
async function stillServes(server: RpcServer): Promise<void> {
  const client = await RpcClient.connect(server.path);
  try {
    const result = await client.call("RPCServer.ConnectPodAtL2", FRIENDLY_ARGS);
    assert.equal(result.appUUID, APP);
  } finally {
    await client.close();
  }
}

const goRequest = (id: unknown, method = "RPCServer.ConnectPodAtL2", params: unknown = [GO_ARGS]) =>
  `${JSON.stringify({ method, params, id })}\n`;

Deno.test("Go dialect: a garbage frame makes the server hang up that connection only", async () => {
  await withServer(async ({ server, errors }) => {
    const bystander = await RawConn.open(server.path);
    const raw = await RawConn.open(server.path);
    try {
      await raw.send("hello, this is not JSON\n");
      assert.equal(await raw.next(), null);
      await bystander.send(goRequest(5));
      assert.deepEqual(await bystander.next(), {
        id: 5,
        result: { AppUUID: APP, UseDHCP: true, Interfaces: [GO_ARGS.PodInterface] },
        error: null,
      });
      await stillServes(server);
      assert.deepEqual(errors, []);
    } finally {
      raw.close();
      bystander.close();
    }
  });
});

Deno.test("Go dialect: a request that is JSON but not an object (array, number) ends the connection", async () => {
  await withServer(async ({ server }) => {
    for (const frame of ["[1,2,3]\n", "42\n", '{"method":7,"params":[{}],"id":0}\n']) {
      const raw = await RawConn.open(server.path);
      try {
        await raw.send(frame);
        assert.equal(await raw.next(), null, frame);
      } finally {
        raw.close();
      }
    }
    await stillServes(server);
  });
});

Deno.test("a truncated frame followed by a hang-up does not disturb the server", async () => {
  await withServer(async ({ server, errors }) => {
    const raw = await RawConn.open(server.path);
    await raw.send('{"method":"RPCServer.ConnectPodAtL2","params":[{"Pod":{"Na');
    raw.close();
    await stillServes(server);
    assert.deepEqual(errors, []);
  });
});

Deno.test("JSON-RPC 2.0: a parse error is answered with -32700 and the connection lives on", async () => {
  await withServer(async ({ server }) => {
    const raw = await RawConn.open(server.path);
    try {
      await raw.send('{"jsonrpc":"2.0","method":"RPCServer.ConnectPodAtL2",,"id":1}\n');
      assert.deepEqual(await raw.next(), {
        jsonrpc: "2.0",
        id: null,
        error: { code: -32700, message: "Parse error" },
      });
      await raw.send(
        JSON.stringify({
          jsonrpc: "2.0",
          method: "RPCServer.ConnectPodAtL2",
          params: [FRIENDLY_ARGS],
          id: 2,
        }),
      );
      assert.deepEqual(await raw.next(), {
        jsonrpc: "2.0",
        id: 2,
        result: { appUUID: APP, useDHCP: true, interfaces: [FRIENDLY_ARGS.podInterface] },
      });
    } finally {
      raw.close();
    }
  });
});

Deno.test("an oversized frame: 2.0 gets an error reply then a hang-up; Go gets a hang-up", async () => {
  await withServer(async ({ server }) => {
    const pad = "x".repeat(2000);
    const two = await RawConn.open(server.path);
    const go = await RawConn.open(server.path);
    try {
      await two.send(
        `{"jsonrpc":"2.0","method":"RPCServer.ConnectPodAtL2","params":{"pad":"${pad}"},"id":1}\n`,
      );
      assert.deepEqual(await two.next(), {
        jsonrpc: "2.0",
        id: null,
        error: { code: -32600, message: "Request exceeds the frame limit of 1024 bytes" },
      });
      assert.equal(await two.next(), null);
      await go.send(`{"method":"RPCServer.ConnectPodAtL2","params":[{"pad":"${pad}"}],"id":1}\n`);
      assert.equal(await go.next(), null);
      await stillServes(server);
    } finally {
      two.close();
      go.close();
    }
  }, 1024);
});

Deno.test("Go dialect: net/rpc's header errors verbatim, raw ids echoed, connection kept", async () => {
  await withServer(async ({ server }) => {
    const raw = await RawConn.open(server.path);
    try {
      const cases: [string, unknown][] = [
        [goRequest("abc", "NoDot"), {
          id: "abc",
          result: null,
          error: "rpc: service/method request ill-formed: NoDot",
        }],
        [goRequest(1, "Nope.ConnectPodAtL2"), {
          id: 1,
          result: null,
          error: "rpc: can't find service Nope.ConnectPodAtL2",
        }],
        [goRequest(2, "RPCServer.Nope"), {
          id: 2,
          result: null,
          error: "rpc: can't find method RPCServer.Nope",
        }],
        [goRequest(3, "RPCServer.DisconnectPod"), {
          id: 3,
          result: null,
          error: "rpc: can't find method RPCServer.DisconnectPod",
        }],
        ['{"method":"RPCServer.ConnectPodAtL2","id":4}\n', {
          id: 4,
          result: null,
          error: "jsonrpc: request body missing params",
        }],
        [goRequest(5, undefined, null), {
          id: 5,
          result: null,
          error: "jsonrpc: request body missing params",
        }],
        [goRequest(6, undefined, GO_ARGS), {
          id: 6,
          result: null,
          error: "json: cannot unmarshal object into Go value of type [1]interface {}",
        }],
        ['{"method":"RPCServer.Nope","params":[{}]}\n', {
          id: null,
          result: null,
          error: "rpc: can't find method RPCServer.Nope",
        }],
      ];
      for (const [request, reply] of cases) {
        await raw.send(request);
        assert.deepEqual(await raw.next(), reply, request);
      }
      // An id beyond 2^53 is echoed exactly, digit for digit.
      await raw.send('{"method":"RPCServer.Nope","params":[{}],"id":18446744073709551615}\n');
      const big = await new Promise<string>((resolve) => {
        const buffer = new Uint8Array(4096);
        raw.conn.read(buffer).then((n) =>
          resolve(new TextDecoder().decode(buffer.subarray(0, n ?? 0)))
        );
      });
      assert.ok(big.startsWith('{"id":18446744073709551615,'), big);
    } finally {
      raw.close();
    }
  });
});

Deno.test("Go dialect: params Go could not have written are refused, naming the field", async () => {
  await withServer(async ({ server }) => {
    const raw = await RawConn.open(server.path);
    try {
      const textMac = {
        ...GO_ARGS,
        PodInterface: { ...GO_ARGS.PodInterface, MAC: "1e:a8:c3:77:12:5d" },
      };
      await raw.send(goRequest(0, undefined, [textMac]));
      const reply = await raw.next() as { error: string; result: unknown };
      assert.equal(reply.result, null);
      assert.match(
        reply.error,
        /^Invalid params for RPCServer\.ConnectPodAtL2: PodInterface\.MAC: .*base64/,
      );
      // `[]` leaves Go's args at zero values: the empty interface name is refused.
      await raw.send(goRequest(1, undefined, []));
      const zero = await raw.next() as { error: string };
      assert.match(
        zero.error,
        /^Invalid params for RPCServer\.ConnectPodAtL2: podInterface\.name: /,
      );
      // The connection still works after both.
      await raw.send(goRequest(2));
      assert.equal((await raw.next() as { error: unknown }).error, null);
    } finally {
      raw.close();
    }
  });
});

Deno.test("JSON-RPC 2.0: standard error codes with our messages; notifications and batches", async () => {
  await withServer(async ({ server }) => {
    const raw = await RawConn.open(server.path);
    const req = (id: unknown, method: string, params?: unknown) =>
      JSON.stringify({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });
    try {
      await raw.send(req(1, "RPCServer.Nope", {}));
      assert.deepEqual(await raw.next(), {
        jsonrpc: "2.0",
        id: 1,
        error: { code: -32601, message: "rpc: can't find method RPCServer.Nope" },
      });
      const badMac = {
        ...FRIENDLY_ARGS,
        podInterface: { ...FRIENDLY_ARGS.podInterface, mac: "HqjDdxJd" },
      };
      await raw.send(req(2, "RPCServer.ConnectPodAtL2", badMac));
      const invalid = await raw.next() as { error: { code: number; message: string } };
      assert.equal(invalid.error.code, -32602);
      assert.match(
        invalid.error.message,
        /^Invalid params for RPCServer\.ConnectPodAtL2: podInterface\.mac: /,
      );
      await raw.send(req(3, "RPCServer.ConnectPodAtL2", [FRIENDLY_ARGS, FRIENDLY_ARGS]));
      assert.equal((await raw.next() as { error: { code: number } }).error.code, -32602);
      await raw.send('{"jsonrpc":"2.0","id":4}');
      assert.deepEqual(await raw.next(), {
        jsonrpc: "2.0",
        id: 4,
        error: { code: -32600, message: "Invalid Request" },
      });
      // A notification gets no reply: the next reply is the batch's.
      await raw.send(
        JSON.stringify({
          jsonrpc: "2.0",
          method: "RPCServer.ConnectPodAtL2",
          params: FRIENDLY_ARGS,
        }),
      );
      await raw.send(
        `[${req(5, "RPCServer.ConnectPodAtL2", FRIENDLY_ARGS)},${req(6, "RPCServer.Nope")}]`,
      );
      const batch = await raw.next() as { id: number }[];
      assert.deepEqual(batch.map((r) => r.id).sort(), [5, 6]);
    } finally {
      raw.close();
    }
  });
});

Deno.test("frames split byte by byte and several frames in one write are all served", async () => {
  await withServer(async ({ server }) => {
    const raw = await RawConn.open(server.path);
    try {
      for (const byte of new TextEncoder().encode(goRequest(0))) {
        await raw.send(Uint8Array.of(byte));
      }
      assert.equal((await raw.next() as { id: number }).id, 0);
      await raw.send(`${goRequest(1).trim()}  \r\n\t${goRequest(2).trim()}${goRequest(3)}`);
      const ids = [await raw.next(), await raw.next(), await raw.next()].map((r) =>
        (r as { id: number }).id
      );
      assert.deepEqual(ids.sort(), [1, 2, 3]);
    } finally {
      raw.close();
    }
  });
});

Deno.test("replies come out of order: a quick call overtakes a slow one on one connection", async () => {
  await withServer(async ({ server, gate }) => {
    const raw = await RawConn.open(server.path);
    try {
      const slow = { ...GO_ARGS, Pod: { ...GO_ARGS.Pod, Name: "slow" } };
      await raw.send(goRequest(0, undefined, [slow]) + goRequest(1));
      assert.equal((await raw.next() as { id: number }).id, 1);
      gate.resolve();
      assert.equal((await raw.next() as { id: number }).id, 0);
    } finally {
      raw.close();
    }
  });
});

Deno.test("handler faults: an empty error message and an invalid result still give error replies", async () => {
  await withServer(async ({ server, errors }) => {
    const raw = await RawConn.open(server.path);
    try {
      await raw.send(goRequest(0, undefined, [{ ...GO_ARGS, Pod: { Name: "throw-empty" } }]));
      assert.deepEqual(await raw.next(), { id: 0, result: null, error: "unspecified error" });
      await raw.send(goRequest(1, undefined, [{ ...GO_ARGS, Pod: { Name: "bad-result" } }]));
      assert.deepEqual(await raw.next(), {
        id: 1,
        result: null,
        error: "Internal error: invalid result from RPCServer.ConnectPodAtL2",
      });
      assert.equal(errors.length, 1);
      assert.match(
        String(errors[0]),
        /Handler of RPCServer\.ConnectPodAtL2 returned an invalid result/,
      );
    } finally {
      raw.close();
    }
  });
});

Deno.test("50 connections are served while others send garbage, stall mid-frame or hang in a handler", async () => {
  await withServer(async ({ server, hangAborted }) => {
    const garbage = await RawConn.open(server.path);
    const stalled = await RawConn.open(server.path);
    const idle = await RawConn.open(server.path);
    const hanging = await RawConn.open(server.path);
    try {
      await garbage.send("}}}{{{ garbage");
      await stalled.send('{"method":"RPCServer.ConnectPodAtL2","params":[{"Pod":');
      await hanging.send(goRequest(0, undefined, [{ ...GO_ARGS, Pod: { Name: "hang" } }]));
      const calls = Array.from({ length: 50 }, async (_, i) => {
        const client = await RpcClient.connect(server.path, { dialect: i % 2 ? "go" : "jsonrpc2" });
        try {
          const mac = `02:00:00:00:00:${i.toString(16).padStart(2, "0")}`;
          const args = { ...FRIENDLY_ARGS, podInterface: { ...FRIENDLY_ARGS.podInterface, mac } };
          const result = await client.call("RPCServer.ConnectPodAtL2", args);
          assert.equal(result.interfaces?.[0]?.mac, mac);
        } finally {
          await client.close();
        }
      });
      await Promise.all(calls);
      // close() must not wait for the stalled peers or the hanging handler, and the
      // handler learns through its signal that nobody is listening any more.
      await server.close();
      await hangAborted;
      assert.equal(await stalled.next(), null);
      assert.equal(await hanging.next(), null);
    } finally {
      for (const c of [garbage, stalled, idle, hanging]) c.close();
    }
  });
});
