/**
 * Every command at every spec version against the BUILT dist/bin/eve-bridge, for real: the
 * plugin runs inside a throwaway node namespace, delegates eth0 to /usr/lib/cni/bridge and
 * host-local, and each assertion reads the pod's state back from the kernel.
 */
import assert from "node:assert/strict";
import {
  cniEnv,
  fakeZedrouterSocket,
  ipJson,
  PluginNode,
  requireBuilt,
  ROOT_SKIP_REASON,
} from "./cni_harness.ts";

const VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;
const EVE_APP_ARGS = "IgnoreUnknown=1;K8S_POD_NAMESPACE=eve-kube-app;K8S_POD_NAME=app-1";

interface PrintedResult {
  cniVersion: string;
  interfaces: { name: string; mac?: string; sandbox?: string }[];
  ips: { version?: string; address: string; gateway?: string; interface?: number }[];
  routes?: { dst: string; gw?: string }[];
}

async function podEth0(pod: string) {
  const links = await ipJson(pod, "addr", "show");
  return links.find((l) => l.ifname === "eth0") as
    | { address: string; addr_info: { family: string; local: string; prefixlen: number }[] }
    | undefined;
}

async function routes(pod: string): Promise<{ dst: string; gateway?: string }[]> {
  return (await ipJson(pod, "route", "show")) as { dst: string; gateway?: string }[];
}

