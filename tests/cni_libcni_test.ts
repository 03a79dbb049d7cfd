/**
 * eve-bridge driven the way containerd, CRI-O and Multus drive it: libcni (cnidrive) reads a
 * conflist with eve-bridge (eth0) chained before `tuning`, runs ADD (prevResult flows into
 * tuning), CHECK (with libcni's cached result) and DEL (reverse order). cnidrive itself runs
 * inside the throwaway node namespace, so the bridge lives there.
 */
import assert from "node:assert/strict";
import {
  EVE_BRIDGE,
  exec,
  ipJson,
  PluginNode,
  requireBuilt,
  ROOT_SKIP_REASON,
} from "./cni_harness.ts";
import { findCnidrive } from "../scripts/sandbox/paths.ts";

// Built when missing only where the tests can run.
const CNIDRIVE = await findCnidrive(ROOT_SKIP_REASON === "");
const SKIP = ROOT_SKIP_REASON ||
  (CNIDRIVE ? "" : " (skipped: cnidrive is not built and could not be built; set CNIDRIVE)");
const CNI_PATH = `${EVE_BRIDGE.replace(/\/eve-bridge$/, "")}:/usr/lib/cni`;

const CASES = [
  { version: "1.0.0", args: "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-1" },
  { version: "0.4.0", args: "IgnoreUnknown=1;K8S_POD_NAMESPACE=eve-kube-app;K8S_POD_NAME=app-1" },
];

for (const { version, args } of CASES) {
  const eveApp = args.includes("eve-kube-app");
  Deno.test(
    `libcni drives eve-bridge + tuning at ${version} (${eveApp ? "EVE app" : "pod"})${SKIP}`,
    {
      ignore: SKIP !== "",
    },
    async () => {
      await requireBuilt();
      const lab = await PluginNode.open();
      try {
        const pod = await lab.addPod("pod");
        const eveBridge = lab.config();
        delete eveBridge.cniVersion;
        delete eveBridge.name;
        const conflist = {
          cniVersion: version,
          name: `evetest-${lab.id}`,
          plugins: [eveBridge, { type: "tuning", mtu: 1400 }],
        };
        const confPath = `${lab.dir}/net.conflist`;
        await Deno.writeTextFile(confPath, JSON.stringify(conflist));
        const drive = (op: string) =>
          exec([
            "ip",
            "netns",
            "exec",
            lab.node,
            CNIDRIVE!,
            "-op",
            op,
            "-conf",
            confPath,
            "-netns",
            lab.netnsPath(pod),
            "-if",
            "eth0",
            "-id",
            `cid-${lab.id}`,
            "-args",
            args,
            "-path",
            CNI_PATH,
            "-cache",
            `${lab.dir}/cache`,
          ]);

        const versions = await drive("version");
        assert.equal(versions.code, 0, versions.stderr);
        assert.match(versions.stdout, /^eve-bridge \[0\.3\.0 0\.3\.1 0\.4\.0 1\.0\.0 1\.1\.0\]$/m);

        const add = await drive("add");
        assert.equal(add.code, 0, add.stderr);
        const result = JSON.parse(add.stdout) as {
          cniVersion: string;
          interfaces: { name: string; sandbox?: string }[];
          ips: { address: string; gateway?: string; interface?: number }[];
        };
        assert.equal(result.cniVersion, version);
        const ip = result.ips[0]!;
        assert.equal(result.interfaces[ip.interface!]?.sandbox, lab.netnsPath(pod));

        const eth0 = (await ipJson(pod, "addr", "show", "dev", "eth0"))[0] as {
          mtu: number;
          addr_info: { family: string; local: string; prefixlen: number }[];
        };
        assert.equal(eth0.mtu, 1400, "tuning (chained after eve-bridge) set the MTU");
        const v4 = eth0.addr_info.find((a) => a.family === "inet");
        assert.equal(`${v4?.local}/${v4?.prefixlen}`, ip.address);
        const routes = (await ipJson(pod, "route", "show")) as { dst: string; gateway?: string }[];
        assert.equal(routes.some((r) => r.dst === "default"), !eveApp);
        assert.equal(
          routes.some((r) => r.dst === "10.43.0.0/16" && r.gateway === ip.gateway),
          eveApp,
        );

        const check = await drive("check");
        assert.equal(check.code, 0, check.stderr);

        const del = await drive("del");
        assert.equal(del.code, 0, del.stderr);
        assert.deepEqual(await lab.links(pod), ["lo"]);
        assert.deepEqual(await lab.allocatedIps(), []);
        const again = await drive("del");
        assert.equal(again.code, 0, `second DEL: ${again.stderr}`);
      } finally {
        await lab.close();
      }
    },
  );
}
