import assert from "node:assert/strict";
import {
  dhcpClientEnded,
  dhcpClientVerdict,
  findDhcpClients,
  isOurDhcpClient,
  readProcessFacts,
} from "./dhcp_client.ts";

/** A live process whose argv is `argv` (argv[0] set with bash's `exec -a`). */
function processWithArgv(argv: string[]): Deno.ChildProcess {
  const [name, ...rest] = argv;
  return new Deno.Command("bash", {
    args: ["-c", `exec -a "$0" sh -c 'sleep 30' "$@"`, name!, ...rest],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

async function withProcess(argv: string[], body: (pid: number) => void | Promise<void>) {
  const child = processWithArgv(argv);
  try {
    // Until bash has exec'd, the argv is bash's own.
    for (let i = 0; i < 200 && readProcessFacts(child.pid)?.argv[0] !== argv[0]; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await body(child.pid);
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
}

Deno.test("readProcessFacts: state, start time and argv of a live process; none for a gone one", async () => {
  await withProcess(["udhcpc", "-p", "/run/eve-bridge/c1/net1.pid"], (pid) => {
    const facts = readProcessFacts(pid);
    assert.ok(facts);
    assert.match(facts.state, /^[RSD]$/, `state ${facts.state}`);
    assert.ok(facts.startTime > 0);
    assert.deepEqual(facts.argv.slice(0, 1), ["udhcpc"]);
    assert.ok(facts.argv.includes("/run/eve-bridge/c1/net1.pid"));
  });
  assert.equal(readProcessFacts(0), undefined);
  assert.equal(readProcessFacts(1.5), undefined);
  assert.equal(readProcessFacts(2 ** 22 + 1), undefined);
});

Deno.test("dhcpClientVerdict: ours only with udhcpc, our pid file and the recorded start time", async () => {
  const pidFile = "/run/eve-bridge/c1/net1.pid";
  await withProcess(["udhcpc", "-i", "net1", "-p", pidFile], (pid) => {
    const startTime = readProcessFacts(pid)!.startTime;
    const record = { pid, pidFile, startTime };
    assert.deepEqual(dhcpClientVerdict(record, "/run/eve-bridge"), { ours: true });
    assert.equal(isOurDhcpClient({ pid, pidFile }), true, "an older record without start time");
    assert.match(
      (dhcpClientVerdict({ ...record, startTime: startTime + 1 }) as { why: string }).why,
      /pid was reused/,
    );
    assert.match(
      (dhcpClientVerdict({ ...record, pidFile: "/x/net1.pid" }) as { why: string }).why,
      /pid file \/run\/eve-bridge\/c1\/net1\.pid, not \/x\/net1\.pid/,
    );
    assert.match(
      (dhcpClientVerdict(record, "/elsewhere") as { why: string }).why,
      /outside \/elsewhere/,
    );
  });
  await withProcess(["sleep", "-p", pidFile], (pid) => {
    assert.match((dhcpClientVerdict({ pid, pidFile }) as { why: string }).why, /runs sleep/);
  });
  assert.deepEqual(dhcpClientVerdict({ pid: 2 ** 22 + 1, pidFile }), {
    ours: false,
    why: `pid ${2 ** 22 + 1} is gone`,
  });
});

Deno.test("findDhcpClients: the udhcpc processes whose pid file lies under the state dir", async () => {
  const stateDir = `/run/eve-bridge-test-${crypto.randomUUID()}`;
  await withProcess(["udhcpc", "-p", `${stateDir}/c1/net1.pid`], async (pid) => {
    await withProcess(["udhcpc", "-p", `${stateDir}-other/c1/net1.pid`], () => {
      const found = findDhcpClients(stateDir);
      assert.deepEqual(found.map((c) => [c.pid, c.pidFile]), [[pid, `${stateDir}/c1/net1.pid`]]);
    });
  });
});

Deno.test("dhcpClientEnded: gone, a zombie or a reused pid; not while an exiting client runs", () => {
  const client = { pid: 4242, pidFile: "/run/s/udhcpc.pid", startTime: 900 };
  const facts = (state: string, startTime: number, argv: string[]) => ({
    pid: 4242,
    state,
    startTime,
    argv,
  });
  const argv = ["udhcpc", "-p", "/run/s/udhcpc.pid"];
  assert.equal(dhcpClientEnded({ ...client, pid: 0 }), true); // no such process
  assert.equal(dhcpClientEnded(client, facts("Z", 900, [])), true);
  assert.equal(dhcpClientEnded(client, facts("S", 901, ["sleep"])), true);
  assert.equal(dhcpClientEnded(client, facts("S", 900, argv)), false);
  // Exiting after SIGKILL: its command line is gone, it is not a zombie yet.
  assert.equal(dhcpClientEnded(client, facts("R", 900, [])), false);
  const { startTime: _, ...unrecorded } = client;
  assert.equal(dhcpClientEnded(unrecorded, facts("R", 900, [])), false);
  // Its pid reused by a kernel thread, whose command line is empty too.
  const kthread = { ...facts("S", 5, []), kernelThread: true };
  assert.equal(dhcpClientEnded(unrecorded, kthread), true);
});

Deno.test("readProcessFacts: a kernel thread is one, this process is not", () => {
  assert.equal(readProcessFacts(Deno.pid)?.kernelThread, false);
  // kthreadd is pid 2 on Linux; it only shows up where the pid namespace is the machine's.
  const kthreadd = readProcessFacts(2);
  if (kthreadd?.argv.length === 0) assert.equal(kthreadd.kernelThread, true);
});
