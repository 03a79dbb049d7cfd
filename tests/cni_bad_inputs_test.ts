/**
 * Bad input to the BUILT eve-bridge: each case gets the expected CNI error code on stdout,
 * a message that names the problem, a non-zero exit, and leaves nothing behind (no link in
 * the pod, no bridge in the node, no IP held by host-local).
 */
import assert from "node:assert/strict";
import { cniEnv, PluginNode, requireBuilt, ROOT_SKIP_REASON } from "./cni_harness.ts";

interface Case {
  name: string;
  env: (lab: PluginNode, pod: string) => Record<string, string>;
  stdin: (lab: PluginNode) => string | Record<string, unknown>;
  code: number;
  msg: RegExp;
  /** The delegate ran, so the node keeps its bridge (bridge DEL never removes it). */
  delegated?: boolean;
  /** Addresses host-local holds for someone else (set up by the case, removed after it). */
  held?: string[];
  /** eve-bridge's undo step must have run bridge DEL successfully. */
  rolledBack?: boolean;
  /** Paths the bad value names, which must not have been created. */
  absent?: (lab: PluginNode) => string[];
}

const ADD = (lab: PluginNode, pod: string) => cniEnv("ADD", lab, pod);
const without = (name: string) => (lab: PluginNode, pod: string) => {
  const env = cniEnv("ADD", lab, pod);
  delete env[name];
  return env;
};
const conf = (lab: PluginNode) => lab.config();

const CASES: Case[] = [
  {
    name: "missing CNI_COMMAND",
    env: without("CNI_COMMAND"),
    stdin: conf,
    code: 4,
    msg: /CNI_COMMAND/,
  },
  {
    name: "unknown CNI_COMMAND",
    env: (lab, pod) => cniEnv("ATTACH", lab, pod),
    stdin: conf,
    code: 4,
    msg: /"ATTACH"/,
  },
  {
    name: "missing CNI_CONTAINERID",
    env: without("CNI_CONTAINERID"),
    stdin: conf,
    code: 4,
    msg: /CNI_CONTAINERID/,
  },
  {
    name: "invalid CNI_CONTAINERID",
    env: (lab, pod) => cniEnv("ADD", lab, pod, { CNI_CONTAINERID: "-bad id" }),
    stdin: conf,
    code: 4,
    msg: /CNI_CONTAINERID "-bad id"/,
  },
  {
    name: "missing CNI_NETNS for ADD",
    env: without("CNI_NETNS"),
    stdin: conf,
    code: 4,
    msg: /CNI_NETNS/,
  },
  {
    name: "CNI_NETNS that does not exist",
    env: (lab, pod) => cniEnv("ADD", lab, pod, { CNI_NETNS: `/var/run/netns/${pod}-gone` }),
    stdin: conf,
    code: 3,
    msg: /does not exist/,
  },
  {
    name: "CNI_NETNS is the plugin's own namespace",
    env: (lab, pod) => cniEnv("ADD", lab, pod, { CNI_NETNS: lab.netnsPath(lab.node) }),
    stdin: conf,
    code: 4,
    msg: /own network namespace/,
  },
  {
    name: "CNI_IFNAME too long",
    env: (lab, pod) => cniEnv("ADD", lab, pod, { CNI_IFNAME: "eth0-much-too-long" }),
    stdin: conf,
    code: 4,
    msg: /CNI_IFNAME/,
  },
  { name: "missing CNI_PATH", env: without("CNI_PATH"), stdin: conf, code: 4, msg: /CNI_PATH/ },
  { name: "bad JSON", env: ADD, stdin: () => '{"cniVersion":', code: 6, msg: /JSON/ },
  {
    name: "unknown cniVersion",
    env: ADD,
    stdin: (lab) => lab.config({}, "0.2.0"),
    code: 1,
    msg: /"0\.2\.0"/,
  },
  {
    name: "CHECK at 0.3.1",
    env: (lab, pod) => cniEnv("CHECK", lab, pod),
    stdin: (lab) => lab.config({}, "0.3.1"),
    code: 1,
    msg: /CHECK needs cniVersion 0\.4\.0/,
  },
  {
    name: "unknown CNI_ARGS key without IgnoreUnknown",
    env: (lab, pod) => cniEnv("ADD", lab, pod, { CNI_ARGS: "K8S_POD_NAME=x;FOO=bar" }),
    stdin: conf,
    code: 4,
    msg: /"FOO"/,
  },
  {
    name: "bad MAC in CNI_ARGS",
    env: (lab, pod) =>
      cniEnv("ADD", lab, pod, { CNI_ARGS: "IgnoreUnknown=1;MAC=02:16:3e:zz:00:01" }),
    stdin: conf,
    code: 4,
    msg: /MAC/,
  },
  {
    name: "missing nodeIP for an EVE app",
    env: (lab, pod) =>
      cniEnv("ADD", lab, pod, { CNI_ARGS: "IgnoreUnknown=1;K8S_POD_NAMESPACE=eve-kube-app" }),
    stdin: (lab) => {
      const config = lab.config();
      delete config.nodeIP;
      return config;
    },
    code: 7,
    msg: /nodeIP/,
  },
  {
    // EVE writes "<ip>/32"; a network prefix is not the node and would route a whole subnet.
    name: "nodeIP with a network prefix",
    env: (lab, pod) =>
      cniEnv("ADD", lab, pod, { CNI_ARGS: "IgnoreUnknown=1;K8S_POD_NAMESPACE=eve-kube-app" }),
    stdin: (lab) => lab.config({ nodeIP: "192.168.77.10/24" }),
    code: 7,
    msg:
      /Invalid network configuration nodeIP: Expected the node's IP.*"192\.168\.1\.10\/32".*got "192\.168\.77\.10\/24"/,
  },
  {
    name: "invalid serviceCIDR",
    env: ADD,
    stdin: (lab) => lab.config({ serviceCIDR: "10.43.0.0" }),
    code: 7,
    msg: /Invalid network configuration/,
  },
  ...routingPolicyCases(),
  ...configFieldCases(),
  {
    name: "bridge plugin not on CNI_PATH",
    env: (lab, pod) => cniEnv("ADD", lab, pod, { CNI_PATH: lab.dir }),
    stdin: conf,
    code: 7,
    msg: /Cannot find plugin "bridge"/,
  },
  {
    // host-local rejects its range: the delegate's own code (Go's ErrInternal 999) and
    // message come through unchanged.
    name: "host-local rejects its range (delegate error kept)",
    env: ADD,
    stdin: (lab) =>
      lab.config({
        ipam: {
          type: "host-local",
          dataDir: `${lab.dir}/ipam`,
          ranges: [[{ subnet: "10.88.0.0/24", rangeStart: "10.99.0.5" }]],
        },
      }),
    code: 999,
    msg: /10\.99\.0\.5.*delegated plugin "bridge"/,
    delegated: true,
  },
  {
    // The range's only address is held by another container: bridge has made the bridge and
    // the veth when host-local fails; eve-bridge's undo step runs bridge DEL (which succeeds
    // here), so the pod is left clean and the other container keeps its address.
    name: "range exhausted after bridge made the veth (rolled back)",
    env: ADD,
    stdin: (lab) => {
      const dir = `${lab.dir}/ipam/evetest-${lab.id}`;
      Deno.mkdirSync(dir, { recursive: true });
      Deno.writeTextFileSync(`${dir}/10.88.0.50`, "other-container\r\neth0");
      return lab.config({
        ipam: {
          type: "host-local",
          dataDir: `${lab.dir}/ipam`,
          ranges: [[{ subnet: "10.88.0.0/24", rangeStart: "10.88.0.50", rangeEnd: "10.88.0.50" }]],
        },
      });
    },
    code: 999,
    msg: /no IP addresses available/,
    delegated: true,
    held: ["10.88.0.50"],
    rolledBack: true,
  },
];

