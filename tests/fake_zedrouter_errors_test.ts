/**
 * Bad inputs against the real fake-zedrouter: each one a clear error (EVE's text where EVE
 * has one) and nothing left behind in the node or the pod namespace.
 */
import assert from "node:assert/strict";
import { listLinks, systemRunner } from "../netns/mod.ts";
import { ZERO_UUID } from "../core/mod.ts";
import { sandboxTest } from "../scripts/sandbox/sandbox.ts";
import {
  disconnectPod,
  DUPLICATE_MACS_CONFIG,
  goCall,
  inspect,
  podArgs,
  runCli,
  withZedrouter,
} from "./fake_zedrouter_harness.ts";

const WEB = "11111111-aaaa-4aaa-8aaa-111111111111";
const WEB_MAC = "02:16:3e:77:00:01";

async function rawExchange(socket: string, text: string): Promise<string> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  try {
    await conn.write(new TextEncoder().encode(text));
    const buf = new Uint8Array(65536);
    let out = "";
    const timer = setTimeout(() => conn.close(), 2000);
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        out += new TextDecoder().decode(buf.subarray(0, n));
        if (out.includes("\n")) break;
      }
    } catch {
      // closed by the timer or the server
    } finally {
      clearTimeout(timer);
    }
    return out;
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

sandboxTest("fake-zedrouter: bad inputs are clear errors and leave nothing behind", [
  "dnsmasq",
  "go",
], async (sb) => {
  await withZedrouter(sb, async ({ node, zr }) => {
    const pod = await sb.netns("pod");
    const cases: [string, Parameters<typeof podArgs>, RegExp | string][] = [
      [
        "unknown pod",
        ["redis-99999-abcde", pod, "net1", WEB_MAC],
        "failed to find app network status for pod redis-99999-abcde",
      ],
      [
        "unknown MAC",
        ["web-11111-abcde", pod, "net1", "02:00:00:00:00:99"],
        `failed to find adapter with MAC 02:00:00:00:00:99 for app ${WEB}`,
      ],
      [
        "unknown network instance",
        ["web-11111-abcde", pod, "net1", WEB_MAC, "00000000-0000-4000-8000-0000000000ee"],
        "missing network instance status for 00000000-0000-4000-8000-0000000000ee",
      ],
      [
        "netns outside /var/run/netns",
        ["web-11111-abcde", { path: `/var/run/netns/../netns/${pod.name}` }, "net1", WEB_MAC],
        /is not under \/var\/run\/netns/,
      ],
      [
        "netns that does not exist",
        ["web-11111-abcde", { path: `/var/run/netns/${sb.prefix}-nope` }, "net1", WEB_MAC],
        `pod network namespace "/var/run/netns/${sb.prefix}-nope" does not exist`,
      ],
      [
        "interface name too long",
        ["web-11111-abcde", pod, "net1234567890123", WEB_MAC],
        /podInterface\.name: An interface name has at most 15 bytes/i,
      ],
      [
        "interface name with a slash",
        ["web-11111-abcde", pod, "net/1", WEB_MAC],
        /podInterface\.name: An interface name must not contain "\/"/i,
      ],
      [
        "interface name taken in the pod",
        ["web-11111-abcde", pod, "lo", WEB_MAC],
        /Cannot create pod interface "lo": an interface with that name already exists/,
      ],
    ];
    for (const [what, args, expected] of cases) {
      const r = await goCall(zr.socket, "RPCServer.ConnectPodAtL2", podArgs(...args));
      assert.equal(r.ok, false, `${what}: expected an error`);
      const error = r.ok ? "" : r.error;
      if (typeof expected === "string") assert.equal(error, expected, what);
      else assert.match(error, expected, `${what}: ${error}`);
    }

    // A bridge deleted behind zedrouter's back: refused before any veth is made, naming the NI,
    // the bridge and its bridge-marker resource (the leak check below shows nothing was left).
    await sb.exec(node, ["ip", "link", "del", "bn4"]);
    const { apps } = await inspect(zr.socket, "Inspect.Apps");
    const iso = apps.find((a) => a.name === "iso")!.adapters[0]!;
    const half = await goCall(
      zr.socket,
      "RPCServer.ConnectPodAtL2",
      podArgs("iso-44444-abcde", pod, "net1", iso.mac),
    );
    assert.equal(half.ok, false);
    assert.match(
      half.ok ? "" : half.error,
      /"ni-isolated" is not available.*"bn4" \(bridge\.network\.kubevirt\.io\/bn4\) does not exist/,
    );

    // Later calls for unknown things: Disconnect succeeds with the zero UUID, Check fails.
    assert.deepEqual(
      await disconnectPod(zr.socket, "redis-9-x", pod, "net1"),
      { appUUID: ZERO_UUID, usedDHCP: false },
    );
    const check = await goCall(
      zr.socket,
      "RPCServer.CheckPodConnection",
      podArgs("redis-9-x", pod, "net1", null),
    );
    assert.deepEqual(check, {
      ok: false,
      error: "failed to find app network status for pod redis-9-x",
    });

    // Malformed frames: a bad MAC gets an error reply for its id; junk ends the connection.
    const badMac = await rawExchange(
      zr.socket,
      JSON.stringify({
        method: "RPCServer.ConnectPodAtL2",
        params: [{
          Pod: { Name: "web-11111-abcde", NetNsPath: pod.path },
          PodInterface: { Name: "net1", MAC: "02:16:3e:77:00:01", NetNsPath: pod.path },
        }],
        id: 7,
      }) + "\n",
    );
    const reply = JSON.parse(badMac);
    assert.equal(reply.id, 7);
    assert.equal(reply.result, null);
    assert.match(reply.error, /MAC/);
    await rawExchange(zr.socket, "{this is not json\n");
    await rawExchange(zr.socket, "[1,2,3]\n");
    // Still serving after all that.
    assert.match((await inspect(zr.socket, "Inspect.Health")).version, /^fake-zedrouter /);

    // Nothing left behind: no host veth, the pod holds only lo, no attachment recorded.
    const hostVeths = (await listLinks(systemRunner, node.ns)).filter((l) =>
      l.name.startsWith("nbu")
    );
    assert.deepEqual(hostVeths, []);
    assert.deepEqual((await listLinks(systemRunner, pod.ns)).map((l) => l.name), ["lo"]);
    assert.deepEqual((await inspect(zr.socket, "Inspect.Attachments")).attachments, []);
  });
});

