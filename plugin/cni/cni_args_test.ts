import assert from "node:assert/strict";
import { parseCniArgs } from "./cni_args.ts";
import { CniError } from "./errors.ts";

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof CniError ? error.code : -1;
  }
  return undefined;
}

Deno.test("CNI_ARGS: Multus's keys parse, values split on the first '='", () => {
  const args = parseCniArgs(
    "IgnoreUnknown=true;K8S_POD_NAMESPACE=eve-kube-app;K8S_POD_NAME=nginx-1;" +
      "K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=u-1;MAC=02:16:3E:00:00:01;IP=10.0.0.5,fd00::5;" +
      "X=a=b",
  );
  assert.equal(args.ignoreUnknown, true);
  assert.equal(args.podNamespace, "eve-kube-app");
  assert.equal(args.podName, "nginx-1");
  assert.equal(args.podInfraContainerId, "abc");
  assert.equal(args.podUid, "u-1");
  assert.equal(args.mac, "02:16:3e:00:00:01");
  assert.deepEqual(args.ips, ["10.0.0.5", "fd00::5"]);
  assert.deepEqual(args.raw.at(-1), ["X", "a=b"]);
});

Deno.test("CNI_ARGS: empty and missing are fine", () => {
  assert.deepEqual(parseCniArgs(undefined).raw, []);
  assert.equal(parseCniArgs("").ignoreUnknown, false);
  assert.equal(parseCniArgs(";;").podName, undefined);
});

Deno.test("CNI_ARGS: unknown keys are code 4 unless IgnoreUnknown is 1 or true", () => {
  assert.equal(codeOf(() => parseCniArgs("FOO=bar")), 4);
  assert.equal(codeOf(() => parseCniArgs("IgnoreUnknown=0;FOO=bar")), 4);
  assert.equal(codeOf(() => parseCniArgs("IgnoreUnknown=1;FOO=bar")), undefined);
  assert.equal(codeOf(() => parseCniArgs("IgnoreUnknown=TRUE;FOO=bar")), undefined);
  assert.throws(() => parseCniArgs("FOO=bar"), (error: CniError) => {
    assert.match(error.msg, /"FOO"/);
    assert.match(error.details, /IgnoreUnknown=1/);
    return true;
  });
});

Deno.test("CNI_ARGS: a pair without a key or '=' and a bad MAC are code 4", () => {
  assert.equal(codeOf(() => parseCniArgs("novalue")), 4);
  assert.equal(codeOf(() => parseCniArgs("=x")), 4);
  assert.equal(codeOf(() => parseCniArgs("MAC=zz:zz")), 4);
  assert.throws(() => parseCniArgs("MAC=02:16:3e"), (error: CniError) => {
    assert.match(error.msg, /MAC "02:16:3e"/);
    return true;
  });
});
