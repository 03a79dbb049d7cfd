import assert from "node:assert/strict";
import { parseCniArgs } from "../cni/mod.ts";
import type { EveBridgeConfig } from "./config.ts";
import { resolveMac } from "./mac_source.ts";

function ctx(config: Record<string, unknown>, cniArgs = "") {
  return {
    config: { name: "n", type: "eve-bridge", ...config } as unknown as EveBridgeConfig,
    args: parseCniArgs(cniArgs),
    ifname: "net1",
  };
}

Deno.test("resolveMac: runtimeConfig > args.cni > CNI_ARGS, normalised to lowercase", () => {
  const all = ctx(
    { runtimeConfig: { mac: "02:16:3E:00:00:0A" }, args: { cni: { mac: "02:16:3e:00:00:0b" } } },
    "MAC=02:16:3e:00:00:0c",
  );
  assert.deepEqual(resolveMac(all), { mac: "02:16:3e:00:00:0a", source: "runtimeConfig.mac" });
  const two = ctx({ args: { cni: { mac: "02:16:3e:00:00:0b" } } }, "MAC=02:16:3e:00:00:0c");
  assert.deepEqual(resolveMac(two), { mac: "02:16:3e:00:00:0b", source: "args.cni.mac" });
  const one = ctx({}, "MAC=02:16:3e:00:00:0c");
  assert.deepEqual(resolveMac(one), { mac: "02:16:3e:00:00:0c", source: "CNI_ARGS MAC" });
});

Deno.test("resolveMac: an invalid MAC names its source (code 7), a missing one says how to set it", () => {
  assert.throws(
    () => resolveMac(ctx({ runtimeConfig: { mac: "02:16:3e" } })),
    (e: { code: number; msg: string }) =>
      e.code === 7 && e.msg === 'Invalid runtimeConfig.mac "02:16:3e"',
  );
  assert.throws(
    () => resolveMac(ctx({ args: { cni: { mac: 42 } } })),
    (e: { code: number; msg: string }) => e.code === 7 && /args\.cni\.mac 42/.test(e.msg),
  );
  assert.throws(
    () => resolveMac(ctx({})),
    (e: { code: number; msg: string; details: string }) =>
      e.code === 7 && e.msg === 'Missing the MAC of interface "net1"' &&
      /runtimeConfig\.mac/.test(e.details),
  );
});

Deno.test("resolveMac: no MAC but a networkInstance leaves the choice to zedrouter", () => {
  const byNi = ctx({ networkInstance: "8f9c1e2a-0000-4000-8000-000000000001" });
  assert.deepEqual(resolveMac(byNi), { mac: null, source: "zedrouter" });
  // A MAC, when given, still wins: zedrouter uses it to break a tie between two adapters.
  const both = ctx(
    { networkInstance: "8f9c1e2a-0000-4000-8000-000000000001" },
    "MAC=02:16:3e:00:00:0c",
  );
  assert.deepEqual(resolveMac(both), { mac: "02:16:3e:00:00:0c", source: "CNI_ARGS MAC" });
});

Deno.test("resolveMac: multicast, broadcast, zero and long MACs are refused from every source", () => {
  const bad = [
    "01:00:5e:00:00:01",
    "ff:ff:ff:ff:ff:ff",
    "00:00:00:00:00:00",
    "02:16:3e:00:00:01:02",
  ];
  for (const mac of bad) {
    for (
      const [c, code, source] of [
        [ctx({ runtimeConfig: { mac } }), 7, "runtimeConfig.mac"],
        [ctx({ args: { cni: { mac } } }), 7, "args.cni.mac"],
      ] as const
    ) {
      assert.throws(
        () => resolveMac(c),
        (e: { code: number; msg: string }) =>
          e.code === code && e.msg.startsWith(`Invalid ${source}`),
        `${source} ${mac}`,
      );
    }
    assert.throws(() => parseCniArgs(`MAC=${mac}`), (e: { code: number }) => e.code === 4, mac);
  }
});
