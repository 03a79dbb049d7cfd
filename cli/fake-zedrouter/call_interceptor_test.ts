import assert from "node:assert/strict";
import * as v from "valibot";
import {
  type ConnectPodAtL2Args,
  type Dialect,
  FaultRuleSchema,
  type HandlerMap,
  memoryStreamPair,
  RpcClient,
  RpcConnectionClosedError,
  RpcDispatcher,
  RpcRemoteError,
  RpcTimeoutError,
  serveConnection,
} from "../../rpc/mod.ts";
import { journalAndFaults } from "./call_interceptor.ts";
import { FaultTable } from "./fault_table.ts";
import { CallJournal } from "./journal.ts";

const APP = "1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d";
const ARGS: ConnectPodAtL2Args = {
  pod: { name: "nginx-1a2b3-x7k2p", netNsPath: "/var/run/netns/p" },
  podInterface: { name: "net1", mac: "02:16:3e:00:00:01", netNsPath: "/var/run/netns/p" },
};

/** A zedrouter stand-in whose L2 counts its runs, behind the journal and the faults. */
function setup(dialect: Dialect) {
  const journal = new CallJournal();
  const faults = new FaultTable();
  let l2Runs = 0;
  const handlers: Partial<HandlerMap> = {
    "RPCServer.ConnectPodAtL2": () => {
      l2Runs += 1;
      return Promise.resolve({ appUUID: APP, useDHCP: true, interfaces: [] });
    },
    "Inspect.Health": () => Promise.resolve({ version: "x", uptimeSeconds: 0, netnsInode: null }),
  };
  const dispatcher = new RpcDispatcher(handlers, { intercept: journalAndFaults(journal, faults) });
  const server = new AbortController();
  const [clientEnd, serverEnd] = memoryStreamPair();
  const served = serveConnection(serverEnd, dispatcher, { signal: server.signal });
  const client = RpcClient.over(clientEnd, "memory", { dialect, timeoutMs: 2000 });
  return {
    journal,
    addFault: (rule: Record<string, unknown>) => faults.add(v.parse(FaultRuleSchema, rule)),
    l2Runs: () => l2Runs,
    client,
    call: (timeoutMs = 2000) => client.call("RPCServer.ConnectPodAtL2", ARGS, { timeoutMs }),
    /** Stops the "server": hung calls end. */
    async stop() {
      server.abort();
      await client.close();
      await served;
    },
  };
}

for (const dialect of ["go", "jsonrpc2"] as const) {
  Deno.test(`journal ${dialect}: EVE calls are journaled in the friendly form, Inspect is not`, async () => {
    const zr = setup(dialect);
    try {
      await zr.call();
      await zr.client.call("Inspect.Health", {});
    } finally {
      await zr.stop();
    }
    const { entries } = zr.journal.list();
    assert.equal(entries.length, 1);
    const e = entries[0]!;
    assert.deepEqual(
      [e.seq, e.method, e.dialect, e.pod, e.interface, e.outcome, e.error, e.faults],
      [1, "RPCServer.ConnectPodAtL2", dialect, ARGS.pod.name, "net1", "ok", null, []],
    );
    assert.deepEqual(e.params, ARGS, "MAC as text, whatever the wire carried");
    assert.deepEqual(e.result, { appUUID: APP, useDHCP: true, interfaces: [] });
  });

  Deno.test(`faults ${dialect}: fail answers with its text and the call never runs`, async () => {
    const zr = setup(dialect);
    const fault = zr.addFault({ method: "ConnectPodAtL2", fail: "failed to find app", once: true });
    try {
      await assert.rejects(
        zr.call(),
        (e: unknown) => e instanceof RpcRemoteError && e.remoteMessage === "failed to find app",
      );
      await zr.call(); // once: the second call is served
    } finally {
      await zr.stop();
    }
    assert.equal(zr.l2Runs(), 1);
    const [failed, served] = zr.journal.list().entries;
    assert.deepEqual([failed!.outcome, failed!.error], ["error", "failed to find app"]);
    assert.deepEqual(failed!.faults, [
      { id: fault.id, kind: "fail", at: "request", delayMs: null, message: "failed to find app" },
    ]);
    assert.deepEqual([served!.outcome, served!.faults], ["ok", []]);
  });

  Deno.test(`faults ${dialect}: a fault at reply comes after the call ran`, async () => {
    const zr = setup(dialect);
    zr.addFault({ method: "ConnectPodAtL2", fail: "lost reply", at: "reply" });
    try {
      await assert.rejects(zr.call(), RpcRemoteError);
    } finally {
      await zr.stop();
    }
    assert.equal(zr.l2Runs(), 1, "its effect stays");
  });

  Deno.test(`faults ${dialect}: delay shows in the journal's duration`, async () => {
    const zr = setup(dialect);
    zr.addFault({ method: "ConnectPodAtL2", delay: 150 });
    try {
      await zr.call();
    } finally {
      await zr.stop();
    }
    const [e] = zr.journal.list().entries;
    assert.equal(e!.outcome, "ok");
    // A lower bound, not a timing: the delay is in the duration (timers may round 1 ms early).
    assert.ok(e!.durationMs >= 149, `durationMs ${e!.durationMs} covers the 150 ms delay`);
    assert.equal(e!.faults[0]!.delayMs, 150);
  });

  Deno.test(`faults ${dialect}: drop closes the connection; the journal says dropped`, async () => {
    const zr = setup(dialect);
    zr.addFault({ method: "ConnectPodAtL2", drop: true });
    try {
      await assert.rejects(zr.call(), RpcConnectionClosedError);
    } finally {
      await zr.stop();
    }
    assert.equal(zr.l2Runs(), 0);
    assert.equal(zr.journal.list().entries[0]!.outcome, "dropped");
  });

  Deno.test(`faults ${dialect}: hang never answers; pending until the server stops`, async () => {
    const zr = setup(dialect);
    zr.addFault({ method: "ConnectPodAtL2", hang: true, once: true });
    try {
      await assert.rejects(zr.call(200), RpcTimeoutError);
      assert.deepEqual(zr.journal.list().entries.map((e) => e.outcome), ["pending"]);
      await zr.call(); // the same connection still serves other calls
    } finally {
      await zr.stop();
    }
    assert.equal(zr.l2Runs(), 1);
    const entries = zr.journal.list().entries;
    assert.deepEqual(entries.map((e) => [e.seq, e.outcome]), [[1, "abandoned"], [2, "ok"]]);
    assert.equal(entries[0]!.faults[0]!.kind, "hang");
  });
}
