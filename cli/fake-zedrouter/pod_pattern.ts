/**
 * Pod-name globs, as fault rules and journal queries take them: `*` is any run of
 * characters, `?` one character, everything else itself (`nginx-*` matches every pod of
 * the app nginx whatever its random suffix). The characters were checked by the contract's
 * PodPatternSchema; this is the one place that decides what a pattern matches.
 */

/** A predicate for `pattern`; matching is against the whole pod name. */
export function podMatcher(pattern: string): (podName: string) => boolean {
  let source = "";
  for (const ch of pattern) {
    source += ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.\\^$+()[\]{}|/-]/g, "\\$&");
  }
  const re = new RegExp(`^${source}$`, "s");
  return (podName) => re.test(podName);
}
