/**
 * fake-zedrouter as a CI stand-in, driven by EVE's own Go client (net/rpc/jsonrpc, the peer
 * under tests/go/): the ready file means serving and a clean SIGTERM (with --teardown)
 * leaves nothing; every fault kind as the Go client sees it (fail's text verbatim, delay in
 * the journal's durations, hang past the client's deadline, drop as Go's unexpected EOF),
 * each marked in the journal; faults from the config file, replaced on reload; bad rules
 * refused naming the field. Kernel state is read back: a fault at `request` never reaches
 * zedrouter's logic (no veth), one at `reply` comes after it (the veth is there).
 */
import assert from "node:assert/strict";
import { getLink, isAlive, systemRunner } from "../netns/mod.ts";
import { callOnce, type JournalEntry } from "../rpc/mod.ts";
import { sandboxTest } from "../scripts/sandbox/sandbox.ts";
import {
  connectL2,
  FLOW_CONFIG,
  goCallOutcome,
  inspect,
  nodeWithUplink,
  podArgs,
  runCli,
  startZedrouter,
  withZedrouter,
} from "./fake_zedrouter_harness.ts";
import { eventually } from "./poll.ts";

const TOOLS = ["dnsmasq", "go"];
const POD = "web-11111-abcde";
const WEB = "11111111-aaaa-4aaa-8aaa-111111111111";
const WEB_MAC = "02:16:3e:77:00:01";
const BRIDGES = ["bn1", "bn2", "bn3", "bn4"];
const exists = (path: string) => Deno.stat(path).then(() => true, () => false);
const short = (e: JournalEntry) => e.method.slice("RPCServer.".length);

sandboxTest(
  "fake-zedrouter CI: ready file = serving, wait says so, SIGTERM --teardown leaves nothing",
  TOOLS,
  async (sb) => {
    const { node } = await nodeWithUplink(sb);
    const pod = await sb.netns("pod");
    const readyFile = `${sb.dir}/zr/ready.json`;
    const journalFile = `${sb.dir}/zr/journal.jsonl`;
    const zr = await startZedrouter(sb, node, {
      readyFile,
      extraArgs: ["--journal", journalFile, "--teardown"],
    });
    try {
      const ready = JSON.parse(await Deno.readTextFile(readyFile));
      assert.equal(ready.pid, zr.daemon.pid);
      assert.equal(ready.socket, zr.socket);
      assert.deepEqual(ready.networkInstances, [
        "ni-local",
        "ni-switch",
        "ni-airgap",
        "ni-isolated",
      ]);
      // Ready means serving, every NI up: no retry needed.
      assert.match((await inspect(zr.socket, "Inspect.Health")).version, /^fake-zedrouter /);
      for (const bridge of BRIDGES) assert.ok(await getLink(systemRunner, node.ns, bridge));
      const waited = await runCli(["wait", "--socket", zr.socket, "--timeout", "5"]);
      assert.equal(waited.code, 0, waited.stderr);
      assert.match(waited.stdout, /^fake-zedrouter \S+ is ready on /);

      await connectL2(zr.socket, POD, pod, "net1", WEB_MAC);
      // A call that never gets an answer still ends, and is journaled, when the daemon stops.
      await callOnce(zr.socket, "Control.AddFault", {
        method: "RPCServer.CheckPodConnection",
        at: "request",
        hang: true,
      });
      const check = podArgs(POD, pod, "net1", null);
      const hung = await goCallOutcome(zr.socket, "RPCServer.CheckPodConnection", check, 300);
      assert.equal(hung.ok, "no answer");
      const dnsmasqPids = (await inspect(zr.socket, "Inspect.Config")).dnsmasq.map((d) => d.pid);
      assert.equal(dnsmasqPids.length, 2);
      Deno.kill(zr.daemon.pid, "SIGTERM");
      assert.equal((await zr.daemon.exited).code, 0, await zr.log());

      assert.equal(await exists(zr.socket), false, "the socket is gone");
      assert.equal(await exists(readyFile), false, "the ready file is gone");
      assert.equal(await exists(`${zr.stateDir}/state.json`), false, "the state file is gone");
      for (const pid of dnsmasqPids) assert.ok(pid !== null && !isAlive(pid), `dnsmasq ${pid}`);
      for (const bridge of BRIDGES) {
        assert.equal(await getLink(systemRunner, node.ns, bridge), undefined, bridge);
      }
      assert.equal(await getLink(systemRunner, node.ns, "nbu1x1"), undefined, "app veth");
      assert.equal(await getLink(systemRunner, pod.ns, "net1"), undefined, "pod end");
      const port = await getLink(systemRunner, node.ns, "swport");
      assert.ok(port && port.master === null, "the switch port is released, not deleted");
      const lines = (await Deno.readTextFile(journalFile)).trimEnd().split("\n");
      assert.deepEqual(lines.map((l) => JSON.parse(l)).map((e) => [e.seq, e.method, e.outcome]), [
        [1, "RPCServer.ConnectPodAtL2", "ok"],
        [2, "RPCServer.CheckPodConnection", "abandoned"],
      ]);
    } finally {
      await zr.stop();
    }
  },
);

