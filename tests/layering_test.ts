/**
 * The gate on the layering (README "Layout"): reads the checkout's import graph as Deno sees
 * it and fails, naming the file and the rule, when a leaf imports a sibling or anything above
 * it, a program imports another program, product code imports tests/, a file outside netns/
 * starts a process, or modules import each other in a loop (type-only imports included).
 */
import assert from "node:assert/strict";
import {
  importCycles,
  type ImportGraph,
  layeringViolations,
  readImportGraph,
  sourceFiles,
  spawnViolations,
  type Violation,
} from "./layering.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const FILES = await sourceFiles(ROOT);
const GRAPH = await readImportGraph(ROOT, FILES);

function assertNone(violations: Violation[], what: string): void {
  if (violations.length === 0) return;
  assert.fail(
    `${violations.length} ${what}:\n${violations.map((v) => `  ${v.message}`).join("\n")}`,
  );
}

Deno.test("layering: the graph is the checkout's (every module, with its imports)", () => {
  assert.ok(FILES.includes("plugin/eve-bridge/main.ts") && FILES.includes("mod.ts"));
  assert.ok(
    GRAPH.edges.some((e) => e.from === "plugin/eve-bridge/main.ts" && e.to === "plugin/cni/mod.ts"),
    "eve-bridge's entry imports the CNI layer statically",
  );
  assert.ok(GRAPH.edges.some((e) => e.typeOnly), "type-only imports are in the graph");
});

Deno.test("layering: every import follows the units' rules", () => {
  assertNone(layeringViolations(GRAPH), "imports break the layering");
});

Deno.test("layering: no import cycles, type-only imports included", () => {
  assertNone(importCycles(GRAPH), "import cycles");
});

Deno.test("layering: only netns/ starts processes", async () => {
  const sources = new Map<string, string>();
  for (const file of FILES) sources.set(file, await Deno.readTextFile(`${ROOT}/${file}`));
  assertNone(spawnViolations(sources), "places start processes outside netns/");
});

// The rules themselves, on made-up graphs: each one can fail.

function graph(...edges: [string, string, boolean?][]): ImportGraph {
  const modules = [...new Set(edges.flatMap(([from, to]) => [from, to]))];
  return {
    modules,
    edges: edges.map(([from, to, typeOnly]) => ({ from, to, typeOnly: !!typeOnly })),
  };
}

Deno.test("layering rules: a leaf importing a sibling or a unit above it", () => {
  const found = layeringViolations(graph(
    ["rpc/client.ts", "netns/mod.ts"],
    ["plugin/cni/delegate.ts", "core/eve/mod.ts", true],
    ["core/values.ts", "core/eve/pod_kind.ts"],
    ["netns/links.ts", "core/mod.ts"],
  ));
  assert.deepEqual(found.map((v) => v.rule), ["layer", "layer", "layer"]);
  assert.match(found[0]!.message, /^rpc\/client\.ts imports netns\/mod\.ts: rpc\/ \(leaf/);
  assert.match(found[1]!.message, /\(type only\): plugin\/cni\/ .*may import only core\/, netns\//);
  assert.match(found[2]!.message, /core\/ \(leaf, .*\) may import no other unit/);
});

Deno.test("layering rules: a program importing another, product code importing tests/", () => {
  const found = layeringViolations(graph(
    ["cli/eve-cni-debug/findings.ts", "cli/fake-zedrouter/mod.ts"],
    ["scripts/demo.ts", "tests/e2e/harness.ts"],
    ["plugin/cni/delegate_test.ts", "tests/temp_dir.ts"],
    ["tests/x_test.ts", "cli/fake-zedrouter/mod.ts"],
    ["scripts/sandbox/zedrouter.ts", "cli/fake-zedrouter/mod.ts"],
  ));
  assert.deepEqual(found.map((v) => v.rule), ["program", "tests", "tests"]);
  assert.match(found[0]!.message, /the inspector.* may not import another program/);
  assert.match(found[1]!.message, /product code never imports tests\//);
});

Deno.test("layering rules: cycles, type-only edges included, one loop each", () => {
  const found = importCycles(graph(
    ["rpc/a.ts", "rpc/b.ts"],
    ["rpc/b.ts", "rpc/a.ts", true],
    ["rpc/c.ts", "rpc/c.ts"],
    ["rpc/d.ts", "rpc/a.ts"],
  ));
  assert.deepEqual(found.map((v) => v.message.split(";")[0]).sort(), [
    "import cycle: rpc/a.ts -> rpc/b.ts -type-> rpc/a.ts",
    "import cycle: rpc/c.ts -> rpc/c.ts",
  ]);
});

Deno.test("layering rules: Deno.Command, Deno.run and node:child_process outside netns/", () => {
  const found = spawnViolations(
    new Map([
      ["plugin/cni/x.ts", 'const c = new Deno.Command("ip", { args: [] });\n'],
      ["cli/eve-cni-debug/x.ts", 'import { spawn } from "node:child_process";\nDeno.run({});\n'],
      ["rpc/x.ts", 'await import("node:child_process");\n'],
      ["netns/x.ts", 'new Deno.Command("ip");\n'],
      ["tests/x_test.ts", 'new Deno.Command("ip");\n'],
      ["plugin/cni/x_test.ts", 'new Deno.Command("ip");\n'],
      ["core/x.ts", "// Deno.Command in a comment\nconst s = 'Deno.run';\n"],
    ]),
  );
  assert.deepEqual(found.map((v) => v.message.split(": ")[0]), [
    "plugin/cni/x.ts:1 Deno.Command",
    "cli/eve-cni-debug/x.ts:1 import of node:child_process",
    "cli/eve-cni-debug/x.ts:2 Deno.run",
    "rpc/x.ts:1 import of node:child_process",
  ]);
});
