import assert from "node:assert/strict";
import { rpFilterWrites } from "./routing_policy_rp_filter.ts";

const key = (name: string) => `net/ipv4/conf/${name}/rp_filter`;

Deno.test("rpFilter: the interface's own value when all is not above it", () => {
  assert.deepEqual(rpFilterWrites(2, "net1", 0, 0, new Map()), [[key("net1"), 2]]);
  assert.deepEqual(rpFilterWrites(1, "net1", 1, 1, new Map()), [], "already so: nothing to write");
  assert.deepEqual(rpFilterWrites(2, "net1", 1, 0, new Map()), [[key("net1"), 2]]);
});

Deno.test("rpFilter: all above the value comes down, every other interface keeps what it had", () => {
  // all=2 made eth0 loose (own 0) and lo loose (own 2): they stay at 2 once all is 0.
  const others = new Map([["lo", 2], ["eth0", 0]]);
  assert.deepEqual(rpFilterWrites(0, "net1", 2, 1, others), [
    [key("eth0"), 2],
    [key("net1"), 0],
    [key("all"), 0],
  ]);
});
