/**
 * One program's code as one ES module: `deno bundle` of its entry (static imports and npm
 * packages inlined; `node:` built-ins stay imports), plus one correction below.
 */
import { systemRunner } from "../netns/mod.ts";

/**
 * LogTape's `#util` import lists its `node` build before its `deno` build, and the bundler
 * takes the first condition it knows, so the bundle gets `import x from "node:util"` for
 * `inspect`. A static `node:` import makes Deno boot its Node compatibility layer before the
 * first line runs, on every call (eve-bridge VERSION included). LogTape's Deno build does the
 * same with Deno.inspect; this puts it in place of the Node one. Anything that does not look
 * exactly like LogTape's Node build is left alone.
 */
const LOGTAPE_NODE_INSPECT =
  /import ([\w$]+) from"node:util";function ([\w$]+)\(([\w$]+),([\w$]+)\)\{return \1\.inspect\(\3,\4\)\}/;

export function useLogtapeDenoInspect(bundle: string): string {
  const match = LOGTAPE_NODE_INSPECT.exec(bundle);
  if (match === null) return bundle;
  const [whole, util, fn, value, options] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  const rest = bundle.slice(0, match.index) + bundle.slice(match.index + whole.length);
  // The imported binding must have no other use, or replacing its import would break them.
  if (new RegExp(`(^|[^\\w$.])${util.replaceAll("$", "\\$")}([^\\w$]|$)`).test(rest)) return bundle;
  const o = options;
  const deno = `function ${fn}(${value},${o}){return Deno.inspect(${value},` +
    `{colors:${o}?.colors,depth:${o}?.depth??void 0,compact:${o}?.compact??!0})}`;
  return bundle.slice(0, match.index) + deno + bundle.slice(match.index + whole.length);
}

/** Bundles `entry` (absolute path) with the Deno running this script; returns the code. */
export async function bundleProgram(entry: string): Promise<string> {
  const out = await Deno.makeTempFile({ prefix: "eve-cni-bundle-", suffix: ".js" });
  try {
    const argv = [Deno.execPath(), "bundle", "--quiet", "--platform", "deno", "--minify"];
    const result = await systemRunner([...argv, "-o", out, entry]);
    if (result.code !== 0) {
      throw new Error(`deno bundle failed for ${entry} (exit ${result.code}): ${result.stderr}`);
    }
    return useLogtapeDenoInspect(await Deno.readTextFile(out));
  } finally {
    await Deno.remove(out).catch(() => {});
  }
}

/** The `node:` modules a bundle imports statically (each one boots Deno's Node layer). */
export function staticNodeImports(bundle: string): string[] {
  return [...bundle.matchAll(/\bimport\s*(?:[\w$*{][^;]*?from\s*)?"(node:[\w/]+)"/g)].map((m) =>
    m[1]!
  );
}
