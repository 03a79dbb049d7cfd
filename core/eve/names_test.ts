import assert from "node:assert/strict";
import { findAppForPod, hostVethName, kubeName, podBelongsTo } from "./names.ts";
import { isVmiPodName } from "./pod_kind.ts";

const UUID = "1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d";

Deno.test("kubeName sanitises the display name as EVE does", () => {
  assert.equal(kubeName("nginx", UUID), "nginx-1a2b3");
  assert.equal(kubeName("My_App", UUID), "my-app-1a2b3");
  assert.equal(kubeName("a..b--c.-d", UUID), "a-b-c-d-1a2b3");
  assert.equal(kubeName("héllo wörld!", UUID), "hllowrld-1a2b3");
  assert.equal(kubeName("__x__", UUID), "-x--1a2b3");
});

Deno.test("kubeName cuts the sanitised name to 26 characters before the UUID part", () => {
  const long = "abcdefghijklmnopqrstuvwxyz0123456789";
  assert.equal(kubeName(long, UUID), "abcdefghijklmnopqrstuvwxyz-1a2b3");
});

Deno.test("pods match their app by prefix, VMI launcher pods included", () => {
  const k = kubeName("nginx", UUID);
  assert.ok(podBelongsTo("nginx-1a2b3-x7k2p", k));
  assert.ok(podBelongsTo("nginx-1a2b3-0-x7k2p", k));
  assert.ok(podBelongsTo("virt-launcher-nginx-1a2b3-abcde", k));
  assert.ok(!podBelongsTo("nginx-1a2b4-x7k2p", k));
  assert.ok(!podBelongsTo("nginx-1a2b3", k), "the pod suffix is required");
  assert.ok(!podBelongsTo("xnginx-1a2b3-x7k2p", k));
  assert.ok(isVmiPodName("virt-launcher-vm-1-abcde"));
  assert.ok(!isVmiPodName("nginx-1a2b3-x7k2p"));
});

Deno.test("findAppForPod prefers the longest kubeName", () => {
  const apps = [{ kubeName: "web-12345" }, { kubeName: "web-12345-x-99999" }];
  assert.equal(findAppForPod("web-12345-x-99999-abcde", apps), apps[1]);
  assert.equal(findAppForPod("web-12345-abcde", apps), apps[0]);
  assert.equal(findAppForPod("other-abcde", apps), undefined);
});

Deno.test("host veth names follow nbu<index+1>x<appNum>", () => {
  assert.equal(hostVethName(0, 3), "nbu1x3");
  assert.equal(hostVethName(1, 12), "nbu2x12");
});
