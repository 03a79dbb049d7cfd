import assert from "node:assert/strict";
import { leaseOutcome } from "./detach.ts";

Deno.test("DEL's lease outcome: released only when ours went out or zedrouter dropped it", () => {
  assert.equal(leaseOutcome("released", "none"), "released");
  assert.equal(leaseOutcome("released", undefined), "released");
  // EVE's zedrouter says nothing: our own outcome stands.
  assert.equal(leaseOutcome("stopped-without-release", undefined), "stopped-without-release");
  assert.equal(leaseOutcome("stopped-without-release", "released"), "released-by-zedrouter");
  assert.equal(leaseOutcome("already-gone", "released"), "released-by-zedrouter");
  assert.equal(leaseOutcome("stopped-without-release", "none"), "gone-from-server");
  assert.equal(leaseOutcome("stopped-without-release", "kept"), "stopped-without-release");
  assert.equal(leaseOutcome("no-lease", "none"), "no-lease");
  // A read-only state dir: ours went out unconfirmed; the server's record confirms it.
  assert.equal(leaseOutcome("release-unconfirmed", "none"), "released");
  assert.equal(leaseOutcome("release-unconfirmed", "released"), "released-by-zedrouter");
  assert.equal(leaseOutcome("release-unconfirmed", undefined), "release-unconfirmed");
  assert.equal(leaseOutcome("none", "something-newer"), "none");
});
