import assert from "node:assert/strict";
import fc from "fast-check";
import ipaddr from "ipaddr.js";
import * as v from "valibot";
import {
  CidrSchema,
  IfNameSchema,
  IpSchema,
  isDottedQuad,
  MacSchema,
  NetnsPathSchema,
  parseCidr,
  parseIp,
  UnicastMacSchema,
} from "./values.ts";

/** What a call gives: the value's text, or that it threw. */
function outcome(f: () => { toString(): string } | [{ toString(): string }, number]): string {
  try {
    const value = f();
    return Array.isArray(value) ? `${value[0].toString()}/${value[1]}` : value.toString();
  } catch {
    return "throws";
  }
}

/** Address-like texts: both families, the short IPv4 forms, mapped IPv6, CIDRs and junk. */
const addressText = fc.oneof(
  fc.ipV4(),
  fc.ipV4Extended(),
  fc.ipV6(),
  fc.ipV4().map((ip) => `::ffff:${ip}`),
  fc.tuple(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: -1, max: 200 }))
    .map(([ip, bits]) => `${ip}/${bits}`),
  fc.string({ unit: fc.constantFrom(..."0123456789abcdef.:/x "), maxLength: 20 }),
);

Deno.test("isDottedQuad accepts exactly what ipaddr.js's IPv4.isValidFourPartDecimal does", () => {
  fc.assert(
    fc.property(addressText, (text) => {
      assert.equal(isDottedQuad(text), ipaddr.IPv4.isValidFourPartDecimal(text), text);
    }),
    { numRuns: 2000 },
  );
  for (const text of ["0.0.0.0", "255.255.255.255", "01.2.3.4", "256.0.0.1", "1.2.3"]) {
    assert.equal(isDottedQuad(text), ipaddr.IPv4.isValidFourPartDecimal(text), text);
  }
});

Deno.test("parseIp and parseCidr read every text exactly as ipaddr.parse and parseCIDR", () => {
  fc.assert(
    fc.property(addressText, (text) => {
      assert.equal(outcome(() => parseIp(text)), outcome(() => ipaddr.parse(text)), text);
      assert.equal(outcome(() => parseCidr(text)), outcome(() => ipaddr.parseCIDR(text)), text);
    }),
    { numRuns: 2000 },
  );
});

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

Deno.test("UnicastMacSchema: 6 bytes, unicast, not zero; lowercase", () => {
  const problem = (input: unknown) => {
    const parsed = v.safeParse(UnicastMacSchema, input);
    return parsed.success ? parsed.output : `! ${parsed.issues[0]?.message}`;
  };
  assert.equal(problem("02:16:3E:00:00:0A"), "02:16:3e:00:00:0a");
  assert.match(problem("01:00:5e:00:00:01"), /multicast address/);
  assert.match(problem("ff:ff:ff:ff:ff:ff"), /broadcast address/);
  assert.match(problem("33:33:00:00:00:01"), /multicast/);
  assert.match(problem("00:00:00:00:00:00"), /00:00:00:00:00:00 is no interface's address/);
  assert.match(problem("02:16:3e:00:00:0a:0b"), /exactly 6 bytes.*\(got 7 bytes\)/);
  assert.match(problem(`02${":00".repeat(19)}`), /got 20 bytes/);
  assert.match(problem("02:16:3e"), /got 3 bytes/);
  assert.match(problem(42), /as a string, got 42/);
});
