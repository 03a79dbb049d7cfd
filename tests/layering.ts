/**
 * The layering rules the gate checks (tests/layering_test.ts), and the import graph they are
 * checked on. The graph is Deno's own (`deno info --json` over every module of the checkout),
 * so it holds what the type checker and the bundler see: code imports, `import type`,
 * re-exports and dynamic imports alike.
 *
 * A module belongs to the deepest unit whose folder holds it (`core/eve/names.ts` is in
 * `core/eve`, not `core`). Each unit of product code (everything outside tests/) says which
 * other units it may import; tests/ may import anything. Leaves import only what is below
 * them, so a leaf never imports a sibling; no program imports another program.
 */
import ts from "typescript";

export type UnitKind = "leaf" | "program" | "library" | "tooling" | "tests";

export interface Unit {
  /** The folder (or file) relative to the repository root, without a trailing slash. */
  readonly path: string;
  readonly kind: UnitKind;
  /** Units this one may import; `"*"` = any product unit (never tests/). */
  readonly mayImport: readonly string[] | "*";
  /** Why it sits where it does, for the message when it breaks the rule. */
  readonly role: string;
}

export const UNITS: readonly Unit[] = [
  { path: "core", kind: "leaf", mayImport: [], role: "value rules, below everything" },
  { path: "core/eve", kind: "leaf", mayImport: ["core"], role: "EVE's rules" },
  { path: "rpc", kind: "leaf", mayImport: ["core", "core/eve"], role: "the zedrouter contract" },
  { path: "netns", kind: "leaf", mayImport: ["core"], role: "the only code that spawns" },
  { path: "store", kind: "leaf", mayImport: ["core"], role: "the cluster's shared store (etcd)" },
  {
    path: "plugin/cni",
    kind: "leaf",
    mayImport: ["core", "netns"],
    role: "the CNI spec layer, which knows nothing of EVE",
  },
  {
    path: "plugin/eve-bridge",
    kind: "program",
    mayImport: ["core", "core/eve", "rpc", "netns", "plugin/cni"],
    role: "eve-bridge",
  },
  {
    path: "cli/fake-zedrouter",
    kind: "program",
    mayImport: ["core", "core/eve", "rpc", "netns", "store"],
    role: "fake-zedrouter",
  },
  {
    path: "cli/eve-cni-debug",
    kind: "program",
    mayImport: ["core", "core/eve", "rpc", "netns", "plugin/cni", "store"],
    role: "eve-cni-debug, the inspector",
  },
  { path: "mod.ts", kind: "library", mayImport: ["core", "rpc", "plugin/cni"], role: "the API" },
  {
    path: "scripts/sandbox",
    kind: "tooling",
    mayImport: ["core", "core/eve", "rpc", "netns", "cli/fake-zedrouter"],
    role: "the demo's and the tests' sandbox node",
  },
  { path: "scripts", kind: "tooling", mayImport: "*", role: "build, compile and demo scripts" },
  { path: "tests", kind: "tests", mayImport: "*", role: "tests" },
];

/**
 * Product files allowed to start processes outside netns/: the build tools run `deno bundle`
 * and `deno compile` on a developer's machine, never on a node.
 */
export const SPAWN_ALLOWED = ["scripts/build.ts", "scripts/compile.ts"];

/** A test module, wherever it lives (`x_test.ts` beside its module, or in tests/). */
export function isTestFile(path: string): boolean {
  return path.endsWith("_test.ts") || unitOf(path)?.kind === "tests";
}

/** The unit of a repository-relative path, or undefined for a file outside every unit. */
export function unitOf(path: string): Unit | undefined {
  let best: Unit | undefined;
  for (const unit of UNITS) {
    const inside = path === unit.path || path.startsWith(`${unit.path}/`);
    if (inside && (!best || unit.path.length > best.path.length)) best = unit;
  }
  return best;
}

export interface Edge {
  readonly from: string;
  readonly to: string;
  /** An `import type` (or a type-only re-export): no code runs, but the design still loops. */
  readonly typeOnly: boolean;
}

/** Local modules (repository-relative paths) and the imports between them. */
export interface ImportGraph {
  readonly modules: readonly string[];
  readonly edges: readonly Edge[];
}

/** What the gate found wrong: the rule, where, and what to do instead. */
export interface Violation {
  readonly rule: "layer" | "program" | "tests" | "spawn" | "cycle";
  readonly message: string;
}

function mayImport(from: Unit, to: Unit): boolean {
  if (from.path === to.path) return true;
  if (to.kind === "tests") return from.kind === "tests";
  return from.mayImport === "*" || from.mayImport.includes(to.path);
}

/** Every edge that breaks the units' rules, with what the importer may import instead. */
export function layeringViolations(graph: ImportGraph): Violation[] {
  const out: Violation[] = [];
  for (const edge of graph.edges) {
    const from = unitOf(edge.from);
    const to = unitOf(edge.to);
    if (!from || !to || mayImport(from, to)) continue;
    const what = `${edge.from} imports ${edge.to}${edge.typeOnly ? " (type only)" : ""}`;
    if (to.kind === "tests") {
      out.push({
        rule: "tests",
        message: `${what}: product code never imports tests/; move what it needs out of tests/`,
      });
    } else if (from.kind === "program" && to.kind === "program") {
      out.push({
        rule: "program",
        message: `${what}: ${from.role} (${from.path}/) may not import another program; ` +
          "put what both need in core/eve/ (EVE's rules) or a leaf below both",
      });
    } else {
      const allowed = from.mayImport === "*" || from.mayImport.length === 0
        ? "no other unit"
        : `only ${from.mayImport.map((p) => `${p}/`).join(", ")}`;
      out.push({
        rule: "layer",
        message: `${what}: ${from.path}/ (${from.kind}, ${from.role}) may import ${allowed}`,
      });
    }
  }
  return out;
}

