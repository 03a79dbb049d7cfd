/**
 * eve-bridge's CNI calls start every process (eth0's bridge delegate, netX's udhcpc, the
 * routing policy's `ip` and sysctl commands) with libc's posix_spawn, never Deno.Command, whose
 * first use loads Deno's process module with web streams: ~350 KB of code cache compiled whole
 * under eve-bridge's --no-lazy, 4-8 ms of a call (netns/libc_spawn.ts, netns/libc_runner.ts).
 * Deno keeps a code cache entry for every module a program loads, so a cache directory of the
 * plugin's own (EVE_CNI_CACHE), read back after a pod's whole life through libcni (eth0 and
 * net1 with a routing policy: ADD, CHECK, DEL), names the modules those calls loaded.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { APPS, CNIDRIVE, e2eTest, NI, trackedPod } from "./harness.ts";
import { attach, checkAll, detach } from "./runtime.ts";
import { conflistWithPolicy } from "./routing_harness.ts";
import type { Attachment } from "../../scripts/sandbox/pod.ts";

const CACHE_ENV = "EVE_CNI_CACHE";
const POLICY = { migrateRoute: 1, hijackSubnets: { service: ["10.43.0.0/16"] }, rpFilter: 2 };
/** Deno's process module and the web streams it brings (ext:deno_web/06_streams.js). */
const PROCESS_MODULES = /^ext:deno_process\/|^ext:deno_web\/06_streams\.js$/;

/** The module specifiers with a code cache entry in the Deno cache directory `dir`. */
function cachedModules(dir: string): string[] {
  const db = new DatabaseSync(`${dir}/v8_code_cache_v2`, { readOnly: true });
  try {
    return db.prepare("SELECT specifier FROM codecache").all()
      .map((row) => String(row.specifier));
  } finally {
    db.close();
  }
}

e2eTest(
  "e2e: eve-bridge's calls (eth0, net1 with a routing policy) never load Deno's process module",
  {},
  async (ctx) => {
    const { node } = ctx;
    const cache = await Deno.makeTempDir({ prefix: "evetest-cache-" });
    // Set after the node started: fake-zedrouter (which does use Deno.Command) keeps its own.
    Deno.env.set(CACHE_ENV, cache);
    try {
      const pod = await trackedPod(ctx, "pod1", APPS.nginx);
      const attachments: Attachment[] = [
        { ifname: "eth0", conflist: node.primaryConflist },
        {
          ifname: "net1",
          conflist: await conflistWithPolicy(node, node.nad(NI.local.name), "spawn", POLICY),
          mac: APPS.nginx.local.mac,
        },
      ];
      const attached = await attach(CNIDRIVE, node, pod, attachments);
      await checkAll(CNIDRIVE, node, attached);
      await detach(CNIDRIVE, node, attached);

      const modules = cachedModules(cache);
      // The calls ran with this cache: the program file's own entry is there.
      assert.ok(modules.some((m) => m.startsWith("file:///proc/self/fd/")), modules.join("\n"));
      assert.deepEqual(modules.filter((m) => PROCESS_MODULES.test(m)), [], modules.join("\n"));
    } finally {
      Deno.env.delete(CACHE_ENV);
      await Deno.remove(cache, { recursive: true });
    }
  },
);
