import assert from "node:assert/strict";
import { CniError } from "./errors.ts";
import { atLeast, compareVersions, resolveRequestVersion } from "./versions.ts";

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof CniError ? error.code : -1;
  }
  return undefined;
}

Deno.test("versions: numeric comparison", () => {
  assert.ok(compareVersions("0.3.1", "0.4.0") < 0);
  assert.ok(compareVersions("1.10.0", "1.9.0") > 0);
  assert.equal(compareVersions("1.0.0", "1.0.0"), 0);
  assert.ok(atLeast("1.1.0", "0.4.0"));
  assert.ok(!atLeast("0.3.1", "0.4.0"));
});

Deno.test("versions: cniVersion wins, cniVersions picks the highest supported", () => {
  assert.equal(resolveRequestVersion("0.3.1", ["1.1.0"]), "0.3.1");
  assert.equal(resolveRequestVersion(undefined, ["0.4.0", "1.0.0", "2.0.0"]), "1.0.0");
  assert.equal(codeOf(() => resolveRequestVersion(undefined, ["2.0.0"])), 1);
  assert.equal(codeOf(() => resolveRequestVersion("0.2.0", undefined)), 1);
  assert.equal(codeOf(() => resolveRequestVersion(undefined, undefined)), 7);
});

Deno.test("versions: a cniVersion that is not a string is code 7 saying so, not 'Missing'", () => {
  const error = (fn: () => unknown): CniError => {
    try {
      fn();
    } catch (e) {
      if (e instanceof CniError) return e;
    }
    throw new Error("expected a CniError");
  };
  const number = error(() => resolveRequestVersion(1, undefined));
  assert.equal(number.code, 7);
  assert.equal(number.msg, "Invalid cniVersion: expected a string, got the number 1");
  assert.match(number.details, /"1\.0\.0" or "1\.1\.0"/);
  assert.match(error(() => resolveRequestVersion(0.4, undefined)).details, /"0\.4\.0"/);
  assert.match(error(() => resolveRequestVersion(null, undefined)).msg, /got null/);
  assert.match(
    error(() => resolveRequestVersion(undefined, ["1.0.0", 1])).msg,
    /Invalid cniVersions: expected a list of strings, got an array/,
  );
  assert.match(error(() => resolveRequestVersion(undefined, "1.0.0")).msg, /got the string/);
});
