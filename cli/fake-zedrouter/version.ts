/** Reported by Inspect.Health and `--version`. */
export const PROGRAM = "fake-zedrouter";
export const VERSION = "0.1.0";
