import assert from "node:assert/strict";
import { memoryStreamPair } from "./byte_stream.ts";
import { RpcClient } from "./client.ts";
import { serveConnection } from "./connection.ts";
import type { ConnectPodAtL2Args } from "./contract.ts";
import { DROP_CONNECTION, RpcDispatcher } from "./dispatcher.ts";
import { RpcConnectionClosedError, RpcRemoteError } from "./errors.ts";
import type { CallInterceptor, InterceptedCall, RunOutcome } from "./intercept.ts";
import type { Dialect, HandlerMap } from "./methods.ts";

const APP = "1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d";
const ARGS: ConnectPodAtL2Args = {
  pod: { name: "nginx-1a2b3-0-x7k2p", netNsPath: "/var/run/netns/cni-5e0c" },
  podInterface: { name: "net1", mac: "1e:a8:c3:77:12:5d", netNsPath: "/var/run/netns/cni-5e0c" },
};
const RESULT = { appUUID: APP, useDHCP: true, interfaces: [ARGS.podInterface] };

let handlerRuns = 0;
const handlers: Partial<HandlerMap> = {
  "RPCServer.ConnectPodAtL2": () => {
    handlerRuns += 1;
    return Promise.resolve(RESULT);
  },
};

/** A client over an in-memory connection whose dispatcher has `intercept`. */
function pair(dialect: Dialect, intercept: CallInterceptor) {
  const [clientEnd, serverEnd] = memoryStreamPair();
  const served = serveConnection(serverEnd, new RpcDispatcher(handlers, { intercept }));
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
  Deno.test(`intercept ${dialect}: sees friendly params and the outcome of next()`, async () => {
    const seen: { call: InterceptedCall; outcome: RunOutcome }[] = [];
    const { client, close } = pair(dialect, async (call, next) => {
      const outcome = await next();
      seen.push({ call, outcome });
      return outcome;
    });
    try {
      assert.deepEqual(await client.call("RPCServer.ConnectPodAtL2", ARGS), RESULT);
    } finally {
      await close();
    }
    assert.equal(seen.length, 1);
    const { call, outcome } = seen[0]!;
    assert.equal(call.method, "RPCServer.ConnectPodAtL2");
    assert.equal(call.dialect, dialect);
    // The MAC as text in both dialects, though Go's wire carried it as base64.
    assert.deepEqual(call.params, ARGS);
    if (dialect === "go") assert.equal(JSON.stringify(call.wireParams).includes("HqjDdxJd"), true);
    assert.ok(outcome.ok === true);
    assert.deepEqual(outcome.result, RESULT);
  });

  Deno.test(`intercept ${dialect}: an interceptor may answer without running the call`, async () => {
    const before = handlerRuns;
    const { client, close } = pair(
      dialect,
      () => Promise.resolve({ ok: false, message: "failed to find app", code: -32000 }),
    );
    try {
      await assert.rejects(
        client.call("RPCServer.ConnectPodAtL2", ARGS),
        (e: unknown) => e instanceof RpcRemoteError && e.remoteMessage === "failed to find app",
      );
    } finally {
      await close();
    }
    assert.equal(handlerRuns, before, "the handler never ran");
  });

  Deno.test(`intercept ${dialect}: drop closes the connection without an answer`, async () => {
    const { client, close } = pair(dialect, () => Promise.resolve({ ok: "drop" }));
    try {
      await assert.rejects(
        client.call("RPCServer.ConnectPodAtL2", ARGS),
        (e: unknown) => e instanceof RpcConnectionClosedError,
      );
    } finally {
      await close();
    }
  });

  Deno.test(`intercept ${dialect}: undecodable params are seen, with next() refusing them`, async () => {
    const seen: { params: unknown; outcome: RunOutcome }[] = [];
    const { client, close } = pair(dialect, async (call, next) => {
      const outcome = await next();
      seen.push({ params: call.params, outcome });
      return outcome;
    });
    const bad = dialect === "go"
      ? [{ Pod: { Name: "p" }, PodInterface: { Name: "net1", MAC: "not base64!" } }]
      : { pod: { name: "p" }, podInterface: { name: "net1", mac: "zz" } };
    try {
      const raw = await client.callRaw("RPCServer.ConnectPodAtL2", bad);
      assert.match(raw.replyText, /Invalid params for RPCServer\.ConnectPodAtL2/);
    } finally {
      await close();
    }
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.params, undefined);
    assert.ok(seen[0]!.outcome.ok === false);
  });
}

Deno.test("intercept go: a request without params is seen too (net/rpc's own refusal)", async () => {
  const methods: string[] = [];
  const dispatcher = new RpcDispatcher(handlers, {
    intercept: (call, next) => {
      methods.push(call.method);
      return next();
    },
  });
  const out = await dispatcher.handleFrame(
    '{"method":"RPCServer.ConnectPodAtL2","id":3}',
    new AbortController().signal,
  );
  assert.equal(
    out.reply,
    '{"id":3,"result":null,"error":"jsonrpc: request body missing params"}\n',
  );
  assert.deepEqual(methods, ["RPCServer.ConnectPodAtL2"]);
});

Deno.test("intercept: a dropped 2.0 batch drops the connection; handleFrame says close", async () => {
  const dispatcher = new RpcDispatcher(handlers, {
    intercept: () => Promise.resolve({ ok: "drop" }),
  });
  const signal = new AbortController().signal;
  const batch = JSON.stringify([
    { jsonrpc: "2.0", method: "RPCServer.ConnectPodAtL2", params: ARGS, id: 1 },
  ]);
  assert.deepEqual(await dispatcher.handleFrame(batch, signal), {
    reply: null,
    close: true,
    dialect: "jsonrpc2",
  });
  const go = dispatcher.classify('{"method":"RPCServer.ConnectPodAtL2","params":[{}],"id":0}');
  assert.ok(go.kind === "go");
  assert.equal(await dispatcher.dispatch(go, signal), DROP_CONNECTION);
});

Deno.test("intercept: an interceptor that throws is an internal error, reported", async () => {
  const errors: unknown[] = [];
  const dispatcher = new RpcDispatcher(handlers, {
    intercept: () => Promise.reject(new Error("boom")),
    onError: (e) => errors.push(e),
  });
  const out = await dispatcher.handleFrame(
    '{"method":"RPCServer.ConnectPodAtL2","params":[{}],"id":0}',
    new AbortController().signal,
  );
  assert.equal(
    out.reply,
    '{"id":0,"result":null,"error":"Internal error in RPCServer.ConnectPodAtL2"}\n',
  );
  assert.match(String(errors[0]), /Interceptor failed on RPCServer\.ConnectPodAtL2: boom/);
});
