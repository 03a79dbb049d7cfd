/**
 * A pod follows its lease: zedrouter's reservation for the app's adapter changes (config
 * reload, dnsmasq restarted with the new dhcp-host), the pod's DHCP client renews, the server
 * NAKs the old address and hands out the new one, and eve-bridge's udhcpc hook
 * (`eve-bridge dhcp-event`) moves the pod: ConnectPodAtL3 with the new address, the old one
 * removed. Read back from the kernel, dnsmasq's lease file, zedrouter and the state file.
 */
import assert from "node:assert/strict";
import { readDnsmasqLeases, signalPid } from "../../netns/mod.ts";
import {
  APPS,
  attachmentState,
  CNIDRIVE,
  dnsmasqOf,
  e2eConfig,
  e2eTest,
  NI,
  onLocalNi,
  ping,
  podAddresses,
  podRoutes,
  trackedPod,
} from "./harness.ts";
import { eventually } from "../poll.ts";
import { findLeaks } from "../../scripts/sandbox/leaks.ts";
import { attach, checkAll, detach } from "./runtime.ts";

const NEW_IP = "10.78.1.70";

e2eTest("e2e: a renewal with a changed reservation moves the pod to the new address", {}, async (
  ctx,
) => {
  const { node } = ctx;
  const nginx = await trackedPod(ctx, "pod1", APPS.nginx);
  const redis = await trackedPod(ctx, "pod2", APPS.redis);
  const a = await attach(CNIDRIVE, node, nginx, onLocalNi(node, APPS.nginx));
  const b = await attach(CNIDRIVE, node, redis, onLocalNi(node, APPS.redis));
  assert.deepEqual(await podAddresses(nginx, "net1"), [`${APPS.nginx.local.ip}/24`]);
  const before = await attachmentState(node, nginx, "net1");
  assert.ok(before?.dhcp, "net1 has a long-running DHCP client");

  // The operator changes nginx's reservation on the NI.
  const config = e2eConfig();
  const adapter = config.apps.find((x) => x.uuid === APPS.nginx.uuid)!.adapters[0]!;
  assert.equal(adapter.ip, APPS.nginx.local.ip);
  adapter.ip = NEW_IP;
  await node.reload(config);
  const { leaseFile } = await dnsmasqOf(node, NI.local.name);

  // Renew now instead of waiting half the lease time (SIGUSR1 = udhcpc's "renew").
  assert.ok(signalPid(before.dhcp.pid, "SIGUSR1"));
  // Address and routes: zedrouter's L3 adds the address first and the routes after it (the old
  // address, and the default route through it, went first), so under load the test could look
  // in between.
  await eventually("the pod to move to the new address", async () => {
    const addrs = await podAddresses(nginx, "net1");
    const routed = (await podRoutes(nginx)).includes("default via 10.78.1.1 dev net1");
    return addrs.length === 1 && addrs[0] === `${NEW_IP}/24` && routed ? addrs : undefined;
  }).catch(async (error) => {
    const dnsmasqLog = (await dnsmasqOf(node, NI.local.name)).logFile;
    const tail = async (path: string) =>
      (await Deno.readTextFile(path).catch(() => "")).trim().split("\n").slice(-12).join("\n");
    throw new Error(
      `${error.message}; net1 has ${await podAddresses(nginx, "net1")}\n` +
        `--- DHCP events ---\n${await tail(
          `${node.stateDir}/${nginx.containerId}/net1.events`,
        )}\n` +
        `--- dnsmasq ---\n${await tail(dnsmasqLog)}\n--- eve-bridge ---\n${await tail(
          node.logFile,
        )}`,
    );
  });

  const routes = await podRoutes(nginx);
  assert.ok(routes.includes("default via 10.78.1.1 dev net1"), routes.join("\n"));
  const leases = (await readDnsmasqLeases(leaseFile)).map((l) => `${l.mac} ${l.ip}`).sort();
  assert.deepEqual(leases, [
    `${APPS.nginx.local.mac} ${NEW_IP}`,
    `${APPS.redis.local.mac} ${APPS.redis.local.ip}`,
  ]);
  const attachment = (await node.inspect("Inspect.Attachments")).attachments
    .find((x) => x.podName === nginx.name)!;
  assert.deepEqual(attachment.l3?.ips.map((ip) => ip.address), [`${NEW_IP}/24`]);
  assert.deepEqual(attachment.problems, []);
  const after = await eventually("the state file to record the new lease", async () => {
    const state = await attachmentState(node, nginx, "net1");
    return state?.lease?.address === `${NEW_IP}/24` ? state : undefined;
  });
  assert.equal(after.dhcp?.pid, before.dhcp.pid, "the same client keeps the lease");
  const reach = await ping(redis, NEW_IP);
  assert.ok(reach.ok, reach.output);
  const old = await ping(redis, APPS.nginx.local.ip);
  assert.ok(!old.ok, "nobody answers on the old address");

  // The runtime's cached result (and so Multus' network-status) still names the old address;
  // the pod followed its lease on purpose, so CHECK passes and eve-bridge logs the staleness.
  await checkAll(CNIDRIVE, node, a);
  const log = await Deno.readTextFile(node.logFile);
  assert.match(
    log,
    /recorded result is stale","logger":"eve-bridge","properties":\{"command":"CHECK".*"from":"10\.78\.1\.50\/24","to":"10\.78\.1\.70\/24"/,
  );
  await checkAll(CNIDRIVE, node, b);

  await detach(CNIDRIVE, node, a);
  await detach(CNIDRIVE, node, b);
  assert.deepEqual(await findLeaks(node, ctx.pods), []);
  assertLogFields(await Deno.readTextFile(node.logFile), ["ADD", "CHECK", "DEL", "DHCP-EVENT"]);
});

/**
 * Every line of eve-bridge's log, from every kind of invocation (the hook's callback
 * included), is one JSON object with its level, time and message and the invocation's ids:
 * the command, container, interface and pod, and its milliseconds so far.
 */
function assertLogFields(text: string, commands: readonly string[]): void {
  const lines = text.trim().split("\n").map((line) => JSON.parse(line));
  for (const line of lines) {
    assert.equal(typeof line.message, "string", JSON.stringify(line));
    assert.ok(
      ["DEBUG", "INFO", "WARN", "ERROR", "FATAL"].includes(line.level),
      JSON.stringify(line),
    );
    assert.ok(!Number.isNaN(Date.parse(line["@timestamp"])), JSON.stringify(line));
    const p = line.properties;
    for (const field of ["command", "containerID", "ifname", "podNamespace", "podName"]) {
      assert.equal(typeof p?.[field], "string", `${field} in ${JSON.stringify(line)}`);
    }
    assert.notEqual(p.containerID, "", JSON.stringify(line));
    assert.equal(typeof p.durationMs, "number", JSON.stringify(line));
  }
  const seen = new Set(lines.map((line) => line.properties.command));
  for (const command of commands) assert.ok(seen.has(command), `no ${command} line in the log`);
}
