/** apply.ts: which network instances an apply adds, changes or removes (by name). */
import assert from "node:assert/strict";
import { diffNis } from "./apply.ts";
import { parseConfigText } from "./config.ts";

Deno.test("diffNis: added, changed (any resolved field) and removed NIs; the same is no change", () => {
  const before = parseConfigText(`
networkInstances:
  - {name: a, type: local, bridge: bn1, subnet: 10.1.0.0/24}
  - {name: b, type: local, bridge: bn2, subnet: 10.2.0.0/24, mtu: 1400}
  - {name: c, type: switch, bridge: bn3}
`);
  const after = parseConfigText(`
networkInstances:
  - {name: a, type: local, bridge: bn1, subnet: 10.1.0.0/24}
  - {name: b, type: local, bridge: bn2, subnet: 10.2.0.0/24, mtu: 1300}
  - {name: d, type: switch, bridge: bn4, vlan: 7}
`);
  assert.deepEqual(diffNis(before, after).map((r) => [r.name, r.change]), [
    ["b", "changed"],
    ["d", "added"],
    ["c", "removed"],
  ]);
  assert.deepEqual(diffNis(before, before), []);
});