/**
 * The import cycles, one per strongly connected component (Tarjan), each reported as one
 * loop through it: `a.ts -> b.ts -> a.ts`.
 */
export function importCycles(graph: ImportGraph): Violation[] {
  const next = new Map<string, Edge[]>();
  for (const edge of graph.edges) {
    const list = next.get(edge.from) ?? [];
    list.push(edge);
    next.set(edge.from, list);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const { to } of next.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node)!, index.get(to)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    for (let member = stack.pop()!;; member = stack.pop()!) {
      onStack.delete(member);
      component.push(member);
      if (member === node) break;
    }
    const selfLoop = (next.get(node) ?? []).some((e) => e.to === node);
    if (component.length > 1 || selfLoop) components.push(component);
  };
  for (const node of graph.modules) if (!index.has(node)) visit(node);
  return components.map((component) => ({
    rule: "cycle" as const,
    message: `import cycle: ${loopThrough(component, next)}; ` +
      "move what both sides need into a module both import (type-only imports count too)",
  }));
}

/** One loop through a strongly connected component, as `a -> b -type-> a`. */
function loopThrough(component: string[], next: Map<string, Edge[]>): string {
  const members = new Set(component);
  const start = [...component].sort()[0]!;
  let path = start;
  const seen = new Set([start]);
  let node = start;
  for (;;) {
    const edge = (next.get(node) ?? []).find((e) =>
      members.has(e.to) && (e.to === start || !seen.has(e.to))
    )!;
    path += `${edge.typeOnly ? " -type-> " : " -> "}${edge.to}`;
    if (edge.to === start) return path;
    seen.add(edge.to);
    node = edge.to;
  }
}

const SPAWN_MODULES = new Set(["node:child_process", "child_process"]);

/**
 * Where `source` starts a process: `Deno.Command`, `Deno.run`, or an import of
 * node:child_process (static or dynamic). One line per place, `file:line what`.
 */
export function spawnSites(path: string, source: string): string[] {
  const file = ts.createSourceFile(path, source, ts.ScriptTarget.Latest, true);
  const sites: string[] = [];
  const at = (node: ts.Node, what: string) => {
    const line = file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
    sites.push(`${path}:${line} ${what}`);
  };
  const visit = (node: ts.Node): void => {
    if (
      ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) &&
      node.expression.text === "Deno" && ["Command", "run"].includes(node.name.text)
    ) {
      at(node, `Deno.${node.name.text}`);
    }
    const specifier = ts.isImportDeclaration(node) || ts.isExportDeclaration(node)
      ? node.moduleSpecifier
      : ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword
      ? node.arguments[0]
      : undefined;
    if (specifier && ts.isStringLiteral(specifier) && SPAWN_MODULES.has(specifier.text)) {
      at(node, `import of ${specifier.text}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return sites;
}

/**
 * Product files that start processes outside netns/. Tests (tests/ and the `_test.ts` files
 * beside their modules) may: they run the programs and the tools they drive.
 */
export function spawnViolations(files: ReadonlyMap<string, string>): Violation[] {
  const out: Violation[] = [];
  for (const [path, source] of files) {
    const unit = unitOf(path);
    if (!unit || unit.kind === "tests" || unit.path === "netns" || isTestFile(path)) continue;
    if (SPAWN_ALLOWED.includes(path)) continue;
    for (const site of spawnSites(path, source)) {
      out.push({
        rule: "spawn",
        message: `${site}: only netns/ starts processes; use its Runner (systemRunner), ` +
          "spawnDaemon or spawn",
      });
    }
  }
  return out;
}

/** Every .ts module of the checkout (repository-relative), outside dist/, .tools/ and .git/. */
export async function sourceFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory) {
        if ([".git", ".tools", "dist", "node_modules", ".cache"].includes(entry.name)) continue;
        await walk(`${dir}/${entry.name}`, path);
      } else if (entry.isFile && entry.name.endsWith(".ts")) {
        out.push(path);
      }
    }
  };
  await walk(root, "");
  return out.sort();
}

interface DenoInfoDependency {
  readonly code?: { readonly specifier?: string };
  readonly type?: { readonly specifier?: string };
}

interface DenoInfo {
  readonly modules: readonly {
    readonly specifier: string;
    readonly dependencies?: readonly DenoInfoDependency[];
  }[];
}

/**
 * The import graph of `files` (repository-relative) as Deno resolves it: `deno info --json`
 * on one generated module that imports them all, with the checkout's deno.json.
 */
export async function readImportGraph(
  root: string,
  files: readonly string[],
): Promise<ImportGraph> {
  const dir = await Deno.makeTempDir({ prefix: "layering-" });
  try {
    const entry = `${dir}/all.ts`;
    const imports = files.map((f) => `import ${JSON.stringify(`file://${root}/${f}`)};`);
    await Deno.writeTextFile(entry, `${imports.join("\n")}\n`);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", `${root}/deno.json`, entry],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`deno info failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as DenoInfo;
    const local = (specifier: string | undefined): string | undefined => {
      const prefix = `file://${root}/`;
      return specifier?.startsWith(prefix) ? specifier.slice(prefix.length) : undefined;
    };
    const edges: Edge[] = [];
    for (const module of info.modules) {
      const from = local(module.specifier);
      if (from === undefined) continue;
      for (const dep of module.dependencies ?? []) {
        const code = local(dep.code?.specifier);
        const type = local(dep.type?.specifier);
        const to = code ?? type;
        if (to !== undefined) edges.push({ from, to, typeOnly: code === undefined });
      }
    }
    return { modules: files, edges };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
