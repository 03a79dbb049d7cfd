/**
 * The built entry point as a process: stdout carries the result and nothing else (logs go to
 * the log file, or to stderr when that cannot be opened), and invocations for different
 * containers run in parallel without stepping on each other.
 */
import assert from "node:assert/strict";
import { cniEnv, ipJson, PluginNode, requireBuilt, ROOT_SKIP_REASON } from "./cni_harness.ts";

Deno.test(
  `eve-bridge entry: stdout is only the result; logs fall back to stderr${ROOT_SKIP_REASON}`,
  {
    ignore: ROOT_SKIP_REASON !== "",
  },
  async () => {
    await requireBuilt();
    const lab = await PluginNode.open();
    try {
      const pod = await lab.addPod("pod");
      const config = lab.config({ logFile: `${lab.dir}/no/such/dir/eve-bridge.log` }, "1.1.0");
      const add = await lab.run(cniEnv("ADD", lab, pod), config);
      assert.equal(add.code, 0, add.stdout);
      assert.equal(add.stdout.trim().split("\n").length, 1, "one line on stdout");
      assert.equal(JSON.parse(add.stdout).cniVersion, "1.1.0");
      const logLines = add.stderr.trim().split("\n").map((line) => JSON.parse(line));
      assert.ok(logLines.some((l) => /Cannot open log file/.test(l.message)));
      assert.ok(logLines.some((l) => l.properties.command === "ADD" && /Finished/.test(l.message)));

      const del = await lab.run(cniEnv("DEL", lab, pod), config);
      assert.equal(del.code, 0, del.stdout);
      assert.equal(del.stdout, "", "DEL prints nothing on success");

      const version = await lab.run({ CNI_COMMAND: "VERSION" }, "");
      assert.equal(version.code, 0);
      assert.equal(JSON.parse(version.stdout).cniVersion, "1.1.0");
      assert.equal(version.stderr, "");
    } finally {
      await lab.close();
    }
  },
);

Deno.test(`eve-bridge entry: parallel ADD and DEL for different pods${ROOT_SKIP_REASON}`, {
  ignore: ROOT_SKIP_REASON !== "",
}, async () => {
  await requireBuilt();
  const lab = await PluginNode.open();
  try {
    const pods = await Promise.all([1, 2, 3, 4, 5].map((i) => lab.addPod(`p${i}`)));
    const config = lab.config();
    const adds = await Promise.all(pods.map((pod) => lab.run(cniEnv("ADD", lab, pod), config)));
    const addresses = adds.map((out) => {
      assert.equal(out.code, 0, out.stdout);
      return JSON.parse(out.stdout).ips[0].address as string;
    });
    assert.equal(new Set(addresses).size, pods.length, "every pod got its own address");
    for (const [i, pod] of pods.entries()) {
      const eth0 = (await ipJson(pod, "addr", "show", "dev", "eth0"))[0] as {
        addr_info: { family: string; local: string; prefixlen: number }[];
      };
      const v4 = eth0.addr_info.find((a) => a.family === "inet");
      assert.equal(`${v4?.local}/${v4?.prefixlen}`, addresses[i]);
    }
    const dels = await Promise.all(pods.map((pod) => lab.run(cniEnv("DEL", lab, pod), config)));
    for (const out of dels) assert.equal(out.code, 0, out.stdout);
    for (const pod of pods) assert.deepEqual(await lab.links(pod), ["lo"]);
    assert.deepEqual(await lab.allocatedIps(), []);
  } finally {
    await lab.close();
  }
});

Deno.test(`eve-bridge entry: DEL without CNI_NETNS after the pod is gone${ROOT_SKIP_REASON}`, {
  ignore: ROOT_SKIP_REASON !== "",
}, async () => {
  await requireBuilt();
  const lab = await PluginNode.open();
  try {
    const pod = await lab.addPod("pod");
    const config = lab.config({}, "0.4.0");
    const add = await lab.run(cniEnv("ADD", lab, pod), config);
    assert.equal(add.code, 0, add.stdout);
    assert.equal((await lab.allocatedIps()).length, 1);
    await lab.deletePod(pod);
    const env = cniEnv("DEL", lab, pod);
    delete env.CNI_NETNS;
    const del = await lab.run(env, config);
    assert.equal(del.code, 0, del.stdout);
    assert.deepEqual(await lab.allocatedIps(), [], "host-local released the address");
  } finally {
    await lab.close();
  }
});
