/**
 * The README's "Using fake-zedrouter in CI" recipe, run as the script it is
 * (scripts/ci_recipe.sh): start, wait, ADD/CHECK/DEL through libcni, assert on the journal,
 * a fault with the plugin's error and code and nothing left, stop. The script checks each
 * step itself and ends with "ci recipe: ok"; this runs it as a CI job would, in a bare
 * environment.
 */
import assert from "node:assert/strict";
import { CNIDRIVE, e2eSkipReason } from "./harness.ts";

const SCRIPT = new URL("../../scripts/ci_recipe.sh", import.meta.url).pathname;
const SKIP = await e2eSkipReason();

Deno.test({
  name: `the CI recipe (scripts/ci_recipe.sh) runs to the end${SKIP ? ` (skipped: ${SKIP})` : ""}`,
  ignore: SKIP !== undefined,
  fn: async () => {
    const out = await new Deno.Command("bash", {
      args: [SCRIPT],
      clearEnv: true,
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", CNIDRIVE },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const d = new TextDecoder();
    const stdout = d.decode(out.stdout);
    const log = `${stdout}\n${d.decode(out.stderr)}`;
    assert.equal(out.code, 0, log);
    assert.match(stdout, /ci recipe: ok\n$/, log);
    for (const step of ["1. start", "2. wait", "3. ADD", "4. assert", "5. inject", "6. stop"]) {
      assert.match(stdout, new RegExp(`==> ${step.replace(".", "\\.")}`), log);
    }
  },
});
