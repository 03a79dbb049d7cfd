import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import * as v from "valibot";
import {
  nadName,
  NadSchema,
  nadsToYaml,
  PrimaryConflistSchema,
  renderNad,
  renderPrimaryConflist,
} from "./cni_configs.ts";
import { nodeSubnet } from "./node_subnets.ts";

const NI = { name: "ni_Local.1", uuid: "1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d" };

Deno.test("NAD: k8s.cni.cncf.io/v1, spec.config a JSON string, eve-bridge before tuning", () => {
  const nad = v.parse(NadSchema, renderNad(NI));
  assert.equal(nad.apiVersion, "k8s.cni.cncf.io/v1");
  assert.equal(nad.kind, "NetworkAttachmentDefinition");
  assert.equal(nad.metadata.name, "ni-local-1");
  assert.equal(nad.metadata.namespace, "eve-kube-app");
  assert.equal(typeof nad.spec.config, "string");
  const config = JSON.parse(nad.spec.config);
  assert.deepEqual(config.plugins.map((p: { type: string }) => p.type), ["eve-bridge", "tuning"]);
  assert.equal(config.plugins[0].networkInstance, NI.uuid);
  const docs = parseAllDocuments(nadsToYaml([nad, renderNad({ name: "b", uuid: NI.uuid })]));
  assert.equal(Array.isArray(docs) ? docs.length : 0, 2);
});

Deno.test("nadName: DNS-1123 label, falls back to the UUID", () => {
  assert.equal(nadName({ name: "--__--", uuid: NI.uuid }), "ni-1a2b3c4d");
  assert.equal(nadName({ name: "x".repeat(80), uuid: NI.uuid }).length, 63);
});

Deno.test("primary conflist: host-local over the node subnet", () => {
  const c = v.parse(
    PrimaryConflistSchema,
    renderPrimaryConflist({
      subnet: nodeSubnet("10.42.0.0/16", 8, 5),
      bridge: "cni0",
      nodeIP: "192.168.1.10",
    }),
  );
  assert.deepEqual(c.plugins.map((p) => p.type), ["eve-bridge", "portmap"]);
  assert.equal(c.plugins[0].nodeIP, "192.168.1.10/32", "EVE's form");
  assert.deepEqual(c.plugins[0].ipam.ranges[0]![0], {
    subnet: "10.42.5.0/24",
    rangeStart: "10.42.5.2",
    rangeEnd: "10.42.5.254",
    gateway: "10.42.5.1",
  });
});