for (const version of VERSIONS) {
  Deno.test(
    `eve-bridge eth0 at cniVersion ${version}: VERSION, ADD, CHECK, STATUS, GC, DEL${ROOT_SKIP_REASON}`,
    {
      ignore: ROOT_SKIP_REASON !== "",
    },
    async () => {
      await requireBuilt();
      const lab = await PluginNode.open();
      try {
        const podA = await lab.addPod("pod");
        const podB = await lab.addPod("app");
        const config = lab.config({}, version);

        // VERSION
        const ver = await lab.run({ CNI_COMMAND: "VERSION" }, { cniVersion: version });
        assert.equal(ver.code, 0, ver.stdout);
        assert.deepEqual(JSON.parse(ver.stdout), {
          cniVersion: version,
          supportedVersions: [...VERSIONS],
        });

        // ADD: a Kubernetes pod, with a MAC from CNI_ARGS.
        const mac = "02:16:3e:aa:bb:01";
        const addA = await lab.run(
          cniEnv("ADD", lab, podA, {
            CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-1;MAC=${mac}`,
          }),
          config,
        );
        assert.equal(addA.code, 0, `${addA.stdout}\n${addA.stderr}`);
        assert.equal(addA.stderr, "", "nothing on stderr when the log file works");
        const resultA = JSON.parse(addA.stdout) as PrintedResult;
        assert.equal(resultA.cniVersion, version);
        const ipA = resultA.ips[0]!;
        assert.equal(ipA.version, version.startsWith("0.") ? "4" : undefined);
        assert.match(ipA.address, /^10\.88\.0\.\d+\/24$/);
        const sandboxIf = resultA.interfaces[ipA.interface!]!;
        assert.equal(sandboxIf.name, "eth0");
        assert.equal(sandboxIf.sandbox, lab.netnsPath(podA));
        assert.equal(sandboxIf.mac, mac);
        const eth0A = await podEth0(podA);
        assert.ok(eth0A, "pod eth0 exists in the kernel");
        assert.equal(eth0A.address, mac);
        const v4 = eth0A.addr_info.find((a) => a.family === "inet");
        assert.equal(`${v4?.local}/${v4?.prefixlen}`, ipA.address);
        assert.ok(
          (await routes(podA)).some((r) => r.dst === "default" && r.gateway === ipA.gateway),
          "default route via the gateway for a Kubernetes pod",
        );
        assert.ok(
          (await lab.links(lab.node)).includes(lab.bridge),
          "bridge lives in the node netns",
        );

        // A second ADD of the same interface fails and leaves the first one alone.
        const again = await lab.run(cniEnv("ADD", lab, podA), config);
        assert.equal(JSON.parse(again.stdout).code, 105, again.stdout);
        assert.equal((await podEth0(podA))?.address, mac, "the existing eth0 is untouched");
        assert.equal((await lab.allocatedIps()).length, 1);

        // ADD: an EVE app pod: no default route, routes to the service CIDR and the node IP.
        const addB = await lab.run(cniEnv("ADD", lab, podB, { CNI_ARGS: EVE_APP_ARGS }), config);
        assert.equal(addB.code, 0, addB.stdout);
        const resultB = JSON.parse(addB.stdout) as PrintedResult;
        const gwB = resultB.ips[0]!.gateway;
        const routesB = await routes(podB);
        assert.ok(!routesB.some((r) => r.dst === "default"), "no default route for an EVE app");
        assert.ok(routesB.some((r) => r.dst === "10.43.0.0/16" && r.gateway === gwB));
        assert.ok(routesB.some((r) => r.dst === "192.168.77.10" && r.gateway === gwB));
        assert.deepEqual(
          resultB.routes?.map((r) => r.dst).sort(),
          ["10.43.0.0/16", "192.168.77.10/32"],
        );

        // CHECK with prevResult: 0.4.0 and later verify, older versions refuse with code 1.
        for (
          const [pod, result, args] of [[podA, resultA, undefined], [
            podB,
            resultB,
            EVE_APP_ARGS,
          ]] as const
        ) {
          const check = await lab.run(
            cniEnv("CHECK", lab, pod, args ? { CNI_ARGS: args } : {}),
            { ...config, prevResult: result },
          );
          if (version.startsWith("0.3")) {
            assert.equal(check.code, 1);
            assert.equal(JSON.parse(check.stdout).code, 1);
          } else {
            assert.equal(check.code, 0, `CHECK ${pod}: ${check.stdout}`);
            assert.equal(check.stdout, "");
          }
        }

        // STATUS and GC exist at 1.1.0 only.
        const statusDown = await lab.run(
          { CNI_COMMAND: "STATUS", CNI_PATH: "/usr/lib/cni" },
          config,
        );
        const gc = await lab.run({ CNI_COMMAND: "GC", CNI_PATH: "/usr/lib/cni" }, {
          ...config,
          "cni.dev/valid-attachments": [{ containerID: `c-${podA}`, ifname: "eth0" }],
        });
        const ipOf = (result: PrintedResult) => result.ips[0]!.address.split("/")[0]!;
        // GC releases the address of the pod the runtime no longer lists (B), keeps A's.
        const kept = version === "1.1.0" ? [ipOf(resultA)] : [ipOf(resultA), ipOf(resultB)].sort();
        if (version === "1.1.0") {
          assert.equal(JSON.parse(statusDown.stdout).code, 50, "zedrouter socket absent");
          assert.equal(gc.code, 0, gc.stdout);
        } else {
          assert.equal(JSON.parse(statusDown.stdout).code, 1);
          assert.equal(JSON.parse(gc.stdout).code, 1);
        }
        assert.deepEqual(await lab.allocatedIps(), kept, "host-local holds what GC kept");

        // DEL removes eth0 and releases the IP; a second DEL succeeds.
        for (let i = 0; i < 2; i++) {
          const del = await lab.run(cniEnv("DEL", lab, podA), { ...config, prevResult: resultA });
          assert.equal(del.code, 0, `DEL #${i + 1}: ${del.stdout}`);
          assert.equal(del.stdout, "");
          assert.equal(await podEth0(podA), undefined, "pod eth0 is gone");
        }
        assert.deepEqual(await lab.allocatedIps(), kept.filter((ip) => ip !== ipOf(resultA)));

        // DEL with the pod's namespace already gone still succeeds and releases the IP.
        await lab.deletePod(podB);
        const delGone = await lab.run(cniEnv("DEL", lab, podB, { CNI_ARGS: EVE_APP_ARGS }), config);
        assert.equal(delGone.code, 0, delGone.stdout);
        assert.deepEqual(await lab.allocatedIps(), []);

        // The log file got one JSON line per event with the invocation's fields.
        const lines = (await Deno.readTextFile(`${lab.dir}/eve-bridge.log`)).trim().split("\n")
          .map((line) => JSON.parse(line));
        const finishedAdd = lines.find((l) =>
          l.message.startsWith("Finished") && l.properties.command === "ADD"
        );
        assert.equal(finishedAdd?.properties.containerID, `c-${podA}`);
        assert.equal(finishedAdd?.properties.podName, "web-1");
        assert.equal(typeof finishedAdd?.properties.durationMs, "number");
      } finally {
        await lab.close();
      }
    },
  );
}

const STATUS_SKIP = ROOT_SKIP_REASON;

Deno.test(`eve-bridge STATUS at 1.1.0 is 0 when zedrouter's socket answers${STATUS_SKIP}`, {
  ignore: STATUS_SKIP !== "",
}, async () => {
  await requireBuilt();
  const lab = await PluginNode.open();
  const zedrouter = fakeZedrouterSocket(`${lab.dir}/rpc.sock`);
  try {
    const status = await lab.run(
      { CNI_COMMAND: "STATUS", CNI_PATH: "/usr/lib/cni" },
      lab.config({}, "1.1.0"),
    );
    assert.equal(status.code, 0, status.stdout);
    assert.equal(status.stdout, "");
  } finally {
    await zedrouter.close();
    await lab.close();
  }
});
