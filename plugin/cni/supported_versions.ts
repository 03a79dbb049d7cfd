/**
 * The CNI spec versions eve-bridge speaks. A file of its own, importing nothing: VERSION
 * (plugin/eve-bridge/main.ts, version_answer.ts) answers from it without evaluating the rest
 * of the CNI layer, whose errors pull in all of core/ (its schemas among them).
 */
export const SUPPORTED_VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;
export type CniVersion = typeof SUPPORTED_VERSIONS[number];
export const LATEST_VERSION: CniVersion = "1.1.0";
