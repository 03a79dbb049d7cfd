/**
 * Every lease dnsmasq grants for an attachment is released by the runtime's DEL, whatever
 * happened to the ADD, and DEL always finishes: eve-bridge SIGKILLed while its udhcpc waits
 * for the server, a state dir that is read-only at DEL time or full while udhcpc binds, a
 * 10 kB container id. Driven through libcni (cnidrive) as the runtime drives it, asserted on
 * dnsmasq's own lease file, the kernel's process table and the state dir read back.
 */
import assert from "node:assert/strict";
import { containerDirName } from "../../core/eve/mod.ts";
import { deleteNetns, isAlive, signalPid, systemRunner } from "../../netns/mod.ts";
import { findLeaks } from "../../scripts/sandbox/leaks.ts";
import { cni, type E2ePod, multusArgs } from "../../scripts/sandbox/pod.ts";
import { runEveBridge } from "../cni_harness.ts";
import { eventually } from "../poll.ts";
import {
  APPS,
  attachmentState,
  CNIDRIVE,
  type E2eContext,
  e2eTest,
  NI,
  trackedPod,
} from "./harness.ts";
import { attach, detach, netX } from "./runtime.ts";
import { lastDetached } from "./plugin_log.ts";
import {
  childrenOf,
  fillStateDir,
  leasesLeft,
  leasesOf,
  setReadOnly,
  startCni,
  withDnsmasqPaused,
  withTmpfsStateDir,
} from "./state_dir_harness.ts";

const MAC = APPS.nginx.local.mac;

/** udhcpc's pid once ADD has it on record (it then waits for the paused server). */
async function udhcpcOf(node: Parameters<typeof attachmentState>[0], pod: E2ePod) {
  return await eventually(
    "ADD to start udhcpc",
    async () => (await attachmentState(node, pod, "net1"))?.dhcp?.pid,
  );
}

/**
 * What is gone when the runtime's DEL comes: "eve-bridge" (udhcpc still runs), "udhcpc" as
 * well (nobody left to send a release), or "netns" too (no interface to send one from).
 */
type Gone = "eve-bridge" | "udhcpc" | "netns";

/**
 * ADD SIGKILLed while its udhcpc waits for the (paused) server, which grants the lease only
 * afterwards, so nobody writes it into the state file; then what `gone` says goes too, once
 * udhcpc has the lease. Then the runtime's DEL.
 */
async function killedAddThenDel(ctx: E2eContext, gone: Gone): Promise<void> {
  const { node } = ctx;
  const pod = await trackedPod(ctx, "pod1", APPS.nginx);
  const net1 = netX(node, "net1", NI.local.name, MAC);
  const udhcpc = await withDnsmasqPaused(node, NI.local.name, async (resume) => {
    const add = startCni(CNIDRIVE, node, "add", pod, net1);
    const pid = await udhcpcOf(node, pod);
    const plugins = childrenOf(add.pid);
    assert.equal(plugins.length, 1, "libcni runs one eve-bridge");
    signalPid(plugins[0]!, "SIGKILL");
    assert.notEqual((await add.done).code, 0, "the killed ADD failed");
    resume();
    await eventually(
      "dnsmasq to grant the lease",
      async () => (await leasesOf(node, NI.local.name, MAC)).length > 0 || undefined,
    );
    return pid;
  });
  assert.equal((await attachmentState(node, pod, "net1"))?.lease ?? null, null);
  assert.ok(isAlive(udhcpc), "udhcpc outlived eve-bridge");
  if (gone !== "eve-bridge") {
    // Once its hook has recorded the lease: that record is all DEL has to go on.
    await eventually(
      "udhcpc's bound event",
      async () =>
        (await Deno.readTextFile(`${node.stateDir}/${pod.containerId}/net1.events`))
          .includes('"event":"bound"') || undefined,
    );
    signalPid(udhcpc, "SIGKILL");
    await eventually("udhcpc to die", () => Promise.resolve(!isAlive(udhcpc) || undefined));
  }
  if (gone === "netns") {
    // Nothing holds the namespace any more: its interfaces, the veth's both ends, go with it.
    await deleteNetns(systemRunner, pod.netns.name);
    assert.deepEqual(await leasesOf(node, NI.local.name, MAC), [APPS.nginx.local.ip]);
  }

  const del = await cni(CNIDRIVE, node, "del", pod, net1);
  assert.equal(del.code, 0, del.stderr);
  assert.deepEqual(await leasesLeft(node, NI.local.name, MAC), [], "DEL released the lease");
  assert.ok(!isAlive(udhcpc), "DEL stopped udhcpc");
  assert.deepEqual(await findLeaks(node, ctx.pods), []);
  if (gone === "netns") {
    // Only zedrouter could drop it (no pod interface to send a release from), and the log
    // says who did: eve-bridge's own client could not.
    const detached = await lastDetached(node, "net1");
    assert.equal(detached?.releaseOutcome, "released-by-zedrouter", JSON.stringify(detached));
    assert.equal(detached?.zedrouterLease, "released");
  }
}

e2eTest(
  "e2e: DEL releases the lease of an ADD SIGKILLed while its udhcpc ran",
  {},
  (ctx) => killedAddThenDel(ctx, "eve-bridge"),
);

e2eTest(
  "e2e: DEL releases the lease of a SIGKILLed ADD whose udhcpc was killed as well",
  {},
  (ctx) => killedAddThenDel(ctx, "udhcpc"),
);

e2eTest(
  "e2e: DEL drops the lease of a SIGKILLed ADD whose udhcpc and pod netns are gone",
  {},
  (ctx) => killedAddThenDel(ctx, "netns"),
);

