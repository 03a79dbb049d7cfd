import assert from "node:assert/strict";
import fc from "fast-check";
import { deriveMac, stableIndex, uuidFromName, uuidV5 } from "./identity.ts";
import { MacSchema, UuidSchema } from "../../core/mod.ts";
import * as v from "valibot";

Deno.test("uuidFromName is a stable, valid version-5 UUID", () => {
  const a = uuidFromName("ni-local");
  assert.equal(a, uuidFromName("ni-local"));
  assert.notEqual(a, uuidFromName("ni-switch"));
  assert.ok(v.is(UuidSchema, a));
  assert.equal(a[14], "5");
  assert.ok("89ab".includes(a[19]!));
});

Deno.test("derived MACs are locally administered unicast; switch ones start 02:16:3e", () => {
  fc.assert(
    fc.property(fc.uuid(), fc.uuid(), fc.nat(16), fc.boolean(), (app, ni, index, sw) => {
      const mac = deriveMac({ appUuid: app, niUuid: ni, adapterIndex: index, switchNi: sw });
      assert.ok(v.is(MacSchema, mac));
      const first = parseInt(mac.slice(0, 2), 16);
      assert.equal(first & 0x01, 0, "unicast");
      assert.equal(first & 0x02, 0x02, "locally administered");
      if (sw) assert.ok(mac.startsWith("02:16:3e:"));
      assert.equal(mac, deriveMac({ appUuid: app, niUuid: ni, adapterIndex: index, switchNi: sw }));
    }),
  );
});

Deno.test("a MAC changes with the adapter index and the attempt", () => {
  const seed = { appUuid: "a", niUuid: "b", adapterIndex: 0, switchNi: false };
  assert.notEqual(deriveMac(seed), deriveMac({ ...seed, adapterIndex: 1 }));
  assert.notEqual(deriveMac(seed), deriveMac({ ...seed, attempt: 1 }));
});

Deno.test("stableIndex stays in range", () => {
  fc.assert(fc.property(fc.string(), fc.integer({ min: 1, max: 1000 }), (k, n) => {
    const i = stableIndex(k, n);
    assert.ok(i >= 0 && i < n);
  }));
});

Deno.test("uuidV5 matches the RFC test vector", () => {
  assert.equal(
    uuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com"),
    "2ed6657d-e927-568b-95e1-2665a8aea6a2",
  );
});
