import assert from "node:assert/strict";
import {
  listStates,
  readState,
  removeAttachmentFiles,
  withAttachmentLock,
  writeState,
} from "./attachment_state.ts";
import { attachmentPaths, type AttachmentState, STATE_VERSION } from "../../core/eve/mod.ts";
import { withTempDir } from "../../core/mod.ts";

function sample(containerID: string, ifname = "net1"): AttachmentState {
  return {
    version: STATE_VERSION,
    containerID,
    ifname,
    network: "ni-local",
    netnsPath: "/var/run/netns/p",
    podName: "web-11111-0-x7k2p",
    podNamespace: "eve-kube-app",
    mac: "02:16:3e:77:00:01",
    vmi: false,
    useDHCP: true,
    appUUID: "11111111-aaaa-4aaa-8aaa-111111111111",
    zedrouterSocket: "/run/zedrouter/rpc.sock",
    logFile: "/tmp/eve-bridge.log",
    phase: "ready",
    dhcp: { pid: 4242, eventFile: "/x/net1.events", pidFile: "/x/net1.pid", hookScript: "/x/h" },
    lease: {
      address: "10.77.1.50/24",
      gateway: "10.77.1.1",
      routes: [{ dst: "0.0.0.0/0", via: "10.77.1.1" }],
      dns: ["10.77.1.1"],
      domain: null,
      leaseSeconds: 3600,
      serverId: "10.77.1.1",
      obtainedAt: "2026-01-01T00:00:00.000Z",
    },
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
  };
}

const withDir = <T>(fn: (dir: string) => Promise<T>) => withTempDir("eve-bridge-state-test-", fn);

Deno.test("attachmentPaths: one dir per container, one file set per interface", () => {
  assert.deepEqual(attachmentPaths("/run/eve-bridge", "abc.1_2-3", "net1"), {
    dir: "/run/eve-bridge/abc.1_2-3",
    state: "/run/eve-bridge/abc.1_2-3/net1.json",
    events: "/run/eve-bridge/abc.1_2-3/net1.events",
    pid: "/run/eve-bridge/abc.1_2-3/net1.pid",
    lock: "/run/eve-bridge/abc.1_2-3/net1.lock",
    reserve: "/run/eve-bridge/abc.1_2-3/net1.reserve",
    routing: "/run/eve-bridge/abc.1_2-3/net1.routing",
  });
  assert.throws(() => attachmentPaths("/s", "a/b", "net1"));
  assert.throws(() => attachmentPaths("/s", "..", "net1"));
});

Deno.test("state: write then read round-trips; missing is undefined; garbage is an error", async () => {
  await withDir(async (dir) => {
    const paths = attachmentPaths(dir, "c1", "net1");
    assert.equal(await readState(paths.state), undefined);
    await writeState(paths.state, sample("c1"));
    assert.deepEqual(await readState(paths.state), sample("c1"));
    // No temporary file left beside it.
    assert.deepEqual([...Deno.readDirSync(paths.dir)].map((e) => e.name), ["net1.json"]);
    await Deno.writeTextFile(paths.state, "{");
    await assert.rejects(readState(paths.state), /is not JSON/);
    await Deno.writeTextFile(paths.state, JSON.stringify({ ...sample("c1"), mac: "nope" }));
    await assert.rejects(readState(paths.state), /is invalid: mac/);
  });
});

Deno.test("listStates: every record, unreadable ones reported; removal cleans the dir", async () => {
  await withDir(async (dir) => {
    await writeState(attachmentPaths(dir, "c1", "net1").state, sample("c1"));
    await writeState(attachmentPaths(dir, "c1", "net2").state, sample("c1", "net2"));
    await writeState(attachmentPaths(dir, "c2", "net1").state, sample("c2"));
    await Deno.mkdir(`${dir}/c3`);
    await Deno.writeTextFile(`${dir}/c3/net1.json`, "garbage");
    await Deno.writeTextFile(`${dir}/udhcpc-hook.sh`, "#!/bin/sh\n");
    await Deno.mkdir(`${dir}/c4`);
    await Deno.writeTextFile(`${dir}/c4/net7.lock`, "");
    await Deno.writeTextFile(`${dir}/c4/net7.pid`, "123\n");
    const { states, orphans, problems } = await listStates(dir);
    assert.deepEqual(orphans, [attachmentPaths(dir, "c4", "net7")]);
    assert.deepEqual(
      states.map((s) => `${s.state.containerID}/${s.state.ifname}`).sort(),
      ["c1/net1", "c1/net2", "c2/net1"],
    );
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /c3\/net1\.json/);
    const c1 = attachmentPaths(dir, "c1", "net1");
    await Deno.writeTextFile(c1.events, "");
    removeAttachmentFiles(c1);
    assert.deepEqual([...Deno.readDirSync(c1.dir)].map((e) => e.name), ["net2.json"]);
    removeAttachmentFiles(attachmentPaths(dir, "c1", "net2"));
    assert.throws(() => Deno.statSync(c1.dir), Deno.errors.NotFound);
    removeAttachmentFiles(c1); // twice is fine
    assert.deepEqual(await listStates(`${dir}/absent`), { states: [], orphans: [], problems: [] });
  });
});

Deno.test("withAttachmentLock: holders of one attachment never overlap, others do", async () => {
  await withDir(async (dir) => {
    const same = attachmentPaths(dir, "c1", "net1");
    const other = attachmentPaths(dir, "c2", "net1");
    const events: string[] = [];
    const hold = (paths: typeof same, name: string, ms: number) =>
      withAttachmentLock(paths, async () => {
        events.push(`${name}+`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        events.push(`${name}-`);
      });
    // flock is per open file description, so two opens in one process exclude each other too.
    await Promise.all([hold(same, "a", 150), hold(same, "b", 10), hold(other, "c", 10)]);
    const a = events.indexOf("a+");
    const b = events.indexOf("b+");
    const first = a < b ? "a" : "b";
    const second = first === "a" ? "b" : "a";
    assert.ok(events.indexOf(`${first}-`) < events.indexOf(`${second}+`), events.join(" "));
    assert.ok(events.indexOf("c-") < events.indexOf("a-"), `c ran beside a: ${events.join(" ")}`);
  });
});