Deno.test("fake-zedrouter CI: wait on a socket nobody serves gives up with exit 1", async () => {
  const out = await runCli(["wait", "--socket", "/nonexistent/zr.sock", "--timeout", "0.3"]);
  assert.equal(out.code, 1);
  assert.match(out.stderr, /fake-zedrouter is not ready on "\/nonexistent\/zr.sock" after 0.3 s: /);
});

sandboxTest(
  "fake-zedrouter CI: each fault kind as EVE's Go client sees it, marked in the journal",
  TOOLS,
  async (sb) => {
    await withZedrouter(sb, async ({ node, zr }) => {
      const pod = await sb.netns("pod");
      const veth = () => getLink(systemRunner, node.ns, "nbu1x1");
      const error = `failed to find app network status for pod ${POD}`;
      const add = await runCli([
        "fault",
        "add",
        "--socket",
        zr.socket,
        "--method",
        "ConnectPodAtL2",
        "--pod",
        "web-*",
        "--fail",
        error,
        "--once",
      ]);
      assert.equal(add.code, 0, add.stderr);
      assert.equal(
        add.stdout,
        "Fault #1 fail on RPCServer.ConnectPodAtL2 (pod web-*), 1 time(s)\n",
      );
      const l2 = podArgs(POD, pod, "net1", WEB_MAC);
      assert.deepEqual(await goCallOutcome(zr.socket, "RPCServer.ConnectPodAtL2", l2), {
        ok: false,
        error,
      });
      assert.equal(await veth(), undefined, "a fault at request never reaches zedrouter");

      const fault = { at: "request", once: true } as const;
      await callOnce(zr.socket, "Control.AddFault", {
        ...fault,
        method: "RPCServer.ConnectPodAtL2",
        delay: 300,
      });
      const delayed = await goCallOutcome(zr.socket, "RPCServer.ConnectPodAtL2", l2);
      assert.equal(delayed.ok, true);
      assert.equal((await veth())?.master, "bn1");

      await callOnce(zr.socket, "Control.AddFault", {
        ...fault,
        method: "RPCServer.CheckPodConnection",
        interface: "net1",
        hang: true,
      });
      const check = podArgs(POD, pod, "net1", null);
      const hung = await goCallOutcome(zr.socket, "RPCServer.CheckPodConnection", check, 1000);
      assert.deepEqual(hung, {
        ok: "no answer",
        transportError: "no reply to RPCServer.CheckPodConnection within 1s",
      });

      await callOnce(zr.socket, "Control.AddFault", {
        ...fault,
        method: "RPCServer.DisconnectPod",
        drop: true,
      });
      const del = podArgs(POD, pod, "net1", null);
      const dropped = await goCallOutcome(zr.socket, "RPCServer.DisconnectPod", del);
      assert.deepEqual(dropped, { ok: "no answer", transportError: "unexpected EOF" });
      assert.ok(await veth(), "dropped at request: the veth stays");
      await callOnce(zr.socket, "Control.AddFault", {
        ...fault,
        at: "reply",
        method: "RPCServer.DisconnectPod",
        drop: true,
      });
      const droppedAfter = await goCallOutcome(zr.socket, "RPCServer.DisconnectPod", del);
      assert.deepEqual(droppedAfter, { ok: "no answer", transportError: "unexpected EOF" });
      assert.equal(await veth(), undefined, "dropped at reply: the disconnect was done");

      await assertJournal(zr.socket, pod.path);
    });
  },
);

