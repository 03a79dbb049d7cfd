import assert from "node:assert/strict";
import * as v from "valibot";
import { CidrSchema, IfNameSchema, IpSchema, MacSchema, NetnsPathSchema } from "./values.ts";

Deno.test("IpSchema accepts dotted quads and IPv6, normalised", () => {
  assert.equal(v.parse(IpSchema, "10.11.12.1"), "10.11.12.1");
  assert.equal(v.parse(IpSchema, "FD00:0::1"), "fd00::1");
});

Deno.test("IpSchema refuses the short and octal IPv4 forms Go and iproute2 refuse", () => {
  for (
    const bad of [
      "10.11.12",
      "10",
      "0x0a.0.0.1",
      "10.0.0.1/24",
      "",
      "1.2.3.4.5",
      "256.1.1.1",
      "::1.2.3.4",
    ]
  ) {
    assert.equal(v.safeParse(IpSchema, bad).success, false, bad);
  }
});

Deno.test("CidrSchema keeps host bits and refuses malformed prefixes", () => {
  assert.equal(v.parse(CidrSchema, "10.11.12.5/24"), "10.11.12.5/24");
  assert.equal(v.parse(CidrSchema, "fd00::5/64"), "fd00::5/64");
  for (
    const bad of ["10.11.12/24", "10.11.12.5", "10.11.12.5/33", "10.11.12.5/24/1", "fd00::/129"]
  ) {
    assert.equal(v.safeParse(CidrSchema, bad).success, false, bad);
  }
});

Deno.test("MacSchema lowercases and refuses non-MAC text", () => {
  assert.equal(v.parse(MacSchema, "02:16:3E:00:00:01"), "02:16:3e:00:00:01");
  for (const bad of ["02:16:3e:00:00", "02-16-3e-00-00-01", "HqjDdxJd", ""]) {
    assert.equal(v.safeParse(MacSchema, bad).success, false, bad);
  }
});

Deno.test("IfNameSchema follows the kernel's rule", () => {
  for (const ok of ["net1", "eth0", "pod6f1e2a3b4c5", "a".repeat(15)]) {
    assert.equal(v.safeParse(IfNameSchema, ok).success, true, ok);
  }
  for (const bad of ["", ".", "..", "a/b", "a:b", "a b", "a".repeat(16)]) {
    assert.equal(v.safeParse(IfNameSchema, bad).success, false, bad);
  }
});

Deno.test("NetnsPathSchema wants an absolute path without '..'", () => {
  assert.equal(v.safeParse(NetnsPathSchema, "/proc/42/ns/net").success, true);
  for (const bad of ["var/run/netns/x", "/var/run/netns/../x", "/a\nb"]) {
    assert.equal(v.safeParse(NetnsPathSchema, bad).success, false, bad);
  }
});
