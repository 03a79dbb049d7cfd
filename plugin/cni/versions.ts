/**
 * The CNI spec versions eve-bridge speaks and the rules that depend on them (which commands
 * exist at which version, which version a conflist's `cniVersions` selects).
 */
import { CniError, CniErrorCode } from "./errors.ts";
import { type CniVersion, LATEST_VERSION, SUPPORTED_VERSIONS } from "./supported_versions.ts";

export { type CniVersion, LATEST_VERSION, SUPPORTED_VERSIONS };

export function isSupportedVersion(version: string): version is CniVersion {
  return (SUPPORTED_VERSIONS as readonly string[]).includes(version);
}

/** Numeric comparison of dotted versions: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map((part) => Number.parseInt(part, 10) || 0);
  const pb = b.split(".").map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

export function atLeast(version: string, minimum: string): boolean {
  return compareVersions(version, minimum) >= 0;
}

/** How a JSON value reads in a message: `the number 1`, `an array`, `null`. */
function jsonKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `the ${typeof value} ${JSON.stringify(value)}`;
}

/**
 * `"cniVersion": 1` is a number, not a missing field: say so (code 7), with the string to
 * write instead. The same for a `cniVersions` that is not a list of strings.
 */
function requireVersionTypes(cniVersion: unknown, cniVersions: unknown): void {
  if (cniVersion !== undefined && typeof cniVersion !== "string") {
    const parts = typeof cniVersion === "number" ? String(cniVersion).split(".") : [];
    while (parts.length > 0 && parts.length < 3) parts.push("0");
    const asText = parts.length === 3 ? `"${parts.join(".")}" or ` : "";
    throw new CniError(
      CniErrorCode.InvalidConfig,
      `Invalid cniVersion: expected a string, got ${jsonKind(cniVersion)}`,
      `Write it as a JSON string, e.g. ${asText}"${LATEST_VERSION}"; supported: ` +
        SUPPORTED_VERSIONS.join(", "),
    );
  }
  if (
    cniVersions !== undefined &&
    !(Array.isArray(cniVersions) && cniVersions.every((v) => typeof v === "string"))
  ) {
    throw new CniError(
      CniErrorCode.InvalidConfig,
      `Invalid cniVersions: expected a list of strings, got ${jsonKind(cniVersions)}`,
      `Write it as e.g. ["${LATEST_VERSION}"]; supported: ${SUPPORTED_VERSIONS.join(", ")}`,
    );
  }
}

/**
 * The version a request speaks: `cniVersion` when present, else the highest version of a
 * `cniVersions` list that we support (the conflist form; libcni normally resolves it before
 * calling us, but a hand-fed config may carry only the list).
 */
export function resolveRequestVersion(cniVersion: unknown, cniVersions: unknown): CniVersion {
  requireVersionTypes(cniVersion, cniVersions);
  if (typeof cniVersion === "string" && cniVersion !== "") {
    if (isSupportedVersion(cniVersion)) return cniVersion;
    throw new CniError(
      CniErrorCode.IncompatibleVersion,
      `Unsupported cniVersion "${cniVersion}"`,
      `Set cniVersion to one of ${SUPPORTED_VERSIONS.join(", ")}`,
    );
  }
  if (Array.isArray(cniVersions) && cniVersions.length > 0) {
    const usable = cniVersions.filter((v): v is CniVersion =>
      typeof v === "string" && isSupportedVersion(v)
    ).sort(compareVersions);
    const best = usable.at(-1);
    if (best) return best;
    throw new CniError(
      CniErrorCode.IncompatibleVersion,
      `None of cniVersions ${JSON.stringify(cniVersions)} is supported`,
      `List one of ${SUPPORTED_VERSIONS.join(", ")}`,
    );
  }
  throw new CniError(
    CniErrorCode.InvalidConfig,
    "Missing cniVersion in the network configuration",
    `Add "cniVersion" with one of ${SUPPORTED_VERSIONS.join(", ")}`,
  );
}

/**
 * Commands that appeared after 0.3.0 are refused below their version with code 1
 * (incompatible version): CHECK exists from 0.4.0, STATUS and GC from 1.1.0 only. libcni's
 * skel answers the same way ("config version does not allow STATUS"); a runtime that speaks
 * an older version never sends them, so code 1 tells a hand-made call exactly what is wrong.
 */
export const COMMAND_MIN_VERSION = {
  ADD: "0.3.0",
  DEL: "0.3.0",
  CHECK: "0.4.0",
  STATUS: "1.1.0",
  GC: "1.1.0",
} as const;
