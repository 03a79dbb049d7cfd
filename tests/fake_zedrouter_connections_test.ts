/**
 * fake-zedrouter keeps serving whatever its clients do with connections: out of file
 * descriptors (under `prlimit --nofile=100`, 90 idle connections) it pauses accepting and
 * picks up again once they close; beyond --max-connections a Go net/rpc client's call fails
 * with the refusal as its error. Each time the whole EVE flow works afterwards.
 */
import assert from "node:assert/strict";
import { getLink, systemRunner } from "../netns/mod.ts";
import { callOnce, RpcRemoteError } from "../rpc/mod.ts";
import { type Sandbox, sandboxTest } from "../scripts/sandbox/sandbox.ts";
import {
  checkPod,
  cliArgv,
  connectL2,
  disconnectPod,
  goCall,
  inspect,
  podArgs,
  withZedrouter,
  type Zedrouter,
} from "./fake_zedrouter_harness.ts";
import { eventually } from "./poll.ts";

const WEB_MAC = "02:16:3e:77:00:01";
const TOOLS = ["dnsmasq", "go", "prlimit"];

async function openIdle(socket: string, count: number): Promise<Deno.UnixConn[]> {
  const conns: Deno.UnixConn[] = [];
  for (let i = 0; i < count; i++) {
    conns.push(await Deno.connect({ transport: "unix", path: socket }));
  }
  return conns;
}

/** Connect, check and disconnect a pod through the Go client: the daemon fully works. */
async function flowWorks(sb: Sandbox, zr: Zedrouter, role: string): Promise<void> {
  const pod = await sb.netns(role);
  const podName = "web-11111-0-x7k2p";
  await connectL2(zr.socket, podName, pod, "net1", WEB_MAC);
  assert.equal((await getLink(systemRunner, pod.ns, "net1"))?.mac, WEB_MAC);
  await checkPod(zr.socket, podName, pod, "net1");
  await disconnectPod(zr.socket, podName, pod, "net1");
  assert.equal(await getLink(systemRunner, pod.ns, "net1"), undefined);
  assert.match((await inspect(zr.socket, "Inspect.Health")).version, /fake-zedrouter/);
}

const countOf = (log: string, text: string) =>
  log.split("\n").filter((l) => l.includes(text)).length;

sandboxTest(
  "fake-zedrouter out of file descriptors: pauses accepting, serves again once they close",
  TOOLS,
  async (sb) => {
    // 200 allowed connections but only 100 file descriptors: accept itself meets EMFILE.
    const program = ["prlimit", "--nofile=100", ...cliArgv([])];
    await withZedrouter(sb, async ({ zr }) => {
      const idle = await openIdle(zr.socket, 90);
      try {
        await eventually("an EMFILE in the log", async () => {
          const log = await zr.log();
          return log.includes("Cannot accept connections") ? log : undefined;
        });
      } finally {
        idle.forEach((c) => c.close());
      }
      await flowWorks(sb, zr, "pod1");
      const log = await zr.log();
      assert.match(log, /Cannot accept connections: Too many open files .*\(EMFILE\)/);
      // Told once when a burst of failed accepts starts and once when it ends, not per try.
      assert.equal(
        countOf(log, "Cannot accept connections"),
        countOf(log, "Accepting connections again"),
      );
      assert.match(log, /Accepting connections again after \d+ failed accept\(s\)/);
    }, { program, extraArgs: ["--max-connections", "200"] });
  },
);

sandboxTest(
  "fake-zedrouter under prlimit --nofile=100: 90 idle connections, a call refused, then served",
  TOOLS,
  async (sb) => {
    // The reproduction. By default the connection limit leaves file descriptors to
    // spare: a call while the 90 are open gets the refusal at once, never an EMFILE stall.
    const program = ["prlimit", "--nofile=100", ...cliArgv([])];
    await withZedrouter(sb, async ({ zr }) => {
      const idle = await openIdle(zr.socket, 90);
      try {
        await assert.rejects(
          callOnce(zr.socket, "Inspect.Health", {}, { timeoutMs: 10_000 }),
          (e) =>
            e instanceof RpcRemoteError &&
            /^Too many connections: the server handles \d+ at once/.test(e.remoteMessage),
        );
      } finally {
        idle.forEach((c) => c.close());
      }
      await flowWorks(sb, zr, "pod1");
      // A refusal closes at once, yet the fd goes a little later: a short EMFILE burst
      // may come too. Either way each burst is told once when it starts and once at its end.
      const log = await zr.log();
      assert.ok(countOf(log, "Refusing new connections") >= 1, log);
      assert.equal(
        countOf(log, "Refusing new connections"),
        countOf(log, "Serving new connections again"),
      );
      assert.equal(
        countOf(log, "Cannot accept connections"),
        countOf(log, "Accepting connections again"),
      );
    }, { program });
  },
);

sandboxTest(
  "fake-zedrouter beyond --max-connections: a Go client's call fails with the reason",
  TOOLS,
  async (sb) => {
    await withZedrouter(sb, async ({ zr }) => {
      const pod = await sb.netns("pod1");
      const idle = await openIdle(zr.socket, 4);
      try {
        // The kernel queues connections in order and the server takes them in that order:
        // the four idle ones hold the four places when the Go client comes.
        const refused = await goCall(
          zr.socket,
          "RPCServer.CheckPodConnection",
          podArgs("web-11111-0-x7k2p", pod, "net1", null),
        );
        assert.equal(refused.ok, false);
        assert.match(
          refused.ok ? "" : refused.error,
          /^Too many connections: the server handles 4 at once; try again shortly$/,
        );
      } finally {
        idle.forEach((c) => c.close());
      }
      await flowWorks(sb, zr, "pod2");
    }, { extraArgs: ["--max-connections", "4"] });
  },
);
