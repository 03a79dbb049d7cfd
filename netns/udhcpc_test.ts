import assert from "node:assert/strict";
import { acquireLease } from "./udhcpc.ts";
import { CommandError, recordingRunner } from "./runner.ts";

/** What the hook prints on udhcpc's stdout for a bound lease. */
const BOUND_LINE = "EVE-DHCP-EVENT " + JSON.stringify({
  event: "bound",
  interface: "net1",
  ip: "10.11.12.5",
  mask: "24",
  subnet: "255.255.255.0",
  router: "10.11.12.1",
  dns: "",
  domain: "",
  staticroutes: "",
  lease: "3600",
  serverid: "10.11.12.1",
  time: "1700000000",
  uptime: "",
});

Deno.test("acquireLease: argv built from validated input, inside the netns via nsenter", async () => {
  const runner = recordingRunner(() => ({
    code: 0,
    stdout: `udhcpc: started\n${BOUND_LINE}\n`,
    stderr: "",
  }));
  const lease = await acquireLease(runner, {
    netnsPath: "/proc/42/ns/net",
    ifname: "net1",
    hostname: "app-1",
    clientId: "0102163e000001",
    scriptPath: "/run/eve/hook.sh",
    timeoutSeconds: 2,
    retries: 3,
  });
  assert.equal(lease.address, "10.11.12.5/24");
  assert.deepEqual(runner.calls[0], [
    "nsenter",
    "--net=/proc/42/ns/net",
    "udhcpc",
    "-i",
    "net1",
    "-f",
    "-s",
    "/run/eve/hook.sh",
    "-O",
    "staticroutes",
    "-O",
    "domain",
    "-O",
    "dns",
    "-O",
    "router",
    "-q",
    "-n",
    "-t",
    "3",
    "-T",
    "2",
    "-x",
    "hostname:app-1",
    "-x",
    "0x3d:0102163e000001",
  ]);
});

Deno.test("acquireLease: hostile input rejected before running; failure is a CommandError", async () => {
  const runner = recordingRunner(() => ({
    code: 1,
    stdout: "",
    stderr: "udhcpc: no lease, failing",
  }));
  const base = {
    netnsPath: "/var/run/netns/p",
    ifname: "net1",
    scriptPath: "/run/hook.sh",
    timeoutSeconds: 1,
    retries: 1,
  };
  await assert.rejects(acquireLease(runner, { ...base, hostname: "a b" }), /Invalid hostname/);
  await assert.rejects(
    acquireLease(runner, { ...base, hostname: "x,hostname:evil" }),
    /Invalid hostname/,
  );
  await assert.rejects(acquireLease(runner, { ...base, clientId: "xyz" }), /Invalid client id/);
  await assert.rejects(acquireLease(runner, { ...base, ifname: "a b" }), /white space/);
  await assert.rejects(acquireLease(runner, { ...base, netnsPath: "p" }), /absolute/);
  await assert.rejects(acquireLease(runner, { ...base, retries: 0 }), /Invalid retries 0/);
  assert.equal(runner.calls.length, 0);
  const error = await acquireLease(runner, base).catch((e) => e);
  assert.ok(error instanceof CommandError);
  assert.match(error.message, /no lease obtained on "net1"/);
});
