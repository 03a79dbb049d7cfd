import assert from "node:assert/strict";
import {
  type DhcpEvent,
  leaseFromEvent,
  parseDhcpEvents,
  UDHCPC_HOOK_SCRIPT,
  writeUdhcpcHookScript,
} from "./dhcp_events.ts";
import { systemRunner } from "./runner.ts";

const BOUND: DhcpEvent = {
  event: "bound",
  interface: "net1",
  ip: "10.11.12.5",
  mask: "24",
  subnet: "255.255.255.0",
  router: "10.11.12.1 10.11.12.2",
  dns: "10.11.12.1 1.1.1.1",
  domain: "lab.test",
  staticroutes: "0.0.0.0/0 10.11.12.1 10.99.0.0/16 10.11.12.254",
  lease: "3600",
  serverid: "10.11.12.1",
  time: "1700000000",
  uptime: "",
};

Deno.test("leaseFromEvent: address with prefix, first router, option 121 pairs, DNS", () => {
  assert.deepEqual(leaseFromEvent(BOUND), {
    address: "10.11.12.5/24",
    gateway: "10.11.12.1",
    routes: [
      { dst: "0.0.0.0/0", via: "10.11.12.1" },
      { dst: "10.99.0.0/16", via: "10.11.12.254" },
    ],
    dns: ["10.11.12.1", "1.1.1.1"],
    domain: "lab.test",
    leaseSeconds: 3600,
    serverId: "10.11.12.1",
    obtainedAt: "2023-11-14T22:13:20.000Z",
  });
});

Deno.test("leaseFromEvent: no router, no options, mask from the dotted subnet", () => {
  const lease = leaseFromEvent({
    ...BOUND,
    mask: "",
    subnet: "255.255.0.0",
    router: "",
    dns: "",
    domain: "",
    staticroutes: "",
    serverid: "",
  });
  assert.equal(lease.address, "10.11.12.5/16");
  assert.equal(lease.gateway, null);
  assert.deepEqual(lease.routes, []);
  assert.deepEqual(lease.dns, []);
  assert.equal(lease.domain, null);
  assert.equal(lease.serverId, null);
});

Deno.test("leaseFromEvent: rejects malformed values and non-lease events", () => {
  assert.throws(() => leaseFromEvent({ ...BOUND, event: "deconfig" }), /"deconfig" event/);
  assert.throws(() => leaseFromEvent({ ...BOUND, ip: "10.11.12.256" }), /Invalid leased address/);
  assert.throws(() => leaseFromEvent({ ...BOUND, mask: "33" }), /Invalid lease mask/);
  assert.throws(
    () => leaseFromEvent({ ...BOUND, staticroutes: "10.0.0.0/8" }),
    /classless static routes/,
  );
  assert.throws(() => leaseFromEvent({ ...BOUND, router: "gw" }), /Invalid router/);
});

Deno.test("parseDhcpEvents: marked stdout lines and plain JSON lines, junk skipped", () => {
  const line = JSON.stringify(BOUND);
  const text = [
    "udhcpc: started, v1.35.0",
    `EVE-DHCP-EVENT ${line}`,
    line,
    '{"event":"bound"', // torn write
    '{"unexpected":true}',
    "",
  ].join("\n");
  assert.deepEqual(parseDhcpEvents(text), [BOUND, BOUND]);
});

/** Runs the real hook script under /bin/sh with the env udhcpc would give it. */
async function runHook(event: string, env: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/hook.sh`;
    await writeUdhcpcHookScript(path);
    const result = await systemRunner([path, event], { env });
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("hook script: reports the env as one marked JSON line", async () => {
  const out = await runHook("bound", {
    interface: "net1",
    ip: "10.11.12.5",
    mask: "24",
    subnet: "255.255.255.0",
    router: "10.11.12.1",
    dns: "10.11.12.1",
    domain: "lab.test",
    staticroutes: "0.0.0.0/0 10.11.12.1",
    lease: "3600",
    serverid: "10.11.12.1",
  });
  assert.match(out, /^EVE-DHCP-EVENT \{.*\}\n$/);
  const [event] = parseDhcpEvents(out);
  assert.ok(event);
  assert.equal(leaseFromEvent(event).address, "10.11.12.5/24");
  assert.deepEqual(leaseFromEvent(event).routes, [{ dst: "0.0.0.0/0", via: "10.11.12.1" }]);
});

Deno.test("hook script: hostile server values cannot break out of the JSON or the shell", async () => {
  const out = await runHook("bound", {
    interface: "net1",
    ip: "10.11.12.5",
    mask: "24",
    domain: 'x","ip":"6.6.6.6$(touch /tmp/eve-pwned)`id`\\\n"',
    dns: "10.11.12.1; reboot",
    lease: "3600",
  });
  const events = parseDhcpEvents(out);
  assert.equal(events.length, 1, out);
  assert.equal(events[0]?.ip, "10.11.12.5");
  assert.equal(events[0]?.domain, "xip:6.6.6.6touch /tmp/eve-pwnedid");
  assert.equal(events[0]?.dns, "10.11.12.1 reboot");
  assert.throws(() => leaseFromEvent(events[0]!), /Invalid DNS server/);
});

Deno.test("hook script: appends JSON lines to the event file when asked", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/hook.sh`;
    await writeUdhcpcHookScript(path);
    await writeUdhcpcHookScript(path); // idempotent
    assert.equal(await Deno.readTextFile(path), UDHCPC_HOOK_SCRIPT);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o755);
    const env = { EVE_DHCP_EVENT_FILE: `${dir}/events`, interface: "net1" };
    assert.equal((await systemRunner([path, "deconfig"], { env })).stdout, "");
    await systemRunner([path, "leasefail"], { env });
    const lines = (await Deno.readTextFile(`${dir}/events`)).trim().split("\n");
    assert.deepEqual(lines.map((l) => JSON.parse(l).event), ["deconfig", "leasefail"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("leaseFromEvent: the hook's boot-clock time becomes wall-clock time; epoch lines still read", () => {
  const uptime = Number(Deno.readTextFileSync("/proc/uptime").split(" ")[0]);
  const fromBootClock = leaseFromEvent({ ...BOUND, time: "", uptime: String(uptime - 100) });
  const age = Date.now() - Date.parse(fromBootClock.obtainedAt);
  assert.ok(age > 95_000 && age < 110_000, `obtained ${age} ms ago, not ~100 s`);
  const old = leaseFromEvent({ ...BOUND, time: "1700000000", uptime: "" });
  assert.equal(old.obtainedAt, new Date(1700000000 * 1000).toISOString());
  const neither = leaseFromEvent({ ...BOUND, time: "", uptime: "" });
  assert.ok(Math.abs(Date.now() - Date.parse(neither.obtainedAt)) < 5_000);
});