/** The journal of the calls above: each with its fault, params in the friendly form. */
async function assertJournal(socket: string, netns: string): Promise<void> {
  const { entries } = await inspect(socket, "Inspect.Journal");
  assert.deepEqual(
    entries.map((
      e,
    ) => [e.seq, short(e), e.pod, e.interface, e.outcome, e.faults.map((f) => f.kind)]),
    [
      [1, "ConnectPodAtL2", POD, "net1", "error", ["fail"]],
      [2, "ConnectPodAtL2", POD, "net1", "ok", ["delay"]],
      [3, "CheckPodConnection", POD, "net1", "pending", ["hang"]],
      [4, "DisconnectPod", POD, "net1", "dropped", ["drop"]],
      [5, "DisconnectPod", POD, "net1", "dropped", ["drop"]],
    ],
  );
  const [failed, delayed] = entries;
  assert.deepEqual(failed!.params, {
    pod: { name: POD, netNsPath: netns },
    podInterface: { name: "net1", mac: WEB_MAC, netNsPath: netns },
  });
  assert.equal(failed!.error, `failed to find app network status for pod ${POD}`);
  assert.ok(delayed!.durationMs >= 299, `the 300 ms delay is in ${delayed!.durationMs} ms`);
  assert.equal((delayed!.result as { appUUID: string }).appUUID, WEB);
  assert.deepEqual(entries[4]!.faults.map((f) => f.at), ["reply"]);

  const json = await runCli([
    "journal",
    "--socket",
    socket,
    "--method",
    "ConnectPodAtL2",
    "--json",
  ]);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(json.stdout.trimEnd().split("\n").map((l) => JSON.parse(l).seq), [1, 2]);
  const text = await runCli(["journal", "--socket", socket, "--pod", "web-*"]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^SEQ +TIME +METHOD +POD +IF +MS +OUTCOME +FAULTS +DETAIL\n/);
  assert.match(text.stdout, /\n1 .* ConnectPodAtL2 +web-11111-abcde +net1 .* error +#1 fail +mac/);
  const list = await runCli(["fault", "list", "--socket", socket, "--json"]);
  const faults = list.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(faults.map((f) => [f.id, f.kind, f.hits, f.remaining]), [
    [1, "fail", 1, 0],
    [2, "delay", 1, 0],
    [3, "hang", 1, 0],
    [4, "drop", 1, 0],
    [5, "drop", 1, 0],
  ]);
  const cleared = await runCli(["fault", "clear", "--socket", socket]);
  assert.equal(cleared.stdout, "Cleared 5 fault rule(s)\n");
}

sandboxTest(
  "fake-zedrouter CI: faults from the config file apply from the start and reload with it",
  TOOLS,
  async (sb) => {
    const config = `${sb.dir}/faults.yaml`;
    const flow = await Deno.readTextFile(FLOW_CONFIG);
    const withFault = (faults: string) => Deno.writeTextFile(config, `${flow}\nfaults:${faults}\n`);
    await withFault(
      `\n  - { method: ConnectPodAtL2, pod: "web-*", fail: "from the config", times: 2 }`,
    );
    await withZedrouter(sb, async ({ zr }) => {
      const pod = await sb.netns("pod");
      const l2 = podArgs(POD, pod, "net1", WEB_MAC);
      const first = await goCallOutcome(zr.socket, "RPCServer.ConnectPodAtL2", l2);
      assert.deepEqual(first, { ok: false, error: "from the config" });
      const { faults } = await inspect(zr.socket, "Inspect.Faults");
      assert.deepEqual(faults.map((f) => [f.source, f.hits, f.remaining]), [["config", 1, 1]]);

      await withFault(" []");
      zr.signal("SIGHUP");
      await eventually("the reload", async () => /Reloaded: /.test(await zr.log()) || undefined);
      assert.deepEqual((await inspect(zr.socket, "Inspect.Faults")).faults, []);
      assert.equal((await goCallOutcome(zr.socket, "RPCServer.ConnectPodAtL2", l2)).ok, true);
    }, { config });
  },
);

Deno.test("fake-zedrouter CI: a bad fault is refused naming the field (config) or flag (CLI)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zr-faults-" });
  try {
    const config = `${dir}/bad.yaml`;
    await Deno.writeTextFile(config, "faults:\n  - { method: ConnectPodAtL2, delay: 0 }\n");
    const validate = await runCli(["validate", "--config", config]);
    assert.equal(validate.code, 2);
    assert.match(validate.stderr, /faults\.0\.delay: A delay is at least 1 ms/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const socket = ["--socket", "/nonexistent/zr.sock"];
  const zero = await runCli([
    "fault",
    "add",
    ...socket,
    "--method",
    "DisconnectPod",
    "--delay",
    "0",
  ]);
  assert.equal(zero.code, 2);
  assert.match(zero.stderr, /Invalid fault: --delay: A delay is at least 1 ms/);
  const two = await runCli([
    "fault",
    "add",
    ...socket,
    "--method",
    "DisconnectPod",
    "--delay",
    "5",
    "--fail",
    "x",
  ]);
  assert.equal(two.code, 2);
  assert.match(
    two.stderr,
    /A fault needs exactly one of --delay, --fail, --hang, --drop; got --delay, --fail/,
  );
  const method = await runCli(["fault", "add", ...socket, "--method", "Connect", "--hang"]);
  assert.equal(method.code, 2);
  assert.match(method.stderr, /--method: Expected one of EVE's methods ConnectPodAtL2, /);
});