/**
 * Config fields refused before the first side effect: code 7 naming the field and the fix,
 * and nothing made with the bad value (issue 12 items 5 and 8).
 */
function configFieldCases(): Case[] {
  const field = (
    name: string,
    extra: (lab: PluginNode) => Record<string, unknown>,
    msg: RegExp,
  ) => ({
    name,
    env: ADD,
    stdin: (lab: PluginNode) => lab.config(extra(lab)),
    code: 7,
    msg,
  });
  return [
    {
      ...field(
        "stateDir with '..'",
        (lab) => ({ stateDir: `${lab.dir}/state/../escaped` }),
        /Invalid network configuration stateDir: The directory .*contains "\.\."/,
      ),
      absent: (lab) => [`${lab.dir}/escaped`, `${lab.dir}/state`],
    },
    field(
      "stateDir with a NUL",
      (lab) => ({ stateDir: `${lab.dir}/st\0ate` }),
      /stateDir: The directory contains a NUL character/,
    ),
    field(
      "zedrouterSocket over sun_path",
      (lab) => ({ zedrouterSocket: `${lab.dir}/${"s".repeat(300)}`.slice(0, 300) }),
      /zedrouterSocket: The socket path is 300 bytes long, over the limit of 107.*sun_path/,
    ),
    {
      ...field(
        "logFile with '..'",
        (lab) => ({ logFile: `${lab.dir}/logs/../escaped.log` }),
        /logFile: The log file path .*contains "\.\."/,
      ),
      absent: (lab) => [`${lab.dir}/escaped.log`, `${lab.dir}/logs`],
    },
    {
      name: "cniVersion as a number",
      env: ADD,
      stdin: (lab: PluginNode) => ({ ...lab.config(), cniVersion: 1 }),
      code: 7,
      msg:
        /Invalid cniVersion: expected a string, got the number 1 Write it as a JSON string, e\.g\. "1\.0\.0"/,
    },
    field(
      "dhcp.timeoutSeconds 1e9",
      () => ({ dhcp: { timeoutSeconds: 1e9 } }),
      /dhcp\.timeoutSeconds: Expected at most 60 seconds, got 1000000000/,
    ),
    field(
      "dhcp.retries 1e6",
      () => ({ dhcp: { retries: 1e6 } }),
      /dhcp\.retries: Expected at most 10 retries, got 1000000/,
    ),
    {
      name: "multicast MAC in CNI_ARGS",
      env: (lab: PluginNode, pod: string) =>
        cniEnv("ADD", lab, pod, { CNI_ARGS: "IgnoreUnknown=1;MAC=01:00:5e:00:00:01" }),
      stdin: conf,
      code: 4,
      msg: /Invalid CNI_ARGS MAC "01:00:5e:00:00:01".*multicast address/,
    },
    {
      name: "7-byte MAC in CNI_ARGS",
      env: (lab: PluginNode, pod: string) =>
        cniEnv("ADD", lab, pod, { CNI_ARGS: "IgnoreUnknown=1;MAC=02:16:3e:00:00:01:02" }),
      stdin: conf,
      code: 4,
      msg: /exactly 6 bytes.*got 7 bytes/,
    },
  ];
}

