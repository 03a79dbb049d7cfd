/** The sandbox must clean up after itself even when the test body fails. */
import assert from "node:assert/strict";
import { isAlive, listNetns, spawnDaemon, systemRunner } from "../netns/mod.ts";
import {
  cleanupLeftovers,
  findTool,
  isRoot,
  skipReason,
  withSandbox,
} from "../scripts/sandbox/sandbox.ts";

Deno.test("skipReason names what is missing", () => {
  assert.equal(findTool("eve-no-such-tool-xyz"), undefined);
  assert.ok(findTool("sh"));
  const reason = skipReason("eve-no-such-tool-xyz");
  assert.equal(reason, isRoot() ? "needs eve-no-such-tool-xyz" : "needs root");
});

const rootReason = skipReason();

Deno.test({
  name: `withSandbox: namespaces and tracked pids are gone after a failing body${
    rootReason ? ` (skipped: ${rootReason})` : ""
  }`,
  ignore: rootReason !== undefined,
  async fn() {
    let names: string[] = [];
    let pid = 0;
    let dir = "";
    let prefix = "";
    await assert.rejects(
      withSandbox(async (sb) => {
        prefix = sb.prefix;
        dir = sb.dir;
        assert.match(sb.prefix, /^evetest-[a-z0-9]{6}$/);
        const a = await sb.netns("a");
        const b = await sb.netns("b");
        names = [a.name, b.name];
        assert.equal(a.name, `${sb.prefix}-a`);
        assert.equal(a.path, `/var/run/netns/${sb.prefix}-a`);
        // exec really runs inside the namespace: only lo is there.
        const links = await sb.exec(a, ["ip", "-o", "link", "show"]);
        assert.equal(links.code, 0);
        assert.equal(links.stdout.trim().split("\n").length, 1);
        const daemon = spawnDaemon(["sleep", "60"]);
        pid = daemon.pid;
        sb.track(daemon);
        throw new Error("body failed");
      }),
      /body failed/,
    );
    const left = await listNetns(systemRunner);
    assert.deepEqual(left.filter((n) => names.includes(n)), []);
    assert.equal(isAlive(pid), false);
    assert.equal(await Deno.stat(dir).then(() => true, () => false), false);
    assert.deepEqual(await cleanupLeftovers(prefix), []);
  },
});

Deno.test({
  name: `cleanupLeftovers removes only its own prefix${
    rootReason ? ` (skipped: ${rootReason})` : ""
  }`,
  ignore: rootReason !== undefined,
  async fn() {
    await withSandbox(async (sb) => {
      await sb.netns("x");
      await assert.rejects(cleanupLeftovers("evetest-"), /Refusing/);
      await assert.rejects(cleanupLeftovers("evetest"), /Refusing/);
      await assert.rejects(cleanupLeftovers("cni-"), /Refusing/);
      assert.deepEqual(await cleanupLeftovers(sb.prefix), [`${sb.prefix}-x`]);
      // Cleanup afterwards tolerates the namespace already being gone.
    });
  },
});