e2eTest("e2e: DEL with a read-only state dir releases the lease and succeeds", {}, async (ctx) => {
  const { node } = ctx;
  await withTmpfsStateDir(node, 1024, async () => {
    const pod = await trackedPod(ctx, "pod1", APPS.nginx);
    const attached = await attach(CNIDRIVE, node, pod, [netX(node, "net1", NI.local.name, MAC)]);
    const udhcpc = (await attachmentState(node, pod, "net1"))?.dhcp?.pid;
    assert.deepEqual(await leasesOf(node, NI.local.name, MAC), [APPS.nginx.local.ip]);

    await setReadOnly(node, true);
    await detach(CNIDRIVE, node, attached);
    assert.deepEqual(await leasesLeft(node, NI.local.name, MAC), [], "DEL released the lease");
    assert.ok(udhcpc !== undefined && !isAlive(udhcpc), "DEL stopped udhcpc");
    // udhcpc's deconfig cannot be recorded there: DEL does not wait for it, sends the release
    // unconfirmed, and zedrouter's answer (its dnsmasq holds none, or it dropped the lease)
    // says what became of it.
    const detached = await lastDetached(node, "net1");
    const figure =
      `read-only DEL: ${detached?.releaseOutcome}, release step ${detached?.releaseMs} ms\n`;
    Deno.stdout.writeSync(new TextEncoder().encode(figure));
    assert.ok(
      ["released", "released-by-zedrouter"].includes(detached?.releaseOutcome as string),
      JSON.stringify(detached),
    );
    // Again (the runtime retries), and for a container never added here (no directory, and
    // none can be made): nothing is left, so DEL succeeds.
    await detach(CNIDRIVE, node, attached);
    const never = await trackedPod(ctx, "pod2", APPS.redis);
    const del = await cni(CNIDRIVE, node, "del", never, netX(node, "net1", NI.local.name));
    assert.equal(del.code, 0, del.stderr);
    // A NAD whose state dir does not exist and cannot be made there: nothing to undo either.
    const nad = JSON.parse(await Deno.readTextFile(node.nad(NI.local.name)));
    nad.plugins[0].stateDir = `${node.stateDir}/never-made`;
    const conflist = `${node.dir}/nad-missing-state.conflist`;
    await Deno.writeTextFile(conflist, JSON.stringify(nad));
    const missing = await cni(CNIDRIVE, node, "del", never, { ifname: "net1", conflist });
    assert.equal(missing.code, 0, missing.stderr);
    await setReadOnly(node, false);
  });
});

e2eTest(
  "e2e: a state dir that fills up during DHCP fails ADD with ENOSPC, lease released",
  {},
  async (
    ctx,
  ) => {
    const { node } = ctx;
    await withTmpfsStateDir(node, 1024, async () => {
      const pod = await trackedPod(ctx, "pod1", APPS.nginx);
      const net1 = netX(node, "net1", NI.local.name, MAC);
      const add = await withDnsmasqPaused(node, NI.local.name, async (resume) => {
        const add = startCni(CNIDRIVE, node, "add", pod, net1);
        await udhcpcOf(node, pod);
        await fillStateDir(node); // nothing more fits when the lease comes
        resume();
        return await add.done;
      });
      assert.notEqual(add.code, 0);
      assert.match(add.stderr, /ENOSPC/);
      assert.match(add.stderr, /is full/);
      assert.doesNotMatch(add.stderr, /No DHCP lease/);
      assert.deepEqual(await leasesLeft(node, NI.local.name, MAC), [], "ADD released the lease");
      // The runtime's DEL, in the still-full state dir, succeeds and finds nothing left.
      const del = await cni(CNIDRIVE, node, "del", pod, net1);
      assert.equal(del.code, 0, del.stderr);
      const leaks = await findLeaks(node, ctx.pods);
      assert.deepEqual(leaks.filter((l) => !l.includes("/filler")), []);
    });
  },
);

e2eTest("e2e: a 10 kB container id is attached and detached (its files under a hash)", {}, async (
  ctx,
) => {
  const { node } = ctx;
  const short = await trackedPod(ctx, "pod1", APPS.nginx);
  const pod: E2ePod = { ...short, containerId: `c${"0123456789".repeat(1024)}` };
  const nad = JSON.parse(await Deno.readTextFile(node.nad(NI.local.name)));
  const config = { cniVersion: nad.cniVersion, name: nad.name, ...nad.plugins[0] };
  const call = (command: string) =>
    runEveBridge(node.ns.name, {
      CNI_COMMAND: command,
      CNI_CONTAINERID: pod.containerId,
      CNI_NETNS: pod.netns.path,
      CNI_IFNAME: "net1",
      CNI_PATH: node.cniPath,
      CNI_ARGS: multusArgs(pod, MAC),
    }, JSON.stringify(config));
  const add = await call("ADD");
  assert.equal(add.code, 0, `${add.stdout}${add.stderr}`);
  const dir = containerDirName(pod.containerId);
  assert.ok(dir.length < 255 && dir.startsWith(pod.containerId.slice(0, 32)));
  const names = (await Array.fromAsync(Deno.readDir(node.stateDir))).map((e) => e.name);
  assert.ok(names.includes(dir), `state kept under ${dir}`);
  assert.deepEqual(await leasesOf(node, NI.local.name, MAC), [APPS.nginx.local.ip]);

  const del = await call("DEL");
  assert.equal(del.code, 0, `${del.stdout}${del.stderr}`);
  assert.deepEqual(await leasesLeft(node, NI.local.name, MAC), [], "DEL released the lease");
  assert.deepEqual(await findLeaks(node, ctx.pods), []);
});
