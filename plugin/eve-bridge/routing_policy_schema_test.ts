import assert from "node:assert/strict";
import * as v from "valibot";
import { describeIssues } from "../../core/mod.ts";
import { RoutingPolicySchema } from "./routing_policy_schema.ts";

Deno.test("routingPolicy: every knob is off unless asked for", () => {
  assert.deepEqual(v.parse(RoutingPolicySchema, {}), {
    table: "auto",
    migrateRoute: 0,
    hijackSubnets: { overlay: [], service: [], additional: [] },
    neighbours: false,
  });
});

Deno.test("routingPolicy: values as spiderpool's knobs take them, subnets as networks", () => {
  const policy = v.parse(RoutingPolicySchema, {
    table: 200,
    migrateRoute: -1,
    hijackSubnets: { overlay: ["10.42.3.4/16"], service: ["fd00:10:96::1/112"] },
    rpFilter: 2,
    neighbours: true,
    macPrefix: "0A:1B",
  });
  assert.equal(policy.table, 200);
  assert.deepEqual(policy.hijackSubnets.overlay, ["10.42.0.0/16"]);
  assert.deepEqual(policy.hijackSubnets.service, ["fd00:10:96::/112"]);
  assert.equal(policy.macPrefix, "0a:1b");
});

Deno.test("routingPolicy: mistakes name the field", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ table: 0 }, /^table: /],
    [{ table: 255 }, /^table: Tables 253, 254 and 255/],
    [{ table: 2 ** 32 }, /^table: /],
    [{ table: 1.5 }, /^table: /],
    [{ table: "main" }, /^table: /],
    [{ migrateRoute: 2 }, /^migrateRoute: Expected -1/],
    [{ hijackSubnets: { pods: [] } }, /^hijackSubnets\.pods: /],
    [{ hijackSubnets: { additional: ["10.0.0.0/33"] } }, /^hijackSubnets\.additional\.0: /],
    [{ rpFilter: -1 }, /^rpFilter: Expected 0/],
    [{ neighbours: "yes" }, /^neighbours: /],
    [{ macPrefix: "0a:1b:2c" }, /^macPrefix: Expected two bytes/],
    [{ macPrefix: "0b:00" }, /^macPrefix: Expected a locally administered unicast/],
    [{ macPrefix: "08:00" }, /^macPrefix: Expected a locally administered unicast/],
    [{ mac_prefix: "0a:1b" }, /^mac_prefix: /],
  ];
  for (const [input, field] of cases) {
    const parsed = v.safeParse(RoutingPolicySchema, input);
    assert.ok(!parsed.success, JSON.stringify(input));
    assert.match(describeIssues(parsed.issues), field, JSON.stringify(input));
  }
});
