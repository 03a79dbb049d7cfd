import assert from "node:assert/strict";
import type { DhcpEvent } from "../../../netns/mod.ts";
import { heldLease } from "./client_process.ts";

function event(kind: string, ip = ""): DhcpEvent {
  return {
    event: kind,
    interface: "net1",
    ip,
    mask: ip ? "24" : "",
    subnet: "",
    router: "",
    dns: "",
    domain: "",
    staticroutes: "",
    lease: ip ? "3600" : "",
    serverid: "",
    time: "1",
    uptime: "",
  };
}

Deno.test("heldLease: the newest bound/renew, unless a deconfig, nak or leasefail came after", () => {
  assert.equal(heldLease([]), undefined);
  assert.equal(heldLease([event("deconfig"), event("leasefail")]), undefined);
  const bound = event("bound", "10.1.0.5");
  assert.equal(heldLease([event("deconfig"), bound]), bound);
  const renew = event("renew", "10.1.0.6");
  assert.equal(heldLease([bound, renew]), renew);
  for (const lost of ["deconfig", "nak", "leasefail"]) {
    assert.equal(heldLease([bound, event(lost)]), undefined, `${lost} ends the lease`);
  }
});
