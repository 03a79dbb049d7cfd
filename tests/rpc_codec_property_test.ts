/**
 * Property tests of the Go codec: friendly -> Go JSON -> friendly is the identity; Go's key
 * rules (case-insensitive, unknown keys ignored) hold at every level; and, against the real
 * Go decoder (rpcpeer), what Go reads is what we meant: MAC bytes, IP and mask bytes,
 * nil versus empty slices, nil IPs.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import * as v from "valibot";
import ipaddr from "ipaddr.js";
import {
  base64ToMac,
  type ConnectPodAtL3Args,
  ConnectPodAtL3ArgsType,
  decodeGo,
  encodeGo,
  macToBase64,
  RpcClient,
  RpcRemoteError,
} from "../rpc/mod.ts";
import { startGoServer } from "./go/rpcpeer/peer.ts";

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

const macBytes = fc.oneof(
  fc.uint8Array({ minLength: 6, maxLength: 6 }),
  fc.uint8Array({ minLength: 8, maxLength: 8 }),
  fc.uint8Array({ minLength: 20, maxLength: 20 }),
);
const macText = macBytes.map((b) => hex(b).replace(/(..)(?!$)/g, "$1:"));

// IPv6 text with an embedded IPv4 part is left out: ipaddr.js and Go disagree on how to
// print it (core's IpSchema would turn "::1.2.3.4" into "::ffff:102:304").
const ipv6 = fc.ipV6().filter((s) => !s.includes("."));
const ipText = fc.oneof(fc.ipV4(), ipv6).map((s) => ipaddr.parse(s).toString());
const cidrText = fc.oneof(
  fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })),
  fc.tuple(ipv6, fc.integer({ min: 0, max: 128 })),
).map(([ip, bits]) => `${ipaddr.parse(ip).toString()}/${bits}`);
const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null, freq: 4 });
const goSliceOf = <T>(arb: fc.Arbitrary<T>) => nullable(fc.array(arb, { maxLength: 3 }));
const ifName = fc.stringMatching(/^[a-z][a-z0-9]{0,14}$/);
const text = fc.string({ maxLength: 20 });

const l3Args: fc.Arbitrary<ConnectPodAtL3Args> = fc.record({
  pod: fc.record({ name: text, netNsPath: text }),
  podInterface: fc.record({ name: ifName, mac: nullable(macText), netNsPath: text }),
  ips: goSliceOf(fc.record({ address: nullable(cidrText), gateway: nullable(ipText) })),
  routes: goSliceOf(fc.record({ dst: nullable(cidrText), gw: nullable(ipText) })),
  dns: fc.record({
    nameservers: goSliceOf(text),
    domain: text,
    search: goSliceOf(text),
    options: goSliceOf(text),
  }),
}).map((raw) => v.parse(ConnectPodAtL3ArgsType.schema, raw));

Deno.test("codec: a MAC survives text -> Go base64 -> text, and the base64 holds its bytes", () => {
  fc.assert(fc.property(macBytes, (bytes) => {
    const mac = hex(bytes).replace(/(..)(?!$)/g, "$1:");
    const wire = macToBase64(mac);
    assert.deepEqual(Uint8Array.from(atob(wire), (c) => c.charCodeAt(0)), bytes);
    assert.equal(base64ToMac(wire), mac);
  }));
});

Deno.test("codec: decodeGo(encodeGo(args)) is the identity for ConnectPodAtL3 args", () => {
  fc.assert(
    fc.property(l3Args, (args) => {
      const wire = encodeGo(ConnectPodAtL3ArgsType, args);
      assert.deepEqual(decodeGo(ConnectPodAtL3ArgsType, JSON.parse(JSON.stringify(wire))), args);
    }),
    { numRuns: 300 },
  );
});

/** Rewrites every object key with `rename`, at every depth. */
function mapKeys(value: unknown, rename: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((e) => mapKeys(e, rename));
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, e]) => [rename(k), mapKeys(e, rename)]),
  );
}

/** Adds `extra` keys to every object, at every depth. */
function addKeys(value: unknown, extra: Record<string, unknown>): unknown {
  if (Array.isArray(value)) return value.map((e) => addKeys(e, extra));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = { ...extra };
  for (const [k, e] of Object.entries(value)) out[k] = addKeys(e, extra);
  return out;
}

Deno.test("codec: keys match case-insensitively, as Go's decoder does", () => {
  fc.assert(
    fc.property(l3Args, fc.boolean(), fc.integer(), (args, upper, seed) => {
      const wire = JSON.parse(JSON.stringify(encodeGo(ConnectPodAtL3ArgsType, args)));
      let n = seed;
      const scramble = (key: string) =>
        [...key].map((c) => (n++ % 3 === 0) === upper ? c.toUpperCase() : c.toLowerCase()).join("");
      assert.deepEqual(decodeGo(ConnectPodAtL3ArgsType, mapKeys(wire, scramble)), args);
    }),
    { numRuns: 200 },
  );
});

