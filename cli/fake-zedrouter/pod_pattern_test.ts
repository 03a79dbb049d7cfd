import assert from "node:assert/strict";
import { podMatcher } from "./pod_pattern.ts";

Deno.test("pod globs: * is any run, ? one character, the rest literal, whole name", () => {
  const nginx = podMatcher("nginx-*");
  assert.ok(nginx("nginx-1a2b3-x7k2p"));
  assert.ok(nginx("nginx-"));
  assert.ok(!nginx("xnginx-1a2b3-x7k2p"), "anchored at the start");
  assert.ok(!nginx("nginx"), "the dash is required");
  const one = podMatcher("web-1111?-abcde");
  assert.ok(one("web-11111-abcde"));
  assert.ok(!one("web-1111-abcde"));
  const dot = podMatcher("a.b");
  assert.ok(dot("a.b"));
  assert.ok(!dot("axb"), "a dot is a dot, not any character");
  assert.ok(podMatcher("exact-pod")("exact-pod"));
  assert.ok(!podMatcher("exact-pod")("exact-pod-2"), "anchored at the end");
});
