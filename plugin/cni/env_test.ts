import assert from "node:assert/strict";
import { parseEnv } from "./env.ts";
import { CniError } from "./errors.ts";

const ADD_ENV = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "abc-1.2_3",
  CNI_NETNS: "/var/run/netns/cni-1",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/opt/cni/bin::/usr/lib/cni",
  CNI_ARGS: "K8S_POD_NAME=p",
};

function failure(env: Record<string, string>): CniError {
  try {
    parseEnv(env);
  } catch (error) {
    if (error instanceof CniError) return error;
    throw error;
  }
  throw new Error("expected a CniError");
}

Deno.test("env: ADD parses every variable, CNI_PATH split and empty dirs dropped", () => {
  const env = parseEnv(ADD_ENV);
  assert.equal(env.command, "ADD");
  assert.equal(env.containerId, "abc-1.2_3");
  assert.deepEqual(env.path, ["/opt/cni/bin", "/usr/lib/cni"]);
  assert.equal(env.args.podName, "p");
  assert.equal(env.netnsOverride, false);
  assert.equal(parseEnv({ ...ADD_ENV, CNI_NETNS_OVERRIDE: "1" }).netnsOverride, true);
});

Deno.test("env: missing and unknown CNI_COMMAND are code 4", () => {
  assert.equal(failure({}).code, 4);
  const unknown = failure({ CNI_COMMAND: "ATTACH" });
  assert.equal(unknown.code, 4);
  assert.match(unknown.msg, /"ATTACH"/);
});

Deno.test("env: what each command requires", () => {
  for (const name of ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"]) {
    const env: Record<string, string> = { ...ADD_ENV };
    delete env[name];
    const error = failure(env);
    assert.equal(error.code, 4, name);
    assert.match(error.msg, new RegExp(name));
  }
  const del: Record<string, string> = { ...ADD_ENV, CNI_COMMAND: "DEL" };
  delete del.CNI_NETNS;
  assert.equal(parseEnv(del).netns, "");
  assert.equal(parseEnv({ CNI_COMMAND: "STATUS", CNI_PATH: "/x" }).ifname, "");
  assert.equal(parseEnv({ CNI_COMMAND: "GC", CNI_PATH: "/x" }).containerId, "");
  assert.equal(failure({ CNI_COMMAND: "GC" }).code, 4);
  assert.equal(parseEnv({ CNI_COMMAND: "VERSION" }).command, "VERSION");
});

Deno.test("env: invalid container id, interface name and netns path are code 4", () => {
  for (const containerId of ["-abc", "a b", "a/b", ".x"]) {
    assert.equal(failure({ ...ADD_ENV, CNI_CONTAINERID: containerId }).code, 4, containerId);
  }
  for (const ifname of ["this-name-is-too-long", ".", "..", "a/b", "a:b", "a b"]) {
    const error = failure({ ...ADD_ENV, CNI_IFNAME: ifname });
    assert.equal(error.code, 4, ifname);
    assert.match(error.msg, /CNI_IFNAME/);
  }
  assert.equal(failure({ ...ADD_ENV, CNI_NETNS: "relative/path" }).code, 4);
  assert.equal(failure({ ...ADD_ENV, CNI_NETNS: "/var/run/netns/../x" }).code, 4);
});

Deno.test("env: bad CNI_ARGS surface as code 4", () => {
  assert.equal(failure({ ...ADD_ENV, CNI_ARGS: "FOO=1" }).code, 4);
});
