import assert from "node:assert/strict";
import * as v from "valibot";
import type { RoutingView } from "../../netns/mod.ts";
import { CniError } from "../cni/mod.ts";
import {
  checkRoutingPolicy,
  compareInterfaceNames,
  resolveIntent,
  sortsAfterAnother,
  tableFor,
} from "./routing_policy_resolve.ts";
import { RoutingPolicySchema } from "./routing_policy_schema.ts";

const policy = (input: Record<string, unknown>) => v.parse(RoutingPolicySchema, input);

function view(addressed: string[]): RoutingView {
  return {
    links: [],
    addresses: addressed.map((ifname, i) => ({
      ifname,
      cidr: `10.0.${i}.2/24`,
      family: "inet",
      scope: ifname === "lo" ? "host" : "global",
    })),
    routes: [],
    rules: [],
    neighbours: [],
  };
}

function code7(fn: () => unknown, field: RegExp): void {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof CniError);
    assert.equal(error.code, 7);
    assert.match(error.msg, field);
    return true;
  });
}

Deno.test("table auto: 100 + the interface's number; a number as given", () => {
  assert.equal(tableFor(policy({}), "eth0"), 100);
  assert.equal(tableFor(policy({}), "net1"), 101);
  assert.equal(tableFor(policy({}), "net12"), 112);
  assert.equal(tableFor(policy({ table: 300 }), "podabc"), 300);
  code7(() => tableFor(policy({}), "podabc"), /routingPolicy\.table.*"podabc"/);
  code7(() => tableFor(policy({}), "net154"), /routingPolicy\.table/); // 254 is main
});

Deno.test("checkRoutingPolicy: macPrefix on eth0 only; auto needs a number only when migrating", () => {
  checkRoutingPolicy(policy({ macPrefix: "0a:1b" }), "eth0");
  code7(() => checkRoutingPolicy(policy({ macPrefix: "0a:1b" }), "net1"), /macPrefix/);
  checkRoutingPolicy(policy({ neighbours: true }), "podabc");
  code7(() => checkRoutingPolicy(policy({ migrateRoute: -1 }), "podabc"), /table/);
});

Deno.test("migrateRoute -1: by name order among the interfaces with an address", () => {
  assert.ok(compareInterfaceNames("net2", "net10") < 0);
  assert.ok(compareInterfaceNames("eth0", "net1") < 0);
  assert.ok(!sortsAfterAnother(view(["lo", "eth0"]), "eth0"));
  assert.ok(sortsAfterAnother(view(["lo", "eth0", "net1"]), "net1"));
  assert.ok(!sortsAfterAnother(view(["lo", "net1"]), "net1"), "lo does not count");
});

Deno.test("resolveIntent: -1, 0 and 1 as spiderpool's migrate_route; hijack lists merged", () => {
  const pod = view(["lo", "eth0", "net1"]);
  const hijack = {
    overlay: ["10.42.0.0/16"],
    service: ["10.43.0.0/16"],
    additional: ["10.42.0.0/16"],
  };
  assert.equal(resolveIntent(policy({ migrateRoute: -1 }), "net1", pod).table, 101);
  assert.equal(resolveIntent(policy({ migrateRoute: -1 }), "eth0", pod).table, null);
  assert.equal(resolveIntent(policy({ migrateRoute: 0 }), "net1", pod).table, null);
  assert.equal(resolveIntent(policy({ migrateRoute: 1, table: 7 }), "eth0", pod).table, 7);
  assert.deepEqual(resolveIntent(policy({ hijackSubnets: hijack, rpFilter: 1 }), "net1", pod), {
    table: null,
    hijackSubnets: ["10.42.0.0/16", "10.43.0.0/16"],
    rpFilter: 1,
    neighbours: false,
    macPrefix: null,
  });
});
