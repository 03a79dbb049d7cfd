import assert from "node:assert/strict";
import { nodeBusyMs } from "./node_cpu.ts";

Deno.test("nodeBusyMs sums user, nice, system, irq and softirq of the cpu line, in ms", () => {
  const stat = "cpu  100 5 50 9000 30 2 3 40 0 0\ncpu0 50 2 25 4500 15 1 1 20 0 0\n";
  assert.equal(nodeBusyMs(stat), (100 + 5 + 50 + 2 + 3) * 10);
});

Deno.test("nodeBusyMs grows while this process works", () => {
  const before = nodeBusyMs();
  const until = performance.now() + 60;
  while (performance.now() < until) { /* spin */ }
  assert.ok(nodeBusyMs() > before);
});

Deno.test("nodeBusyMs refuses a /proc/stat without a cpu line", () => {
  assert.throws(() => nodeBusyMs("intr 1 2 3\n"), /no cpu line/);
});
