import assert from "node:assert/strict";
import { hookScript, installHook, selfCommand, shellQuote } from "./hook.ts";
import { leaseFromEvent } from "../../../netns/mod.ts";

async function sh(script: string, args: string[] = [], env: Record<string, string> = {}) {
  const out = await new Deno.Command("sh", {
    args: ["-c", script, "sh", ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout);
}

Deno.test("shellQuote: any word comes back unchanged through sh", async () => {
  for (const word of ["plain", "with space", "it's", "$(touch /tmp/x)", "`x`", "a\\b", '"q"']) {
    assert.equal(await sh(`printf %s ${shellQuote(word)}`), word);
  }
});

Deno.test("selfCommand: the program file that launched it, Deno + config for the source, else none", () => {
  // Started by its self-contained file (core/launched_program.ts says which file that was).
  assert.deepEqual(selfCommand("file:///proc/self/fd/7", "/ld.so", "/opt/cni/bin/eve-bridge"), [
    "/opt/cni/bin/eve-bridge",
  ]);
  assert.deepEqual(selfCommand("file:///repo/plugin/eve-bridge/main.ts", "/deno", undefined), [
    "/deno",
    "run",
    "--allow-all",
    "--quiet",
    "--config",
    "/repo/deno.json",
    "/repo/plugin/eve-bridge/main.ts",
  ]);
  assert.equal(selfCommand("file:///proc/self/fd/7", "/ld.so", undefined), undefined);
  assert.equal(
    selfCommand("file:///repo/plugin/eve-bridge/x_test.ts", "/deno", undefined),
    undefined,
  );
  assert.equal(selfCommand("https://example.com/eve_bridge.ts", "/deno", undefined), undefined);
});

Deno.test("hook: reports every event, calls back only on bound/renew with the event file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eve-bridge-hook-" });
  try {
    const report = `${dir}/report.sh`;
    await Deno.writeTextFile(report, `#!/bin/sh\necho "report $1" >>"${dir}/log"\n`);
    await Deno.chmod(report, 0o755);
    const callback = `${dir}/call back.sh`; // a space: the path must be quoted
    await Deno.writeTextFile(callback, `#!/bin/sh\necho "callback $*" >>"${dir}/log"\n`);
    await Deno.chmod(callback, 0o755);
    const hook = `${dir}/hook.sh`;
    await Deno.writeTextFile(hook, hookScript(report, [callback, "--flag"]));
    await Deno.chmod(hook, 0o755);
    const env = { EVE_DHCP_EVENT_FILE: `${dir}/c/net1.events` };
    for (const event of ["deconfig", "bound", "renew", "nak", "leasefail"]) {
      await sh(`"${hook}" ${event}`, [], env);
    }
    // The callback runs in the background: wait for its two lines.
    const deadline = Date.now() + 5000;
    let log = "";
    while (Date.now() < deadline) {
      log = await Deno.readTextFile(`${dir}/log`);
      if (log.split("\n").filter((l) => l.startsWith("callback")).length === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const lines = log.trim().split("\n");
    assert.deepEqual(lines.filter((l) => l.startsWith("report")), [
      "report deconfig",
      "report bound",
      "report renew",
      "report nak",
      "report leasefail",
    ]);
    assert.deepEqual(lines.filter((l) => l.startsWith("callback")), [
      `callback --flag dhcp-event ${dir}/c/net1.events`,
      `callback --flag dhcp-event ${dir}/c/net1.events`,
    ]);
    // Without a callback the hook only reports.
    assert.doesNotMatch(hookScript(report, undefined), /dhcp-event "\$EVE_DHCP_EVENT_FILE"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("installHook: both scripts executable, rewritten only when they change", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eve-bridge-hook-" });
  try {
    const hook = await installHook(`${dir}/state`, ["/bin/eve-bridge"]);
    assert.equal(hook, `${dir}/state/udhcpc-hook.sh`);
    const info = Deno.statSync(hook);
    assert.equal((info.mode ?? 0) & 0o777, 0o755);
    assert.equal(Deno.statSync(`${dir}/state/udhcpc-report.sh`).mode! & 0o111, 0o111);
    assert.match(Deno.readTextFileSync(hook), /'\/bin\/eve-bridge' dhcp-event/);
    const before = Deno.statSync(hook).mtime?.getTime();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await installHook(`${dir}/state`, ["/bin/eve-bridge"]);
    assert.equal(Deno.statSync(hook).mtime?.getTime(), before);
    await installHook(`${dir}/state`, ["/opt/eve-bridge"]);
    assert.match(Deno.readTextFileSync(hook), /'\/opt\/eve-bridge' dhcp-event/);
    assert.deepEqual(
      [...Deno.readDirSync(`${dir}/state`)].map((e) => e.name).sort(),
      ["udhcpc-hook.sh", "udhcpc-report.sh"],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hook: the client's first bound starts no callback (ADD takes that lease itself); later ones do", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eve-bridge-hook-" });
  try {
    const callback = `${dir}/callback.sh`;
    await Deno.writeTextFile(callback, `#!/bin/sh\necho "callback $1" >>"${dir}/log"\n`);
    await Deno.chmod(callback, 0o755);
    const hook = await installHook(`${dir}/state`, [callback]);
    const env = { EVE_DHCP_EVENT_FILE: `${dir}/net1.events`, interface: "net1", ip: "10.1.2.3" };
    const calls = async (event: string) => {
      await new Deno.Command(hook, { args: [event], env }).output();
      // A callback runs in the background: its line is there once the count settles.
      let text = "";
      for (let i = 0; i < 8; i++) {
        text = await Deno.readTextFile(`${dir}/log`).catch(() => "");
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return text.split("\n").filter((l) => l !== "").length;
    };
    assert.equal(await calls("deconfig"), 0);
    assert.equal(await calls("leasefail"), 0);
    assert.equal(await calls("bound"), 0, "the first bound");
    assert.equal(await calls("renew"), 1);
    assert.equal(await calls("deconfig"), 1);
    assert.equal(await calls("bound"), 2, "a bound after the first");
    const events = (await Deno.readTextFile(`${dir}/net1.events`)).trim().split("\n");
    assert.deepEqual(events.map((l) => JSON.parse(l).event), [
      "deconfig",
      "leasefail",
      "bound",
      "renew",
      "deconfig",
      "bound",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  {
    name: "hook: deconfig (before every DISCOVER) and the first bound fork nothing: builtins only",
    ignore: new Deno.Command("sh", { args: ["-c", "command -v strace"] }).outputSync().code !== 0,
  },
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "eve-bridge-hook-" });
    try {
      const hook = await installHook(`${dir}/state`, ["/nonexistent/eve-bridge"]);
      for (const event of ["deconfig", "bound"]) await traceForks(dir, hook, event);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

/** Runs the hook for `event` under strace: it must exec itself and nothing else. */
async function traceForks(dir: string, hook: string, event: string): Promise<void> {
  const trace = `${dir}/trace`;
  const out = await new Deno.Command("strace", {
    args: [
      "-f",
      "-qq",
      "-e",
      "trace=execve,fork,vfork,clone,clone3",
      "-o",
      trace,
      hook,
      event,
    ],
    env: {
      EVE_DHCP_EVENT_FILE: `${dir}/net1.events`,
      interface: "net1",
      ip: "10.1.2.3",
      mask: "24",
      lease: "3600",
    },
  }).output();
  assert.equal(out.code, 0);
  const calls = (await Deno.readTextFile(trace)).trim().split("\n")
    .map((l) => /^\d+\s+(\w+)\(/.exec(l)?.[1]).filter((c) => c !== undefined);
  assert.deepEqual(calls, ["execve"], await Deno.readTextFile(trace));
  const line = (await Deno.readTextFile(`${dir}/net1.events`)).trim().split("\n").at(-1);
  const reported = JSON.parse(line!);
  assert.equal(reported.event, event);
  // A lease's time is the boot clock the hook read (no `date`): close to ours.
  if (event === "bound") {
    const now = Number(Deno.readTextFileSync("/proc/uptime").split(" ")[0]);
    assert.ok(Math.abs(now - Number(reported.uptime)) < 60, line);
    const obtained = Date.parse(leaseFromEvent(reported).obtainedAt);
    assert.ok(Math.abs(Date.now() - obtained) < 60_000, line);
  }
}

Deno.test("hook: an event the state dir has no room for is recorded after the reserve goes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Stands in for a full disk: the report's append fails while the reserve takes the room.
    const report = `${dir}/report.sh`;
    await Deno.writeTextFile(
      report,
      'if [ -e "${EVE_DHCP_EVENT_FILE%.events}.reserve" ]; then false; ' +
        'else echo "$1" >>"$EVE_DHCP_EVENT_FILE"; fi\n',
    );
    const hook = `${dir}/hook.sh`;
    await Deno.writeTextFile(hook, hookScript(report, undefined));
    await Deno.chmod(hook, 0o755);
    const events = `${dir}/net1.events`;
    const env = { EVE_DHCP_EVENT_FILE: events };
    await sh(`"${hook}" deconfig`, [], env);
    assert.equal(await Deno.readTextFile(events), "deconfig\n", "room: no reserve to give up");
    await Deno.writeFile(`${dir}/net1.reserve`, new Uint8Array(16));
    await sh(`"${hook}" bound`, [], env);
    assert.equal(await Deno.readTextFile(events), "deconfig\nbound\n", "recorded on the retry");
    await assert.rejects(Deno.stat(`${dir}/net1.reserve`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
