/**
 * The answer to CNI_COMMAND=VERSION. Kept apart from the skeleton so the entry point can
 * answer VERSION without loading the rest of the plugin (runtimes probe it often).
 */
import { LATEST_VERSION, SUPPORTED_VERSIONS } from "./supported_versions.ts";

/** `{"cniVersion":"<requested>","supportedVersions":[...]}`; stdin may be empty or broken. */
export function versionAnswer(stdin: string): string {
  let requested: string = LATEST_VERSION;
  try {
    const parsed = JSON.parse(stdin) as { cniVersion?: unknown };
    if (typeof parsed?.cniVersion === "string" && parsed.cniVersion !== "") {
      requested = parsed.cniVersion;
    }
  } catch {
    // An empty or broken stdin still gets the list.
  }
  return JSON.stringify({ cniVersion: requested, supportedVersions: SUPPORTED_VERSIONS });
}