Deno.test("codec: unknown keys are ignored at every level", () => {
  const unknownKey = fc.stringMatching(/^X[a-zA-Z]{0,8}$/);
  fc.assert(
    fc.property(l3Args, fc.dictionary(unknownKey, fc.jsonValue({ maxDepth: 2 })), (args, extra) => {
      const wire = JSON.parse(JSON.stringify(encodeGo(ConnectPodAtL3ArgsType, args)));
      assert.deepEqual(decodeGo(ConnectPodAtL3ArgsType, addKeys(wire, extra)), args);
    }),
    { numRuns: 200 },
  );
});

Deno.test("codec: Go's nil forms decode to null, and null encodes back to them", () => {
  const args = v.parse(ConnectPodAtL3ArgsType.schema, {
    pod: { name: "p", netNsPath: "" },
    podInterface: { name: "net1", mac: null, netNsPath: "" },
    ips: [{ address: null, gateway: null }],
    routes: null,
    dns: { nameservers: [], domain: "", search: null, options: [] },
  });
  const wire = encodeGo(ConnectPodAtL3ArgsType, args) as Record<string, unknown>;
  assert.deepEqual(wire["IPs"], [{ Address: null, Gateway: "" }]);
  assert.equal(wire["Routes"], null);
  assert.deepEqual(wire["DNS"], { Nameservers: [], Domain: "", Search: null, Options: [] });
  assert.equal((wire["PodInterface"] as Record<string, unknown>)["MAC"], null);
  assert.deepEqual(decodeGo(ConnectPodAtL3ArgsType, wire), args);
});

Deno.test("codec: Go's 16-byte mask on an IPv4 address and the nil UUID of an optional field", () => {
  const wire = {
    Pod: { Name: "p", NetNsPath: "" },
    PodInterface: { Name: "net1", MAC: null, NetNsPath: "" },
    NetworkInstance: "00000000-0000-0000-0000-000000000000",
    IPs: [{ Address: { IP: "10.1.2.3", Mask: "/////////////////////w==" }, Gateway: "" }],
    Routes: null,
    DNS: {},
  };
  const args = decodeGo(ConnectPodAtL3ArgsType, wire);
  assert.equal(args.networkInstance, undefined);
  assert.deepEqual(args.ips, [{ address: "10.1.2.3/32", gateway: null }]);
});

// ---- against Go's own decoder ----

interface GoIpNet {
  Nil: boolean;
  IP?: string;
  IPLen?: number;
  MaskHex?: string;
  Prefix?: number;
  Bits?: number;
}

/** What rpcpeer's describe.go should report for a CIDR, computed without our codec. */
function expectedIpNet(cidr: string | null): GoIpNet {
  if (cidr === null) return { Nil: true, IP: "", IPLen: 0, MaskHex: "", Prefix: 0, Bits: 0 };
  const [ip, bitsText] = cidr.split("/") as [string, string];
  const prefix = Number(bitsText);
  const width = ip.includes(":") ? 128 : 32;
  const maskBits = "1".repeat(prefix).padEnd(width, "0");
  const maskHex = maskBits.match(/.{4}/g)!.map((b) => parseInt(b, 2).toString(16)).join("");
  return { Nil: false, IP: ip, IPLen: 16, MaskHex: maskHex, Prefix: prefix, Bits: width };
}

function expectedIp(ip: string | null) {
  return ip === null ? { Text: "<nil>", Nil: true, Len: 0 } : { Text: ip, Nil: false, Len: 16 };
}

function expectedStrings(list: string[] | null) {
  return { Nil: list === null, Values: list };
}

Deno.test("codec vs Go: what Go decodes from our encoding is what we meant (random args)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rpc-prop-" });
  const go = await startGoServer(`${dir}/go.sock`);
  const client = await RpcClient.connect(go.socket);
  try {
    await fc.assert(
      fc.asyncProperty(l3Args, async (args) => {
        const sent = { ...args, pod: { ...args.pod, name: "describe" } };
        const error = await client.call("RPCServer.ConnectPodAtL3", sent).then(
          () => null,
          (e: unknown) => e,
        );
        assert.ok(error instanceof RpcRemoteError, String(error));
        const view = JSON.parse(error.remoteMessage.slice("decoded ".length));
        const mac = args.podInterface.mac;
        assert.deepEqual(view.PodInterface, {
          Name: args.podInterface.name,
          MACHex: mac === null ? "" : mac.replaceAll(":", ""),
          MACNil: mac === null,
          NetNsPath: args.podInterface.netNsPath,
        });
        assert.equal(view.PodNetNsPath, args.pod.netNsPath);
        assert.deepEqual(view.IPAM, {
          IPsNil: args.ips === null,
          IPs: args.ips?.length
            ? args.ips.map((ip) => ({
              Address: expectedIpNet(ip.address),
              Gateway: expectedIp(ip.gateway),
            }))
            : null,
          RoutesNil: args.routes === null,
          Routes: args.routes?.length
            ? args.routes.map((r) => ({ Dst: expectedIpNet(r.dst), GW: expectedIp(r.gw) }))
            : null,
          DNS: {
            Nameservers: expectedStrings(args.dns.nameservers),
            Domain: args.dns.domain,
            Search: expectedStrings(args.dns.search),
            Options: expectedStrings(args.dns.options),
          },
        });
      }),
      { numRuns: 150 },
    );
  } finally {
    await client.close();
    await go.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
