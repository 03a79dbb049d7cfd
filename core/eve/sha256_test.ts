import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { sha256Hex } from "./sha256.ts";

Deno.test("sha256Hex: the same digest as node:crypto, across block boundaries and UTF-8", () => {
  const inputs = ["", "abc", "é", "x".repeat(55), "x".repeat(56), "x".repeat(64), "y".repeat(1000)];
  for (let i = 0; i < 200; i++) inputs.push("id-".repeat(i) + String(i));
  for (const input of inputs) {
    assert.equal(sha256Hex(input), createHash("sha256").update(input).digest("hex"), input);
  }
});
