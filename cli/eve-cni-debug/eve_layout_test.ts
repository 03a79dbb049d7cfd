import assert from "node:assert/strict";
import * as v from "valibot";
import {
  EveNadSchema,
  MultusConfigSchema,
  renderEveNad,
  renderMultusConfig,
} from "./eve_layout.ts";

Deno.test("EVE layout: nodeIP in EVE's form whatever the input, IPv6 with /128", () => {
  for (
    const [nodeIP, want] of [
      ["192.168.1.10", "192.168.1.10/32"],
      ["192.168.1.10/32", "192.168.1.10/32"],
      ["fd00::10", "fd00::10/128"],
    ]
  ) {
    const multus = v.parse(MultusConfigSchema, renderMultusConfig({ nodeIP: nodeIP! }));
    assert.equal(multus.delegates[0].plugins[0].delegate.nodeIP, want);
  }
});

Deno.test("EVE layout: eve-bridge's fields only when they are not its defaults", () => {
  const defaults = {
    nodeIP: "192.168.1.10",
    zedrouterSocket: "/run/zedrouter/rpc.sock",
    logFile: "/persist/kubelog/eve-bridge.log",
  };
  const plain = renderMultusConfig(defaults).delegates[0].plugins[0].delegate;
  assert.deepEqual(plain, { type: "eve-bridge", nodeIP: "192.168.1.10/32" });
  assert.equal(renderEveNad(defaults).spec.config, '{"cniVersion":"0.3.1","type":"eve-bridge"}');
  const named = { ...defaults, zedrouterSocket: "/tmp/z.sock", serviceCIDR: "10.96.0.0/12" };
  assert.deepEqual(renderMultusConfig(named).delegates[0].plugins[0].delegate, {
    type: "eve-bridge",
    nodeIP: "192.168.1.10/32",
    serviceCIDR: "10.96.0.0/12",
    zedrouterSocket: "/tmp/z.sock",
  });
  const nad = v.parse(EveNadSchema, renderEveNad({ ...named, namespace: "apps" }));
  assert.equal(nad.metadata.namespace, "apps");
  assert.deepEqual(JSON.parse(nad.spec.config), {
    cniVersion: "0.3.1",
    type: "eve-bridge",
    zedrouterSocket: "/tmp/z.sock",
  });
});
