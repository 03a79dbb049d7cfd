/**
 * Builds the Go programs under tests/go/ (the rpcpeer wire peer, the flannel stand-in) with
 * Debian's golang-go, offline (libcni comes from Debian's golang-github-appc-cni-dev through a
 * `replace` in go.mod), once per source version into `.cache/<name>-<hash>/<name>`, reused by
 * every test file and run after that.
 */

const CACHE_DIR = new URL("../../.cache/", import.meta.url).pathname;

async function sourceHash(sourceDir: string): Promise<string> {
  const names = [...Deno.readDirSync(sourceDir)]
    .map((e) => e.name)
    .filter((n) => n.endsWith(".go") || n === "go.mod")
    .sort();
  const parts: Uint8Array[] = [];
  for (const name of names) {
    parts.push(new TextEncoder().encode(name), await Deno.readFile(`${sourceDir}/${name}`));
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const builds = new Map<string, Promise<string>>();

/** Path of the built binary `name` from the Go package in `sourceDir` (built on first use). */
export function buildGoProgram(name: string, sourceDir: string): Promise<string> {
  let built = builds.get(name);
  if (!built) {
    built = build(name, sourceDir);
    builds.set(name, built);
  }
  return built;
}

async function build(name: string, sourceDir: string): Promise<string> {
  const dir = `${CACHE_DIR}${name}-${await sourceHash(sourceDir)}`;
  const binary = `${dir}/${name}`;
  try {
    await Deno.stat(binary);
    return binary;
  } catch {
    // not built yet
  }
  await Deno.mkdir(dir, { recursive: true });
  // Built beside, then renamed: test files running in parallel never see half a binary.
  const temp = `${binary}.${crypto.randomUUID()}`;
  const result = await new Deno.Command("go", {
    args: ["build", "-o", temp, "."],
    cwd: sourceDir,
    env: {
      GOFLAGS: "-mod=mod",
      GOPROXY: "off",
      GOTOOLCHAIN: "local",
      GOCACHE: `${CACHE_DIR}go-build`,
      HOME: Deno.env.get("HOME") ?? "/root",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    await Deno.remove(temp).catch(() => {});
    throw new Error(`Cannot build ${name}: ${new TextDecoder().decode(result.stderr)}`);
  }
  await Deno.rename(temp, binary);
  return binary;
}