Deno.test("fake-zedrouter CLI: duplicate MACs are rejected, naming the path", async () => {
  const out = await runCli(["validate", "--config", DUPLICATE_MACS_CONFIG]);
  assert.equal(out.code, 2);
  assert.match(
    out.stderr,
    /apps\.1\.adapters\.0\.mac: "02:16:3e:77:00:01" is already the MAC of app "a" adapter 0/,
  );
  const serve = await runCli([
    "serve",
    "--config",
    DUPLICATE_MACS_CONFIG,
    "--socket",
    "/nonexistent-dir-for-test/rpc.sock",
  ]);
  assert.equal(serve.code, 2, "serve refuses the config before touching anything");
  assert.match(serve.stderr, /is already the MAC/);
});

Deno.test("fake-zedrouter CLI: default-config prints a config that validates", async () => {
  const printed = await runCli(["default-config"]);
  assert.equal(printed.code, 0);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/c.yaml`, printed.stdout);
    const out = await runCli(["validate", "--config", `${dir}/c.yaml`]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /nginx \(1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d\): pods nginx-1a2b3-\*/);
    assert.match(out.stdout, /ni-airgap \(switch, bridge bn2.*air-gapped/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const help = await runCli(["serve", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--state-dir <dir>/);
  assert.match(help.stdout, /Examples:/);
});

sandboxTest(
  "fake-zedrouter: a call past its deadline gets EVE's text",
  ["dnsmasq", "go"],
  async (sb) => {
    // 1 ms: no ConnectPodAtL2 (several ip commands) can finish in time.
    await withZedrouter(sb, async ({ zr }) => {
      const pod = await sb.netns("pod");
      const r = await goCall(
        zr.socket,
        "RPCServer.ConnectPodAtL2",
        podArgs("web-11111-abcde", pod, "net1", WEB_MAC),
      );
      assert.deepEqual(r, { ok: false, error: "context deadline exceeded" });
    }, { extraArgs: ["--call-timeout", "1"] });
  },
);