/** `routingPolicy` mistakes: code 7 naming the field, before anything is created. */
function routingPolicyCases(): Case[] {
  const policy = (routingPolicy: unknown) => (lab: PluginNode) => lab.config({ routingPolicy });
  const on = (ifname: string) => (lab: PluginNode, pod: string) =>
    cniEnv("ADD", lab, pod, { CNI_IFNAME: ifname });
  return [
    { name: "routingPolicy.table reserved", table: 254, field: /routingPolicy\.table/ },
    { name: "routingPolicy.table not a number", table: "100", field: /routingPolicy\.table/ },
    { name: "routingPolicy.migrateRoute 2", migrateRoute: 2, field: /routingPolicy\.migrateRoute/ },
    { name: "routingPolicy.rpFilter 3", rpFilter: 3, field: /routingPolicy\.rpFilter/ },
    {
      name: "routingPolicy.hijackSubnets.service not a CIDR",
      hijackSubnets: { service: ["10.43.0.0"] },
      field: /routingPolicy\.hijackSubnets\.service\.0/,
    },
    {
      name: "routingPolicy.macPrefix multicast",
      macPrefix: "01:00",
      field: /routingPolicy\.macPrefix/,
    },
    {
      name: "routingPolicy.macPrefix a vendor's",
      macPrefix: "00:16",
      field: /routingPolicy\.macPrefix/,
    },
    { name: "routingPolicy unknown knob", migrate_route: 1, field: /routingPolicy\.migrate_route/ },
  ].map(({ name, field, ...block }) => ({
    name,
    env: ADD,
    stdin: policy(block),
    code: 7,
    msg: field,
  })).concat([
    {
      name: "routingPolicy.macPrefix on a network instance's interface",
      env: on("net1"),
      stdin: policy({ macPrefix: "0a:1b" }),
      code: 7,
      msg: /routingPolicy\.macPrefix.*eth0 only, not "net1"/,
    },
    {
      name: "routingPolicy.table auto for an interface name without a number",
      env: on("podabc"),
      stdin: policy({ migrateRoute: 1 }),
      code: 7,
      msg: /routingPolicy\.table.*"podabc"/,
    },
  ]);
}

Deno.test(`eve-bridge bad inputs: codes, messages, nothing left behind${ROOT_SKIP_REASON}`, {
  ignore: ROOT_SKIP_REASON !== "",
}, async (t) => {
  await requireBuilt();
  const lab = await PluginNode.open();
  try {
    const pod = await lab.addPod("pod");
    for (const c of CASES) {
      await t.step(c.name, async () => {
        const out = await lab.run(c.env(lab, pod), c.stdin(lab));
        assert.notEqual(out.code, 0, out.stdout);
        const error = JSON.parse(out.stdout);
        assert.deepEqual(Object.keys(error), ["cniVersion", "code", "msg", "details"]);
        assert.equal(error.code, c.code, out.stdout);
        assert.match(`${error.msg} ${error.details}`, c.msg);
        assert.deepEqual(await lab.links(pod), ["lo"], "nothing left in the pod");
        assert.deepEqual(await lab.allocatedIps(), c.held ?? [], "no IP held by us");
        const nodeLinks = await lab.links(lab.node);
        assert.deepEqual(
          nodeLinks.filter((l) => l !== lab.bridge),
          ["lo"],
          "no veth left in the node",
        );
        if (!c.delegated) assert.ok(!nodeLinks.includes(lab.bridge), "bridge never called");
        for (const path of c.absent?.(lab) ?? []) {
          await assert.rejects(Deno.lstat(path), Deno.errors.NotFound, `${path} was created`);
        }
        if (c.rolledBack) {
          const log = await Deno.readTextFile(`${lab.dir}/eve-bridge.log`);
          assert.match(log, /Rolled back .*bridge DEL/, "the undo step ran");
        }
        for (const ip of c.held ?? []) {
          await Deno.remove(`${lab.dir}/ipam/evetest-${lab.id}/${ip}`);
        }
      });
    }
  } finally {
    await lab.close();
  }
});
